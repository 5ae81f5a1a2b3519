"""make census in the guest (harness.flows.census: the census plan, one boot):
exact slow mntputs per op by filesystem and mount state."""

from __future__ import annotations

import contextlib
import io
import os
import unittest
from collections import defaultdict

from harness.analysis import resultset
from harness.flows import census as command
from harness.output.sections import census as census_out
from harness.run.kinds import base, census
from harness.tests import common

ABS = 0.001     # "the same per-op value in two runs"


class CensusTest(unittest.TestCase):
    rs = None
    out = ""
    rc = None

    @classmethod
    def setUpClass(cls):
        sdir = common.results_dir("census") / "set"
        k = common.kernel()
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            cls.rc = command.main([
                "--out", str(sdir), "--ksrc", k.info["ksrc"],
                "--cpus", str(min(2, os.cpu_count() or 1)), "--seed", "1"])
        cls.out = buf.getvalue()
        print(cls.out[cls.out.find("Census:"):])
        cls.rs = resultset.load(sdir)
        # 6.6 on, a regular file's close puts the layer mount (the
        # backing file holds its path); 6.1's real file holds the
        # overlay's own path (see test_kernel_modes)
        cls.backing = " backing_file_open\n" in (
            k.dir / "System.map").read_text()

    def test_set_complete(self):
        self.assertEqual(self.rc, 0, self.out[-2000:])
        self.assertEqual(self.rs.status, "complete")

    def test_a_row_per_workload_and_tasks(self):
        rows = census_out.rows(self.rs)
        seen = {(r["workload"], r["tasks"]) for r in rows}
        tasks = {p.cpus for p in self.rs.points}
        for w in (*base.NO_OVERLAY_WORKLOADS, census.REFERENCE):
            for c in tasks:
                self.assertIn((w, c), seen)
        # the printed table has them too
        for w in base.NO_OVERLAY_WORKLOADS:
            self.assertIn(f"  {w} ", self.out)

    def slow(self) -> dict[tuple, list[float]]:
        runs = defaultdict(list)
        for r in self.rs.records:
            if r.quantity == "census_slow_puts_per_op":
                runs[(r.workload, r.cpus, r.variant)].append(r.value)
        return runs

    def test_overlay_detached_one_slow_put_per_op_longterm_none(self):
        for (w, c, v), vals in self.slow().items():
            if w != census.REFERENCE:
                continue
            want = 1.0 if v == "detached" and self.backing else 0.0
            for x in vals:
                self.assertAlmostEqual(x, want, delta=0.01,
                                       msg=f"{w} c{c} {v}")

    def test_each_workload_repeats_exactly(self):
        for key, vals in self.slow().items():
            self.assertEqual(len(vals), 2, key)
            self.assertLessEqual(abs(vals[0] - vals[1]), ABS, key)

    def test_slow_puts_come_from_mounts_without_a_namespace(self):
        # mntput_no_expire() takes the fast path whenever mnt_ns is set,
        # a namespace or MNT_NS_INTERNAL (kern_mount()'s longterm mounts)
        # (none per op: a run's own set-up and teardown put a few mounts
        # while they change namespace, per run)
        for r in census_out.rows(self.rs):
            if "na" not in r and r["state"] in ("ns", "internal"):
                self.assertLess(r["slow_per_op"], census.MIN_PER_OP, r)


if __name__ == "__main__":
    unittest.main()
