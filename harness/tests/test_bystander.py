"""The bystander kind: its no-churn baseline points, its records and the
loss per umount and per grace period (host only: made-up documents)."""

from __future__ import annotations

import dataclasses
import tempfile
import unittest
from pathlib import Path

from harness import metrics
from harness.analysis import resultset, samples
from harness.output.sections import bystander as bystander_out
from harness.point import Point
from harness.run import plan
from harness.run.kinds import bystander
from harness.tests import common

PLAN = ('reps = 1\nwarmup = 0.1\nduration = 1.0\ninterval = 0.5\n'
        '[bystander]\nmodes = ["detached", "longterm-array"]\n'
        'layers = [50]\nreps = 2\n')


def points(vcpus: int, probes: bool = True) -> list[Point]:
    with tempfile.NamedTemporaryFile("w", suffix=".toml") as f:
        f.write(PLAN)
        f.flush()
        return [p for p in plan.expand(plan.load(f.name), vcpus, seed=1,
                                       probes=probes)
                if p.kind == "bystander"]


def gp(normal: int, expedited: int) -> dict:
    # split across the two places a record counts them
    return {"in_ovl_free_fs": {
                "synchronize_rcu": {"calls": normal, "ns": 1},
                "synchronize_rcu_expedited": {"calls": 0, "ns": 0}},
            "outside_ovl_free_fs": {
                "synchronize_rcu": {"calls": 0, "ns": 0},
                "synchronize_rcu_expedited": {"calls": expedited, "ns": 1}}}


class BuildTest(unittest.TestCase):
    def test_each_churn_run_has_a_baseline_of_its_load_tasks(self):
        pts = points(4)
        self.assertEqual(len(pts), 2 * 2 * 2)    # modes x reps x halves
        churn = [p for p in pts if p.workload == "bystander"]
        base = [p for p in pts if p.workload == bystander.BASELINE]
        self.assertEqual(len(churn), len(base))
        for p in churn:
            self.assertIn(("--tasks", "4", "--cpus", "0-3"),
                          [p.args[i:i + 4] for i in range(len(p.args))])
        for p in base:
            # tasks 1..3 of the churning run, on its CPUs 1..3
            self.assertIn(("--tasks", "3", "--cpus", "1-3"),
                          [p.args[i:i + 4] for i in range(len(p.args))])
            self.assertEqual(p.cpus, 4)
        self.assertTrue(all(p.probe for p in pts))
        self.assertTrue(all("--duration" in p.args and
                            p.args[p.args.index("--duration") + 1] == "1.0"
                            for p in pts))
        # both halves of a repetition are in its block
        self.assertEqual({p.rep for p in pts[:4]}, {0})

    def test_no_probe_without_a_traceable_kernel(self):
        self.assertFalse(any(p.probe for p in points(2, probes=False)))

    def test_needs_two_vcpus(self):
        self.assertEqual(points(1), [])


class CollectTest(unittest.TestCase):
    def churn_point(self, probe=True):
        return next(p for p in points(2, probes=probe)
                    if p.workload == "bystander" and p.mode == "detached")

    def records(self, p, doc, probe_doc=None, icount=False):
        return {r.quantity: r.value for r in common.kind_records(
            bystander, p, doc, icount, probe_doc) if r.iteration is None}

    doc = {"runs": [{"task_roles": ["churn", "load"],
                     "task_totals": [50, 100000],
                     "task_lifetime_ops": [80, 150000],
                     "task_cpu_ns": [10 ** 6, 5 * 10 ** 8],
                     "intervals_s": [0.5, 0.5]}]}

    def test_churn_run(self):
        recs = [{"overlay": True, "gp": gp(0, 2)},
                {"overlay": True, "gp": gp(0, 2)},
                {"overlay": True, "gp": gp(3, 2)},
                {"overlay": False, "gp": gp(9, 9)}]  # its tmpfs
        got = self.records(self.churn_point(), self.doc,
                           {"teardown": {"records": recs}})
        self.assertEqual(got, {"load_ops_per_s_per_task": 100000.0,
                               "umounts_per_s": 50.0,
                               "gp_per_umount": 0.0,
                               "gp_expedited_per_umount": 2.0})

    def test_without_probe_file_no_grace_periods(self):
        got = self.records(self.churn_point(), self.doc)
        self.assertNotIn("gp_per_umount", got)

    def test_baseline_run(self):
        p = next(p for p in points(2) if p.workload == bystander.BASELINE)
        doc = {"runs": [{"task_roles": ["load"], "task_totals": [120000],
                         "task_lifetime_ops": [180000],
                         "task_cpu_ns": [6 * 10 ** 8],
                         "intervals_s": [0.5, 0.5]}]}
        self.assertEqual(self.records(p, doc),
                         {"baseline_ops_per_s_per_task": 120000.0})
        self.assertEqual(self.records(p, doc, icount=True),
                         {"baseline_insn_ns_per_op": 5000.0})
        # the ops the CPU clock was read at, where ovlbench gives them
        doc["runs"][0]["task_cpu_ops"] = [150000]
        self.assertEqual(self.records(p, doc, icount=True),
                         {"baseline_insn_ns_per_op": 4000.0})
        self.assertEqual(
            bystander.metric("baseline_ops_per_s_per_task", p),
            "bystander.l50.c2.baseline_ops_per_s_per_task")


def record(quantity: str, mode: str, value: float, run: int,
           workload: str = "bystander") -> samples.Record:
    q = metrics.quantity(quantity)
    return samples.Record(
        metric=f"bystander.l50.c3.{quantity}", variant=mode, boot=0,
        run=run, value=value, unit=q.unit, direction=q.direction,
        exact=q.exact, kind="bystander", mode=mode, workload=workload,
        layers=50, cpus=3, quantity=quantity)


class LossTest(unittest.TestCase):
    def make_set(self, umounts: float) -> resultset.ResultSet:
        recs = []
        for run in range(3):
            recs += [record("baseline_ops_per_s_per_task", "detached",
                            1e5, run, bystander.BASELINE),
                     record("load_ops_per_s_per_task", "detached", 9e4,
                            run),
                     record("umounts_per_s", "detached", umounts, run),
                     record("gp_per_umount", "detached", 0, run),
                     record("gp_expedited_per_umount", "detached", 4, run)]
        return resultset.ResultSet(Path(tempfile.gettempdir()), {}, recs)

    def test_loss_per_umount_and_per_grace_period(self):
        x, = bystander_out.losses(self.make_set(umounts=500))
        self.assertAlmostEqual(x.kept.ratio, 0.9)
        # 2 load tasks lose 10000 ops/s each at 500 umounts/s
        self.assertAlmostEqual(x.per_umount, 40.0)
        self.assertAlmostEqual(x.per_gp, 10.0)
        text = "\n".join(bystander_out.report(self.make_set(umounts=500)))
        self.assertIn("detached l50 c3: loss 10.0%", text)
        self.assertIn("40.0 load ops lost per umount (500/s), 10.0 per "
                      "grace period", text)
        self.assertIn("0.00 normal, 4.00 expedited", text)

    def test_unresolved_loss_has_no_size(self):
        s = self.make_set(umounts=500)
        # runs on both sides of the baseline: no resolved loss
        recs = [dataclasses.replace(r, value=1.05e5 if r.run == 0
                                    else 0.97e5)
                if r.quantity == "load_ops_per_s_per_task" else r
                for r in s.records]
        s = resultset.ResultSet(s.path, {}, recs)
        text = "\n".join(bystander_out.report(s))
        self.assertIn("no loss resolved", text)
        self.assertNotIn("lost per umount", text)

    def test_no_umount_in_the_window_is_said(self):
        x, = bystander_out.losses(self.make_set(umounts=0))
        self.assertIsNone(x.per_umount)
        text = "\n".join(bystander_out.report(self.make_set(umounts=0)))
        self.assertIn("no umount ended in the window", text)


if __name__ == "__main__":
    unittest.main()
