"""The documentation's commands, on the host, in a few seconds.

For every shell command in README.md and docs/*.md (fenced blocks of sh,
bash, shell or console, and a bare fence whose first line is a command;
and `make ...`, `./mntbench ...`, `python3 -m harness...` in inline code):

- `make TARGET VAR=...` names a target of the Makefile it runs (make's
  own database: `make -pq`, with the caller's MAKEFLAGS removed), and
  each VAR is one the target takes: ./mntbench --help's list for the
  targets ./mntbench runs; for the Makefile's own targets (test, smoke,
  ...), the MNTBENCH_VAR_ names of its recipe and its prerequisites';
- `./mntbench TARGET VAR=...` likewise, from ./mntbench --help;
- `python3 -m harness.X` names a module that exists, whose --help exits 0
  and lists every --option the doc gives it (one process for all);
- PROFILE values name a plan; KSRC=X.Y and Debian tarballs have a series
  unless the command says PATCHES; ACCEL values are accelerators;
- every relative path a command names exists in the checkout, or is
  built by the Makefile of its directory, or an earlier command of the
  block made it (OUT=, RESULTS=, --out, mkdir, >); `~/mntbench` stands
  for the checkout. `<...>` is a placeholder and is not checked.

And: no Markdown file holds a path of the machine it was written on
(/work, /root, /home, or /tmp/ other than the guest's and ovlbench's own);
README.md has at most 250 lines; every relative link of README.md and
docs/ resolves, with its #anchor; docs/variables-and-exit-statuses.md's
table of targets and variables is ./mntbench --help's, and its table of
exit statuses harness/exitstatus.py's (which the commands' own status
constants agree with).
"""

from __future__ import annotations

import functools
import importlib.machinery
import importlib.util
import json
import os
import re
import shlex
import subprocess
import unittest
from pathlib import Path

from harness import exitstatus
from harness.paths import REPO

README = REPO / "README.md"
DOCS = [README, *sorted((REPO / "docs").glob("*.md"))]
README_MAX_LINES = 250
SHELL_LANGS = {"sh", "bash", "shell", "console"}
VARS_DOC = REPO / "docs" / "variables-and-exit-statuses.md"

# The caller's make must not reach the makes run here (`make -s unit`
# exports MAKEFLAGS=s, and a parent make's -n would reach them too).
MAKE_ENV_DROP = ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES",
                 "MAKEFILES", "GNUMAKEFLAGS")

# /tmp paths a doc may name: the guest's own file of the hash-chain
# measurement, and ovlbench's mkdtemp template.
TMP_ALLOWED = ("/tmp/f1", "/tmp/ovlbench.XXXXXX")
MACHINE_PATH = re.compile(r"(?<![\w.~$/-])/(?:work|root|home)(?=/|\b)")
TMP_PATH = re.compile(r"(?<![\w.~$/-])/tmp/[^\s`'\")\]|,;]*")

PLACEHOLDER = "__PLACEHOLDER__"
OUTPUT_VARS = {"OUT", "RESULTS"}
OUTPUT_OPTS = {"--out", "-o", "--output", "--coherence"}
KSRC_PATCHES = {"KSRC": "PATCHES", "BASE_KSRC": "BASE_PATCHES",
                "CAND_KSRC": "CAND_PATCHES"}
PROFILE_VARS = {"PROFILE", "AB_PROFILE", "CAL_PROFILE"}
WRAPPERS = {"time", "sudo", "env", "command", "exec", "nice"}
OPERATORS = {";", "&&", "||", "|", "&", "(", ")", "{", "}"}
REDIRECTS = {">", ">>", "<", "2>", "2>>", "&>", ">&", "2>&1"}
PATH_WORD = re.compile(r"(?:\./)?[A-Za-z0-9_.+-]*[A-Za-z][A-Za-z0-9_.+-]*"
                       r"(?:/[A-Za-z0-9_.+*-]*)+")


def clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items()
            if k not in MAKE_ENV_DROP and not k.startswith("MNTBENCH_VAR_")}


# --- reading Markdown ------------------------------------------------------

FENCE = re.compile(r"^( {0,3})(`{3,}|~{3,})\s*([^`\s]*)")


def fenced_blocks(text: str) -> list[tuple[str, int, list[str]]]:
    """(language, line number of the first line, lines) of each fenced
    block."""
    out, lines, i = [], text.split("\n"), 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        fence, lang, body = m.group(2), m.group(3).lower(), []
        j = i + 1
        while j < len(lines) and not lines[j].lstrip().startswith(fence):
            body.append(lines[j])
            j += 1
        out.append((lang, i + 2, body))
        i = j + 1
    return out


def prose(text: str) -> str:
    """text without its fenced blocks and HTML comments."""
    text = re.sub(r"<!--.*?-->", "", text, flags=re.S)
    out, inside, fence = [], False, ""
    for line in text.split("\n"):
        m = FENCE.match(line)
        if not inside and m:
            inside, fence = True, m.group(2)
            continue
        if inside:
            if line.lstrip().startswith(fence):
                inside = False
            continue
        out.append(line)
    return "\n".join(out)


COMMAND_START = re.compile(
    r"(?:time\s+)?(?:PYTHONPATH=\S+\s+)?(?:make\s|\./mntbench\s|"
    r"(?:/usr/bin/)?python3\s+-m\s+harness\b)")


def inline_commands(text: str) -> list[str]:
    """The inline code spans of the prose that are commands."""
    out = []
    for para in re.split(r"\n\s*\n", prose(text)):
        for span in re.findall(r"`([^`]+)`", para):
            span = " ".join(span.split())
            if len(span.split()) > 1 and COMMAND_START.match(span + " "):
                out.append(span)
    return out


def block_commands(lang: str, body: list[str]) -> list[str]:
    """The command lines of a fenced block: continuation lines joined;
    a console block's lines after its `$ ` prompts; a bare block only if
    its first line is a command."""
    if lang not in SHELL_LANGS and lang != "":
        return []
    lines = []
    for line in body:
        if lines and lines[-1].endswith("\\"):
            lines[-1] = (lines[-1][:-1].rstrip() + " " + line.strip()).strip()
        elif lang == "console":
            if line.startswith("$ "):
                lines.append(line[2:].strip())
        else:
            lines.append(line.strip())
    lines = [x for x in lines if x and not x.startswith("#")]
    if lang == "" and not (lines and COMMAND_START.match(lines[0] + " ")):
        return []
    return lines


def words(line: str) -> list[str]:
    """Shell words and operators; `<...>` placeholders as one word."""
    line = re.sub(r"<[^<>\n]*>", PLACEHOLDER, line)
    lex = shlex.shlex(line, posix=True, punctuation_chars=";&|()<>")
    lex.whitespace_split = True
    lex.commenters = "#"
    try:
        return list(lex)
    except ValueError as e:
        raise AssertionError(f"{line!r}: {e}") from None


def simple_commands(line: str) -> list[tuple[list[str], list[str]]]:
    """(words, redirect targets) of each simple command of a line."""
    out, cur, redirs, ws, i = [], [], [], words(line), 0
    while i < len(ws):
        w = ws[i]
        if w in OPERATORS:
            if cur:
                out.append((cur, redirs))
            cur, redirs = [], []
        elif w in REDIRECTS or re.fullmatch(r"\d?[<>]+&?\d*", w):
            if i + 1 < len(ws) and not w.endswith("&1"):
                redirs.append(ws[i + 1])
                i += 1
        else:
            cur.append(w)
        i += 1
    if cur:
        out.append((cur, redirs))
    return out


def slug(heading: str) -> str:
    """GitHub's anchor of a heading."""
    s = heading.strip().lower()
    s = re.sub(r"[^\w\- ]", "", s)
    return s.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    out = set()
    for line in prose(path.read_text()).split("\n"):
        m = re.match(r"#{1,6}\s+(.*)", line)
        if m:
            out.add(slug(m.group(1)))
    return out


# --- what the checkout offers ----------------------------------------------

@functools.lru_cache(maxsize=None)
def make_database(directory: Path) -> dict[str, tuple[list[str], str]]:
    """target -> (prerequisites, recipe text), from `make -pq` in
    directory: make's own view of the Makefile, nothing run."""
    r = subprocess.run(["make", "-pq", "-C", str(directory),
                        "--no-print-directory", ".DEFAULT"],
                       env=clean_env(), text=True, capture_output=True,
                       timeout=30)
    rules, lines, i = {}, r.stdout.split("\n"), 0
    while i < len(lines):
        line = lines[i]
        prev = lines[i - 1] if i else ""
        m = re.match(r"([A-Za-z0-9_./+-]+):(?!=)\s*(.*)", line)
        if m and not prev.startswith("# Not a target"):
            name, prereqs, recipe = m.group(1), m.group(2).split("|")[0], []
            i += 1
            while i < len(lines) and (lines[i].startswith("\t")
                                      or lines[i].startswith("#")):
                if lines[i].startswith("\t"):
                    recipe.append(lines[i][1:])
                i += 1
            rules[name] = (prereqs.split(), "\n".join(recipe))
            continue
        i += 1
    return rules


@functools.lru_cache(maxsize=None)
def mntbench_vars() -> set[str]:
    """Every variable ./mntbench reads (its VARS)."""
    loader = importlib.machinery.SourceFileLoader(
        "mntbench_docs", str(REPO / "mntbench"))
    spec = importlib.util.spec_from_loader("mntbench_docs", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return set(mod.VARS)


@functools.lru_cache(maxsize=None)
def mntbench_help() -> dict[str, set[str]]:
    """target -> its variables, from ./mntbench --help: on each line of
    the target list, the trailing run of words that are variables."""
    r = subprocess.run([str(REPO / "mntbench"), "--help"], env=clean_env(),
                       text=True, capture_output=True, timeout=30)
    assert r.returncode == 0, r.stderr
    text = r.stdout
    body = text.split("and their variables:\n", 1)[1].split("\n\n", 1)[0]
    names = mntbench_vars()
    out, target = {}, None
    for line in body.split("\n"):
        m = re.match(r"  ([a-z][a-z-]*)\s", line)
        if m:
            target = m.group(1)
            out[target] = set()
        tail = []
        for w in reversed(line.split()):
            if not re.fullmatch(r"[A-Z][A-Z_]*", w):
                break
            tail.append(w)
        out[target] |= set(tail) & names
    return out


def make_vars(directory: Path, target: str, seen=None) -> set[str] | None:
    """The variables a target of the top Makefile takes; None: any."""
    if directory != REPO:
        return None
    helped = mntbench_help()
    if target in helped:
        return helped[target]
    seen = seen or set()
    prereqs, recipe = make_database(directory).get(target, ([], ""))
    out = set(re.findall(r"MNTBENCH_VAR_([A-Z_]+)", recipe))
    for p in prereqs:
        if p not in seen:
            seen.add(p)
            out |= make_vars(directory, p, seen) or set()
    return out


def built_by_makefile(rel: str) -> bool:
    """rel is an output its directory's Makefile names (a build product
    a clean clone does not have yet)."""
    d, _, base = rel.rpartition("/")
    mk = REPO / d / "Makefile"
    return bool(d) and mk.is_file() and re.search(
        rf"(?<![\w.-]){re.escape(base)}(?![\w.-])", mk.read_text()) is not None


def module_exists(name: str) -> bool:
    parts = name.split(".")
    base = REPO.joinpath(*parts)
    return base.with_suffix(".py").is_file() or (base / "__main__.py").is_file()


# --- the checks ------------------------------------------------------------

class State:
    """Per block: where the commands run, what earlier ones made."""

    def __init__(self):
        self.cwd: str | None = "."   # relative to the checkout; None: outside
        self.made: set[str] = set()


class Checker:
    def __init__(self):
        self.modules: list[tuple[str, set[str], str]] = []  # (module,
        # the --options a command gives it, where)
        self.commands = 0
        self.blocks = 0
        self.inline = 0
        self.kinds = {"make": 0, "mntbench": 0, "python": 0}
        self.targets: set[str] = set()

    # paths

    def repo_rel(self, word: str, cwd: str | None) -> str | None:
        """word, a path in directory cwd of the checkout, as a path
        relative to the checkout; None when it is not one (absolute,
        outside the checkout, a variable, a placeholder)."""
        if PLACEHOLDER in word or "$" in word or "://" in word:
            return None
        if word in ("~/mntbench", "~/mntbench/"):
            return "."
        if word.startswith("~/mntbench/"):
            word = word[len("~/mntbench/"):]
        elif word.startswith(("/", "~", "-")) or cwd is None:
            return None
        else:
            word = os.path.join(cwd, word)
        word = word.split(":", 1)[0]
        if not PATH_WORD.fullmatch(word) and word not in (".", "./"):
            return None
        rel = os.path.normpath(word)
        return None if rel.startswith("..") else rel

    def path_ok(self, rel: str, st: State) -> bool:
        if rel == "." or (REPO / rel).exists() or list(REPO.glob(rel)):
            return True
        if any(rel == m or rel.startswith(m + "/") for m in st.made):
            return True
        return built_by_makefile(rel)

    def check_paths(self, ws: list[str], st: State, cwd: str | None,
                    where: str, errors: list[str], outputs: set[str]
                    ) -> None:
        for i, w in enumerate(ws):
            vals = [w]
            m = re.fullmatch(r"(--?[\w-]+|[A-Za-z_]\w*)=(.*)", w, re.S)
            if m:
                vals = [m.group(2)]
            for v in vals:
                subs = words(v) if re.search(r"\s", v) else [v]
                for s in subs:
                    rel = self.repo_rel(s, cwd)
                    if rel is None or rel in outputs:
                        continue
                    if not self.path_ok(rel, st):
                        errors.append(f"{where}: no such path in the "
                                      f"checkout: {s}")

    def outputs(self, ws: list[str], redirs: list[str], st: State,
                cwd: str | None) -> set[str]:
        """Paths this command makes (recorded before its own checks)."""
        found = list(redirs)
        for i, w in enumerate(ws):
            m = re.fullmatch(r"([A-Z_]+)=(.*)", w)
            if m and m.group(1) in OUTPUT_VARS:
                found.append(m.group(2))
            if w in OUTPUT_OPTS and i + 1 < len(ws):
                found.append(ws[i + 1])
            m = re.fullmatch(r"(--[\w-]+)=(.*)", w)
            if m and m.group(1) in OUTPUT_OPTS:
                found.append(m.group(2))
        if ws and ws[0] == "mkdir":
            found += [w for w in ws[1:] if not w.startswith("-")]
        out = set()
        for f in found:
            rel = self.repo_rel(f, cwd)
            if rel is not None:
                out.add(rel)
                st.made.add(rel)
        return out

    # commands

    def check_assigns(self, target: str, assigns: list[tuple[str, str]],
                      allowed: set[str] | None, where: str,
                      errors: list[str]) -> None:
        given = {n for n, _ in assigns}
        for name, value in assigns:
            if allowed is not None and name not in allowed:
                errors.append(f"{where}: {target} takes no {name} "
                              f"(it takes {' '.join(sorted(allowed)) or 'none'})")
            if PLACEHOLDER in value or "$" in value:
                continue
            if name in PROFILE_VARS and "/" not in value and not (
                    REPO / "harness" / "plans" / f"{value}.toml").is_file():
                errors.append(f"{where}: {name}={value}: no plan "
                              f"harness/plans/{value}.toml")
            if name in KSRC_PATCHES and KSRC_PATCHES[name] not in given:
                m = re.fullmatch(r"(?:.*/linux-source-)?(\d+\.\d+)"
                                 r"(?:\.tar\.xz)?", value)
                if m and not (REPO / "kernel-patches"
                              / f"series-{m.group(1)}").is_dir():
                    errors.append(f"{where}: {name}={value}: no "
                                  f"kernel-patches/series-{m.group(1)}")
            if name == "ACCEL" and value not in accels() | {"auto"}:
                errors.append(f"{where}: ACCEL={value}: not one of "
                              f"{' '.join(sorted(accels()))}")

    def check_make(self, ws: list[str], cwd: str | None, where: str,
                   errors: list[str]) -> None:
        directory = None if cwd is None else REPO / cwd
        rest, i = [], 1
        while i < len(ws):
            w = ws[i]
            if w == "-C" and i + 1 < len(ws):
                i += 2
                continue
            if w in ("-f", "-j", "-l", "-o", "-W") and i + 1 < len(ws):
                i += 2
                continue
            if not w.startswith("-"):
                rest.append(w)
            i += 1
        if directory is None:
            return      # a make of another tree (a kernel's)
        self.kinds["make"] += 1
        if not (directory / "Makefile").is_file():
            errors.append(f"{where}: no Makefile in {directory}")
            return
        targets = [w for w in rest if "=" not in w]
        assigns = [tuple(w.split("=", 1)) for w in rest if "=" in w]
        rules = make_database(directory)
        for t in targets:
            if PLACEHOLDER in t or re.fullmatch(r"[A-Z_]+|\.\.\.", t):
                continue            # make <target>, make -n TARGET ...
            if t not in rules:
                errors.append(f"{where}: make: no target {t!r} in "
                              f"{os.path.relpath(directory, REPO)}/Makefile")
                continue
            if directory == REPO:
                self.targets.add(t)
            self.check_assigns(t, assigns, make_vars(directory, t), where,
                               errors)

    def check_mntbench(self, ws: list[str], where: str,
                       errors: list[str]) -> None:
        self.kinds["mntbench"] += 1
        helped = mntbench_help()
        args = ws[1:]
        if args[:1] in (["--help"], ["-h"]):
            return
        if args[:1] == ["--explain"]:
            if len(args) < 3 or not (args[2].isdigit()
                                     or re.fullmatch(r"[A-Z]+", args[2])):
                errors.append(f"{where}: --explain TARGET STATUS")
            elif args[1] not in helped and not re.fullmatch(
                    r"[A-Z_]+", args[1]):
                errors.append(f"{where}: ./mntbench: no target {args[1]!r}")
            return
        if args[:1] == ["-n"]:
            args = args[1:]
        if not args:
            errors.append(f"{where}: ./mntbench without a target")
            return
        target = args[0]
        if PLACEHOLDER in target or re.fullmatch(r"[A-Z_]+|\.\.\.", target):
            return
        if target not in helped:
            errors.append(f"{where}: ./mntbench: no target {target!r} "
                          f"(--help lists {' '.join(sorted(helped))})")
            return
        self.targets.add(target)
        assigns = [tuple(w.split("=", 1)) for w in args[1:] if "=" in w]
        self.check_assigns(target, assigns, helped[target], where, errors)

    def check_python(self, ws: list[str], where: str,
                     errors: list[str]) -> None:
        if "-m" not in ws[:-1]:
            return
        i = ws.index("-m")
        mod = ws[i + 1]
        if not mod.startswith("harness") or PLACEHOLDER in mod:
            return
        self.kinds["python"] += 1
        if not module_exists(mod):
            errors.append(f"{where}: python3 -m {mod}: no such module")
            return
        opts = set()
        for w in ws[i + 2:]:
            if w == "--":
                break
            m = re.fullmatch(r"\[?(--[a-z][\w-]*)(?:=.*)?\]?", w)
            if m:
                opts.add(m.group(1))
        self.modules.append((mod, opts, where))

    def check_line(self, line: str, st: State, where: str,
                   errors: list[str]) -> None:
        for ws, redirs in simple_commands(line):
            env_words = []
            while ws and (ws[0] in WRAPPERS
                          or re.fullmatch(r"[A-Za-z_]\w*=.*", ws[0], re.S)):
                env_words.append(ws[0])
                ws = ws[1:]
            if not ws:
                continue
            self.commands += 1
            cmd, cwd = ws[0], st.cwd
            if cmd == "cd":
                rel = self.repo_rel(ws[1], st.cwd) if len(ws) > 1 else None
                st.cwd = rel if rel and (REPO / rel).is_dir() else None
                continue
            if cmd == "make" and "-C" in ws[:-1]:   # make -C DIR runs there
                cwd = self.repo_rel(ws[ws.index("-C") + 1], st.cwd)
                if cwd is not None and not (REPO / cwd).is_dir():
                    errors.append(f"{where}: make -C: no such directory "
                                  f"in the checkout: {cwd}")
                    continue
            made = self.outputs(ws, redirs, st, cwd)
            self.check_paths(env_words + ws[1:], st, cwd, where, errors,
                             made)
            if cmd == "make":
                self.check_make(ws, cwd, where, errors)
            elif cmd.rsplit("/", 1)[-1] == "mntbench" and "/" in cmd and (
                    st.cwd == "." or cmd.startswith("~/mntbench/")):
                self.check_mntbench(ws, where, errors)
            elif re.fullmatch(r"(?:/usr/bin/)?python3(?:\.\d+)?", cmd):
                self.check_python(ws, where, errors)
            elif not cmd.startswith(("/", "~", "$")) and "/" in cmd:
                rel = self.repo_rel(cmd, st.cwd)
                if rel is not None and not self.path_ok(rel, st):
                    errors.append(f"{where}: no such program in the "
                                  f"checkout: {cmd}")

    def check_doc(self, name: str, text: str) -> list[str]:
        errors = []
        for lang, line_no, body in fenced_blocks(text):
            lines = block_commands(lang, body)
            if not lines:
                continue
            self.blocks += 1
            st = State()
            for line in lines:
                self.check_line(line, st, f"{name}:{line_no}: {line}",
                                errors)
        for span in inline_commands(text):
            self.inline += 1
            self.check_line(span, State(), f"{name}: `{span}`", errors)
        return errors

    def check_modules(self) -> list[str]:
        """Each module's --help, in one process (numpy and the rest are
        imported once): exit 0, and every option the docs give it."""
        if not self.modules:
            return []
        script = (
            "import contextlib, io, json, runpy, sys\n"
            "out = {}\n"
            "for m in sys.argv[1:]:\n"
            "    sys.argv = [m, '--help']\n"
            "    buf = io.StringIO()\n"
            "    try:\n"
            "        with contextlib.redirect_stdout(buf), "
            "contextlib.redirect_stderr(buf):\n"
            "            runpy.run_module(m, run_name='__main__', "
            "alter_sys=True)\n"
            "        rc = 0\n"
            "    except SystemExit as e:\n"
            "        rc = e.code if isinstance(e.code, int) else 1\n"
            "    except Exception as e:\n"
            "        rc, buf = 1, io.StringIO(repr(e))\n"
            "    out[m] = [rc, buf.getvalue()]\n"
            "print(json.dumps(out))\n")
        env = clean_env()
        env["PYTHONPATH"] = str(REPO)
        mods = sorted({m for m, _, _ in self.modules})
        r = subprocess.run(["/usr/bin/python3", "-c", script, *mods],
                           cwd=REPO, env=env, text=True,
                           capture_output=True, timeout=60)
        if r.returncode != 0:
            return [f"--help of {' '.join(mods)}: "
                    f"{r.stderr.strip()[-500:]}"]
        helps = json.loads(r.stdout.strip().split("\n")[-1])
        errors = []
        for mod, opts, where in self.modules:
            rc, text = helps[mod]
            if rc != 0:
                errors.append(f"{where}: python3 -m {mod} --help exited "
                              f"{rc}")
                continue
            for o in sorted(opts):
                if not re.search(rf"(?<![\w-]){re.escape(o)}(?![\w-])",
                                 text):
                    errors.append(f"{where}: python3 -m {mod} has no {o}")
        return errors


@functools.lru_cache(maxsize=None)
def accels() -> set[str]:
    from harness.kernel import accel
    return set(accel.ACCELS)


def machine_paths(text: str) -> list[str]:
    """Absolute paths of the machine a text was written on."""
    bad = [m.group(0) for m in MACHINE_PATH.finditer(text)]
    for m in TMP_PATH.finditer(text):
        p = m.group(0).rstrip(".")
        if not any(p == a or p.startswith(a + "/") for a in TMP_ALLOWED):
            bad.append(p)
    return bad


def markdown_files() -> list[Path]:
    """Every Markdown file of the checkout but result sets' reports."""
    out = []
    for p in sorted(REPO.rglob("*.md")):
        rel = p.relative_to(REPO).parts
        if rel[0] in (".git", "results") or any(
                x.startswith(".") for x in rel[:-1]):
            continue
        out.append(p)
    return out


def links(text: str) -> list[str]:
    return re.findall(r"!?\[[^\]]*\]\(([^)\s]+)\)", prose(text))


# --- the tests -------------------------------------------------------------

class DocCommandsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.checker = Checker()
        cls.errors = []
        for doc in DOCS:
            cls.errors += cls.checker.check_doc(
                str(doc.relative_to(REPO)), doc.read_text())
        cls.module_errors = cls.checker.check_modules()

    def test_every_command_names_what_exists(self):
        self.assertEqual(self.errors, [])

    def test_every_module_and_its_options(self):
        self.assertEqual(self.module_errors, [])

    def test_the_checks_saw_the_commands(self):
        # a floor, so that a change to the extractor that finds nothing
        # does not pass silently
        c = self.checker
        self.assertGreaterEqual(c.blocks, 20)
        self.assertGreaterEqual(c.kinds["make"], 120)
        self.assertGreaterEqual(c.kinds["mntbench"], 12)
        self.assertGreaterEqual(c.kinds["python"], 10)
        self.assertLessEqual({"bench", "test", "unit", "ab", "gate",
                              "kernel", "vm", "census", "coherence",
                              "calibrate", "plan", "export", "history"},
                             c.targets)


class DocFilesTest(unittest.TestCase):
    def test_readme_fits_a_few_screens(self):
        n = len(README.read_text().split("\n")) - 1
        self.assertLessEqual(n, README_MAX_LINES)

    def test_no_paths_of_this_machine(self):
        bad = {}
        for p in markdown_files():
            found = machine_paths(p.read_text())
            if found:
                bad[str(p.relative_to(REPO))] = found
        self.assertEqual(bad, {})

    def test_links_resolve(self):
        bad = []
        for doc in DOCS:
            for link in links(doc.read_text()):
                if re.match(r"[a-z]+:", link):
                    continue
                path, _, anchor = link.partition("#")
                target = (doc.parent / path).resolve() if path else doc
                where = f"{doc.relative_to(REPO)}: ({link})"
                if not target.exists():
                    bad.append(f"{where}: no such file")
                elif anchor and target.suffix == ".md" and \
                        anchor not in anchors(target):
                    bad.append(f"{where}: no such heading")
        self.assertEqual(bad, [])

    def test_readme_links_every_docs_page(self):
        linked = {(README.parent / link.partition("#")[0]).resolve()
                  for link in links(README.read_text())}
        missing = [str(p.relative_to(REPO)) for p in DOCS[1:]
                   if p.resolve() not in linked]
        self.assertEqual(missing, [])

    def test_variables_table_is_mntbench_help(self):
        table = {}
        for line in VARS_DOC.read_text().split("\n"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if len(cells) == 4 and re.fullmatch(r"`[a-z-]+`", cells[0]):
                table[cells[0].strip("`")] = set(cells[3].split())
        helped = mntbench_help()
        wrong = []
        for t, vs in sorted(helped.items()):
            if t not in table:
                wrong.append(f"no row for {t} (./mntbench --help: "
                             f"{' '.join(sorted(vs))})")
            elif table[t] != vs:
                wrong.append(f"{t}: the table says "
                             f"{' '.join(sorted(table[t]))}; ./mntbench "
                             f"--help {' '.join(sorted(vs))}")
        for t in sorted(set(table) - set(helped)):  # the Makefile's own
            if t not in make_database(REPO):
                wrong.append(f"{t}: no such target")
            elif table[t] != make_vars(REPO, t):
                wrong.append(f"{t}: the table says "
                             f"{' '.join(sorted(table[t]))}; the Makefile "
                             f"{' '.join(sorted(make_vars(REPO, t)))}")
        self.assertEqual(wrong, [], VARS_DOC.name)


class ExitStatusTest(unittest.TestCase):
    """One table of exit statuses: harness/exitstatus.py."""

    def test_docs_table_is_exitstatus(self):
        text = VARS_DOC.read_text().split("\n## Exit statuses\n", 1)[1]
        rows = []
        for line in text.split("\n"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if line.startswith("|") and len(cells) == 2 and \
                    cells[0] not in ("status", "---"):
                rows.append(tuple(cells))
        self.assertEqual(rows, exitstatus.doc_rows(),
                         f"{VARS_DOC.name}: python3 -m harness.exitstatus "
                         "prints the table")

    def test_commands_exit_with_the_tables_statuses(self):
        from harness import errors
        from harness.analysis import gate
        from harness.flows import ab, bisect
        from harness.output.export import cli as export_cli
        es = exitstatus
        cases = [
            ("gate", gate.PASS, "pass"),
            ("gate", gate.REGRESSION, "regression"),
            ("gate", gate.BAD_INPUT, "bad input"),
            ("gate", gate.INCONCLUSIVE, es.INCONCLUSIVE),
            ("gate", gate.SET_MISSING, "a set could not be produced"),
            ("ab", ab.CANNOT_TEST, es.CANNOT_TEST),
            ("bisect", bisect.NAMED, "the first bad commit is named"),
            ("bisect", bisect.NONE_FOUND, es.TARGETS["bisect"][3]),
            ("bisect", bisect.CANNOT_TEST, "GOOD's set could not be "
             "produced"),
            ("bisect", bisect.INTERRUPTED, "interrupted"),
            ("export", export_cli.INCOMPLETE, es.TARGETS["export"][1]),
            ("vm", errors.GuestTimeout.exit_code, es.COMMON[124][0] +
             ", or the guest command's exit status"),
            ("kernel", errors.InputError.exit_code, "bad input"),
            ("kernel", errors.BuildError.exit_code, "build failed"),
            ("bench", errors.VMError.exit_code, es.COMMON[125][0]),
        ]
        for target, status, meaning in cases:
            with self.subTest(target=target, status=status):
                self.assertEqual(es.meaning(target, status), meaning)

    def test_every_target_and_status(self):
        targets = mntbench_help()
        self.assertLessEqual(set(exitstatus.TARGETS) |
                             set(exitstatus.PASS_THROUGH), set(targets))
        for t in targets:
            for status in range(256):
                m = exitstatus.meaning(t, status)
                self.assertTrue(m and "\n" not in m, (t, status))


class CheckerTest(unittest.TestCase):
    """The checks catch what they are for."""

    BAD = """
```sh
make bench PROFILE=quick
make benhc CPUS=2
make bench BASE=x
./mntbench gate BASE=results/reference SETS=x
./mntbench hist DIR=results
make bench PROFILE=nosuchplan
make kernel KSRC=5.10
make kernel KSRC=5.10 PATCHES=none
make gate BASE=results/nosuchset CAND=results/<set>
make bench OUT=results/x && python3 -m harness.analysis.spread results/x
python3 -m harness.nosuchmodule
python3 -m harness.analysis.spread --nosuchoption results/reference
make vm CMD='sh bench/tools/nosuch.sh'
make -C coherence coherence-controls
cd ~/src/linux && make oldconfig && make -C ~/mntbench benhc
```

Run `make smoke KSRC=7.2` and `make nosuchtarget GOOD=x`.
"""

    def test_bad_commands_are_caught(self):
        c = Checker()
        errors = c.check_doc("bad.md", self.BAD) + c.check_modules()
        found = [e.split(": ", 1)[1] for e in errors]
        expect = [
            "make benhc CPUS=2: make: no target 'benhc'",
            "make bench BASE=x: bench takes no BASE",
            "./mntbench gate BASE=results/reference SETS=x: gate takes "
            "no SETS",
            "./mntbench hist DIR=results: ./mntbench: no target 'hist'",
            "make bench PROFILE=nosuchplan: PROFILE=nosuchplan: no plan",
            "make kernel KSRC=5.10: KSRC=5.10: no kernel-patches/series-5.10",
            "make gate BASE=results/nosuchset CAND=results/<set>: no such "
            "path in the checkout: results/nosuchset",
            "python3 -m harness.nosuchmodule: python3 -m "
            "harness.nosuchmodule: no such module",
            "python3 -m harness.analysis.spread --nosuchoption "
            "results/reference: python3 -m harness.analysis.spread has no "
            "--nosuchoption",
            "make -C ~/mntbench benhc: make: no target 'benhc'",
            "make vm CMD='sh bench/tools/nosuch.sh': no such path in the "
            "checkout: bench/tools/nosuch.sh",
            "`make nosuchtarget GOOD=x`: make: no target 'nosuchtarget'",
        ]
        for e in expect:
            self.assertTrue(any(f.split(": ", 1)[-1].startswith(
                e.split(": ", 1)[-1]) and e.split(":")[0] in f
                for f in found), (e, found))
        self.assertEqual(len(errors), len(expect), "\n".join(errors))

    def test_machine_paths(self):
        self.assertEqual(machine_paths(
            "cd /work/main; ls /root/x /home/u; R=/tmp/pw/out\n"
            "stat /tmp/f1; mkdtemp(\"/tmp/ovlbench.XXXXXX\");\n"
            "~/.cache/mntbench/kernel/work/<src> and /tmp's mount"),
            ["/work", "/root", "/home", "/tmp/pw/out"])

    def test_console_and_bare_blocks(self):
        self.assertEqual(block_commands("console", [
            "$ make unit \\", "    ", "ok", "$ ./mntbench --help"]),
            ["make unit", "./mntbench --help"])
        self.assertEqual(block_commands("", ["set: reference"]), [])
        self.assertEqual(block_commands("text", ["make bench"]), [])
        self.assertEqual(block_commands("", ["make bench  # x"]),
                         ["make bench  # x"])

    def test_slug(self):
        self.assertEqual(slug("A/B of two kernels (`make ab`)"),
                         "ab-of-two-kernels-make-ab")
        self.assertEqual(slug("Debian's 6.1 LTS"), "debians-61-lts")


if __name__ == "__main__":
    unittest.main()
