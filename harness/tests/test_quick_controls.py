"""`make bench PROFILE=quick` end to end in the VM, then the gate's
controls on that set, each gating the plan's declared [gate] metrics
(exit codes asserted, not just printed):

- positive, mechanism: longterm-array vs detached: slow mntputs per
  open-close op (~0 vs 1) regress, so the gate exits 1; stat (no
  reference on a private mount) is not among the regressions;
- positive, teardown: longterm-array vs longterm-serial, umount latency
  at 100 layers (on the icount clock where KVM does not work): exit 1;
- negative: an A/A pair of the same mode interleaved in the same boot
  never exits 1 (0, or 3 where the noise cannot show equivalence).
"""

from __future__ import annotations

import json
import os
import subprocess
import time
import unittest

from harness.analysis import resultset
from harness.output.sections import overhead as overhead_out
from harness.paths import REPO
from harness.tests import common


def gate(*args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.run(["/usr/bin/python3", "-m", "harness.analysis.gate",
                           *args],
                          capture_output=True, text=True, env=env)


class QuickControlsTest(unittest.TestCase):
    sdir = None
    seconds = 0.0

    @classmethod
    def setUpClass(cls):
        cls.sdir = common.results_dir("quick") / "set"
        t0 = time.monotonic()
        p = subprocess.run(["make", "-s", "bench", "PROFILE=quick",
                            f"OUT={cls.sdir}"], cwd=REPO,
                           stdin=subprocess.DEVNULL, capture_output=True,
                           text=True)
        cls.seconds = time.monotonic() - t0
        cls.out = p.stdout + p.stderr
        if p.returncode != 0:
            raise AssertionError(f"make bench PROFILE=quick: {p.returncode}"
                                 f"\n{cls.out[-3000:]}")
        print(f"\nquick set {cls.sdir}: {cls.seconds:.0f} s", flush=True)

    def at(self, mode: str) -> str:
        return f"{self.sdir}:{mode}"

    def test_set_is_complete_and_valid(self):
        m = json.loads((self.sdir / "manifest.json").read_text())
        self.assertEqual(m["status"], "complete")
        self.assertEqual(m["failed_points"], [])
        self.assertEqual(resultset.validate(self.sdir), [])
        for f in ("report.txt", "report.md", "summary.json"):
            self.assertGreater((self.sdir / f).stat().st_size, 0)
        # ovlbench read each mode back from /proc/mounts.
        for mode, seen in m["modes_seen"].items():
            self.assertEqual(seen, mode)

    def test_probe_overhead_measured_per_mode(self):
        # every probed mode has its with/without pairs, and the report
        # prints a ratio for each (the figure itself is not asserted)
        rs = resultset.load(self.sdir)
        comps = overhead_out.comparisons(rs)
        # every probed mode at every CPU count of the probe pass
        cpus = sorted({c for _, c in comps})
        self.assertEqual(cpus[0], 1)
        self.assertEqual(sorted(comps), [(m, c) for m in (
            "detached", "longterm-array") for c in cpus])
        report = (self.sdir / "report.txt").read_text()
        for mode, cpus in comps:
            self.assertIn(f"  {mode} c{cpus}: with/without = ", report)

    def test_probe_rates_have_runs(self):
        rs = resultset.load(self.sdir)
        found = rs.select(kind="probe")
        self.assertTrue(found)
        for sr in found:
            self.assertGreaterEqual(len(sr.values), 3, sr.measure)

    def test_collateral_victims_longterm_never_restart(self):
        # the victims work on a plain tmpfs; with longterm mounts no
        # mount_lock write reaches their walks: 0 restarts, exactly (at 2
        # tasks the one victim runs stat)
        rs = resultset.load(self.sdir)
        found = rs.select(kind="collateral", variant="longterm-array")
        restarts = [s for s in found if s.quantity.endswith("restarts_per_op")]
        self.assertIn("victim_stat_restarts_per_op",
                      {s.quantity for s in restarts})
        for s in restarts:
            self.assertEqual(set(s.values), {0.0}, s.measure)
        for s in rs.select(kind="collateral", variant="detached"):
            if s.quantity.endswith("restarts_per_op"):
                print(f"\n{s.measure} detached: {sorted(s.values)}",
                      flush=True)
        self.assertIn("Collateral:", (self.sdir / "report.txt").read_text())

    def test_positive_control_mechanism(self):
        p = gate(self.at("longterm-array"), self.at("detached"))
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertRegex(p.stdout, r"REGRESSION +probe\.open-close\.l2\."
                                   r"c\d+\.slow_puts_per_op")
        self.assertNotRegex(p.stdout, r"REGRESSION +stat\.")

    def test_positive_control_teardown(self):
        p = gate(self.at("longterm-array"), self.at("longterm-serial"))
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertRegex(p.stdout, r"REGRESSION +teardown\.l100\."
                                   r"umount_(icount_)?us:median")

    def test_negative_control_a_a(self):
        p = gate(self.at("longterm-array"), self.at("longterm-array#aa"))
        self.assertIn(p.returncode, (0, 3), p.stdout + p.stderr)
        self.assertNotIn("REGRESSION", p.stdout)


if __name__ == "__main__":
    unittest.main()
