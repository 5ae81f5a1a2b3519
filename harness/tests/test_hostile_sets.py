"""Hostile result sets (issue 29): a set is untrusted input. Each case is
a copy of results/reference broken one way (ids with '..' or '/',
symlinks out of the set, a FIFO, truncated or non-UTF-8 JSON, NaN and
huge numbers, wrong types, missing keys, deleted files), fed to every
command that reads what it breaks: collect, report, gate (a clean base
against it), export and history. Each must exit 2 with one line on
stderr naming the file (no traceback, not the catch-all's "internal"),
and open or write nothing outside the set: each run gets its own copy
and an outside directory of canaries beside it (a FIFO that a poll sees
opened, files the ids and symlinks lead to, whose listing, sizes and
contents must not change).

Each (case, command) runs in a process of its own: forked from this one
once the harness is imported (a fresh interpreter spends 1-3 s on
imports), running the command's main(argv) as `python3 -m harness.CMD`
does (sys.exit(main())), a few at a time. ProcessEntry runs the issue's
reproducer through `python3 -m` itself for each command. The count of
hostile sets and runs is printed.

Two sweeps of the same cases. HostileSets: every case on every command
that reads what it breaks (268 runs), on results/reference as it is:
the slow host tier's (Makefile: HOST_SLOW; loading the module, as make
unit does, leaves it out). ThinHostileSets, make unit's: every case
once, on one of its readers in turn (the case's index picks it, so that
each command gets its share), on a copy whose samples.json keeps each
run's first THIN iterations of a per-iteration metric (2k records, not
32k: a run parses it in a few milliseconds, not half a second).
"""

from __future__ import annotations

import errno
import gc
import hashlib
import importlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
import unittest
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from harness.analysis import collect, gate, resultset, samples
from harness.output import history, report
from harness.output.export import cli as export_cli
from harness.paths import REPO
from harness.tests import common
from harness.tests.common import REFERENCE

COMMANDS = ("collect", "report", "gate", "export", "history")
ALL = COMMANDS
LOADERS = ("report", "gate", "export", "history")    # resultset.load
MAIN = {"collect": collect.main, "report": report.main, "gate": gate.main,
        "export": export_cli.main, "history": history.main}
MODULE = {"collect": "harness.analysis.collect",
          "report": "harness.output.report",
          "gate": "harness.analysis.gate", "export": "harness.output.export",
          "history": "harness.output.history"}
WORKERS = max(2, min(4, os.cpu_count() or 1))
TIMEOUT = 300.0     # a run that outlives it hangs (a FIFO read, a loop)

POINT = "load-stat-l2-c1-detached-r0"       # first in points.json
PROBE = "probe-open-close-l2-c1-detached-r0"
THIN = 20       # iterations of a run that ThinHostileSets' copy keeps


@dataclass
class Unit:
    """One run: a case on one command, in a directory of its own:
    sets/set (the hostile copy), outside/ (canaries), hist/ (history's
    --out), out/ (the run's stdout and stderr)."""
    case: "Case"
    cmd: str
    dir: Path
    before: dict | None = None      # the outside directory's snapshot

    @property
    def set(self) -> Path:
        return self.dir / "sets" / "set"

    @property
    def outside(self) -> Path:
        return self.dir / "outside"


@dataclass
class Case:
    name: str
    readers: tuple[str, ...]    # the commands that read what it breaks
    named: str                  # what the error line must name
    make: Callable[[Path, Path], None]  # (set, outside dir)


# --- editing a copy (hard links to a private pristine copy: a file is
# replaced, never written in place) ---

def put(f: Path, data: bytes | str) -> None:
    if f.is_symlink() or f.exists():
        f.unlink()
    f.write_bytes(data.encode() if isinstance(data, str) else data)


def edit_json(f: Path, change: Callable) -> None:
    doc = json.loads(f.read_bytes())
    new = change(doc)
    put(f, json.dumps(doc if new is None else new))


def truncate(f: Path) -> None:
    data = f.read_bytes()
    put(f, data[:len(data) // 2])


def link_out(f: Path, target: Path) -> None:
    if f.is_dir() and not f.is_symlink():
        shutil.rmtree(f)
    elif f.exists() or f.is_symlink():
        f.unlink()
    f.symlink_to(target)


def point_field(i: int, key: str, value) -> Callable:
    def make(s, o):
        edit_json(s / "points.json", lambda d: d[i].__setitem__(key, value))
    return make


def replace_text(f: Path, old: str, new: str) -> None:
    text = f.read_text()
    assert old in text, (f, old)
    put(f, text.replace(old, new, 1))


def samples_edit(change: Callable[[str], str]) -> Callable:
    """samples.json changed as text (8 MB: no round trip through json),
    once for all the runs of a case."""
    memo: list[bytes] = []

    def make(s, o):
        f = s / "samples.json"
        if not memo:
            memo.append(change(f.read_text()).encode())
        put(f, memo[0])
    return make


def record_field(key: str, value=None, drop: bool = False) -> Callable:
    """The first record of samples.json (one a line), changed."""
    def change(text: str) -> str:
        start = text.index("\n{") + 1
        line = text[start:text.index("\n", start)]
        rec = json.loads(line.rstrip(","))
        if drop:
            del rec[key]
        else:
            rec[key] = value
        new = json.dumps(rec) + ("," if line.endswith(",") else "")
        return text[:start] + new + text[start + len(line):]
    return samples_edit(change)


def manifest_field(path: tuple, value=None, drop: bool = False) -> Callable:
    def make(s, o):
        def change(d):
            for k in path[:-1]:
                d = d[k]
            if drop:
                del d[path[-1]]
            else:
                d[path[-1]] = value
        edit_json(s / "manifest.json", change)
    return make


def sub_field(sub: str, name: str, path: tuple, value=None,
              drop: bool = False) -> Callable:
    def make(s, o):
        def change(d):
            for k in path[:-1]:
                d = d[k]
            if drop:
                del d[path[-1]]
            else:
                d[path[-1]] = value
        edit_json(s / sub / f"{name}.json", change)
    return make


def reproducer(s: Path, o: Path) -> None:
    """The issue's: a point id leading to a file outside the set (which
    the old code opened, then died on with a KeyError, exit 1)."""
    put(o / "pwned.json", "{}")
    rel = os.path.relpath(o / "pwned", s / "raw")
    edit_json(s / "points.json", lambda d: d[0].__setitem__("id", rel))


def fifo_in_set(s: Path, o: Path) -> None:
    f = s / "host" / f"{POINT}.json"
    f.unlink()
    os.mkfifo(f)


def bad_name(s: Path, o: Path) -> None:
    put(s / "raw" / "evil\nname.json", "{}")


def utf8(f: str) -> Callable:
    """A byte that is no UTF-8 inside a string of f."""
    def make(s, o):
        data = (s / f).read_bytes()
        i = data.index(b'"', data.index(b'"') + 1)      # end of a string
        put(s / f, data[:i] + b"\xff\xfe" + data[i:])
    return make


def nested(s: Path, o: Path) -> None:
    put(s / "samples.json", "[" * 100000 + "]" * 100000)


def lone_surrogate(s: Path, o: Path) -> None:
    replace_text(s / "points.json", '"mode": "', '"mode": "\\ud800')


def deep(name: str) -> Callable:
    def make(s, o):
        (s / name).unlink()
    return make


def huge_in(sub: str, name: str, key: str) -> Callable:
    """An integer of 40 digits as text (no Python value survives it)."""
    def make(s, o):
        f = s / sub / f"{name}.json" if sub else s / name
        text = f.read_text()
        i = text.index(f'"{key}": ') + len(f'"{key}": ')
        j = i
        while text[j] in "-0123456789.eE":
            j += 1
        put(f, text[:i] + "1" * 40 + text[j:])
    return make


def literal_in_samples(lit: str) -> Callable:
    """The first record's value replaced by lit, as JSON text."""
    def change(text: str) -> str:
        i = text.index('"value":') + len('"value":')
        j = i
        while text[j] in " -0123456789.eE":
            j += 1
        return text[:i] + lit + text[j:]
    return samples_edit(change)


CASES = [
    # names and paths
    Case("id-dotdot-reproducer", ALL, "points.json", reproducer),
    Case("id-absolute", ALL, "points.json",
         lambda s, o: point_field(0, "id", str(o / "pwned"))(s, o)),
    Case("id-empty", ALL, "points.json", point_field(0, "id", "")),
    Case("id-too-long", ALL, "points.json", point_field(0, "id", "a" * 300)),
    Case("id-newline", ALL, "points.json", point_field(0, "id", "a\nb")),
    Case("id-number", ALL, "points.json", point_field(0, "id", 17)),
    Case("id-twice", ALL, "points.json", point_field(1, "id", POINT)),
    Case("kind-dotdot", ALL, "points.json",
         point_field(0, "kind", "../load")),
    Case("kind-unknown", ALL, "points.json", point_field(0, "kind", "nope")),
    Case("symlink-raw-out", ALL, "raw/",
         lambda s, o: link_out(s / "raw" / f"{POINT}.json",
                               o / "secret.json")),
    Case("symlink-probe-to-fifo", ALL, "probes/",
         lambda s, o: link_out(s / "probes" / f"{PROBE}.json",
                               o / "fifo.json")),
    Case("symlink-dir-out", ALL, "boots",
         lambda s, o: link_out(s / "boots", o / "dir")),
    Case("symlink-samples-out", ALL, "samples.json",
         lambda s, o: link_out(s / "samples.json", o / "samples.json")),
    Case("symlink-manifest-absolute", ALL, "manifest.json",
         lambda s, o: link_out(s / "manifest.json",
                               (o / "secret.json").resolve())),
    Case("symlink-loop", ALL, "raw/",
         lambda s, o: (s / "raw" / "loop.json").symlink_to("loop.json")),
    Case("symlink-dangling", ALL, "raw/",
         lambda s, o: link_out(s / "raw" / f"{POINT}.json",
                               o / "nothing.json")),
    Case("hidden-symlink-out", ALL, ".x.json",
         lambda s, o: (s / "raw" / ".x.json").symlink_to(o / "secret.json")),
    Case("fifo-in-set", ALL, "host/", fifo_in_set),
    Case("name-with-newline", ALL, "raw/", bad_name),
    # truncated JSON
    Case("manifest-truncated", LOADERS, "manifest.json",
         lambda s, o: truncate(s / "manifest.json")),
    Case("samples-truncated", LOADERS, "samples.json",
         lambda s, o: truncate(s / "samples.json")),
    Case("points-truncated", ALL, "points.json",
         lambda s, o: truncate(s / "points.json")),
    Case("probe-truncated", ALL, "probes/",
         lambda s, o: truncate(s / "probes" / f"{PROBE}.json")),
    Case("boots-truncated", ("collect",), "boots/",
         lambda s, o: truncate(s / "boots" / f"{POINT}.json")),
    Case("host-truncated", ("collect", "report"), "host/",
         lambda s, o: truncate(s / "host" / f"{POINT}.json")),
    Case("raw-truncated", ("collect",), "raw/",
         lambda s, o: truncate(s / "raw" / f"{POINT}.json")),
    # encoding, numbers, nesting
    Case("manifest-not-utf8", LOADERS, "manifest.json", utf8("manifest.json")),
    Case("samples-not-utf8", LOADERS, "samples.json", utf8("samples.json")),
    Case("points-not-utf8", ALL, "points.json", utf8("points.json")),
    Case("points-lone-surrogate", ALL, "points.json", lone_surrogate),
    Case("samples-nan", LOADERS, "samples.json", literal_in_samples("NaN")),
    Case("samples-infinity", LOADERS, "samples.json",
         literal_in_samples("-Infinity")),
    Case("samples-1e999", LOADERS, "samples.json",
         literal_in_samples("1e999")),
    Case("samples-huge-int", LOADERS, "samples.json",
         literal_in_samples("1" * 40)),
    Case("manifest-vcpus-nan", LOADERS, "manifest.json",
         lambda s, o: replace_text(s / "manifest.json", '"vcpus": 2',
                                   '"vcpus": NaN')),
    Case("points-layers-huge", ALL, "points.json",
         huge_in("", "points.json", "layers")),
    Case("boots-boot-huge", ("collect",), "boots/",
         huge_in("boots", POINT, "boot")),
    Case("samples-nested", LOADERS, "samples.json", nested),
    # wrong types
    Case("manifest-list", LOADERS, "manifest.json",
         lambda s, o: put(s / "manifest.json", "[]")),
    Case("manifest-kernel-number", LOADERS, "manifest.json",
         manifest_field(("kernel",), 5)),
    Case("manifest-gate-metric-number", LOADERS, "manifest.json",
         manifest_field(("plan", "gate", "metrics"), [1])),
    Case("manifest-gate-string", LOADERS, "manifest.json",
         manifest_field(("plan", "gate"), "x")),
    Case("manifest-tools-list", LOADERS, "manifest.json",
         manifest_field(("tools",), ["qemu"])),
    Case("manifest-created-garbage", ("export", "history"), "created",
         manifest_field(("created",), "yesterday")),
    Case("points-object", ALL, "points.json",
         lambda s, o: put(s / "points.json", "{}")),
    Case("point-layers-string", ALL, "points.json",
         point_field(0, "layers", "2")),
    Case("point-args-string", ALL, "points.json",
         point_field(0, "args", "--layers 2")),
    Case("samples-records-object", LOADERS, "samples.json",
         lambda s, o: put(s / "samples.json",
                          '{"schema": "mntbench.samples/2", "records": {}}')),
    Case("record-value-string", LOADERS, "samples.json",
         record_field("value", "12")),
    Case("record-kind-number", LOADERS, "samples.json",
         record_field("kind", 5)),
    Case("record-kind-unknown", LOADERS, "samples.json",
         record_field("kind", "nope")),
    Case("record-metric-newline", LOADERS, "samples.json",
         record_field("metric", "a\nb")),
    Case("boots-boot-string", ("collect",), "boots/",
         sub_field("boots", POINT, ("boot",), "0")),
    Case("host-share-string", ("collect", "report"), "host/",
         sub_field("host", POINT, ("vcpu_share",), "x")),
    Case("probe-mntput-list", ALL, "probes/",
         sub_field("probes", PROBE, ("mntput",), [])),
    Case("probe-count-negative", ALL, "probes/",
         sub_field("probes", PROBE,
                   ("mount_lock_contention", "slowpath", "count"), -1)),
    Case("raw-runs-number", ("collect",), "raw/",
         sub_field("raw", POINT, ("runs",), 5)),
    Case("raw-summary-list", ("collect",), "raw/",
         lambda s, o: edit_json(s / "raw" / f"{POINT}.json",
                                lambda d: d["runs"][0].__setitem__(
                                    "summary", []))),
    # missing keys
    Case("manifest-no-schema", LOADERS, "manifest.json",
         manifest_field(("schema",), drop=True)),
    Case("point-no-kind", ALL, "points.json",
         lambda s, o: edit_json(s / "points.json",
                                lambda d: d[0].pop("kind"))),
    Case("record-no-metric", LOADERS, "samples.json",
         record_field("metric", None, drop=True)),
    Case("boots-no-boot", ("collect",), "boots/",
         sub_field("boots", POINT, ("boot",), drop=True)),
    Case("host-no-load1", ("collect", "report"), "host/",
         sub_field("host", POINT, ("load1",), drop=True)),
    Case("probe-no-contention", ALL, "probes/",
         sub_field("probes", PROBE, ("mount_lock_contention",), drop=True)),
    Case("raw-no-runs", ("collect",), "raw/",
         sub_field("raw", POINT, ("runs",), drop=True)),
    # deleted files
    Case("manifest-deleted", LOADERS, "manifest.json", deep("manifest.json")),
    Case("samples-deleted", LOADERS, "samples.json", deep("samples.json")),
    Case("points-deleted", ("collect",), "points.json",
         deep("points.json")),
]


def thin_samples(f: Path) -> None:
    """f (a set's samples.json) without the iterations THIN and later of
    each run, written as collect writes it (a record a line)."""
    put(f, samples.dumps([r for r in samples.load(f)
                          if r.iteration is None or r.iteration < THIN]))


def snapshot(d: Path) -> dict:
    """Every entry under d: type, size, mtime, inode and a hash of a
    file under a megabyte."""
    out = {}
    for root, dirs, files in os.walk(d):
        for n in dirs + files:
            f = Path(root, n)
            st = f.lstat()
            h = ""
            if f.is_file() and not f.is_symlink() and st.st_size < 2**20:
                h = hashlib.sha256(f.read_bytes()).hexdigest()
            out[str(f.relative_to(d))] = (st.st_mode, st.st_size,
                                          st.st_mtime_ns, st.st_ino, h)
    return out


def link_copy(src: Path, dst: Path) -> None:
    shutil.copytree(src, dst, copy_function=os.link)


def child(unit: Unit, argv: list[str]) -> None:
    """In the forked process: the command's main(argv), as python3 -m
    runs it; never returns."""
    status = 1
    try:
        out = os.open(unit.dir / "out" / "stdout", os.O_WRONLY | os.O_CREAT)
        err = os.open(unit.dir / "out" / "stderr", os.O_WRONLY | os.O_CREAT)
        os.dup2(out, 1)
        os.dup2(err, 2)
        sys.stdin = io.StringIO()
        try:
            status = MAIN[unit.cmd](argv)
        except SystemExit as e:    # what sys.exit(main()) makes of it
            if e.code is None or isinstance(e.code, int):
                status = e.code or 0
            else:
                print(e.code, file=sys.stderr)
                status = 1
        except BaseException:
            traceback.print_exc()
            status = 1
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(status if isinstance(status, int) else 1)


class HostileSets(unittest.TestCase):
    """Every case on every command that reads what it breaks, on a copy
    of results/reference as it is (the slow host tier's: 268 runs, a
    few minutes on 2 cores)."""
    THIN = False
    WORKERS = WORKERS

    @classmethod
    def setUpClass(cls) -> None:
        cls.tmp = Path(tempfile.mkdtemp(prefix="mntbench-hostile-"))
        cls.addClassCleanup(shutil.rmtree, cls.tmp, True)
        cls.pristine = cls.tmp / "pristine"
        shutil.copytree(REFERENCE, cls.pristine,
                        ignore=shutil.ignore_patterns("plots", "report*",
                                                      "summary.json"))
        if cls.THIN:
            thin_samples(cls.pristine / "samples.json")
        cls.clean = cls.tmp / "clean"      # the gate's base
        link_copy(cls.pristine, cls.clean)
        cls.pristine_files = snapshot(cls.pristine)
        # warm what the children inherit: samples.json parsed, the
        # manifest schema compiled, plotting imported
        resultset.load(cls.clean)
        importlib.import_module("harness.output.plots")
        # out of the collector's reach: a child's collections would
        # otherwise touch, and so copy, every page of this heap
        gc.freeze()
        cls.addClassCleanup(gc.unfreeze)

    def prepare(self, case: Case, cmd: str, n: int) -> Unit:
        u = Unit(case, cmd, self.tmp / f"u{n:03d}-{case.name}-{cmd}")
        (u.dir / "sets").mkdir(parents=True)
        (u.dir / "out").mkdir()
        link_copy(self.pristine, u.set)
        o = u.outside
        o.mkdir()
        shutil.copy(self.pristine / "raw" / f"{POINT}.json",
                    o / "secret.json")
        os.link(self.pristine / "samples.json", o / "samples.json")
        link_copy(self.pristine / "boots", o / "dir")
        os.mkfifo(o / "fifo.json")
        case.make(u.set, o)
        u.before = snapshot(o)
        return u

    def argv(self, u: Unit) -> list[str]:
        s = str(u.set)
        return {"collect": [s], "report": [s],
                "gate": [str(self.clean), s],
                "export": [s, "--format", "csv"],
                "history": [str(u.set.parent), "--out",
                            str(u.dir / "hist")]}[u.cmd]

    def runs(self) -> list[tuple[Case, str]]:
        return [(c, cmd) for c in CASES for cmd in c.readers]

    def test_every_case_refused(self) -> None:
        todo = self.runs()
        running: dict[int, tuple[Unit, float]] = {}
        done: list[tuple[Unit, int, bool]] = []
        opened: set[Path] = set()
        n = 0
        t0 = time.monotonic()
        while todo or running:
            while todo and len(running) < self.WORKERS:
                case, cmd = todo.pop(0)
                u = self.prepare(case, cmd, n)
                n += 1
                pid = os.fork()
                if pid == 0:
                    child(u, self.argv(u))
                running[pid] = (u, time.monotonic())
            for u, _ in running.values():
                if poll_fifo(u.outside / "fifo.json"):
                    opened.add(u.dir)
            pid, status = os.waitpid(-1, os.WNOHANG)
            if pid:
                u, _ = running.pop(pid)
                done.append((u, os.waitstatus_to_exitcode(status), False))
                continue
            for pid, (u, started) in list(running.items()):
                if time.monotonic() - started > TIMEOUT:
                    os.kill(pid, signal.SIGKILL)
                    os.waitpid(pid, 0)
                    running.pop(pid)
                    done.append((u, -1, True))
            time.sleep(0.01)
        print(f"\nhostile sets{' (thin)' if self.THIN else ''}: "
              f"{len(CASES)} sets, {len(done)} runs of "
              f"{', '.join(COMMANDS)} ({time.monotonic() - t0:.0f} s)",
              file=sys.stderr)
        for u, rc, hung in done:
            with self.subTest(case=u.case.name, cmd=u.cmd):
                err = (u.dir / "out" / "stderr").read_text(errors="replace")
                self.assertFalse(hung, f"hung (> {TIMEOUT:.0f} s)")
                self.assertEqual(rc, 2, err)
                self.assertNotIn("Traceback", err)
                lines = err.splitlines()
                self.assertEqual(len(lines), 1, err)
                self.assertNotIn("internal:", lines[0])
                self.assertIn(u.case.named, lines[0])
                self.assertNotIn(u.dir, opened, "opened the FIFO outside")
                self.assertEqual(snapshot(u.outside), u.before,
                                 "changed the files outside the set")
                self.assertFalse((u.outside / "pwned").exists())
        # the copies are hard links: a write in place would show here
        self.assertEqual(snapshot(self.pristine), self.pristine_files)


class ThinHostileSets(HostileSets):
    """Every case once, on one of its readers in turn, on a copy whose
    samples.json is thinned (THIN iterations a run): make unit's."""
    THIN = True
    # one run at a time: make unit keeps both cores busy with its two
    # lanes, and a child alone costs the least CPU (the parent does not
    # copy its pages on write while it prepares the next run): 10 s of
    # CPU, not 13
    WORKERS = 1

    def runs(self) -> list[tuple[Case, str]]:
        return [(c, c.readers[i % len(c.readers)])
                for i, c in enumerate(CASES)]


def poll_fifo(f: Path) -> bool:
    """Whether a process has f open for reading: a writer's non-blocking
    open succeeds only then (and closing it gives the reader EOF)."""
    try:
        fd = os.open(f, os.O_WRONLY | os.O_NONBLOCK)
    except OSError as e:
        if e.errno == errno.ENXIO:
            return False
        raise
    os.close(fd)
    return True


class ProcessEntry(unittest.TestCase):
    """The issue's reproducer through `python3 -m harness.CMD` itself:
    a point id of ../../../../tmp/pwned style, with the file it names
    there: one line, exit 2, for every command (on thinned copies)."""

    def test_reproducer_via_python_m(self) -> None:
        tmp = Path(tempfile.mkdtemp(prefix="mntbench-hostile-m-"))
        self.addCleanup(shutil.rmtree, tmp, True)
        procs = []
        for cmd in COMMANDS:
            d = tmp / cmd
            s = d / "sets" / "set"
            shutil.copytree(REFERENCE, s, ignore=shutil.ignore_patterns(
                "plots", "report*"))
            thin_samples(s / "samples.json")
            (d / "outside").mkdir()
            reproducer(s, d / "outside")
            argv = {"gate": [str(s), str(s)],
                    "export": [str(s), "--format", "csv"],
                    "history": [str(s.parent), "--out", str(d / "hist")]
                    }.get(cmd, [str(s)])
            procs.append((cmd, d, subprocess.Popen(
                ["/usr/bin/python3", "-m", MODULE[cmd], *argv],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                stdin=subprocess.DEVNULL, cwd=REPO,
                env=dict(os.environ, PYTHONPATH=str(REPO)))))
        for cmd, d, p in procs:
            out, err = p.communicate(timeout=TIMEOUT)
            with self.subTest(cmd=cmd):
                self.assertEqual(p.returncode, 2, err)
                self.assertEqual(len(err.splitlines()), 1, err)
                self.assertNotIn("Traceback", err)
                self.assertIn("points.json", err)
                self.assertEqual((d / "outside" / "pwned.json").read_text(),
                                 "{}")


def load_tests(loader, tests, pattern):
    """The module without the slow tier's full sweep, which make test
    runs by name."""
    return common.leave_out(tests, HostileSets)


if __name__ == "__main__":
    unittest.main()
