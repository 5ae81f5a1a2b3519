"""The split of the detached cost, on records made for the purpose."""

from __future__ import annotations

import tempfile
import unittest
from pathlib import Path

from harness import costsplit, metrics, resultset, samples


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
