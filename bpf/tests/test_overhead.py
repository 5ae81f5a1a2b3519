"""mntlock's cost: open()+close() throughput with and without it, in one
guest boot (bpf/tests/overhead.py).  The figures are reported, not
asserted (TCG timings are noisy): see bpf/BENCHMARKS.md.

Set MNTBENCH_SKIP_OVERHEAD=1 to skip this boot (about 5 minutes: none,
mntlock, --all-puts, --latency).
"""

from __future__ import annotations

import os
import sys
import unittest

from harness.paths import REPO
from harness.tests import common

from bpf.tests.test_mntlock import build

REPS = int(os.environ.get("MNTBENCH_OVERHEAD_REPS", "3"))
SECONDS = 3


@unittest.skipIf(os.environ.get("MNTBENCH_SKIP_OVERHEAD"),
                 "MNTBENCH_SKIP_OVERHEAD is set")
class OverheadTest(unittest.TestCase):
    doc: dict = {}

    @classmethod
    def setUpClass(cls):
        build()
        cls.doc, cls.out = common.guest_json(
            "mntlock-overhead", REPO / "bpf" / "tests" / "overhead.py",
            f"--reps {REPS} --seconds {SECONDS}")

    def test_every_run_measured(self):
        for name, r in self.doc["results"].items():
            for cfg, rates in r["ops_per_s"].items():
                self.assertEqual(len(rates), REPS, f"{name} {cfg}")
                self.assertTrue(all(x > 0 for x in rates), f"{name} {cfg}")

    def test_mntlock_was_counting(self):
        # detached: one slow mntput per close, so the tool saw the load
        for name, r in self.doc["results"].items():
            if "/detached/" not in name:
                continue
            for cfg, counts in r["mntlock_layer_slow"].items():
                self.assertTrue(all(c > 0 for c in counts), f"{name} {cfg}")

    def test_report_figures(self):
        lines = [f"mntlock overhead ({self.doc['tasks']} tasks, "
                 f"{REPS} reps, medians; {self.out}):"]
        for name, r in self.doc["results"].items():
            lines.append(f"  {name:30s} "
                         f"{r['median_ops_per_s']['none']:10.0f} ops/s; " +
                         ", ".join(f"{c} {v:+.1f}%" for c, v in
                                   r["overhead_pct"].items()))
        print("\n".join(lines), file=sys.stderr)


if __name__ == "__main__":
    unittest.main()
