"""Report and graphs from a copy of the committed reference set."""

from __future__ import annotations

import re
import unittest

import numpy as np

from harness import metrics
from harness.analysis import gate, resultset, stats
from harness.kernel.accel import ICOUNT
from harness.output import report
from harness.tests import common


class ReportTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # rendered once for the class; each test reads what it wrote
        cls.set = common.reference_copy(cls)
        rs = resultset.load(cls.set)
        common.freeze_heap(cls)
        report.write_all(rs)

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

    def summary(self) -> list[str]:
        """The report's opening lines, up to the blank line before the
        manifest's title."""
        text = (self.set / "report.txt").read_text().splitlines()
        end = text.index("mntbench report")
        self.assertEqual(text[end - 1], "")
        return text[:end - 1]

    def test_summary_is_first_and_at_most_20_lines(self):
        rs = resultset.load(self.set)
        head = self.summary()
        self.assertTrue(head[0].startswith("Summary: each mode vs "
                                           "longterm-array"), head[0])
        self.assertLessEqual(len(head), 20)
        self.assertTrue(all(len(ln) <= 72 for ln in head))
        self.assertEqual(head, report.summary_lines(rs))
        # report.md opens with the same lines
        md = (self.set / "report.md").read_text().splitlines()
        self.assertEqual(md[2:3 + len(head)], ["```", *head])

    def test_summary_names_each_mode(self):
        rs = resultset.load(self.set)
        modes = {s.mode for s in rs.series.values() if s.variant == s.mode
                 and s.mode}
        self.assertGreaterEqual(len(modes), 4, modes)
        text = "\n".join(self.summary())
        for m in modes:
            self.assertRegex(text, rf"(^|\W){re.escape(m)}(\W|$)", m)

    def med(self, rs, variant: str, **at) -> str:
        s, = rs.select(variant=variant, **at)
        return gate.fmt_num(float(np.median(s.values)))

    def test_summary_exact_facts_from_the_samples(self):
        """detached's slow puts and path lengths against longterm-array:
        the medians of runs of the set's own samples."""
        rs = resultset.load(self.set)
        head = self.summary()
        d, b = "detached", "longterm-array"
        at = dict(kind="probe", workload="open-close", layers=2,
                  quantity="slow_puts_per_op")
        slow = (f"open-close l2: {self.med(rs, d, cpus=1, **at)}/"
                f"{self.med(rs, d, cpus=2, **at)} vs "
                f"{self.med(rs, b, cpus=1, **at)}/"
                f"{self.med(rs, b, cpus=2, **at)}, 1/2 tasks")
        self.assertIn(f"  {metrics.short('slow_puts_per_op'):<16} {slow}",
                      head)
        for w in ("open-close", "stat"):
            at = dict(kind="pathlen", workload=w, layers=2, cpus=1,
                      quantity="insn_ns_per_op")
            cand, base = self.med(rs, d, **at), self.med(rs, b, **at)
            line = next(ln for ln in head if f" {w} l2: " in ln
                        and "insn" in ln)
            self.assertIn(f"{w} l2: {cand} vs {base} (", line)
            self.assertTrue(line.endswith(", 1 task"), line)
        # the reference set holds no grace periods nor coherence points
        self.assertIn("Not in this set: grace periods, fought-over lines.",
                      head)
        self.assertFalse(rs.select(quantity="gp_per_umount"))
        self.assertFalse(rs.select(kind="coherence"))
        i = head.index("detached:")
        self.assertLess(i, next(j for j, ln in enumerate(head)
                                if ln.startswith("Wall clock")))

    def gated(self, rs):
        """(decided, undecided) wall-clock verdicts of the mode pairs,
        counted here from the gate and the points' clocks."""
        icount = {(p.kind, p.variant, p.workload, p.layers, p.cpus)
                  for p in rs.points if p.clock == ICOUNT}
        mode = {s.variant: s.mode for s in rs.series.values()}
        decided, undecided = [], []
        for base, cand in report._pairs(rs):
            if mode[cand] == mode[base]:
                continue        # longterm-array#aa: the A/A copy
            for v in report.verdicts(rs, base, cand).values():
                s = v.cand
                if s.exact or (s.kind, s.variant, s.workload, s.layers,
                               s.cpus) in icount:
                    continue
                if v.outcome in (stats.REGRESSION, stats.IMPROVED):
                    decided.append(v)
                elif v.outcome in (stats.INCONCLUSIVE, stats.NOT_GATEABLE):
                    undecided.append(v)
        return decided, undecided

    def test_summary_counts_decided_and_undecided_as_the_gate(self):
        rs = resultset.load(self.set)
        decided, undecided = self.gated(rs)
        self.assertTrue(decided)
        self.assertTrue(undecided)
        text = "\n".join(self.summary())
        self.assertIn(f"\n{len(undecided)} wall-clock changes undecided: ",
                      text)
        # the reasons add up to the count
        tail = text.split(" wall-clock changes undecided: ")[1]
        counts = [int(n) for n in re.findall(r"(?:^|, )(\d+) ", tail)]
        # one reason is not counted again
        self.assertEqual(sum(counts) or len(undecided), len(undecided),
                         tail)
        self.assertIn("(MTTCG noise)", tail)
        # each decided change is listed with its CI, or counted
        listed = [v for v in decided if
                  f"{gate.fmt_change(v.test, v.base.unit)} "
                  f"{gate._ci(v.test, v.base.unit)}" in text]
        more = re.search(r"\+(\d+) more decided", text)
        self.assertEqual(len(listed) + (int(more[1]) if more else 0),
                         len(decided))
        first = decided[0]
        self.assertEqual(first.cand_variant, "detached")
        self.assertIn(first, listed)

    def test_table_rows_carry_their_names(self):
        """Each row has its name on its own line: a short name defined in
        metrics.py, under the point it ran at; the legend gives each
        short name's quantity."""
        rs = resultset.load(self.set)
        text = (self.set / "report.txt").read_text()
        for base, cand in report._pairs(rs):
            for m, s, _, _ in report._rows(rs, base, cand):
                self.assertIsNotNone(
                    metrics.point_part(m.metric, s.quantity), m)
            rows = report.lkp_table(rs, base, cand)[3:]
            for r in rows:
                if "%" in r or r.split()[0][0].isdigit():
                    self.assertRegex(r, r"\d.*  [a-z]", r)
            names = {r.strip() for r in rows if r.startswith(" " * 46)}
            for m, s, _, _ in report._rows(rs, base, cand):
                self.assertIn(metrics.point_part(m.metric, s.quantity),
                              names)
        legend = " ".join(text.split("A row is named by")[1]
                          .split("\n\n")[0].split())
        for q in {s.quantity for s in rs.series.values()
                  if s.kind != "paired" and s.kind != "overhead"}:
            self.assertIn(f"{metrics.short(q)} = {q}", legend)

    def test_short_names_are_one_each(self):
        shorts = [q.short for q in metrics.QUANTITIES.values()]
        self.assertTrue(all(shorts))
        self.assertEqual(len(shorts), len(set(shorts)))
        icount = set(metrics.ON_ICOUNT.values())
        for q in icount:
            self.assertRegex(metrics.short(q), "insn|icount", q)

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
