"""collect and probes on the recorded raw outputs of results/reference,
and the points they read (host only: no kernel, no QEMU)."""

from __future__ import annotations

import dataclasses
import json
import tempfile
import unittest

from harness import point
from harness.analysis import collect, samples
from harness.run import kinds, plan, probes
from harness.run.kinds import collateral
from harness.tests import common


class CollectReferenceTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sdir = common.reference_copy(cls)
        cls.records, cls.missing = collect.collect(cls.sdir)

    def test_raw_outputs_give_the_stored_records(self):
        # every kind's handler, probes.per_op and the disturbance flags
        # read the same raw files to the same records as when the set was
        # made: a change of any of them shows here
        stored = samples.load(common.REFERENCE / "samples.json")
        self.assertEqual(self.missing, [])
        self.assertEqual(len(self.records), len(stored))
        self.assertEqual(self.records, stored)

    def test_every_kind_has_records(self):
        # the reference set was made before the collateral, census and
        # coherence kinds (test_coherence collects a coherence set)
        self.assertEqual({r.kind for r in self.records},
                         set(kinds.KINDS) - {"collateral", "census",
                                             "coherence"})

    def test_schema_names_every_kind(self):
        schema = json.loads((common.REPO / "harness" / "schemas" /
                             "samples.schema.json").read_text())
        kind = schema["properties"]["records"]["items"]["properties"]["kind"]
        self.assertEqual(set(kind["enum"]), set(kinds.KINDS))

    def test_metric_names_come_from_the_kind(self):
        pts = {p.id: p for p in point.load(json.loads(
            (self.sdir / "points.json").read_text()))}
        p = pts["teardown-l10-detached-r0"]
        self.assertEqual(kinds.of(p.kind).metric("umount_us", p),
                         "teardown.l10.umount_us")
        self.assertIn("teardown.l10.umount_us",
                      {r.metric for r in self.records if r.run == 0
                       and r.variant == "detached"})

    def test_write_then_rewrite_is_identical(self):
        collect.write(self.sdir)
        first = (self.sdir / "samples.json").read_bytes()
        collect.write(self.sdir)
        self.assertEqual((self.sdir / "samples.json").read_bytes(), first)
        self.assertEqual(list(self.sdir.glob(".*.tmp")), [])


class ProbesTest(unittest.TestCase):
    def doc(self, **put) -> dict:
        return {"mntput": put, "mount_lock_contention": {"slowpath": {
            "count": 30, "wait": {"sum_ns": 4500, "log2_buckets": [
                {"lo": 64, "count": 10}, {"lo": 128, "count": 20}]}}}}

    def test_per_op_divides_by_the_ops(self):
        d = self.doc(classified=True, slow_path={"layer": 2000},
                     layer={"fast_path": 500})
        self.assertEqual(probes.per_op(d, 1000), {
            "slow_puts_per_op": 2.0, "fast_puts_per_op": 0.5,
            "lock_slowpath_per_op": 0.03, "lock_wait_ns_per_op": 4.5})

    def test_slow_path_only_without_all_puts(self):
        d = self.doc(classified=False, slow_path={"layer": 10},
                     layer={"fast_path": 0})
        self.assertNotIn("fast_puts_per_op", probes.per_op(d, 10))

    def test_schema_1_reads_as_classified(self):
        # mntbench.mntlock/1 classified every put under layer
        d = self.doc(layer={"slow_path": 7, "fast_path": 3})
        self.assertEqual(probes.per_op(d, 1)["slow_puts_per_op"], 7.0)
        self.assertEqual(probes.per_op(d, 1)["fast_puts_per_op"], 3.0)

    def test_reader_side_per_op(self):
        d = self.doc(classified=False, slow_path={"layer": 10},
                     layer={"fast_path": 0})
        d["path_walk"] = {"opens": 1000, "rcu_restarts": 140,
                          "lookup_restarts": None, "legitimize_failed": 150,
                          "unlazy_failed": 70, "mount_lock_writes": 2000,
                          "restart_cost_ns": 2900.0}
        got = probes.per_op(d, 1000)
        self.assertEqual(got["rcu_restarts_per_op"], 0.14)
        self.assertEqual(got["mount_lock_writes_per_op"], 2.0)
        self.assertEqual(got["restart_cost_ns"], 2900.0)
        # a probe that could not attach gives no figure, not a zero
        self.assertNotIn("lookup_restarts_per_op", got)

    def test_no_restarts_no_restart_cost(self):
        d = self.doc(classified=False, slow_path={"layer": 0},
                     layer={"fast_path": 0})
        d["path_walk"] = {"rcu_restarts": 0, "restart_cost_ns": 0.0}
        got = probes.per_op(d, 1000)
        self.assertEqual(got["rcu_restarts_per_op"], 0.0)
        self.assertNotIn("restart_cost_ns", got)

    def test_no_ops_no_figures(self):
        self.assertEqual(probes.per_op(self.doc(), 0), {})

    def test_wait_buckets(self):
        self.assertEqual(probes.wait_buckets(self.doc()),
                         [(64, 10), (128, 20)])


class PointTest(unittest.TestCase):
    def test_round_trip(self):
        for p in plan.expand(plan.load("default"), 2, seed=3):
            self.assertEqual(point.Point.from_dict(
                json.loads(json.dumps(p.to_dict()))), p)

    def test_sets_before_variants(self):
        old = {"id": "load-stat-l2-c1-longterm-array#aa-r0", "kind": "load",
               "workload": "stat", "mode": "longterm-array#aa",
               "layers": 2, "cpus": 1, "rep": 0, "probe": False,
               "args": ["--workload", "stat"]}
        p = point.Point.from_dict(old)
        self.assertEqual((p.mode, p.variant),
                         ("longterm-array", "longterm-array#aa"))
        on = point.Point.from_dict({**old, "kind": "overhead",
                                    "mode": "detached", "probe": True})
        self.assertEqual((on.mode, on.variant), ("detached", point.PROBE_ON))
        pa = point.Point.from_dict({**old, "kind": "paired",
                                    "mode": "default",
                                    "pair": ["longterm-array", "detached"]})
        self.assertEqual(pa.variant, "detached/longterm-array")


if __name__ == "__main__":
    unittest.main()


class CollateralTest(unittest.TestCase):
    """The collateral kind's records from a made-up ovlbench document."""

    def setUp(self):
        self.kind = collateral
        self.doc = {"runs": [{
            "task_roles": ["aggressor", "aggressor", "victim-stat",
                           "victim-open-close"],
            "task_totals": [1000, 1000, 4000, 2000],
            "task_lifetime_ops": [1500, 1500, 6000, 3000],
            "task_cpu_ns": [10 ** 6, 10 ** 6, 2 * 10 ** 6, 2 * 10 ** 6],
            "intervals_s": [0.5, 0.5]}]}
        self.p = point.Point(
            id="collateral-l2-c4-detached-r0", kind="collateral",
            workload="collateral", mode="detached", variant="detached",
            layers=2, cpus=4, rep=0, args=())

    def records(self, p, icount=False, probe_doc=None):
        return {r.quantity: r.value for r in common.kind_records(
            self.kind, p, self.doc, icount, probe_doc)}

    def test_per_role_rates(self):
        got = self.records(self.p)
        self.assertEqual(got["aggressor_ops_per_s_per_task"], 1000.0)
        self.assertEqual(got["victim_stat_ops_per_s_per_task"], 4000.0)
        self.assertEqual(got["victim_open_ops_per_s_per_task"], 2000.0)
        self.assertEqual(self.kind.metric("victim_stat_ops_per_s_per_task",
                                          self.p),
                         "collateral.l2.c4.victim_stat_ops_per_s_per_task")

    def test_icount_instructions_per_op(self):
        got = self.records(self.p, icount=True)
        self.assertEqual(got["victim_stat_insn_ns_per_op"], 500.0)
        self.assertEqual(got["aggressor_insn_ns_per_op"], 1000.0)
        # over the ops the CPU clocks were read at, where ovlbench gives
        # them (the window's counts are read apart from the clocks)
        self.doc["runs"][0]["task_cpu_ops"] = [500, 1500, 4000, 2000]
        got = self.records(self.p, icount=True)
        self.assertEqual(got["aggressor_insn_ns_per_op"], 1000.0)
        self.doc["runs"][0]["task_cpu_ops"] = [400, 600, 5000, 2000]
        got = self.records(self.p, icount=True)
        self.assertEqual(got["aggressor_insn_ns_per_op"], 2000.0)
        self.assertEqual(got["victim_stat_insn_ns_per_op"], 400.0)

    def test_probe_pass_divides_by_the_victims_lifetime(self):
        p = dataclasses.replace(self.p, probe=True)
        got = self.records(p, probe_doc={"path_walk": {
            "rcu_restarts": 300, "lookup_restarts": 600}})
        self.assertEqual(got, {"victim_open_restarts_per_op": 0.1,
                               "victim_stat_restarts_per_op": 0.1})

    def test_points_with_and_without_the_probe(self):
        text = ('reps = 1\nwarmup = 0.1\nduration = 0.5\ninterval = 0.5\n'
                '[collateral]\nmodes = ["detached", "longterm-array"]\n')
        with tempfile.NamedTemporaryFile("w", suffix=".toml") as f:
            f.write(text)
            f.flush()
            pts = [q for q in plan.expand(plan.load(f.name), 2, seed=1)
                   if q.kind == "collateral"]
        self.assertEqual(sorted((q.variant, q.probe) for q in pts), [
            ("detached", False), ("detached", True),
            ("longterm-array", False), ("longterm-array", True)])
        for q in pts:
            self.assertEqual(q.mntlock_args,
                             ("--path-walk",) if q.probe else ())
            self.assertEqual(q.probe_comm, "ovlb-victim")
            self.assertIn("collateral", q.args)
