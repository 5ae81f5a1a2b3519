"""A result set on disk: loading, validating, atomic writes.

    <set>/manifest.json   what ran where (schema mntbench.manifest/1);
                          "status" is complete, incomplete or failed
    <set>/samples.json    one record per value (schema
                          mntbench.samples/2, harness/samples.py)
    <set>/raw/, probes/, console/   ovlbench and mntlock outputs, boot logs
    <set>/summary.json, report.txt, report.md, plots/
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from harness import errors, metrics, point, setcheck

if TYPE_CHECKING:
    # imported where used: the guest runner imports this module (for
    # complete()) and numpy, which samples needs, costs it seconds on TCG
    from harness import samples

MANIFEST_SCHEMA = "mntbench.manifest/1"


def write_json(path: Path, doc) -> None:
    """Write, then rename: a reader never sees half a file."""
    write_text(path, json.dumps(doc, indent=1, sort_keys=True) + "\n")


def write_text(path: Path, text: str) -> None:
    """Write, then rename; the temp file (named with our pid, so that
    sweep() can tell it from a live writer's) never outlives a failure."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


# A temp file's name: <name>.tmp (ovlbench, mntlock, the guest's own
# writes), .<name>.<pid>.tmp (write_text), .<name>.<pid>.tmp.<ext> (plots)
_TEMP = re.compile(r"(?:\.(\d+))?\.tmp(?:\.\w+)?$")


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return True


def _stale(sdir: Path, f: Path) -> bool:
    if not f.is_file():
        return False
    m = _TEMP.search(f.name)
    if m:
        return not (m.group(1) and pid_alive(int(m.group(1))))
    # a failure note that lost its text to a full disk
    return f.parent == sdir / "failed" and f.suffix == ".txt" \
        and f.stat().st_size == 0


def sweep(sdir: Path) -> list[Path]:
    """Remove the temp files a killed or failed run left in a set, and
    empty failure notes; temp files named with the pid of a live process
    are its, and stay. The caller holds the set's lock (lock()), so no
    other run writes the rest. The removed files."""
    gone = []
    dirs = [sdir, *(d for d in sorted(sdir.iterdir())
                    if d.is_dir() and not d.name.startswith(".vm-"))]
    for d in dirs:
        for f in sorted(d.iterdir()):
            if _stale(sdir, f):
                f.unlink(missing_ok=True)
                gone.append(f)
    return gone


@contextlib.contextmanager
def lock(sdir: Path):
    """Hold the set for this run: a second run (or --resume) on the same
    set is refused while the first one lives. flock on the directory
    itself: nothing to leave behind."""
    fd = os.open(sdir, os.O_RDONLY | os.O_DIRECTORY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise errors.InputError(
                f"set {sdir}: another run is using it") from None
        yield
    finally:
        os.close(fd)


def check_writable(d: Path, what: str) -> None:
    """Fail now, not after hours of points, if d cannot take our files:
    create (with its missing parents) and remove a file in it. The
    directories made for the test are removed again."""
    absent, p = [], Path(os.path.abspath(d))
    while not p.exists() and not p.is_symlink() and p != p.parent:
        absent.append(p)
        p = p.parent
    made: list[Path] = []
    probe = Path(d) / f".write-test.{os.getpid()}.tmp"
    try:
        for m in reversed(absent):
            m.mkdir()
            made.insert(0, m)
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            os.write(fd, b"x")
        finally:
            os.close(fd)
            probe.unlink()
    except OSError as e:
        raise errors.InputError(f"{what} {d}: not writable: "
                                f"{e.strerror}") from e
    finally:
        for m in made:
            with contextlib.suppress(OSError):
                m.rmdir()


def window_file(sdir: Path, p: point.Point) -> Path:
    """The coherence plugin's window of a point that loads it."""
    return sdir / point.COHERENCE / f"{p.id}.json"


def windows_dir(sdir: Path) -> Path:
    """Where the plugin writes each window before the guest files it
    under its point (window_file)."""
    return sdir / point.COHERENCE / "windows"


def point_files(sdir: Path, p: point.Point) -> list[Path]:
    """What a point leaves when it ran: ovlbench's output, and mntlock's
    for a probe point, the plugin's window for a coherence point."""
    files = [sdir / "raw" / f"{p.id}.json"]
    if p.probe:
        files.append(sdir / "probes" / f"{p.id}.json")
    if p.plugin == point.COHERENCE:
        files.append(window_file(sdir, p))
    return files


def complete(sdir: Path, p: point.Point) -> bool:
    """A point is done when all of its files are there and parse: a run
    killed between ovlbench's write and mntlock's is not."""
    for f in point_files(sdir, p):
        try:
            setcheck.loads(f.read_bytes(), str(f))
        except (OSError, errors.InputError):
            return False
    return True


@dataclass
class ResultSet:
    path: Path
    manifest: dict
    records: list[samples.Record]

    @property
    def status(self) -> str:
        return self.manifest.get("status", "incomplete")

    @functools.cached_property
    def series(self) -> dict[tuple[metrics.Measure, str], samples.Series]:
        """(measure, variant) -> unit values, one per run."""
        from harness import samples
        return samples.series(self.records)

    def select(self, **fields) -> list[samples.Series]:
        """The series whose fields (kind, workload, layers, cpus, quantity,
        mode, variant, stat ...) have these values."""
        def ok(s: samples.Series) -> bool:
            return all((s.measure.stat if k == "stat" else getattr(s, k))
                       == v for k, v in fields.items())
        return [s for s in self.series.values() if ok(s)]

    @functools.cached_property
    def points(self) -> list[point.Point]:
        """The plan's points (points.json); none for a set without it."""
        if not (self.path / "points.json").is_file():
            return []
        return setcheck.points(self.path)

    @property
    def variants(self) -> list[str]:
        return sorted({r.variant for r in self.records})


def _bad(path: Path, why: str) -> errors.InputError:
    return errors.InputError(f"result set {path}: {why}")


def load(path: Path) -> ResultSet:
    """Load and check a set (setcheck: names, paths and symlinks in it,
    strict JSON; the manifest's types against its schema); InputError
    (exit 2) if missing or corrupt."""
    path = Path(path)
    if not path.is_dir():
        raise _bad(path, "no such directory")
    setcheck.tree(path)
    if not (path / "manifest.json").is_file():
        raise _bad(path, "missing manifest.json")
    manifest = setcheck.read_json(path, "manifest.json")
    if not isinstance(manifest, dict):
        raise _bad(path, f"manifest.json holds a {type(manifest).__name__}"
                         ", not an object")
    if manifest.get("schema") != MANIFEST_SCHEMA:
        raise _bad(path, f"manifest.json is not {MANIFEST_SCHEMA}")
    check_manifest(manifest, f"result set {path}: manifest.json")
    if not (path / "samples.json").is_file():
        raise _bad(path, "missing samples.json")
    from harness import samples
    rs = ResultSet(path, manifest,
                   samples.load(setcheck.member(path, "samples.json")))
    _check_documents(rs)
    return rs


def _check_documents(rs: ResultSet) -> None:
    """What the report reads beyond samples.json, checked before it is
    read (a plot's failure is only a warning): the points, and each
    probe point's mntlock document as its kind reads it."""
    from harness import kinds, probes
    for p in rs.points:
        if p.probe:
            probes.load(rs.path, p.id, kinds.of(p.kind).probe_doc)


def check_manifest(manifest: dict, where: str) -> None:
    """The types of what a manifest holds (its schema, keys that are
    absent aside: sets from before a key was added lack it)."""
    from harness.paths import REPO
    why = setcheck.schema_error(
        manifest, REPO / "harness" / "schemas" / "manifest.schema.json",
        required=False)
    if why is not None:
        raise errors.InputError(f"{where}: {why}")


def validate(path: Path) -> list[str]:
    """Check a set against its JSON schemas (and every raw ovlbench output
    against bench/schema.json, every coherence window against
    coherence.schema.json); the list of problems, empty if valid."""
    import jsonschema

    from harness.paths import REPO
    schemas = REPO / "harness" / "schemas"
    checks = [("manifest.json", schemas / "manifest.schema.json"),
              ("samples.json", schemas / "samples.schema.json")]
    checks += [(str(p.relative_to(path)), REPO / "bench" / "schema.json")
               for p in sorted((path / "raw").glob("*.json"))]
    checks += [(str(p.relative_to(path)), schemas / "coherence.schema.json")
               for p in sorted((path / point.COHERENCE).glob("*.json"))
               if p.name != "names.json"]
    problems = []
    for rel, schema in checks:
        try:
            jsonschema.validate(json.loads((path / rel).read_text()),
                                json.loads(schema.read_text()))
        except (OSError, ValueError, jsonschema.ValidationError) as e:
            problems.append(f"{rel}: {str(e).splitlines()[0]}")
    return problems
