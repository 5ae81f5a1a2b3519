"""The clocks in the VM: a set on the icount clock records it and repeats
within 1%; the hash chains a path walk scans leave its icount path
length alone; under MTTCG a host hog during a point gets that point
flagged as disturbed, and the quiet point beside it does not."""

from __future__ import annotations

import json
import os
import subprocess
import time
import unittest

import numpy as np

from harness.analysis import resultset
from harness.kernel import accel, vm
from harness.paths import REPO
from harness.run import monitor
from harness.tests import common

FIXTURES = REPO / "harness" / "tests" / "fixtures"
GUEST = REPO / "harness" / "tests" / "guest"


def start_run(sdir, plan: str, *extra: str) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.Popen(
        ["/usr/bin/python3", "-m", "harness.flows.bench", "--profile",
         str(FIXTURES / plan), "--cpus", "2", "--seed", "1", "--out",
         str(sdir), *extra], cwd=REPO, env=env, stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


class IcountTest(unittest.TestCase):
    def test_icount_set_records_its_clock_and_repeats(self):
        sdir = common.results_dir("icount") / "set"
        p = start_run(sdir, "icount.toml", "--accel", "icount")
        out, err = p.communicate(timeout=1200)
        self.assertEqual(p.returncode, 0, err[-3000:])
        m = json.loads((sdir / "manifest.json").read_text())
        self.assertEqual(m["accel"], accel.ICOUNT)
        self.assertEqual(m["clocks"], [accel.ICOUNT])
        self.assertEqual(m["icount"], accel.ICOUNT_OPTS)
        self.assertEqual(m["guest_cmdline"], list(vm.HASH_ENTRIES))
        rs = resultset.load(sdir)
        for cpus in (1, 2):
            s, = rs.select(quantity="insn_ns_per_op", cpus=cpus)
            x = s.values
            spread = (x.max() - x.min()) / np.median(x)
            print(f"\nicount, {cpus} task(s): {np.median(x):.0f} insn/op, "
                  f"spread {100 * spread:.3f}% over {x.size} runs")
            self.assertEqual(x.size, 5)
            if cpus == 1:
                # one task repeats to the instruction unless background
                # work (RCU callbacks, timers, 9p replies whose arrival
                # follows the host) lands in its window. The 0.8-1.9%
                # once seen here was ovlbench's clock read apart from its
                # count (the task ran between them on the one vCPU):
                # since the count is read on both sides, 0.004% over 16
                # runs
                self.assertLess(spread, 0.002)
            # Two tasks are not asserted: their vCPUs take turns at host
            # timer kicks, so how often they meet on mount_lock, and spin,
            # follows the host's speed (spreads of 1.3% to 14% seen).
        self.assertFalse(rs.select(quantity="ops_per_s_per_task"))


class HashChainTest(unittest.TestCase):
    def test_many_dentries_elsewhere_leave_the_path_length(self):
        """150,000 dentries added in another directory change the icount
        path length of stat on an overlay file by under 0.05%; on the
        kernel's own 262,144-bucket table 200,000 added 0.7% (24
        instructions)."""
        doc, _ = common.guest_json("dcache", GUEST / "check_dcache.py",
                                   cpus=1, accel=accel.ICOUNT)
        for word in vm.HASH_ENTRIES:
            self.assertIn(word, doc["cmdline"])
        # background work only adds instructions to a run, and so does a
        # longer hash chain: the path length without the dentries is the
        # least run before or after them, and the loaded runs' least may
        # not exceed it. (Both base runs once carried +0.9%: ovlbench
        # read the CPU clock apart from the count, and on one vCPU the
        # task could run between; it now reads the count on both sides.)
        base = min(doc["base"] + doc["after"])
        print(f"\nstat on an overlay file, icount: {doc['base']} insn/op; "
              f"+{doc['files']} dentries {doc['loaded']}; removed "
              f"{doc['after']}")
        self.assertLess((min(doc["loaded"]) - base) / base, 0.0005, doc)
        # init.sh mounts /tmp after the mounts whose keys could match
        # its own: the walk finds it first (before, 6 boots in 68 did not)
        print(f"mount hash chains scanned: {doc['mount_chains']}")
        self.assertEqual(doc["mount_chains"].get("tmp"), [0], doc)


def _hog(n: int) -> list[subprocess.Popen]:
    return [subprocess.Popen(["/usr/bin/python3", "-c", "while 1: pass"])
            for _ in range(n)]


class DisturbanceTest(unittest.TestCase):
    def test_hog_flags_its_point_only(self):
        sdir = common.results_dir("disturb") / "set"
        p = start_run(sdir, "disturb.toml", "--accel", "tcg")
        quiet = "load-open-close-l2-c2-longterm-array-r0"
        hogged = "load-open-close-l2-c2-longterm-array-r1"
        hogs = []
        try:
            deadline = time.monotonic() + 600
            while not (sdir / "boots" / f"{hogged}.json").exists():
                self.assertIsNone(p.poll(), "run ended early")
                self.assertLess(time.monotonic(), deadline)
                time.sleep(0.05)
            hogs = _hog(2 * (os.cpu_count() or 1))
            while not (sdir / "raw" / f"{hogged}.json").exists():
                self.assertIsNone(p.poll(), "run ended early")
                time.sleep(0.05)
        finally:
            for h in hogs:
                h.kill()
                h.wait()
        out, err = p.communicate(timeout=600)
        self.assertEqual(p.returncode, 0, err[-3000:])
        q, h = (monitor.read(sdir, i) for i in (quiet, hogged))
        print("\n" + "; ".join(
            f"{name}: vcpu_share {d['vcpu_share']:.3f}, runnable "
            f"{d['runnable_share']:.3f}, others {d['other_share']:.3f}"
            for name, d in (("quiet", q), ("hogged", h))))
        self.assertTrue(h["disturbed"], h)
        recs = resultset.load(sdir).records
        self.assertIn(1, {r.run for r in recs if r.disturbed})
        if q["other_share"] > monitor.OTHER:
            # another job shared the host during the "quiet" point too
            # (make test beside a second QEMU): the rule flags it rightly,
            # and only the hogged point's flag means anything here
            print(f"host busy during the quiet point (others "
                  f"{q['other_share']:.3f}): its flag is not checked")
            return
        self.assertFalse(q["disturbed"], q)
        self.assertEqual({r.run for r in recs if r.disturbed}, {1})
        self.assertIn("1 of 2 points disturbed",
                      (sdir / "report.txt").read_text())


if __name__ == "__main__":
    unittest.main()
