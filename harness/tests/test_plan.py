"""Plan expansion and validation, on the host (no guest): the probe
pass's mntlock options reach its overhead pairs, the pairs cover every
probed mode and CPU count, and bad plan values are named."""

from __future__ import annotations

import tempfile
import unittest
from pathlib import Path

from harness import errors, plan


PROBES = '[probes]\nmodes = ["detached", "longterm-array"]\n' \
         'workloads = ["open-close"]\ncpus = "powers"\noverhead_reps = 3\n'


class PlanTest(unittest.TestCase):
    def setUp(self):
        td = tempfile.TemporaryDirectory(prefix="mntbench-plan-")
        self.addCleanup(td.cleanup)
        self.dir = Path(td.name)

    def write_plan(self, text: str) -> str:
        p = self.dir / "p.toml"
        p.write_text('name = "t"\nreps = 1\nwarmup = 0\nduration = 1\n'
                     'interval = 0.5\n' + text)
        return str(p)

    def overhead_points(self, text: str, vcpus: int = 4) -> list[dict]:
        pts = plan.expand(plan.load(self.write_plan(text)), vcpus, seed=1)
        return [p for p in pts if p["kind"] == "overhead"]

    def test_overhead_pairs_every_mode_and_cpu_count(self):
        pts = self.overhead_points(PROBES)
        # 2 modes x 3 CPU counts (1, 2, 4) x 3 reps x on/off
        self.assertEqual(len(pts), 2 * 3 * 3 * 2)
        cells = {(p["mode"], p["cpus"], p["rep"], p["probe"]) for p in pts}
        self.assertEqual(len(cells), len(pts))
        self.assertEqual({p["cpus"] for p in pts}, {1, 2, 4})

    def test_mntlock_args_follow_all_puts(self):
        for text, want in ((PROBES, []),
                           (PROBES + "all_puts = true\n", ["--all-puts"])):
            for p in self.overhead_points(text):
                self.assertEqual(p["mntlock_args"],
                                 want if p["probe"] else [], p["id"])

    def test_bad_values_named(self):
        for text, named in (
                (PROBES + "all_puts = 1\n", "all_puts=1"),
                ('[probes]\nmodes = ["bogus"]\n', "'bogus'"),
                ('[load]\nworkloads = ["bogus"]\n', "'bogus'")):
            with self.assertRaises(errors.InputError) as cm:
                plan.load(self.write_plan(text))
            msg = str(cm.exception)
            self.assertIn(named, msg)
            self.assertIn("allowed:", msg)
            self.assertNotIn("\n", msg)
        self.assertEqual(errors.InputError.exit_code, 2)


if __name__ == "__main__":
    unittest.main()
