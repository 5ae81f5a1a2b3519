"""A set says what is done, --resume continues the same kernel's set, the
output is tried before the run, and nothing is left behind (host only: no
QEMU; the one kernel build started is a fake tree's, which fails at
tinyconfig in a private cache).

The run command (harness.flows.bench) runs in this process (its main(),
as python3 -m runs it: a fresh interpreter costs a second or two of
imports), but for one case of a set in use, which runs it as a process
for its status and one line end to end.
"""

from __future__ import annotations

import contextlib
import fcntl
import io
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path
from unittest import mock

from harness import errors, kparams, point, setfiles
from harness.analysis import resultset
from harness.flows import bench as run
from harness.kernel import kbuild
from harness.output import plots, report
from harness.paths import REPO
from harness.run.guest import run_points
from harness.tests import common
from harness.tests.common import freeze_heap, reference_copy

# the fake kernel tree's tinyconfig fails after this many log lines
FAKE_LOG_LINES = 15
FAKE_MAKEFILE = "tinyconfig:\n\t@for i in $$(seq 1 %d); do " \
    "echo fake log line $$i; done; exit 1\n" % FAKE_LOG_LINES


def dead_pid() -> int:
    """The pid of a process that has exited."""
    p = subprocess.Popen(["true"])
    p.wait()
    return p.pid


def fake_tree(d: Path) -> Path:
    """A kernel 'tree' whose tinyconfig fails after FAKE_LOG_LINES lines
    of log."""
    d.mkdir()
    (d / "Makefile").write_text(FAKE_MAKEFILE)
    return d


def quiet():
    return contextlib.redirect_stderr(io.StringIO())


def run_env(cache: Path) -> dict[str, str]:
    # not a sub-make of `make unit`: its make prints "make:", not "make[1]:"
    env = {k: v for k, v in os.environ.items()
           if k not in ("MAKELEVEL", "MAKEFLAGS", "MFLAGS")}
    env.update(PYTHONPATH=str(REPO), MNTBENCH_CACHE=str(cache))
    return env


def harness_run(*args: str, cache: Path) -> subprocess.CompletedProcess:
    """python3 -m harness.flows.bench ARGS, a process of its own."""
    return subprocess.run([sys.executable, "-m", "harness.flows.bench", *args],
                          cwd=REPO, env=run_env(cache), capture_output=True,
                          text=True, timeout=300)


def harness_main(*args: str, cache: Path) -> subprocess.CompletedProcess:
    """What harness_run gives, from run.main(ARGS) in this process (the
    environment and the working directory are put back after)."""
    cwd = os.getcwd()
    try:
        os.chdir(REPO)
        with mock.patch.dict(os.environ, run_env(cache), clear=True):
            return common.run_main(run.main, *args)
    finally:
        os.chdir(cwd)


class Tmp(unittest.TestCase):
    def setUp(self) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix="mntbench-integrity-"))
        self.addCleanup(shutil.rmtree, self.tmp, True)


class Completeness(Tmp):
    """A point is complete only with all its files, each valid JSON."""

    @classmethod
    def setUpClass(cls) -> None:
        cls.ref = reference_copy(cls)
        cls.points = point.load(json.loads(
            (cls.ref / "points.json").read_text()))
        freeze_heap(cls)

    def set_copy(self) -> Path:
        sdir = self.tmp / "set"
        shutil.copytree(self.ref, sdir)
        return sdir

    def probe_point(self) -> point.Point:
        return next(p for p in self.points if p.probe)

    def test_reference_is_complete(self) -> None:
        self.assertEqual([p.id for p in self.points
                          if not setfiles.complete(self.ref, p)], [])

    def test_probe_point_without_probe_file_is_incomplete(self) -> None:
        sdir = self.set_copy()
        p = self.probe_point()
        (sdir / "probes" / f"{p.id}.json").unlink()
        self.assertFalse(setfiles.complete(sdir, p))
        self.assertEqual(run.settle(sdir), [p.id])
        # its half (ovlbench's output) goes: --resume runs it again
        self.assertFalse((sdir / "raw" / f"{p.id}.json").exists())
        # the boots run_vm makes: one, with that point alone
        self.assertEqual(run._todo(sdir, 2),
                         {(p.clock, p.boot_cpus or 2, p.plugin): [p]})

    def test_unparseable_output_is_incomplete(self) -> None:
        sdir = self.set_copy()
        p = next(p for p in self.points if not p.probe)
        raw = sdir / "raw" / f"{p.id}.json"
        raw.write_text(raw.read_text()[:100])
        self.assertFalse(setfiles.complete(sdir, p))
        q = self.probe_point()
        (sdir / "probes" / f"{q.id}.json").write_text("")
        self.assertEqual(sorted(run.settle(sdir)), sorted([p.id, q.id]))

    def test_finish_lists_only_points_not_done(self) -> None:
        sdir = self.set_copy()
        p = self.probe_point()
        done = next(q for q in self.points if not q.probe)
        (sdir / "probes" / f"{p.id}.json").unlink()
        # git keeps no empty failed/ in results/reference
        (sdir / "failed").mkdir(exist_ok=True)
        (sdir / "failed" / f"{p.id}.txt").write_text("mntlock killed\n")
        # a note from an earlier attempt of a point that has since run
        (sdir / "failed" / f"{done.id}.txt").write_text("exit 1\n")
        # no plots: what finish records does not depend on them
        with quiet(), mock.patch("harness.output.sections.make_plots",
                                 return_value=[]):
            self.assertEqual(run.finish(sdir, interrupted=False), 1)
        m = json.loads((sdir / "manifest.json").read_text())
        self.assertEqual(m["status"], "incomplete")
        self.assertEqual(m["missing_points"], 1)
        self.assertEqual(m["failed_points"], [p.id])
        self.assertFalse((sdir / "failed" / f"{done.id}.txt").exists())


class GuestRunner(Tmp):
    """run_points.py with stand-ins for ovlbench and mntlock."""

    def setUp(self) -> None:
        super().setUp()
        self.sdir = self.tmp / "set"
        self.sdir.mkdir()
        self.plain = point.Point(
            id="plain-r0", kind="load", workload="stat", mode="default",
            variant="default", layers=2, cpus=1, rep=0, args=("--x",))
        self.probed = point.Point(
            id="probed-r0", kind="probe", workload="stat", mode="default",
            variant="default", layers=2, cpus=1, rep=0, args=("--x",),
            probe=True)
        setfiles.write_json(self.sdir / "points.json",
                             point.dump([self.plain, self.probed]))
        setfiles.write_json(self.sdir / "manifest.json", {"knobs": {}})
        # writes its --output FILE (ovlbench) and runs what follows '--'
        # (mntlock); MNTLOCK_FAIL makes mntlock exit 1 after ovlbench
        tool = self.tmp / "tool"
        tool.write_text(
            "#!/usr/bin/python3\nimport os, subprocess, sys\n"
            "a = sys.argv[1:]\n"
            "rest = a[a.index('--') + 1:] if '--' in a else []\n"
            "own = a[:a.index('--')] if rest else a\n"
            "if rest:\n    subprocess.run(rest, check=True)\n"
            "    if os.environ.get('MNTLOCK_FAIL'):\n        sys.exit(1)\n"
            "out = own[own.index('--output') + 1]\n"
            "open(out, 'w').write('{}')\n")
        tool.chmod(0o755)
        for name, value in (("OVLBENCH", tool), ("MNTLOCK", tool)):
            p = mock.patch.object(run_points, name, value)
            p.start()
            self.addCleanup(p.stop)
        for name in ("set_mode", "apply_knobs"):
            p = mock.patch.object(kparams, name, lambda *a: None)
            p.start()
            self.addCleanup(p.stop)
        # never the host's own switch
        p = mock.patch.object(kparams, "SWITCH", self.tmp / "no-switch")
        p.start()
        self.addCleanup(p.stop)

    def guest(self) -> int:
        argv = ["run_points", str(self.sdir)]
        with mock.patch.object(sys, "argv", argv), \
                contextlib.redirect_stdout(io.StringIO()), quiet():
            return run_points.main()

    def test_success_removes_stale_failure_note(self) -> None:
        (self.sdir / "failed").mkdir()
        note = self.sdir / "failed" / f"{self.plain.id}.txt"
        note.write_text("ovlbench exit 1: earlier attempt\n")
        self.assertEqual(self.guest(), 0)
        self.assertFalse(note.exists())
        self.assertTrue(setfiles.complete(self.sdir, self.plain))
        self.assertTrue(setfiles.complete(self.sdir, self.probed))

    def test_half_probe_point_is_rerun(self) -> None:
        (self.sdir / "raw").mkdir()
        (self.sdir / "raw" / f"{self.probed.id}.json").write_text("{}")
        with mock.patch.dict(os.environ, {"MNTLOCK_FAIL": "1"}):
            self.assertEqual(self.guest(), 1)
        # ran again, failed in mntlock: neither half stays, a note does
        self.assertFalse((self.sdir / "raw" /
                          f"{self.probed.id}.json").exists())
        self.assertFalse((self.sdir / "probes" /
                          f"{self.probed.id}.json").exists())
        self.assertIn("exit 1", (self.sdir / "failed" /
                                 f"{self.probed.id}.txt").read_text())
        self.assertEqual(self.guest(), 0)
        self.assertEqual(sorted(os.listdir(self.sdir / "failed")), [])

    def test_full_disk_failure_note_leaves_nothing(self) -> None:
        (self.sdir / "failed").mkdir()
        real = pathlib.Path.write_text

        def full(path, text, *a, **kw):
            if path.parent.name == "failed":
                real(path, text[:1])
                raise OSError(28, "No space left on device")
            return real(path, text, *a, **kw)
        with mock.patch.dict(os.environ, {"MNTLOCK_FAIL": "1"}), \
                mock.patch.object(pathlib.Path, "write_text", full):
            self.assertEqual(self.guest(), 1)
        self.assertEqual(os.listdir(self.sdir / "failed"), [])


class Resume(Tmp):
    """--resume continues a set on its own kernel, or refuses (exit 2)."""

    def setUp(self) -> None:
        super().setUp()
        self.cache = self.tmp / "cache"
        self.ksrc = fake_tree(self.tmp / "linux")
        src_id = kbuild.source_identity(self.ksrc)
        frag = kbuild._sha(kbuild.DEFAULT_FRAGMENT.read_bytes())
        self.sdir = self.tmp / "set"
        self.sdir.mkdir()
        p = point.Point(id="a-r0", kind="load", workload="stat",
                        mode="default", variant="default", layers=2,
                        cpus=1, rep=0, args=())
        setfiles.write_json(self.sdir / "points.json", point.dump([p]))
        setfiles.write_json(self.sdir / "manifest.json", {
            "schema": setfiles.MANIFEST_SCHEMA, "status": "incomplete",
            "accel": "tcg", "vcpus": 1,
            "kernel": {"release": "6.12.0", "ksrc": str(self.ksrc),
                       "patches": None, "source_id": src_id, "series": [],
                       "series_hash": "", "fragment_hash": frag,
                       "config_hash": None}})

    def assert_refused(self, res, *names: str) -> None:
        self.assertEqual(res.returncode, 2, res.stderr)
        self.assertEqual(len(res.stderr.splitlines()), 1, res.stderr)
        for n in names:
            self.assertIn(n, res.stderr)
        # refused before building: no work tree in the cache
        self.assertFalse((self.cache / "kernel" / "work").exists())

    def test_other_patches_refused(self) -> None:
        series = kbuild.PATCHES_DIR / "series-6.12"
        res = harness_main("--resume", str(self.sdir), "--patches",
                          str(series), "--ksrc", str(self.ksrc),
                          cache=self.cache)
        self.assert_refused(res, "series no series in the set", str(series))

    def test_other_source_refused(self) -> None:
        other = fake_tree(self.tmp / "other")
        res = harness_main("--resume", str(self.sdir), "--ksrc", str(other),
                          "--patches", "none", cache=self.cache)
        self.assert_refused(res, "source", str(self.ksrc), str(other))

    def test_set_in_use_refused(self) -> None:
        # a process of its own: the command end to end
        with setfiles.lock(self.sdir):
            res = harness_run("--resume", str(self.sdir), cache=self.cache)
        self.assert_refused(res, "another run")

    def test_set_kernel_by_default_and_sweep(self) -> None:
        """Without --ksrc/--patches the set's kernel is built (the fake
        tree's tinyconfig fails: exit 3, its log's last lines shown), and
        the temp files of the killed run are gone first."""
        # another live process's (the run is this one: the one that
        # started the tests)
        live = f".summary.json.{os.getppid()}.tmp"
        stale = [f".report.txt.{dead_pid()}.tmp", "raw/a-r0.json.tmp",
                 f"plots/.x.{dead_pid()}.tmp.png", "failed/a-r0.txt",
                 "boots/.a-r0.json.tmp"]
        for rel in (*stale, live, ".vm-abcd/ctl.tmp"):
            (self.sdir / rel).parent.mkdir(exist_ok=True)
            (self.sdir / rel).write_text("" if "failed" in rel else "x")
        res = harness_main("--resume", str(self.sdir), cache=self.cache)
        self.assertEqual(res.returncode, 3, res.stderr)
        for rel in stale:
            self.assertFalse((self.sdir / rel).exists(), rel)
        self.assertTrue((self.sdir / live).exists())
        self.assertTrue((self.sdir / ".vm-abcd/ctl.tmp").exists())
        err = res.stderr.splitlines()
        first = next(i for i, ln in enumerate(err) if "error:" in ln)
        self.assertIn("tinyconfig failed", err[first])
        self.assertIn("mntbench-build.log", err[first])
        tail = err[first + 1:]
        # the log's last LOG_TAIL lines: make's own, and the tree's
        self.assertEqual(tail, [f"    fake log line {i}" for i in range(
            FAKE_LOG_LINES - kbuild.LOG_TAIL + 2, FAKE_LOG_LINES + 1)]
            + ["    make: *** [Makefile:2: tinyconfig] Error 1"])
        self.assertEqual(list((self.cache / "kernel" / "work").glob(
            "*/tree.tmp")), [])


class Writable(Tmp):
    """The output is tried before anything is built."""

    def test_out_under_a_file_refused(self) -> None:
        cache = self.tmp / "cache"
        ksrc = fake_tree(self.tmp / "linux")
        for args in (["--host"], ["--ksrc", str(ksrc), "--patches",
                                  "none"]):
            res = harness_main(*args, "--out", "/dev/null/set",
                              cache=cache)
            self.assertEqual(res.returncode, 2, res.stderr)
            self.assertEqual(res.stderr.splitlines(), [
                "mntbench-run: error: --out /dev/null/set: not writable: "
                "Not a directory"])
            self.assertFalse((cache / "kernel").exists())

    def test_check_leaves_nothing(self) -> None:
        setfiles.check_writable(self.tmp / "a" / "b", "--out")
        setfiles.check_writable(self.tmp, "--out")
        self.assertEqual(os.listdir(self.tmp), [])
        (self.tmp / "f").write_text("")
        with self.assertRaises(errors.InputError):
            setfiles.check_writable(self.tmp / "f" / "set", "--out")
        self.assertEqual(os.listdir(self.tmp), ["f"])

    def test_out_not_empty_refused_before_build(self) -> None:
        (self.tmp / "out").mkdir()
        (self.tmp / "out" / "x").write_text("")
        ksrc = fake_tree(self.tmp / "linux")
        res = harness_main("--ksrc", str(ksrc), "--patches", "none",
                          "--out", str(self.tmp / "out"),
                          cache=self.tmp / "cache")
        self.assertEqual(res.returncode, 2, res.stderr)
        self.assertIn("exists and is not empty", res.stderr)
        self.assertFalse((self.tmp / "cache" / "kernel").exists())


class Leftovers(Tmp):
    """A failed write removes its temp file; sweep() removes dead ones."""

    def test_failed_write_leaves_no_temp(self) -> None:
        with self.full_disk(), self.assertRaises(OSError):
            setfiles.write_text(self.tmp / "report.txt", "x" * 100)
        self.assertEqual(os.listdir(self.tmp), [])

    def full_disk(self):
        real = pathlib.Path.write_text

        def full(path, text, *a, **kw):
            real(path, text[:10])
            raise OSError(28, "No space left on device")
        return mock.patch.object(pathlib.Path, "write_text", full)

    def test_failed_report_leaves_no_temp(self) -> None:
        sdir = self.tmp / "set"
        shutil.copytree(REPO / "results" / "reference", sdir)
        before = sorted(sdir.rglob("*"))
        with self.full_disk(), quiet(), self.assertRaises(OSError):
            report.write_all(resultset.load(sdir))
        self.assertEqual(sorted(sdir.rglob("*")), before)

    def test_failed_plot_leaves_no_temp(self) -> None:
        def savefig(fig, fname, **kw):
            Path(fname).write_bytes(b"partial")
            raise OSError(28, "No space left on device")
        fig, ax = plots.plt.subplots()
        with mock.patch("matplotlib.figure.Figure.savefig", savefig), \
                self.assertRaises(OSError):
            plots.save(fig, self.tmp / "plots", "x")
        self.assertEqual(os.listdir(self.tmp / "plots"), [])

    def test_report_command_full_disk_one_line(self) -> None:
        sdir = self.tmp / "set"
        shutil.copytree(REPO / "results" / "reference", sdir)
        err = io.StringIO()
        with self.full_disk(), contextlib.redirect_stderr(err):
            rc = report.main([str(sdir)])
        self.assertEqual(rc, 2)
        self.assertEqual(len(err.getvalue().splitlines()), 1,
                         err.getvalue())
        self.assertEqual([p for p in sdir.rglob("*") if ".tmp" in p.name],
                         [])

    def test_cache_sweep(self) -> None:
        root = self.tmp / "kernel"
        free, busy = root / "work" / "free", root / "work" / "busy"
        for w in (free, busy):
            (w / "tree.tmp" / "sub").mkdir(parents=True)
            (w / "lock").write_text("")
        out = root / "out"
        dead = out / f"k1.{dead_pid()}.tmp"
        live = out / f"k2.{os.getpid()}.tmp"
        legacy = out / "k3.tmp"
        for d in (dead, live, legacy):
            d.mkdir(parents=True)
        with open(busy / "lock") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            self.assertEqual(sorted(kbuild.sweep_cache(root)),
                             sorted([free / "tree.tmp", dead]))
        self.assertTrue((busy / "tree.tmp").exists())
        self.assertTrue(live.exists())
        self.assertTrue(legacy.exists())
        # no build runs: the rest of the dead goes too
        self.assertEqual(sorted(kbuild.sweep_cache(root)),
                         sorted([busy / "tree.tmp", legacy]))
        self.assertTrue(live.exists())

    def test_interrupted_sync_leaves_no_stage_and_no_state(self) -> None:
        src = self.tmp / "linux-x"
        src.mkdir()
        (src / "Makefile").write_text("VERSION = 9\nPATCHLEVEL = 9\n")
        tarball = self.tmp / "linux-x.tar.xz"
        subprocess.run(["tar", "cJf", str(tarball), "-C", str(self.tmp),
                        "linux-x"], check=True)
        work = self.tmp / "work"
        work.mkdir()
        real = kbuild._run

        def prepare(src_id: str, stop_at: str | None = None) -> Path:
            def interrupted(cmd, *a, **kw):
                if cmd[0] == stop_at:
                    raise KeyboardInterrupt
                return real(cmd, *a, **kw)
            with mock.patch.object(kbuild, "_run", interrupted), \
                    contextlib.redirect_stdout(None):
                return kbuild._prepare_tree(tarball, work, src_id, [],
                                            kbuild.progress.Reporter())
        # the first unpack, cut short before its rename: nothing at all
        with self.assertRaises(KeyboardInterrupt):
            prepare("id", stop_at="git")
        self.assertEqual(os.listdir(work), [])
        tree = prepare("id")
        # a later source's sync cut short: the tree, without a state
        with self.assertRaises(KeyboardInterrupt):
            prepare("id2", stop_at="rsync")
        self.assertEqual(sorted(os.listdir(work)), ["tree"])
        # the next build syncs again, in full, and records what it holds
        self.assertEqual(prepare("id2"), tree)
        self.assertEqual((tree / "Makefile").read_text(),
                         "VERSION = 9\nPATCHLEVEL = 9\n")
        self.assertEqual((work / "tree-state").read_text(), "id2\n")


if __name__ == "__main__":
    unittest.main()


class ManifestSchemaNames(unittest.TestCase):
    """The manifest's schema names what the harness writes: a clock the
    runner records but the schema lacks refuses every set of that clock
    (an icount set once failed its own finish this way)."""

    def test_accel_enum_is_every_clock_and_host(self) -> None:
        from harness.kernel import accel
        from harness.run.kinds.base import HOST
        schema = json.loads((REPO / "harness" / "schemas" /
                             "manifest.schema.json").read_text())
        self.assertEqual(sorted(schema["properties"]["accel"]["enum"]),
                         sorted([*accel.ACCELS, HOST]))

    def test_outcomes_are_the_errors_outcomes(self) -> None:
        schema = json.loads((REPO / "harness" / "schemas" /
                             "manifest.schema.json").read_text())
        enum = (schema["properties"]["boot_ends"]["items"]["properties"]
                ["outcome"]["enum"])
        self.assertEqual(sorted(enum), sorted(
            ["exited", errors.GuestTimeout.outcome, errors.VMError.outcome]))
