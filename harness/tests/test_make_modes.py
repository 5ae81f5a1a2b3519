"""How make is called changes nothing: `make -s`, `make -j2` and `make -k`
run the same commands as plain `make` for unit, test and smoke (make -n,
make's own directory lines aside), and a real `make unit` of one small
module ends the same way each way: its exit status and its test count,
passing and failing. Host-only, a few seconds; the caller's make (this
runs under `make unit`) does not reach the makes run here.
"""

from __future__ import annotations

import os
import re
import subprocess
import unittest

from harness.paths import REPO

MODES = ((), ("-s",), ("-j2",), ("-k",))
# What make says of itself, not a command: -s leaves it out
NOISE = re.compile(r"make(\[\d+\])?: (Entering|Leaving) directory |"
                   r"make(\[\d+\])?: Nothing to be done for |"
                   r"make(\[\d+\])?: '.*' is up to date\.")
# make unit of one module: bench/ built, not its tests (make -C bench
# test takes most of a minute)
SMALL = ("UNIT=harness.tests.test_ksource", "UNIT_BENCH=all")
MISSING = ("UNIT=harness.tests.no_such_module", "UNIT_BENCH=all")


def make_env() -> dict[str, str]:
    """The environment of a make run from a shell."""
    return {k: v for k, v in os.environ.items()
            if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES",
                         "MAKEFILES", "GNUMAKEFLAGS")
            and not k.startswith("MNTBENCH_VAR_")}


def make(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["make", "-C", str(REPO), *args], env=make_env(),
                          capture_output=True, text=True, timeout=300,
                          stdin=subprocess.DEVNULL)


def commands(out: str) -> list[str]:
    return [ln for ln in out.splitlines() if not NOISE.match(ln)]


def tests_run(err: str) -> list[str]:
    """unittest's counts: "Ran N tests", and OK or FAILED (...)."""
    return re.findall(r"^(Ran \d+ tests?|OK|FAILED \(.*\))", err, re.M)


class MakeModesTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # bench/ built, so that make -n prints no compile of it (a
        # sub-make's -n under -j2 may order those differently)
        subprocess.run(["make", "-s", "-C", str(REPO / "bench")],
                       env=make_env(), check=True, capture_output=True)

    def test_same_commands(self):
        for target in ("unit", "test", "smoke"):
            p = make("-n", target)
            self.assertEqual(p.returncode, 0, p.stderr)
            plain = commands(p.stdout)
            self.assertRegex(" ".join(plain),
                             r"-m (unittest -v|harness\.tests\.lanes)",
                             target)
            for mode in MODES[1:]:
                with self.subTest(target=target, mode=mode):
                    q = make("-n", *mode, target)
                    self.assertEqual((q.returncode, commands(q.stdout)),
                                     (0, plain))
                    self.assertEqual(commands(q.stderr),
                                     commands(p.stderr))

    def test_unit_ends_the_same(self):
        for args, status in ((SMALL, 0), (MISSING, 2)):
            # what the module gives run by hand; make exits 2 for any
            # failed recipe
            module = args[0].removeprefix("UNIT=")
            r = subprocess.run(["/usr/bin/python3", "-m", "unittest",
                                module], cwd=REPO, env=make_env(),
                               capture_output=True, text=True)
            self.assertEqual(r.returncode, 0 if status == 0 else 1)
            counts = tests_run(r.stderr)
            self.assertEqual(len(counts), 2, r.stderr)
            for mode in MODES:
                with self.subTest(args=args, mode=mode):
                    p = make(*mode, "unit", *args)
                    self.assertEqual((p.returncode, tests_run(p.stderr)),
                                     (status, counts), p.stderr[-2000:])
