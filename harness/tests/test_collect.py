"""collect and probes on the recorded raw outputs of results/reference,
and the points they read (host only: no kernel, no QEMU)."""

from __future__ import annotations

import json
import unittest

from harness import collect, kinds, plan, point, probes, samples
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
        self.assertEqual({r.kind for r in self.records}, set(kinds.KINDS))

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
