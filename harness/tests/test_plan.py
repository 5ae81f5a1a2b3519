"""Plan expansion and validation, on the host (no guest): the probe
pass's mntlock options reach its overhead pairs, the pairs cover every
probed mode and CPU count, and bad plan values are named."""

from __future__ import annotations

import subprocess
import tempfile
import unittest
from pathlib import Path

from harness import errors, plan
from harness.kinds import bystander, collateral, teardown
from harness.paths import REPO

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
        return [p for p in pts if p.kind == "overhead"]

    def test_workloads_are_ovlbenchs(self):
        # ovlbench's list is generated from bench/workloads/*.c; a plan's
        # file workloads and the kinds named after theirs are all of it
        out = subprocess.run([str(REPO / "bench" / "ovlbench"),
                              "--list-workloads"], capture_output=True,
                             text=True, check=True).stdout.split()
        self.assertEqual(sorted(out), sorted(
            [*plan.WORKLOADS, teardown.NAME, bystander.NAME,
             collateral.NAME]))

    def test_overhead_pairs_every_mode_and_cpu_count(self):
        pts = self.overhead_points(PROBES)
        # 2 modes x 3 CPU counts (1, 2, 4) x 3 reps x on/off
        self.assertEqual(len(pts), 2 * 3 * 3 * 2)
        cells = {(p.mode, p.cpus, p.rep, p.probe) for p in pts}
        self.assertEqual(len(cells), len(pts))
        self.assertEqual({p.cpus for p in pts}, {1, 2, 4})

    def test_mntlock_args_follow_all_puts_and_path_walk(self):
        for text, want in (
                (PROBES, ("--restart-cost",)),
                (PROBES + "all_puts = true\n",
                 ("--all-puts", "--restart-cost")),
                (PROBES + "path_walk = false\n", ())):
            for p in self.overhead_points(text):
                self.assertEqual(p.mntlock_args,
                                 want if p.probe else (), p.id)

    def test_bad_values_named(self):
        for text, named in (
                (PROBES + "all_puts = 1\n", "all_puts=1"),
                (PROBES + "path_walk = 1\n", "path_walk=1"),
                ('[probes]\nmodes = ["bogus"]\n', "'bogus'"),
                ('[load]\nworkloads = ["bogus"]\n', "'bogus'"),
                ('[teardown]\nreps = 0\n', "reps=0"),
                ('[gate]\nmetrics = ["("]\n', "'('"),
                ('[gate]\nmetrics = "x"\n', "metrics='x'"),
                ('[gate]\nthreshold = -1\n', "threshold=-1"),
                ('[paired]\npairs = [["detached", "detached"]]\n',
                 "['detached', 'detached']")):
            with self.assertRaises(errors.InputError) as cm:
                plan.load(self.write_plan(text))
            msg = str(cm.exception)
            self.assertIn(named, msg)
            self.assertIn("allowed:", msg)
            self.assertNotIn("\n", msg)
        self.assertEqual(errors.InputError.exit_code, 2)


    def test_every_kind_has_runs_and_ab_parts_spread_them(self):
        """Teardown, bystander and probe points have reps like load
        points, so an A/B's rounds (rep % rounds) all get some of each."""
        text = (PROBES.replace("overhead_reps = 3", "reps = 3\n"
                               "overhead_reps = 2") +
                '[load]\nmodes = ["detached"]\nworkloads = ["stat"]\n'
                '[teardown]\nmodes = ["detached"]\nlayers = [1]\n'
                'reps = 3\n[bystander]\nmodes = ["detached"]\n'
                'layers = [2]\nreps = 3\n')
        path = self.write_plan(text)
        Path(path).write_text(Path(path).read_text().replace(
            "reps = 1\n", "reps = 3\n", 1))
        pts = plan.expand(plan.load(path), 2, seed=1)
        kinds = {p.kind for p in pts}
        self.assertEqual(kinds, {"load", "teardown", "bystander", "probe",
                                 "overhead"})
        rounds = 2
        for k in kinds:
            parts = {p.rep % rounds for p in pts if p.kind == k}
            self.assertEqual(parts, {0, 1}, k)
        self.assertEqual(len({p.id for p in pts}), len(pts))

    def test_for_boots_gives_every_boot_its_share(self):
        """An A/B plan of up to 7 boots, looked at from 3: every boot
        runs ceil(R / 3) repetitions of each kind whose plan says R, so
        the first look has at least the plan's repetitions."""
        p = plan.load("quick")
        ab = plan.for_boots(p, 3, 7)
        self.assertNotEqual(ab.hash, p.hash)
        pts = plan.expand(ab, 2, seed=1)
        base = plan.expand(p, 2, seed=1)
        for kind in {q.kind for q in base}:
            reps = len({q.rep for q in base if q.kind == kind})
            per_boot = -(-reps // 3)
            for boot in range(7):
                got = {q.rep for q in pts
                       if q.kind == kind and q.rep % 7 == boot}
                self.assertEqual(len(got), per_boot, (kind, boot))

    def test_knobs_parsed_and_bad_ones_named(self):
        from harness import kparams
        self.assertEqual(kparams.parse_knobs("open=38, teardown=0"),
                         {"open": 38, "teardown": 0})
        self.assertEqual(kparams.parse_knobs(""), {})
        self.assertEqual(kparams.format_knobs({"teardown": 2, "open": 1}),
                         "open=1,teardown=2")
        for bad in ("open", "close=1", "open=-1", "open=1.5",
                    f"open={(1 << 24) + 1}"):
            with self.assertRaises(kparams.KnobError) as cm:
                kparams.parse_knobs(bad)
            self.assertIn(bad.split(",")[0], str(cm.exception))

    def test_plan_hash_covers_every_setting(self):
        a = plan.load(self.write_plan(PROBES))
        b = plan.load(self.write_plan(PROBES.replace(
            "overhead_reps = 3", "overhead_reps = 3\nall_puts = true")))
        self.assertNotEqual(a.hash, b.hash)
        self.assertEqual(a.hash, plan.doc_hash(dict(a.doc,
                                                    description="x")))


    def test_clocks_of_points(self):
        """Path-length points run on icount (in guests sized to their
        tasks); plan clock 'icount' moves every point there unless KVM
        works; the host has no icount."""
        text = ('[load]\nmodes = ["detached"]\nworkloads = ["stat"]\n'
                'cpus = [1, "all"]\n[pathlen]\nmodes = ["detached"]\n'
                'workloads = ["stat"]\ncpus = [1, "all"]\n')
        p = plan.load(self.write_plan(text))
        pts = plan.expand(p, 2, seed=1, accel_name="tcg")
        self.assertEqual({(x.kind, x.clock, x.boot_cpus)
                          for x in pts},
                         {("load", "tcg", 2), ("pathlen", "icount", 1),
                          ("pathlen", "icount", 2)})
        self.assertEqual({x.clock for x in plan.expand(
            p, 2, seed=1, accel_name="kvm") if x.kind == "load"},
            {"kvm"})
        self.assertEqual({x.kind for x in plan.expand(
            p, 2, seed=1, accel_name="host")}, {"load"})
        q = plan.load(self.write_plan('clock = "icount"\n' + text.split(
            "[pathlen]")[0]))
        for accel_name, want in (("tcg", "icount"), ("kvm", "kvm"),
                                 ("icount", "icount")):
            self.assertEqual({x.clock for x in plan.expand(
                q, 2, seed=1, accel_name=accel_name)}, {want})
        with self.assertRaises(errors.InputError):
            plan.load(self.write_plan('clock = "fast"\n'))


if __name__ == "__main__":
    unittest.main()
