"""A result set is untrusted input (a CI artifact, a fleet's gather, a set
mailed in): the checks every reader of a set makes, in this one place.

- names: a point id, a file name in a set: NAME (letters, digits, then
  also . _ # -; no '..'; at most MAX_NAME characters). Every id and name
  results/reference holds is one; a plan's A/A tags are held to it too.
- paths: member() resolves a path inside a set and refuses one that
  leads out of the set's resolved root.
- the tree: tree() refuses a symlink in a set that leads out of it (or
  loops), a FIFO, socket or device, and a name that is not NAME (names
  starting with '.' are a run's temp files and control directories:
  no reader opens them, so they are neither held to NAME nor walked
  into; a symlink among them is checked all the same).
- JSON: loads()/read_json(): UTF-8, JSON as RFC 8259 has it (no NaN or
  Infinity), numbers in range (integers of at most 20 digits, finite
  floats), no lone surrogate (no output could print it), nesting a
  parser survives.
- shapes: shape() holds a document to a spec (types, keys, counts).
- points: check_points() holds points.json to what point.Point reads.
- interpreting: fields() turns what a malformed document makes the code
  that reads it raise (KeyError, TypeError, ...) into InputError naming
  the file.

Every refusal is an errors.InputError (exit 2): one line naming the file
and the field. Standard library only (the guest runner imports point.py,
which uses check_points); jsonschema only where a manifest is checked.
"""

from __future__ import annotations

import contextlib
import functools
import json
import math
import os
import re
from pathlib import Path
from typing import Callable

from harness import errors

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._#-]*\Z")
MAX_NAME = 200      # NAME_MAX is 255: room for .json and a temp suffix
MAX_DIGITS = 20     # an integer in a set's JSON: 2**64 has 20 digits
SHOW = 60           # characters of a bad value a message quotes


class _Bad(ValueError):
    """A number or constant that strict JSON refuses."""


def show(v) -> str:
    """A value for a one-line message: repr, cut."""
    r = repr(v)
    return r if len(r) <= SHOW else r[:SHOW - 4] + " ..."


def name_ok(s) -> bool:
    return isinstance(s, str) and len(s) <= MAX_NAME and \
        NAME.match(s) is not None and ".." not in s


ALLOWED = (f"a name of letters, digits, '.', '_', '#', '-' (a letter or "
           f"digit first, no '..', at most {MAX_NAME} characters)")


def check_name(s, where: str, what: str = "id") -> str:
    if not name_ok(s):
        raise errors.InputError(f"{where}: {what} {show(s)}; allowed: "
                                f"{ALLOWED}")
    return s


def _root(root: Path) -> Path:
    try:
        return Path(root).resolve(strict=True)
    except (OSError, RuntimeError) as e:
        raise errors.InputError(f"result set {root}: cannot resolve "
                                f"({e})") from None


def member(root: Path, *parts: str) -> Path:
    """root/parts..., each part a NAME, resolved; refused if it leads out
    of root's resolved path (a symlink in the set, an id with ..)."""
    where = Path(root, *(p for p in parts if isinstance(p, str)))
    for p in parts:
        check_name(p, f"result set {root}", "file name")
    top = _root(root)
    try:
        full = Path(top, *parts).resolve()
    except (OSError, RuntimeError) as e:
        raise errors.InputError(f"{where}: cannot resolve ({e})") from None
    if not full.is_relative_to(top):
        raise errors.InputError(f"{where}: leads out of the set (to "
                                f"{full})")
    return full


def tree(root: Path) -> Path:
    """Walk a set once: refuse a symlink leading out of it (or looping),
    anything but directories and regular files, and names that are not
    NAME. The set's resolved root."""
    top = _root(root)
    if not top.is_dir():
        raise errors.InputError(f"result set {root}: not a directory")

    def bad(rel: str, why: str):
        return errors.InputError(f"result set {root}: {rel}: {why}")
    todo = [("", str(top))]
    while todo:
        at, d = todo.pop()
        try:
            entries = list(os.scandir(d))
        except OSError as e:
            raise bad(at or ".", e.strerror) from None
        for e in entries:
            # temp files, .vm-* control directories: no reader opens
            # them (a name from a glob or an id never starts with '.'),
            # so only a symlink among them is looked at
            hidden = e.name.startswith(".")
            rel = at + e.name if name_ok(e.name) else show(at + e.name)
            if not hidden and not name_ok(e.name):
                raise bad(rel, f"name not allowed; allowed: {ALLOWED}")
            try:
                if e.is_symlink():
                    try:
                        to = Path(e.path).resolve(strict=True)
                    except (OSError, RuntimeError):
                        raise bad(rel, "a symlink that loops or leads "
                                  "nowhere") from None
                    if not to.is_relative_to(top):
                        raise bad(rel, "a symlink leading out of the set "
                                  f"(to {to})")
                elif hidden:
                    continue
                elif e.is_dir(follow_symlinks=False):
                    todo.append((rel + "/", e.path))
                elif not e.is_file(follow_symlinks=False):
                    raise bad(rel, "not a regular file or directory")
            except OSError as err:
                raise bad(rel, err.strerror) from None
    return top


def _const(s: str):
    raise _Bad(f"{s} is not a number JSON allows")


def _float(s: str) -> float:
    v = float(s)
    if not math.isfinite(v):
        raise _Bad(f"number {show(s)} out of range")
    return v


def _int(s: str) -> int:
    if len(s.lstrip("-")) > MAX_DIGITS:
        raise _Bad(f"integer of {len(s)} digits out of range")
    return int(s)


# Where a number may be out of range (a long digit run, a 3-digit
# exponent), and where a string may hold a lone surrogate (which no
# output can encode): only there do the slow checks run
_LONG = re.compile(rb"[0-9]{%d}" % (MAX_DIGITS + 1))
_EXP = re.compile(rb"[eE][-+]?[0-9]{3}")
_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F]")


def _strings(doc):
    if isinstance(doc, str):
        yield doc
    elif isinstance(doc, dict):
        for k, v in doc.items():
            yield k
            yield from _strings(v)
    elif isinstance(doc, list):
        for v in doc:
            yield from _strings(v)


def loads(data: bytes | str, where: str, nonfinite: bool = False):
    """A JSON document, strictly: UTF-8, no NaN/Infinity (nonfinite:
    read as floats, for a reader that refuses them in a message of its
    own), numbers in range, no lone surrogate; InputError naming where
    otherwise."""
    raw = data if isinstance(data, bytes) else data.encode("utf-8",
                                                           "surrogatepass")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise errors.InputError(f"{where}: not UTF-8 (byte {e.start})") \
            from None
    # the hooks cost a Python call per number: only where needed
    hooks = {"parse_float": _float, "parse_int": _int} \
        if _LONG.search(raw) or _EXP.search(raw) else {}
    try:
        if not nonfinite:
            hooks["parse_constant"] = _const
        doc = json.loads(text, **hooks)
    except _Bad as e:
        raise errors.InputError(f"{where}: corrupt JSON: {e}") from None
    except ValueError as e:
        raise errors.InputError(f"{where}: corrupt JSON: "
                                f"{str(e).splitlines()[0]}") from None
    except RecursionError:
        raise errors.InputError(f"{where}: corrupt JSON: nested too "
                                "deeply") from None
    if _SURROGATE.search(raw):
        for t in _strings(doc):
            try:
                t.encode("utf-8")
            except UnicodeEncodeError:
                bad = t.encode("utf-8", "backslashreplace")
                raise errors.InputError(
                    f"{where}: corrupt JSON: a string with a lone "
                    f"surrogate: {show(bad)}") from None
    return doc


def read_bytes(root: Path, *parts: str, most: int | None = None) -> bytes:
    """The bytes of root/parts (member()); with most, refused beyond
    that many (a note, not a document, is read so)."""
    f = member(root, *parts)
    where = Path(root, *parts)
    try:
        with open(f, "rb") as fh:
            data = fh.read(-1 if most is None else most + 1)
    except FileNotFoundError:
        raise errors.InputError(f"{where}: missing") from None
    except OSError as e:
        raise errors.InputError(f"{where}: {e.strerror or e}") from None
    if most is not None and len(data) > most:
        raise errors.InputError(f"{where}: larger than {most} bytes")
    return data


def read_json(root: Path, *parts: str):
    """The document at root/parts (member(), loads())."""
    return loads(read_bytes(root, *parts), str(Path(root, *parts)))


# shape(): a spec is a type below, a dict {key: spec} (a key ending in
# '?' may be absent; '*': every value), a list [spec] (every item), or
# a tuple of alternatives, None among them for null.
COUNT, INT, NUM, STR, BOOL, ANY = (
    "an integer >= 0", "an integer", "a finite number", "a string",
    "true or false", "anything")


# The tools count in 64 bits; a bigger integer (JSON has no bound, and
# 10**400 overflows float division and math.isfinite) is not a count.
MAX_INT = 2 ** 64


def _scalar_ok(v, spec: str) -> bool:
    if spec == ANY:
        return True
    if spec == BOOL:
        return type(v) is bool
    if spec == STR:
        return type(v) is str
    if spec in (INT, COUNT):
        return type(v) is int and abs(v) <= MAX_INT and \
            (spec == INT or v >= 0)
    if spec == NUM:
        return (type(v) is int and abs(v) <= MAX_INT) or \
            (type(v) is float and math.isfinite(v))
    raise AssertionError(spec)


def _what(spec) -> str:
    if isinstance(spec, tuple):
        return " or ".join("null" if s is None else _what(s) for s in spec)
    if isinstance(spec, dict):
        return "an object"
    if isinstance(spec, list):
        return "a list"
    return spec


def shape(doc, spec, where: str, path: str = "") -> None:
    """Hold doc to spec; InputError naming where and the field."""
    def bad(why: str):
        raise errors.InputError(f"{where}: {path or 'the document'}{why}")
    if isinstance(spec, tuple):
        if doc is None and None in spec:
            return
        alts = [s for s in spec if s is not None]
        if len(alts) == 1:
            return shape(doc, alts[0], where, path)
        for s in alts:
            if isinstance(s, str) and _scalar_ok(doc, s):
                return
            if isinstance(s, dict) and isinstance(doc, dict) or \
                    isinstance(s, list) and isinstance(doc, list):
                return shape(doc, s, where, path)
        bad(f"={show(doc)}; allowed: {_what(spec)}")
    elif isinstance(spec, dict):
        if not isinstance(doc, dict):
            bad(f" is {show(doc)}; allowed: an object")
        for k, s in spec.items():
            if k == "*":
                for kk, v in doc.items():
                    shape(v, s, where, f"{path}.{kk}" if path else kk)
                continue
            key = k.rstrip("?")
            if key not in doc:
                if k.endswith("?"):
                    continue
                raise errors.InputError(
                    f"{where}: no key {path + '.' if path else ''}{key}")
            shape(doc[key], s, where, f"{path}.{key}" if path else key)
    elif isinstance(spec, list):
        if not isinstance(doc, list):
            bad(f" is {show(doc)}; allowed: a list")
        for i, v in enumerate(doc):
            shape(v, spec[0], where, f"{path}[{i}]")
    elif not _scalar_ok(doc, spec):
        bad(f"={show(doc)}; allowed: {spec}")


# points.json: what point.Point.from_dict reads (variant is absent from
# sets made before points had one)
POINT = {"id": STR, "kind": STR, "workload": STR, "mode": STR,
         "variant?": STR, "layers": COUNT, "cpus": COUNT, "rep": COUNT,
         "args": [STR], "probe?": BOOL, "mntlock_args?": [STR],
         "probe_comm?": STR, "pair?": (None, [STR]), "clock?": STR,
         "boot_cpus?": COUNT, "plugin?": STR}


def check_points(doc, where: str = "points.json") -> None:
    """points.json: a list of points, each of POINT's shape, with a NAME
    id (it names the point's files) and kind, unique ids, a pair of two
    modes, and a variant where an old set's point can do without."""
    if not isinstance(doc, list):
        raise errors.InputError(f"{where}: holds {show(doc)}; allowed: a "
                                "list of points")
    seen: set[str] = set()
    for i, d in enumerate(doc):
        at = f"{where}: point {i}"
        shape(d, POINT, at)
        check_name(d["id"], at)
        check_name(d["kind"], at, "kind")
        if d["id"] in seen:
            raise errors.InputError(f"{at}: id {d['id']!r} appears twice")
        seen.add(d["id"])
        if d.get("pair") is not None and len(d["pair"]) != 2:
            raise errors.InputError(f"{at}: pair={show(d['pair'])}; "
                                    "allowed: two modes")
        # a point from before variants: its variant comes from these
        need = {"paired": "pair", "overhead": "probe"}.get(d["kind"])
        if "variant" not in d and need and d.get(need) is None:
            raise errors.InputError(f"{at}: no key variant (nor {need})")


@functools.lru_cache(maxsize=None)
def _validator(schema: Path, required: bool):
    import jsonschema

    def strip(s):
        if isinstance(s, dict):
            return {k: strip(v) for k, v in s.items()
                    if required or k != "required"}
        if isinstance(s, list):
            return [strip(v) for v in s]
        return s
    doc = strip(json.loads(schema.read_text()))
    return jsonschema.validators.validator_for(doc)(doc)


def schema_error(doc, schema: Path, required: bool = True) -> str | None:
    """The first thing schema (a JSON schema file) finds wrong in doc, as
    'field: why' on one line; None if nothing. required=False checks the
    types of what is there, and no key's absence."""
    import jsonschema
    err = jsonschema.exceptions.best_match(
        _validator(schema, required).iter_errors(doc))
    if err is None:
        return None
    field = ".".join(str(x) for x in err.absolute_path) or "the document"
    why = err.message.splitlines()[0] if err.message else "invalid"
    if len(why) > 2 * SHOW:
        why = why[:2 * SHOW - 4] + " ..."
    return f"{field}: {why}"


@contextlib.contextmanager
def fields(where: str, explain: Callable[[], str | None] | None = None):
    """Reading a document's fields: what a malformed one makes the code
    raise becomes InputError naming where (and, from explain, the field
    a schema finds wrong)."""
    try:
        yield
    except (KeyError, IndexError, TypeError, ValueError, AttributeError,
            ArithmeticError, RecursionError) as e:
        why = None
        if explain is not None:
            with contextlib.suppress(Exception):
                why = explain()
        if why is None:
            if isinstance(e, KeyError):
                why = f"no key {show(e.args[0] if e.args else None)}"
            else:
                msg = str(e).splitlines()[0] if str(e) else ""
                why = f"unexpected content ({type(e).__name__}: " \
                      f"{msg[:2 * SHOW]})"
        raise errors.InputError(f"{where}: {why}") from None
