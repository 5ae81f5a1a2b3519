"""Report and graphs from the recorded fixture set."""

from __future__ import annotations

import shutil
import tempfile
import unittest
from pathlib import Path

from harness import report, resultset
from harness.tests.test_stats_gate import FIXTURE


class ReportTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = Path(tempfile.mkdtemp(prefix="mntbench-report-"))
        cls.set = cls.tmp / "set"
        shutil.copytree(FIXTURE, cls.set)
        report.write_all(resultset.load(cls.set))

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def test_text_report_is_72_columns_lkp_style(self):
        text = (self.set / "report.txt").read_text()
        self.assertTrue(all(len(ln) <= 72 for ln in text.splitlines()))
        self.assertIn("%stddev", text)
        self.assertIn("%change", text)
        self.assertIn("detached vs longterm-array", text)
        self.assertIn("Reproduce with:", text)
        self.assertIn("make bench PROFILE=", text)
        self.assertIn("kernel:", text)

    def test_markdown_report(self):
        md = (self.set / "report.md").read_text()
        self.assertIn("| metric |", md)
        self.assertIn("![teardown-umount-latency]", md)

    def test_summary(self):
        s = (self.set / "summary.json").read_text()
        self.assertIn("noise_floor", s)

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
