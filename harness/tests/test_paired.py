"""ovlbench --pair-modes in the patched guest: two overlays in different
modes at once, alternated block by block in one run."""

from __future__ import annotations

import json
import unittest

import jsonschema

from harness.kernel import vm
from harness.paths import REPO
from harness.tests import common


class PairedTest(unittest.TestCase):
    def test_blocks_alternate_and_add_up(self):
        cfg = common.vm_config("paired", cpus=2)
        out = cfg.results / "paired.json"
        res = vm.run(cfg, f"{REPO}/bench/ovlbench -w open-close --layers 2 "
                     "-t 2 -c 0-1 --warmup 0.2 -d 2 -i 0.25 -q "
                     f"--pair-modes longterm-array,detached -o {out}")
        self.assertEqual(res.rc, 0, res.console)
        doc = json.loads(out.read_text())
        jsonschema.validate(doc, json.loads(
            (REPO / "bench" / "schema.json").read_text()))
        run = doc["runs"][0]
        pair = run["pair"]
        self.assertEqual(pair["modes"], ["longterm-array", "detached"])
        # each overlay was mounted in its own mode (read from mountinfo)
        self.assertEqual(pair["overlay_modes"], pair["modes"])
        n = len(run["intervals_s"])
        self.assertEqual(n, 8)
        self.assertEqual(pair["phases"], [i % 2 for i in range(n)])
        self.assertEqual(len(pair["block_ratios"]), n // 2)
        self.assertTrue(all(r > 0 for r in pair["block_ratios"]))
        # the totals add up: blocks to tasks to the summary
        self.assertEqual(run["summary"]["total_ops"],
                         sum(map(sum, run["samples"])))
        rates = [sum(run["samples"][i]) / run["intervals_s"][i]
                 for i in range(n)]
        for k, r in enumerate(pair["block_ratios"]):
            self.assertAlmostEqual(r, rates[2 * k + 1] / rates[2 * k],
                                   places=4)
        for phase in (0, 1):
            ops = sum(sum(run["samples"][i]) for i in range(phase, n, 2))
            secs = sum(run["intervals_s"][phase::2])
            self.assertAlmostEqual(pair["ops_per_s_per_task"][phase],
                                   ops / secs / 2, delta=1e-6 * ops)
        # the detached overlay takes the mntput slow path: slower blocks
        print(f"\npaired block ratios detached/longterm-array: "
              f"{[round(r, 3) for r in pair['block_ratios']]}")


if __name__ == "__main__":
    unittest.main()
