"""Report and graphs from a copy of the committed reference set."""

from __future__ import annotations

import unittest

from harness import report, resultset, stats
from harness.tests import common


class ReportTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.set = common.reference_copy(cls)
        report.write_all(resultset.load(cls.set))

    def test_text_report_is_72_columns_lkp_style(self):
        text = (self.set / "report.txt").read_text()
        self.assertTrue(all(len(ln) <= 72 for ln in text.splitlines()))
        self.assertIn("%stddev", text)
        self.assertIn("%change", text)
        self.assertIn("detached vs longterm-array", text)
        self.assertIn("Reproduce with:", text)
        self.assertIn("make bench PROFILE=", text)
        self.assertIn("kernel:", text)

    def test_marks_are_the_gates_verdicts(self):
        """A row is marked * exactly when the gate calls a regression or
        an improvement on that measure for that pair of modes."""
        rs = resultset.load(self.set)
        text = (self.set / "report.txt").read_text().splitlines()
        starred = 0
        for base, cand in report._pairs(rs):
            vs = report.verdicts(rs, base, cand)
            self.assertTrue(vs, (base, cand))
            sig = {m for m, v in vs.items() if v.outcome in (
                stats.REGRESSION, stats.IMPROVED)}
            rows = report.lkp_table(rs, base, cand)
            marked = set()
            for m, _, _, mark in report._rows(rs, base, cand):
                if mark == "*":
                    marked.add(m)
                self.assertEqual(mark == "*", m in sig, m)
            starred += len(marked)
            for r in rows:
                self.assertIn(r, text)
        self.assertGreater(starred, 0)

    def test_noise_floor_per_mode_from_its_aa_copy(self):
        text = (self.set / "report.txt").read_text()
        self.assertIn("Noise floor of longterm-array (run-to-run sd, "
                      "from its A/A", text)
        self.assertNotIn("teardown", text.split("Noise floor of")[1])

    def test_markdown_report(self):
        md = (self.set / "report.md").read_text()
        self.assertIn("| metric |", md)
        self.assertIn("![teardown-umount-latency]", md)

    def test_summary(self):
        s = (self.set / "summary.json").read_text()
        self.assertIn("noise_floor", s)
        self.assertIn('"n_runs"', s)

    def test_plots_exist_with_titles(self):
        titles = {
            "throughput-open-close": "open-close throughput vs CPUs",
            "ratio-detached-longterm":
                "detached / longterm-array open-close throughput",
            "teardown-umount-latency":
                "umount latency vs layers per teardown mode",
        }
        for name, title in titles.items():
            for ext in ("png", "svg"):
                f = self.set / "plots" / f"{name}.{ext}"
                self.assertGreater(f.stat().st_size, 0, f)
            svg = (self.set / "plots" / f"{name}.svg").read_text()
            self.assertIn(title, svg)


if __name__ == "__main__":
    unittest.main()
