"""The make targets and ./mntbench: values are data, statuses come through.

MakeInterface is host-only: targets that fail on their input before any
build or boot, and make -n, which runs ./mntbench -n (it prints what it
would run). GuestMakeInterface boots the cached kernel three times.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
import unittest
from pathlib import Path

from harness.paths import REPO
from harness.tests import test_gate

SCRIPT = str(REPO / "mntbench")


def hostile(mark: Path) -> dict[str, str]:
    """Values that ran `touch MARK` on the host through the old Makefile's
    quoting, or through make's own expansion."""
    return {"quote": f"x'; touch {mark}; '",
            "backtick": f"o'`touch {mark}`'",
            "dollar": f"$(touch {mark})$(shell touch {mark})${{HOME}}$$",
            "dquote": f'a"; touch {mark}; "b',
            "semicolon": f"a; touch {mark}"}


def all_in_one(mark: Path) -> str:
    return "".join(hostile(mark).values())


class Base(unittest.TestCase):
    def setUp(self):
        self.tmp = Path(tempfile.mkdtemp(prefix="mntbench-make-"))
        self.addCleanup(subprocess.run, ["rm", "-rf", str(self.tmp)])
        self.mark = self.tmp / "MARK"
        self.env = {k: v for k, v in os.environ.items()
                    if not k.startswith(("MAKE", "MNTBENCH_VAR_"))}

    def tearDown(self):
        self.assertFalse(self.mark.exists(), "a value ran on the host")
        self.assertFalse((REPO / "MARK").exists())

    def run_(self, argv: list[str], env: dict | None = None
             ) -> subprocess.CompletedProcess:
        # From the temp dir, so that a relative `touch MARK` lands there.
        return subprocess.run(argv, cwd=self.tmp, capture_output=True,
                              text=True, env={**self.env, **(env or {})},
                              stdin=subprocess.DEVNULL)

    def make(self, *args: str, env: dict | None = None):
        return self.run_(["make", "-s", "-C", str(REPO), *args], env)

    def script(self, *args: str, env: dict | None = None):
        return self.run_([SCRIPT, *args], env)

    def dry(self, target: str, *assigns: str, env: dict | None = None
            ) -> list[str]:
        """The argv make -n shows for the target's own command (the last
        line ./mntbench -n prints)."""
        p = self.make("-n", target, *assigns, env=env)
        self.assertEqual(p.returncode, 0, p.stderr)
        return shlex.split(p.stdout.strip().splitlines()[-1])

    def one_line(self, p: subprocess.CompletedProcess, status: int,
                 *words: str) -> None:
        self.assertEqual(p.returncode, status, p.stdout + p.stderr)
        self.assertNotIn("Traceback", p.stderr)
        self.assertEqual(len(p.stderr.strip().splitlines()), 1, p.stderr)
        for w in words:
            self.assertIn(w, p.stderr)

    def through_make(self, p: subprocess.CompletedProcess, target: str,
                     status: int, meaning: str) -> None:
        """make exits 2, after ./mntbench's line on what its status was."""
        self.assertEqual(p.returncode, 2, p.stdout + p.stderr)
        self.assertIn(f"mntbench: {target} exited {status} ({meaning})\n",
                      p.stderr)


class MakeInterface(Base):
    def test_values_reach_the_command_literally(self):
        """Each hostile value is one argument of the Python command, as
        written, from make's command line and from the environment."""
        cases = [("vm", "CMD", lambda a, v: a[-1] == v and a[-2] == "--"),
                 ("bench", "OUT", None), ("bench", "RESUME", None),
                 ("bench", "PROFILE", None), ("vm", "KSRC", None),
                 ("vm", "PATCHES", None), ("vm", "RESULTS", None),
                 ("kernel", "KSRC", None), ("gate", "BASE", None),
                 ("gate", "CAND", None), ("report", "SET", None),
                 ("ab", "BASE_KSRC", None), ("ab", "CAND_PATCHES", None),
                 ("ab", "BASE_KNOBS", None), ("ab", "AB_PROFILE", None),
                 ("calibrate", "CLOCKS", None),
                 ("calibrate", "SIZES", None),
                 ("calibrate", "KNOB_PATHS", None),
                 ("calibrate", "CAL_PROFILE", None)]
        values = {"all in one": all_in_one(self.mark)}
        for target, var, check in cases:
            kinds = hostile(self.mark) if var == "CMD" else values
            for kind, value in kinds.items():
                for route in ("command line", "environment"):
                    with self.subTest(var=var, kind=kind, route=route):
                        if route == "command line":
                            argv = self.dry(target, f"{var}={value}")
                        else:
                            argv = self.dry(target, env={var: value})
                        self.assertIn(value, argv)
                        if check:
                            self.assertTrue(check(argv, value), argv)

    def test_defaults_empty_and_unset(self):
        self.assertEqual(self.dry("vm")[-2:], ["--", "uname -a"])
        self.assertEqual(self.dry("vm", "CMD=")[-2:], ["--", ""])
        argv = self.dry("bench", "OUT=", "SEED=", "RESUME=", "ACCEL=")
        for opt in ("--out", "--seed", "--resume", "--accel"):
            self.assertNotIn(opt, argv)
        argv = self.dry("ab", "KSRC=/k", "PATCHES=none", "CAND_KSRC=/c")
        self.assertEqual(argv[argv.index("--base-ksrc") + 1], "/k")
        self.assertEqual(argv[argv.index("--cand-ksrc") + 1], "/c")
        self.assertEqual(argv[argv.index("--base-patches") + 1], "none")
        self.assertEqual(argv[argv.index("--cand-patches") + 1], "none")
        nproc = subprocess.run(["nproc"], capture_output=True,
                               text=True).stdout.strip()
        for target in ("vm", "bench", "ab", "calibrate"):
            with self.subTest(target=target):
                argv = self.dry(target)
                self.assertEqual(argv[argv.index("--cpus") + 1], nproc)

    def test_command_line_over_environment(self):
        argv = self.dry("vm", "CMD=cl", env={"CMD": "env"})
        self.assertEqual(argv[-1], "cl")
        p = self.script("-n", "vm", "CMD=cl", env={"CMD": "env"})
        self.assertEqual(shlex.split(p.stdout.splitlines()[-1])[-1], "cl")

    def test_dollar_is_literal(self):
        self.assertEqual(self.dry("vm", "CMD=echo $HOME")[-1], "echo $HOME")
        self.assertEqual(self.dry("vm", env={"CMD": "echo $HOME"})[-1],
                         "echo $HOME")
        # make's own syntax for a literal $ still works
        self.assertEqual(self.dry("vm", "CMD:=echo $$HOME")[-1],
                         "echo $HOME")

    def test_numbers_are_checked_before_any_build(self):
        cases = [("vm", "CPUS"), ("vm", "MEM"), ("vm", "TIMEOUT"),
                 ("bench", "SEED"), ("bench", "CPUS"), ("ab", "MIN_BOOTS"),
                 ("ab", "MAX_BOOTS"), ("ab", "BUDGET"), ("ab", "ROUNDS"),
                 ("calibrate", "AA"), ("calibrate", "N"),
                 ("calibrate", "BUDGET")]
        for target, var in cases:
            for value in ("1;touch MARK", f"1`touch {self.mark}`", "nan"):
                with self.subTest(target=target, var=var, value=value):
                    p = self.script(target, f"{var}={value}")
                    self.one_line(p, 2, f"{var}={value!r}", "allowed")
        p = self.make("vm", "CPUS=1;touch MARK")
        self.through_make(p, "vm", 2, "bad input, or the guest command's "
                          "exit status")
        self.assertIn("CPUS='1;touch MARK'", p.stderr)
        p = self.script("vm", "MEM=")
        self.one_line(p, 2, "MEM=''")

    def test_hostile_paths_fail_as_bad_input(self):
        """Real runs that stop at the missing path: 2, one line with the
        value as written (deps and the kernel's input check only)."""
        value = all_in_one(self.mark)
        p = self.script("gate", f"BASE={value}", f"CAND={value}")
        self.one_line(p, 2, value)
        p = self.make("gate", f"BASE={value}", f"CAND={value}")
        self.through_make(p, "gate", 2, "bad input")
        self.assertIn(value, p.stderr)
        p = self.script("vm", f"KSRC={value}", f"CMD={value}")
        self.one_line(p, 2, value)
        p = self.make("report", f"SET={value}")
        self.through_make(p, "report", 2, "bad input")
        self.assertIn(value, p.stderr)
        # bench/ and bpf/ Makefiles splice it: refused before they run
        p = self.script("checkpatch", f"CHECKPATCH={value}")
        self.one_line(p, 2, repr(value), "allowed")

    def test_gate_statuses(self):
        f = test_gate.SetFactory()
        self.addCleanup(f.cleanup)
        base = f.make("base")
        incomplete = f.make("inc", manifest=lambda m: {**m,
                                                       "status": "incomplete"})
        half = f.make("half", records=test_gate.scale(0.5))
        for cand, status in ((half, 1), (f.make("same"), 3),
                             (incomplete, 125)):
            with self.subTest(status=status):
                p = self.script("gate", f"BASE={base}", f"CAND={cand}")
                self.assertEqual(p.returncode, status, p.stderr)
        p = self.make("gate", f"BASE={base}", f"CAND={half}")
        self.through_make(p, "gate", 1, "regression")

    def test_explain(self):
        cases = [("vm", 3, "build failed, or the guest command's exit "
                  "status"),
                 ("vm", 7, "the guest command's exit status"),
                 ("vm", 124, "the guest outlived its time limit and was "
                  "killed, or the guest command's exit status"),
                 ("gate", 125, "a set could not be produced"),
                 ("bench", 125, "the VM could not run, or stopped without "
                  "an exit status"),
                 ("bench", 1, "the set is incomplete (failed points, or "
                  "its disk filled up: one line says so; the finished "
                  "points are kept)"),
                 ("ab", 1, "regression"),
                 ("ab", 125, "cannot test: a kernel did not build or a set "
                  "was not produced (git bisect run skips)"),
                 ("kernel", 3, "build failed"),
                 ("report", 130, "interrupted")]
        for target, status, meaning in cases:
            with self.subTest(target=target, status=status):
                p = self.script("--explain", target, str(status))
                self.assertEqual(p.stdout, f"mntbench: {target} exited "
                                 f"{status} ({meaning})\n")

    def test_unknown_target_or_variable(self):
        self.one_line(self.script("vmm"), 2, "'vmm'", "allowed")
        self.one_line(self.script("vm", "CMDD=x"), 2, "'CMDD=x'")
        self.one_line(self.script("vm", "ACCEL=kvmm"), 2, "ACCEL='kvmm'")

    def test_make_n_runs_nothing(self):
        p = self.make("-n", "bench", f"OUT={self.tmp / 'set'}",
                      f"CMD=touch {self.mark}")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("-m harness.flows.bench", p.stdout)
        self.assertFalse((self.tmp / "set").exists())

    def test_ci_files_use_the_status_preserving_entry(self):
        for name in ("github-actions.yml", "github-calibrate.yml",
                     "gitlab-ci.yml"):
            with self.subTest(name=name):
                text = (REPO / "harness" / "ci" / name).read_text()
                self.assertNotRegex(text, r"\bmake (-C \S+ )?(ab|calibrate)")
                self.assertRegex(text, r"mntbench (ab|calibrate) ")


class GuestMakeInterface(Base):
    """Three boots of the cached kernel (make kernel is then a no-op)."""

    def test_hostile_cmd_runs_in_the_guest_only(self):
        res = self.tmp / "share"
        p = self.make("vm", "CPUS=1", "MEM=1024", "TIMEOUT=300",
                      f"RESULTS={res}",
                      f"CMD=echo 'a; touch {self.mark}'; X=ok; "
                      'echo "v=$X"; exit 3')
        self.assertIn(f"a; touch {self.mark}\n", p.stdout)
        self.assertIn("v=ok\n", p.stdout)   # $X reached the guest's shell
        self.through_make(p, "vm", 3, "build failed, or the guest "
                          "command's exit status")

    def test_guest_status_comes_through(self):
        p = self.script("vm", "CPUS=1", "MEM=1024", "TIMEOUT=300",
                        f"RESULTS={self.tmp / 'share'}", "CMD=exit 3")
        self.assertEqual(p.returncode, 3, p.stderr)

    def test_time_limit_is_124(self):
        p = self.script("vm", "CPUS=1", "MEM=1024", "TIMEOUT=5",
                        f"RESULTS={self.tmp / 'share'}", "CMD=sleep 1000")
        self.assertEqual(p.returncode, 124, p.stderr)


if __name__ == "__main__":
    unittest.main()
