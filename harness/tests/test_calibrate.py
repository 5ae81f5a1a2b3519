"""`make calibrate` in small, on the real kernel under icount: the knob's
cost is measured, an A/A comparison passes (exit 0) and a large injected
regression is called (exit 1), both through harness/flows/ab.py's own process.
The full table is `make calibrate` (README, Calibration)."""

from __future__ import annotations

import json
import subprocess
import unittest

from harness.paths import REPO
from harness.tests import common


class CalibrateSmokeTest(unittest.TestCase):
    doc: dict = {}

    @classmethod
    def setUpClass(cls):
        out = common.results_dir("calibrate")
        res = subprocess.run(
            ["/usr/bin/python3", "-m", "harness.flows.calibrate", "--clocks",
             "icount", "--paths", "open", "--sizes", "10", "--aa", "1",
             "--n", "1", "--seed", "7", "--out", str(out)],
            cwd=REPO, capture_output=True, text=True)
        if res.returncode != 0:
            raise AssertionError(f"calibrate exit {res.returncode}: "
                                 f"{res.stdout[-2000:]}{res.stderr[-2000:]}")
        print("\n" + res.stdout)
        cls.doc = json.loads((out / "calibration.json").read_text())

    def row(self, injected: str) -> dict:
        return [r for r in self.doc["table"] if r["injected"] == injected][0]

    def test_knob_cost_measured(self):
        c = self.doc["cost"]["icount"]["open"]
        self.assertGreater(c["per_unit"], 1.0)
        self.assertLess(c["per_unit"], 20.0)
        self.assertGreater(c["base"], 1000.0)

    def test_aa_passes(self):
        c = [c for c in self.doc["comparisons"] if c["injected"] == "A/A"]
        self.assertEqual([x["exit"] for x in c], [0])
        self.assertEqual(self.row("A/A")["regressions"], 0)

    def test_large_injection_is_a_regression(self):
        c = [c for c in self.doc["comparisons"]
             if c["injected"] == "open +10%"]
        self.assertEqual([x["exit"] for x in c], [1])
        self.assertEqual(c[0]["stopped"], "regression")
        # the sets show the injected size (icount: within a tenth)
        self.assertAlmostEqual(c[0]["change_pct"], 10.0, delta=1.0)

    def test_table_complete(self):
        self.assertEqual(self.doc["status"], "complete")
        self.assertEqual([r["comparisons"] for r in self.doc["table"]],
                         [1, 1])


if __name__ == "__main__":
    unittest.main()
