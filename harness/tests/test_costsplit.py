"""The split of the detached cost, on records made for the purpose."""

from __future__ import annotations

import tempfile
import unittest
from pathlib import Path

from harness import metrics
from harness.analysis import resultset, samples
from harness.output import costsplit


def record(kind: str, variant: str, quantity: str, value: float,
           run: int, cpus: int = 2) -> samples.Record:
    q = metrics.quantity(quantity)
    return samples.Record(
        metric=f"{kind}.{quantity}.c{cpus}", variant=variant, boot=0,
        run=run, value=value, unit=q.unit, direction=q.direction,
        exact=q.exact, kind=kind, mode=variant, workload="open-close",
        layers=2, cpus=cpus, quantity=quantity)


def make_set(icount: bool) -> resultset.ResultSet:
    recs = []
    for run in range(3):
        if icount:
            recs += [record("load", "detached", "insn_ns_per_op", 12000, run),
                     record("load", "longterm-array", "insn_ns_per_op",
                            11000, run)]
        else:
            # 10000 and 8000 ns per op per task: 2000 ns of difference
            recs += [record("load", "detached", "ops_per_s_per_task", 1e5,
                            run),
                     record("load", "longterm-array", "ops_per_s_per_task",
                            1.25e5, run)]
        wait = "lock_wait_icount_ns_per_op" if icount \
            else "lock_wait_ns_per_op"
        cost = "restart_cost_icount_ns" if icount else "restart_cost_ns"
        recs += [record("probe", "detached", wait, 300, run),
                 record("probe", "longterm-array", wait, 0, run),
                 record("probe", "detached", "rcu_restarts_per_op", 0.1, run),
                 record("probe", "longterm-array", "rcu_restarts_per_op", 0,
                        run),
                 record("probe", "detached", cost, 5000, run)]
    return resultset.ResultSet(Path(tempfile.gettempdir()), {}, recs)


class CostSplitTest(unittest.TestCase):
    def test_parts_and_remainder_add_up(self):
        s, = costsplit.splits(make_set(icount=False))
        self.assertFalse(s.icount)
        self.assertAlmostEqual(s.delta, 2000)
        self.assertAlmostEqual(s.lock_wait, 300)
        self.assertAlmostEqual(s.restart_part, 500)
        self.assertAlmostEqual(s.remainder, 1200)
        text = "\n".join(costsplit.lines(make_set(icount=False)))
        self.assertIn("c2 (wall clock): detached +2000 ns/op", text)
        self.assertIn("+60%", text)       # the remainder, stated

    def test_undecided_parts_print_no_remainder(self):
        """Throughput within noise of each other and a lock wait whose CI
        holds 0: the split says which parts are undecided, with their
        CIs, and prints no remainder (here it would be larger than the
        difference)."""
        recs = []
        for run, (d, b, wd, wb) in enumerate((
                (1.20e5, 1.22e5, 50, 0), (1.25e5, 1.27e5, 300, 100),
                (1.31e5, 1.24e5, 10, 20))):
            recs += [record("load", "detached", "ops_per_s_per_task", d,
                            run),
                     record("load", "longterm-array", "ops_per_s_per_task",
                            b, run),
                     record("probe", "detached", "lock_wait_ns_per_op", wd,
                            run),
                     record("probe", "longterm-array", "lock_wait_ns_per_op",
                            wb, run),
                     record("probe", "detached", "rcu_restarts_per_op", 0.01,
                            run),
                     record("probe", "longterm-array", "rcu_restarts_per_op",
                            0, run),
                     record("probe", "detached", "restart_cost_ns", 5000,
                            run)]
        rs = resultset.ResultSet(Path(tempfile.gettempdir()), {}, recs)
        s, = costsplit.splits(rs)
        self.assertFalse(s.decided)
        self.assertIsNotNone(s.undecided)
        self.assertLessEqual(s.undecided[0], 1.0)
        self.assertGreaterEqual(s.undecided[1], 1.0)
        self.assertEqual([p[0] for p in s.undecided_parts],
                         ["mount_lock wait"])
        # what the remainder would be: beyond the difference
        self.assertGreater(abs(s.remainder), abs(s.delta))
        text = "\n".join(costsplit.lines(rs))
        self.assertNotIn("remainder  ", text)
        self.assertNotIn("%", text)     # no share of an undecided total
        self.assertIn("parts undecided: the difference (throughput ratio "
                      "CI [", " ".join(text.split()))
        self.assertIn("mount_lock wait (CI [", text)
        self.assertIn("no remainder", text)
        self.assertTrue(all(len(ln) <= 72 for ln in text.splitlines()))

    def test_icount_uses_instructions_and_leaves_restarts_unpriced(self):
        s, = costsplit.splits(make_set(icount=True))
        self.assertTrue(s.icount)
        self.assertAlmostEqual(s.delta, 1000)
        self.assertIsNone(s.restart_cost)
        self.assertAlmostEqual(s.remainder, 700)
        text = "\n".join(costsplit.lines(make_set(icount=True)))
        self.assertIn("cost not measurable here", text)

    def test_no_reader_side_no_split(self):
        rs = make_set(icount=False)
        rs = resultset.ResultSet(rs.path, {}, [
            r for r in rs.records if r.quantity != "rcu_restarts_per_op"])
        self.assertEqual(costsplit.splits(rs), [])
        self.assertEqual(costsplit.lines(rs), [])


if __name__ == "__main__":
    unittest.main()
