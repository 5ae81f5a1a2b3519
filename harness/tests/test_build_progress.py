"""Kernel build progress (host only: no kernel, no QEMU): kbuild's object
lines counted, the ETA from the previous build, the status line's
cadence on an injected clock, and a fake kernel tree built end to end in
a private cache (the record of its objects, and the next build's
estimate from it or from the cached build it seeds from)."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import tempfile
import unittest
from pathlib import Path
from unittest import mock

from harness import errors
from harness.kernel import kbuild, progress

OBJECT_LINES = [
    "  CC      fs/namespace.o",
    "  AS      arch/x86/boot/pmjump.o",
    "  LD      vmlinux.o",
    "  HOSTCC  scripts/kconfig/conf.o",
    "  BTF     .tmp_vmlinux1.btf.o",
    "  CC [M]  fs/overlayfs/super.o",
    "  CC      /c/work/b/tools/objtool/libsubcmd/exec-cmd.o",
    "  CC      fs/namespace.o\n",
]
OTHER_LINES = [
    "  AR      fs/built-in.a",
    "  LD      vmlinux",
    "  CC      kernel/bounds.s",
    "  HOSTCC  scripts/basic/fixdep",
    "  INSTALL /c/work/b/tools/objtool/libsubcmd/include/subcmd/help.h",
    "fs/namespace.c:12:3: warning: unused variable in x.o",
    "make[1]: Entering directory '/c/work/b'",
    "    CC      fs/namespace.o",
    "",
]


class Clock:
    """An injected clock: time moves only when the test says."""

    def __init__(self, t: float = 0.0):
        self.t = t

    def __call__(self) -> float:
        return self.t


def reporter(clock: Clock, tty: bool = False, **kw) -> progress.Reporter:
    return progress.Reporter(out=io.StringIO(), err=io.StringIO(), tty=tty,
                             clock=clock, **kw)


class ObjectLines(unittest.TestCase):
    def test_what_counts(self):
        for ln in OBJECT_LINES:
            self.assertTrue(progress.is_object(ln), repr(ln))
        for ln in OTHER_LINES:
            self.assertFalse(progress.is_object(ln), repr(ln))

    def test_count_objects_in_a_build_dir(self):
        with tempfile.TemporaryDirectory() as d:
            for rel in ("a.o", "fs/b.o", "fs/overlayfs/c.o", "fs/.b.o.cmd",
                        "fs/built-in.a", "vmlinux", "x.o.d"):
                p = Path(d, rel)
                p.parent.mkdir(parents=True, exist_ok=True)
                p.write_text("")
            self.assertEqual(progress.count_objects(d), 3)


class EstimateArithmetic(unittest.TestCase):
    # the previous build: 10 objects, one each 10 s, then 20 s of links
    TIMES = tuple(float(10 * i) for i in range(1, 11))

    def test_unknown(self):
        self.assertIsNone(progress.Estimate().remaining(3, 10.0))
        self.assertIsNone(progress.Estimate(expected=10).remaining(3, 10.0))
        self.assertIsNone(progress.Estimate(seconds=100.0).remaining(3, 1.0))

    def test_from_the_previous_builds_times(self):
        e = progress.Estimate(expected=10, seconds=120.0, times=self.TIMES)
        self.assertEqual(e.remaining(0, 0.0), 120.0)
        # before SPEED_AFTER seconds of the previous build: its own pace
        self.assertEqual(e.remaining(2, 40.0), 100.0)
        # then scaled by this build's speed: same, twice as slow
        self.assertEqual(e.remaining(5, 50.0), 70.0)
        self.assertEqual(e.remaining(5, 100.0), 140.0)
        # all objects made: the links the previous build did after them
        self.assertEqual(e.remaining(10, 100.0), 20.0)
        # more objects than expected: never negative
        self.assertEqual(e.remaining(12, 130.0), 26.0)

    def test_resumed_build_skips_what_the_previous_made_first(self):
        # 4 objects left: the previous build's last 4 (60 s -> 100 s),
        # and its 20 s after them
        e = progress.Estimate(expected=4, seconds=120.0, times=self.TIMES)
        self.assertEqual(e.remaining(0, 0.0), 60.0)
        self.assertEqual(e.remaining(4, 40.0), 20.0)
        self.assertEqual(e.remaining(4, 80.0), 40.0)

    def test_seeded_without_times_spreads_evenly(self):
        e = progress.Estimate(expected=100, seconds=200.0)
        self.assertEqual(e.remaining(50, 100.0), 100.0)
        self.assertEqual(e.remaining(50, 200.0), 200.0)

    def test_clock_text(self):
        self.assertEqual(progress.clock_text(0), "0:00")
        self.assertEqual(progress.clock_text(59.9), "0:59")
        self.assertEqual(progress.clock_text(605), "10:05")
        self.assertEqual(progress.clock_text(-3), "0:00")


class Cadence(unittest.TestCase):
    """Without a terminal: a status line INTERVAL s after the last
    output, whatever it was; on a terminal: redrawn in place."""

    def test_a_line_every_interval(self):
        clock = Clock()
        rep = reporter(clock)
        rep.start("compiling", counting=True,
                  estimate=progress.Estimate(expected=100, seconds=300.0))
        for t in range(1, 96):
            clock.t = float(t)
            rep.line(f"  CC      f{t}.o")
        # at 30 s: 30 objects where the previous build had 90 s: 3x as
        # fast, (300 - 90) / 3 = 70 s left
        self.assertEqual(rep.err.getvalue().splitlines(), [
            "kernel: compiling: 30/100 objects (30%), 0:30 elapsed, "
            "ETA 1:10",
            "kernel: compiling: 60/100 objects (60%), 1:00 elapsed, "
            "ETA 0:40",
            "kernel: compiling: 90/100 objects (90%), 1:30 elapsed, "
            "ETA 0:10",
        ])
        self.assertEqual(rep.out.getvalue(), "")

    def test_silence_is_measured_from_any_output(self):
        clock = Clock()
        rep = reporter(clock)
        rep.start("copying source")
        clock.t = 20.0
        rep.say("kernel: applied 0001-x.patch")
        self.assertEqual(rep.out.getvalue(), "kernel: applied 0001-x.patch\n")
        clock.t = 45.0
        self.assertEqual(rep.wait(), 5.0)
        rep.poll()
        self.assertEqual(rep.err.getvalue(), "")
        clock.t = 50.0
        self.assertEqual(rep.wait(), 0.0)
        rep.poll()
        self.assertEqual(rep.err.getvalue(),
                         "kernel: copying source: 0:50 elapsed\n")
        self.assertEqual(rep.wait(), progress.INTERVAL)
        rep.stop()
        # no phase: nothing to show, and no busy loop in run()
        clock.t = 500.0
        rep.poll()
        self.assertEqual(rep.wait(), progress.INTERVAL)
        self.assertEqual(len(rep.err.getvalue().splitlines()), 1)

    def test_eta_counts_down_between_objects(self):
        clock = Clock()
        rep = reporter(clock)
        times = (10.0, 40.0, 50.0)
        rep.start("compiling", counting=True, estimate=progress.Estimate(
            expected=3, seconds=100.0, times=times))
        clock.t = 40.0
        rep.line("  CC      a.o")      # ETA 90 s, from 40 s
        clock.t = 75.0
        rep.last = 0.0
        rep.poll()
        self.assertEqual(rep.err.getvalue().splitlines()[-1],
                         "kernel: compiling: 1/3 objects (33%), 1:15 "
                         "elapsed, ETA 0:55")

    def test_no_estimate_shows_the_count(self):
        clock = Clock()
        rep = reporter(clock)
        rep.start("compiling", counting=True)
        for i in range(7):
            rep.line(f"  CC      f{i}.o")
            rep.line("  AR      built-in.a")
        clock.t = 31.0
        rep.poll()
        self.assertEqual(rep.err.getvalue(),
                         "kernel: compiling: 7 objects, 0:31 elapsed\n")
        self.assertEqual(rep.done, 7)
        self.assertEqual(rep.times, [0.0] * 7)

    def test_terminal_redraws_in_place_and_clears_for_messages(self):
        clock = Clock()
        rep = reporter(clock, tty=True)
        rep.start("compiling", counting=True)
        rep.poll()          # not yet due
        clock.t = progress.REFRESH
        rep.line("  CC      a.o")
        clock.t = 2 * progress.REFRESH
        rep.poll()
        clock.t = 61.0
        rep.line("  CC      b.o")
        self.assertEqual(rep.err.getvalue(), "".join(
            f"\rkernel: compiling: {n}, {t} elapsed\033[K"
            for n, t in (("1 object", "0:00"), ("1 object", "0:01"),
                         ("2 objects", "1:01"))))
        rep.stop()
        rep.say("kernel: compiled 2 objects in 1:01")
        self.assertTrue(rep.err.getvalue().endswith("\033[K\r\033[K"))
        self.assertEqual(rep.out.getvalue(),
                         "kernel: compiled 2 objects in 1:01\n")

    def test_tty_detected_on_stderr(self):
        self.assertFalse(progress.Reporter(err=io.StringIO()).tty)


class RunCommand(unittest.TestCase):
    def test_log_lines_and_status(self):
        rep = progress.Reporter(out=io.StringIO(), err=io.StringIO(),
                                tty=False)
        script = ("printf '  CC      a.o\\n  AR      b.a\\n"
                  "  LD      c.o\\nwarning\\n  CC      last.o'; exit 7")
        with tempfile.NamedTemporaryFile("w+") as log:
            rep.start("compiling", counting=True)
            rc, kept = progress.run(["sh", "-c", script], rep, log=log)
            rep.stop()
            text = Path(log.name).read_text()
        self.assertEqual(rc, 7)
        self.assertEqual(kept, b"")
        self.assertEqual(text, "  CC      a.o\n  AR      b.a\n  LD      c.o"
                         "\nwarning\n  CC      last.o")
        self.assertEqual(rep.done, 3)

    def test_kept_without_log(self):
        rep = progress.Reporter(out=io.StringIO(), err=io.StringIO(),
                                tty=False)
        rc, kept = progress.run(["sh", "-c", "echo out; echo err >&2"], rep)
        self.assertEqual(rc, 0)
        self.assertEqual(sorted(kept.decode().split()), ["err", "out"])

    def test_interrupted_run_leaves_no_process(self):
        class Boom(progress.Reporter):
            def line(self, text):
                raise KeyboardInterrupt

        rep = Boom(out=io.StringIO(), err=io.StringIO(), tty=False)
        with tempfile.TemporaryDirectory() as d:
            pidfile = Path(d, "pid")
            with self.assertRaises(KeyboardInterrupt):
                progress.run(["sh", "-c", f"echo $$ > {pidfile}; echo x; "
                              "exec sleep 300"], rep)
            pid = int(pidfile.read_text())
        with self.assertRaises(ProcessLookupError):
            os.kill(pid, 0)


# A kernel tree for kbuild's calls: configuring makes 2 objects silently
# (as scripts/kconfig does), the build OBJECTS with kbuild lines.
OBJECTS = 12
FAKE_MAKEFILE = """\
tinyconfig:
\t@mkdir -p $(O)/scripts/kconfig
\t@echo CONFIG_MNTFAKE=y > $(O)/.config
\t@touch $(O)/scripts/kconfig/conf.o $(O)/scripts/kconfig/confdata.o
olddefconfig:
\t@true
bzImage:
\t@for i in $$(seq 1 %d); do echo "  CC      obj$$i.o"; \\
\t  touch $(O)/obj$$i.o; echo "  AR      built-in.a"; done
\t@mkdir -p $(O)/arch/x86/boot
\t@echo "  LD      vmlinux"
\t@touch $(O)/vmlinux $(O)/arch/x86/boot/bzImage
\t@echo fake > $(O)/System.map
vmlinux: bzImage
kernelrelease:
\t@echo 6.12.0-fake
.PHONY: tinyconfig olddefconfig bzImage vmlinux kernelrelease
""" % OBJECTS


class Recording(progress.Reporter):
    """Keeps the estimate each phase started with."""

    def __init__(self):
        super().__init__(out=io.StringIO(), err=io.StringIO(), tty=False)
        self.estimates: dict[str, progress.Estimate] = {}

    def start(self, what, counting=False, estimate=None):
        self.estimates[what] = estimate or progress.Estimate()
        return super().start(what, counting, estimate)


class FakeTreeBuild(unittest.TestCase):
    def setUp(self):
        self.tmp = Path(tempfile.mkdtemp(prefix="mntbench-progress-"))
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.cache = self.tmp / "cache"
        env = mock.patch.dict(os.environ, {"MNTBENCH_CACHE": str(self.cache)})
        env.start()
        self.addCleanup(env.stop)
        self.fragment = self.tmp / "fake.config"
        self.fragment.write_text("CONFIG_MNTFAKE=y\n")

    def tree(self, name: str) -> Path:
        t = self.tmp / name
        (t / "scripts" / "kconfig").mkdir(parents=True)
        (t / "Makefile").write_text(FAKE_MAKEFILE)
        merge = t / "scripts" / "kconfig" / "merge_config.sh"
        merge.write_text("#!/bin/sh\nexit 0\n")
        merge.chmod(0o755)
        return t

    def build(self, tree: Path) -> tuple[kbuild.Kernel, Recording]:
        rep = Recording()
        k = kbuild.ensure_kernel(tree, "none", self.fragment, rep)
        return k, rep

    def record(self) -> dict:
        files = list((self.cache / "kernel" / "progress").glob("*.json"))
        self.assertEqual(len(files), 1, files)
        return json.loads(files[0].read_text())

    def test_record_then_estimates(self):
        tree = self.tree("linux")
        k, rep = self.build(tree)
        self.assertEqual(rep.estimates["compiling"], progress.Estimate())
        self.assertEqual(rep.done, OBJECTS)
        self.assertIn(f"kernel: compiled {OBJECTS} objects in ",
                      rep.out.getvalue())
        rec = self.record()
        self.assertEqual(rec["objects"], OBJECTS + 2)
        self.assertEqual(len(rec["times"]), OBJECTS)
        self.assertIsInstance(rec["seconds"], float)
        self.assertEqual(self.record_name(), k.info["config_hash"][:16])

        # a changed source rebuilds incrementally: how many objects is
        # make's to say, and the full build's times are kept
        (tree / "new.c").write_text("")
        k2, rep = self.build(tree)
        self.assertNotEqual(k2.dir, k.dir)
        self.assertEqual(rep.estimates["compiling"], progress.Estimate())
        self.assertEqual(self.record(), rec)

        # the same config in a fresh build directory: the record's count
        # less what configuring made, and its times
        work = next((self.cache / "kernel" / "work").glob("*"))
        for b in work.glob("build-*"):
            shutil.rmtree(b)
        (tree / "new2.c").write_text("")
        _, rep = self.build(tree)
        self.assertEqual(rep.estimates["compiling"], progress.Estimate(
            expected=OBJECTS, seconds=rec["seconds"],
            times=tuple(rec["times"])))

    def record_name(self) -> str:
        files = list((self.cache / "kernel" / "progress").glob("*.json"))
        return files[0].stem

    def test_seeded_from_a_build_made_before_records(self):
        k, _ = self.build(self.tree("linux"))
        shutil.rmtree(self.cache / "kernel" / "progress")
        # another tree, same config: a new work directory, a cold build
        _, rep = self.build(self.tree("linux2"))
        self.assertEqual(rep.estimates["compiling"], progress.Estimate(
            expected=OBJECTS, seconds=k.info["build_seconds"]))
        self.assertEqual(len(list((self.cache / "kernel" / "work").glob(
            "*/build-*"))), 2)

    def test_a_failing_compile_still_shows_its_log_tail(self):
        tree = self.tree("linux")
        mk = tree / "Makefile"
        mk.write_text(mk.read_text().replace(
            "\t@mkdir -p $(O)/arch/x86/boot\n",
            "\t@echo 'obj.c:1: error: bad'; exit 2\n"))
        with self.assertRaises(errors.BuildError) as cm:
            self.build(tree)
        msg = str(cm.exception)
        self.assertIn("kernel compile failed (exit 2;", msg)
        tail = msg.splitlines()[1:]
        self.assertEqual(len(tail), kbuild.LOG_TAIL, msg)
        # make[N]: under another make (make unit), make: alone
        tail = [re.sub(r"^    make\[\d+\]:", "    make:", t) for t in tail]
        self.assertEqual(tail[-4:-1], [
            "      AR      built-in.a", "    obj.c:1: error: bad",
            "    make: *** [Makefile:9: bzImage] Error 2"])
        self.assertTrue(tail[-1].startswith("    make: Leaving directory"))
        self.assertFalse((self.cache / "kernel" / "progress").exists())


if __name__ == "__main__":
    unittest.main()
