"""Bad input is refused before any boot, on the host (no guest): a plan
is held to ovlbench's own limits (checked here against bench/ovlbench at
each boundary), bad arguments of the VM runner and the A/B command end in
one line on stderr and status 2, paths with a space or a comma reach
QEMU and the guest intact, the time limit grows with TCG's overcommitted
vCPUs, and a dead runner's control directory is swept."""

from __future__ import annotations

import errno
import importlib
import os
import shutil
import subprocess
import tempfile
import unittest
from pathlib import Path
from unittest import mock

from harness import errors
from harness.kernel import accel, vm
from harness.paths import REPO
from harness.run import kinds, plan
from harness.run.kinds import base
from harness.tests import common

OVLBENCH = REPO / "bench" / "ovlbench"
# ovlbench's statuses for a bad value (usage, layers, CPU, time, workload)
REFUSED = {2, 3, 4, 5, 6}
HEAD = 'name = "t"\nreps = 1\nwarmup = 0\nduration = 1\ninterval = 0.5\n'


def python_m(module: str, *argv: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["/usr/bin/python3", "-m", module, *argv], capture_output=True,
        text=True, stdin=subprocess.DEVNULL, timeout=120,
        env=dict(os.environ, PYTHONPATH=str(REPO)))


def in_process(module: str, *argv: str) -> subprocess.CompletedProcess:
    """What python_m gives, from the module's main(argv) in this process
    (a fresh interpreter would cost a second of imports a call); each
    command keeps a case through python_m, end to end."""
    return common.run_main(importlib.import_module(module).main, *argv)


class Temp(unittest.TestCase):
    def setUp(self):
        self.dir = Path(tempfile.mkdtemp(prefix="mntbench-inputs-"))
        self.addCleanup(shutil.rmtree, self.dir, True)

    def write_plan(self, text: str, head: str = HEAD) -> str:
        p = self.dir / "p.toml"
        p.write_text(head + text)
        return str(p)

    def one_line_2(self, p: subprocess.CompletedProcess, named: str):
        """Status 2, and stderr one line naming the value."""
        self.assertEqual(p.returncode, 2, p.stderr)
        lines = p.stderr.strip().splitlines()
        self.assertEqual(len(lines), 1, p.stderr)
        self.assertIn(named, lines[0])
        self.assertIn("allowed", lines[0])


@unittest.skipUnless(OVLBENCH.is_file(), "bench/ovlbench not built")
class OvlbenchLimitsTest(unittest.TestCase):
    """The limits in harness/run/kinds/base.py are ovlbench's: a value at the
    boundary passes ovlbench's checks, one past it is refused; the
    combinations plan.check_args refuses are the ones ovlbench does."""

    def accepts(self, *args: str) -> bool:
        # --check: mount, report and exit, after every option check
        check = () if "--pair-modes" in args else ("--check",)
        p = subprocess.run([str(OVLBENCH), "-q", *check, *args],
                           capture_output=True, text=True, timeout=60)
        return p.returncode not in REFUSED

    def agree(self, args: tuple[str, ...], ok: bool) -> None:
        with self.subTest(args=args):
            self.assertEqual(self.accepts(*args), ok)
            self.assertEqual(plan.check_args(args) is None, ok)

    def test_ranges(self):
        top = f"{base.MAX_SECONDS:.0f}"
        over = f"{base.MAX_SECONDS + 1:.0f}"
        for args, ok in (
                (("--warmup", top), True), (("--warmup", over), False),
                (("--duration", top), True), (("--duration", over), False),
                (("--interval", f"{base.MIN_INTERVAL:g}"), True),
                (("--interval", f"{base.MIN_INTERVAL * 0.9:g}"), False),
                (("--interval", top, "--duration", top), True),
                (("--interval", over, "--duration", top), False),
                *((("--mode", m), True) for m in base.TASK_MODES),
                (("--mode", "fork"), False)):
            with self.subTest(args=args):
                self.assertEqual(self.accepts(*args), ok)

    def test_combinations(self):
        lay, tasks = base.MAX_LAYERS, base.MAX_TASKS
        most = base.MAX_INTERVALS * base.MIN_INTERVAL
        iv = f"{base.MIN_INTERVAL:g}"
        pair = ("--pair-modes", "longterm-array,detached", "--warmup", "0",
                "--tasks", "1", "--cpus", "0")
        cases = [
            (("--layers", str(lay)), True),
            (("--layers", str(lay + 1)), False),
            (("--layers", "1"), False),
            (("--layers", "1", "--upper"), True),
            (("--tasks", str(tasks)), True),
            (("--tasks", str(tasks + 1)), False),
            (("--interval", "0.5", "--duration", "0.4"), False),
            (("--interval", iv, "--duration", f"{most:g}"), True),
            (("--interval", iv, "--duration", f"{most * 1.001:g}"), False),
            (("--workload", "collateral", "--tasks", "2", "--victims",
              "1", "--cpus", "0"), True),
            (("--workload", "collateral", "--tasks", "2", "--victims",
              "2"), False),
            (("--workload", "open-close", *pair, "--interval",
              f"{base.MAX_PAIR_INTERVAL:g}", "--duration", "0.25"), True),
            (("--workload", "open-close", *pair, "--interval",
              f"{base.MAX_PAIR_INTERVAL + 0.01:g}", "--duration", "1"),
             False)]
        cases += [(("--workload", w, *pair, "--interval", "0.25",
                    "--duration", "0.25"), w in base.PAIR_WORKLOADS)
                  for w in plan.WORKLOADS]
        for args, ok in cases:
            self.agree(args, ok)

    def test_marked_workloads(self):
        """The coherence kind's workloads are those ovlbench marks (one
        op each, on the host: a marker is a NOP on real hardware; --ops
        takes no --check)."""
        for w in plan.WORKLOADS:
            with self.subTest(workload=w):
                p = subprocess.run(
                    [str(OVLBENCH), "-q", "--workload", w, "--ops", "1",
                     "--coherence-marks", "--tasks", "1", "--cpus", "0",
                     "-o", "/dev/null"],
                    capture_output=True, text=True, timeout=60)
                self.assertEqual(p.returncode not in REFUSED,
                                 w in base.MARKED_WORKLOADS, p.stderr)


class PlanTest(Temp):
    """Values ovlbench would refuse, keys no kind takes, plans too large
    to expand: each named in one line, before anything runs."""

    def refused(self, text: str, named: str, head: str = HEAD) -> str:
        with self.assertRaises(errors.InputError) as cm:
            plan.expand(plan.load(self.write_plan(text, head)), 2, seed=1)
        msg = str(cm.exception)
        self.assertIn(named, msg)
        self.assertIn("allowed:", msg)
        self.assertNotIn("\n", msg)
        return msg

    def test_values_ovlbench_refuses(self):
        no_reps = HEAD.replace("reps = 1\n", "")
        for text, named, head in (
                ("reps = 2.5\n", "reps=2.5", no_reps),
                ("reps = true\n", "reps=True", no_reps),
                ('task_mode = "fork"\n', "task_mode='fork'", HEAD),
                ("[load]\ncpus = \"pow\"\n", "cpus='pow'", HEAD),
                ("[load]\nlayers = [0]\n", "layers=[0]", HEAD),
                ("[load]\nlayers = [1000]\n", "layers=[1000]", HEAD),
                ('[load]\nmodes = ["detached"]\nworkloads = ["stat"]\n'
                 "layers = [1]\n", "--layers=1", HEAD),
                ("[teardown]\nduration = -1\n", "duration=-1", HEAD),
                ("[probes]\noverhead_reps = -1\n", "overhead_reps=-1",
                 HEAD),
                ("[paired]\ninterval = 0.5\n", "interval=0.5", HEAD),
                ('[collateral]\nmodes = ["detached"]\ncpus = [2]\n'
                 "victims = 2\n", "--victims=2", HEAD),
                ('[load]\nmodes = ["detached", "detached"]\n',
                 "modes=['detached', 'detached']", HEAD)):
            with self.subTest(text=text):
                self.refused(text, named, head)

    def test_interval_over_duration(self):
        self.refused("", "interval=2",
                     HEAD.replace("interval = 0.5", "interval = 2"))

    def test_unknown_keys_list_the_allowed(self):
        msg = self.refused("layerz = [2]\n", "layerz=[2]")
        self.assertIn("duration", msg)
        self.assertIn("[load]", msg)
        msg = self.refused("[load]\nlayerz = [2]\n", "layerz=[2]")
        self.assertIn(", ".join(kinds.of("load").keys), msg)

    def test_every_kind_declares_its_keys(self):
        for k in kinds.KINDS.values():
            self.assertIsNotNone(k.keys, k.name)
        # every key a shipped plan uses is allowed (they load)
        for f in plan.PLANS.glob("*.toml"):
            plan.load(str(f))

    def test_points_are_bounded_before_expansion(self):
        self.refused("", f"reps={10 ** 8}",
                     HEAD.replace("reps = 1", f"reps = {10 ** 8}"))
        reps = plan.MAX_REPS
        text = ('[load]\nmodes = ["detached", "longterm-array"]\n'
                'workloads = ["stat", "open-close"]\nlayers = [2, 3, 4]\n')
        msg = self.refused(text, "points at 2 vCPUs",
                           HEAD.replace("reps = 1", f"reps = {reps}"))
        # 2 modes x 2 workloads x 3 layers x 2 CPU counts per repetition
        self.assertIn(f"{reps * 24} points", msg)
        wide = (f"[load]\nlayers = {list(range(2, 400))}\n"
                f"cpus = {list(range(1, 400))}\n")
        self.refused(wide, "a repetition")

    def test_cli_exit_2_one_line(self):
        for text, named in (("reps = 2.5\n", "reps=2.5"),
                            ('[load]\ncpus = "pow"\n', "cpus='pow'"),
                            ("layerz = 1\n", "layerz=1")):
            with self.subTest(text=text):
                path = self.write_plan(
                    text, HEAD.replace("reps = 1\n", "")
                    if text.startswith("reps") else HEAD)
                self.one_line_2(
                    in_process("harness.flows.ab", "--profile", path), named)


class VMArgsTest(Temp):
    def test_bad_values_exit_2_one_line(self):
        afile = self.dir / "afile"
        afile.write_text("")
        huge = str(vm.host_mem_mb() + 1)
        for argv, named in (
                (("--timeout", "nan"), "--timeout=nan"),
                (("--timeout", "inf"), "--timeout=inf"),
                (("--timeout", "0"), "--timeout=0"),
                (("--results", str(afile)), str(afile)),
                (("--results", str(afile / "sub")), str(afile / "sub")),
                # not writable even for root
                (("--results", "/sys/kernel"), "/sys/kernel"),
                (("--cpus", "1000"), "--cpus=1000"),
                (("--cpus", "0"), "--cpus=0"),
                (("--mem", huge), f"--mem={huge}")):
            with self.subTest(argv=argv):
                self.one_line_2(in_process("harness.kernel.vm", *argv,
                                           "true"), named)

    def test_cpus_bound_is_qemus(self):
        top = vm.max_cpus()
        if top is None:
            self.skipTest("no qemu-system-x86_64 to ask")
        self.one_line_2(python_m("harness.kernel.vm", "--cpus", str(top + 1),
                                 "true"), f"1..{top}")
        self.assertEqual(python_m("harness.kernel.vm", "--cpus", str(top),
                                  "--timeout", "nan", "true").stderr.count(
                                      "--cpus"), 0)

    def test_ab_cpus(self):
        p = python_m("harness.flows.ab", "--cpus", "0")
        self.one_line_2(p, "--cpus=0")
        self.assertNotIn("1..0", p.stderr)


class PathsTest(Temp):
    """A space or a comma in the results path reaches QEMU (a comma
    doubled) and the guest's command line (octal-escaped) intact."""

    def test_qemu_options_and_cmdline(self):
        res = self.dir / "a b,c*"
        res.mkdir()
        kernel = mock.Mock(bzimage=Path("/k"))
        cfg = vm.VMConfig(kernel=kernel, cpus=1, results=res)
        argv = vm.qemu_argv(cfg, accel.TCG, res / ".vm-1", res / "c,1.log",
                            "/proc/self/fd/5", "/proc/self/fd/6")
        opts = [argv[i + 1] for i, a in enumerate(argv[:-1])
                if a in ("-fsdev", "-chardev")]
        doubled = str(res.resolve()).replace(",", ",,")
        self.assertIn(f"local,id=results,path={doubled},"
                      "security_model=none", opts)
        self.assertIn(f"file,id=con,path={doubled}/c,,1.log", opts)
        words = argv[argv.index("-append") + 1].split()
        word = next(w for w in words if w.startswith("mntbench.res="))
        self.assertNotIn(" ", word)
        self.assertNotIn(",", word)
        # decoded as harness/kernel/init.sh does
        back = subprocess.run(["/bin/sh", "-c", 'printf "%b" "$1"', "-",
                               word.split("=", 1)[1]], capture_output=True,
                              text=True).stdout
        self.assertEqual(back, str(res.resolve()))


class OvercommitTest(unittest.TestCase):
    def test_tcg_scales_the_time_limit_and_warns(self):
        self.assertEqual(accel.slowdown(64, accel.TCG, 2), 32.0)
        self.assertEqual(accel.slowdown(3, accel.TCG, 2), 1.5)
        for vcpus, name in ((2, accel.TCG), (1, accel.TCG),
                            (64, accel.KVM), (64, accel.ICOUNT)):
            self.assertEqual(accel.slowdown(vcpus, name, 2), 1.0)
            self.assertIsNone(accel.overcommit_warning(vcpus, name, 2))
        msg = accel.overcommit_warning(64, accel.TCG, 2)
        self.assertIn("64 vCPUs on 2 host cores", msg)
        self.assertIn("scaled by 32", msg)
        cfg = vm.VMConfig(kernel=None, cpus=64, timeout=240.0)
        with mock.patch.object(accel, "host_cores", return_value=2):
            self.assertEqual(vm.time_limit(cfg, accel.TCG), 240.0 * 32)
            self.assertEqual(vm.time_limit(cfg, accel.KVM), 240.0)


class ControlDirTest(Temp):
    def test_stale_control_dirs_are_swept(self):
        me = f".vm-{os.getpid()}-{vm._start_time(os.getpid())}-x"
        stale = [".vm-abcdef",                      # before pids
                 f".vm-{os.getpid()}-0-x"]          # pid reused
        for name in [me, *stale]:
            (self.dir / name).mkdir()
            (self.dir / name / "cmd").write_text("true\n")
        gone = vm.sweep(self.dir)
        self.assertEqual(sorted(p.name for p in gone), sorted(stale))
        self.assertEqual([p.name for p in self.dir.glob(".vm-*")], [me])

    def test_a_failed_control_write_leaves_nothing(self):
        cfg = vm.VMConfig(kernel=None, cpus=1, results=self.dir)

        def full(ctl, cmd, env):
            (ctl / "cmd").write_text("partial")
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        with mock.patch.object(vm, "_write_control", full):
            with self.assertRaises(errors.VMError) as cm:
                vm.boot(cfg, "true", accel.TCG)
        self.assertIn(os.strerror(errno.ENOSPC), str(cm.exception))
        self.assertEqual(list(self.dir.glob(".vm-*")), [])


if __name__ == "__main__":
    unittest.main()
