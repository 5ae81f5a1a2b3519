"""Plan expansion and validation, on the host (no guest): the probe
pass's mntlock options reach its overhead pairs, the pairs cover every
probed mode and CPU count, and bad plan values are named."""

from __future__ import annotations

import dataclasses
import io
import json
import subprocess
import tempfile
import unittest
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from unittest import mock

from harness import errors, point
from harness.paths import REPO
from harness.point import Point
from harness.run import plan
from harness.run.kinds import base, bystander, census, collateral, teardown

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
             collateral.NAME, *base.NO_OVERLAY_WORKLOADS]))

    def test_census_points(self):
        pts = plan.expand(plan.load("census"), 2, seed=1)
        # 5 internal workloads + open-close in 2 modes, at 1 and 2 tasks,
        # twice; each under mntlock, for a fixed count of ops
        self.assertEqual(len(pts), (5 + 2) * 2 * 2)
        self.assertTrue(all(p.probe and "--ops" in p.args for p in pts))
        ref = [p for p in pts if p.workload == census.REFERENCE]
        self.assertEqual({p.variant for p in ref},
                         {"detached", "longterm-array"})
        self.assertTrue(all("--layers" not in p.args for p in pts
                            if p.workload in base.NO_OVERLAY_WORKLOADS))
        for p in pts:
            self.assertIsNone(plan.check_args(p.args), p.id)
        with self.assertRaisesRegex(errors.InputError, "internal"):
            plan._validate({**plan.load("census").doc,
                            "census": {"internal": ["open-close"]}},
                           Path("x.toml"))

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


def kinds_count(points) -> dict[str, int]:
    out: dict[str, int] = {}
    for p in points:
        out[p.kind] = out.get(p.kind, 0) + 1
    return out


class BigPlanTest(unittest.TestCase):
    """The profiles at 64 and 256 vCPUs: CPU lists with 'all' and the
    'powers' series expand to exact counts, and the boots a run makes."""

    def test_quick_all_is_the_vcpus(self):
        p = plan.load("quick")
        for vcpus in (64, 256):
            pts = plan.expand(p, vcpus, seed=1)
            # load: 3 modes x 2 workloads x cpus [1, all] x 8 reps;
            # teardown 4 modes x 3 layers x 3 reps; probe 2 modes x
            # [1, all] x 3 reps; overhead 2 reps x 2 modes x [1, all] x
            # on/off; collateral 2 modes x [all] x 2 reps
            self.assertEqual(kinds_count(pts), {
                "load": 96, "teardown": 36, "probe": 12, "overhead": 16,
                "collateral": 8})
            self.assertEqual({q.cpus for q in pts if q.kind == "load"},
                             {1, vcpus})
            self.assertEqual({q.cpus for q in pts
                              if q.kind == "collateral"}, {vcpus})
            # quick's clock is icount: a guest per task count on TCG
            self.assertEqual(
                {k: len(v) for k, v in plan.boots(pts, vcpus).items()},
                {("icount", 1, ""): 98, ("icount", vcpus, ""): 70})
        # at one vCPU, [1, "all"] is one count, and no collateral point
        # has an aggressor beside its victim
        self.assertEqual(kinds_count(plan.expand(p, 1, seed=1)), {
            "load": 48, "teardown": 36, "probe": 6, "overhead": 8})

    def test_full_powers(self):
        p = plan.load("full")
        # powers: 1, 2, 4, ... up to the vCPUs, and the vCPUs themselves
        for vcpus, counts in ((64, [1, 2, 4, 8, 16, 32, 64]),
                              (255, [1, 2, 4, 8, 16, 32, 64, 128, 255]),
                              (256, [1, 2, 4, 8, 16, 32, 64, 128, 256])):
            pts = plan.expand(p, vcpus, seed=1, accel_name="kvm")
            n = len(counts)
            self.assertEqual(kinds_count(pts), {
                "load": 4 * 4 * 3 * n * 10,     # modes workloads layers
                "pathlen": 3 * 2 * 2 * 5,       # 1 and all tasks
                "paired": n * 5,
                "teardown": 4 * 8 * 5,
                "bystander": 4 * 3 * 5 * 2,     # each beside a baseline
                "collateral": 2 * 5 * 2,        # plain and probed
                "probe": 2 * 2 * n * 5,
                "overhead": 5 * 2 * n * 2,
                "census": (5 + 2) * 2 * 2,      # 1 and all tasks
                "coherence": 2 * 2 * 7}, vcpus)  # its own vCPU list
            self.assertEqual(sorted({q.cpus for q in pts
                                     if q.kind == "load"}), counts)
            # one KVM boot, the path-length boots (1 and all tasks), and
            # an icount boot with the coherence plugin per vCPU count
            self.assertEqual(sorted(plan.boots(pts, vcpus)), sorted(
                [("kvm", vcpus, ""), ("icount", 1, ""),
                 ("icount", vcpus, "")] +
                [("icount", n, "coherence")
                 for n in (1, 2, 4, 8, 16, 32, 64)]))
            self.assertEqual(plan.needs(pts, vcpus), (vcpus, vcpus, 500))
        # + pathlen 60, paired 5 a count, collateral 20, bystander 40
        self.assertEqual(len(plan.expand(p, 64, seed=1)),
                         3908 + 28 + 60 + 35 + 20 + 40)
        self.assertEqual(len(plan.expand(p, 256, seed=1)),
                         4948 + 28 + 60 + 45 + 20 + 40)

    def test_default_pathlen_boots_per_task_count(self):
        pts = plan.expand(plan.load("default"), 64, seed=1)
        boots = plan.boots(pts, 64)
        # the wall-clock boot, then an icount boot per power of two, and
        # the coherence boots (their own vCPU list: 1, 2, 4)
        self.assertEqual(sorted(boots), sorted(
            [("tcg", 64, "")] + [("icount", c, "") for c in
                                 (1, 2, 4, 8, 16, 32, 64)] +
            [("icount", c, "coherence") for c in (1, 2, 4)]))
        for c in (1, 2, 4, 8, 16, 32):
            # 2 modes x 2 workloads x 3 reps
            self.assertEqual(len(boots[("icount", c, "")]), 12)
        self.assertEqual(sum(map(len, boots.values())), len(pts))
        self.assertEqual(list(boots), list(dict.fromkeys(
            (q.clock, q.boot_cpus, q.plugin) for q in pts)))


class LimitsTest(unittest.TestCase):
    """Guest memory and time limits derived from the plan."""

    def setUp(self):
        # the manifests of create_set: each asks four tools their version
        # (qemu, bpftrace, bpftool, clang), a second and a half of
        # processes in all, for strings these tests do not read
        p = mock.patch("harness.flows.bench._version",
                       return_value="test")
        p.start()
        self.addCleanup(p.stop)

    def point(self, **kw) -> Point:
        d = dict(id="x", kind="teardown", workload="teardown",
                 mode="detached", variant="detached", layers=500, cpus=1,
                 rep=0, args=("--workload", "teardown", "--upper",
                              "--layers", "500", "--warmup", "0",
                              "--duration", "0.25"))
        d.update(kw)
        return Point(**d)

    def test_point_estimate(self):
        # warm-up 0 + duration 0.25 + 1 s + 500 layers x 10 ms
        self.assertAlmostEqual(plan.point_seconds(self.point()), 6.25)
        probe = self.point(probe=True, layers=2, args=(
            "--duration", "2", "--warmup", "0.5", "--duration", "1.5"))
        # the last --duration counts, as in ovlbench; a probe point x3
        self.assertAlmostEqual(plan.point_seconds(probe), 3 * 3.02)
        bare = self.point(layers=0, args=())
        # ovlbench's defaults: warm-up 1 s, duration 5 s
        self.assertAlmostEqual(plan.point_seconds(bare), 7.0)

    def test_census_points_counted_once(self):
        """make census: 28 points, each counted once. A point of --ops
        has no warm-up or sampled duration, and the probe factor (the
        probe pass's) is not applied to it: 6 s and 10 ms a layer."""
        pts = plan.expand(plan.load("census"), 2, seed=1, accel_name="tcg")
        # 5 internal workloads and open-close in 2 modes, 1 and 2 tasks,
        # 2 repetitions; all under mntlock, the overlay's on 2 layers
        self.assertEqual(len(pts), (5 + 2) * 2 * 2)
        self.assertTrue(all(p.probe and "--ops" in p.args for p in pts))
        self.assertEqual(sum(p.layers for p in pts), 2 * 2 * 2 * 2)
        self.assertAlmostEqual(plan.estimate_seconds(pts),
                               28 * (1.0 + 5.0) + 16 * 0.01)
        for p in pts[:3]:
            self.assertAlmostEqual(
                plan.point_seconds(p), plan.point_seconds(
                    dataclasses.replace(p, probe=False)))
        # the boot's time limit stays the hour (the estimate was 9.8 min)
        self.assertEqual(plan.time_limit(pts), plan.LIMIT_MIN_S)

    def test_time_limit(self):
        small = [self.point()] * 10
        self.assertEqual(plan.time_limit(small), plan.LIMIT_MIN_S)
        self.assertEqual(plan.time_limit([]), plan.LIMIT_MIN_S)
        big = [self.point()] * 1000
        self.assertAlmostEqual(plan.time_limit(big),
                               2 * 6250 + plan.LIMIT_BOOT_S)
        # the small plans keep the hour every boot had
        for prof in ("quick", "default"):
            pts = plan.expand(plan.load(prof), 2, seed=1)
            for ps in plan.boots(pts, 2).values():
                self.assertEqual(plan.time_limit(ps), 3600.0, prof)
        full = plan.expand(plan.load("full"), 64, seed=1)
        self.assertAlmostEqual(plan.time_limit(full),
                               2 * plan.estimate_seconds(full) + 300)
        self.assertGreater(plan.time_limit(full), 3600 * 10)

    def test_mem_for(self):
        from harness.kernel import vm
        self.assertEqual(vm.mem_for(2, 2, 500), vm.DEFAULT_MEM_MB)
        self.assertEqual(vm.mem_for(64, 64, 500), 2048)
        # 2 x (128 + 4 x 255 + 0.25 x 255 + 0.05 x 500) = 2473.5 MiB
        self.assertEqual(vm.mem_for(255, 255, 500), 2560)
        # 2 x (128 + 4096 + 256 + 25) = 9010 MiB
        self.assertEqual(vm.mem_for(1024, 1024, 500), 9216)
        self.assertEqual(vm.mem_for(1), 2048)

    def test_set_mem_explicit_or_derived(self):
        from harness.flows import bench as run
        p = plan.load("full")
        with tempfile.TemporaryDirectory(prefix="mntbench-lim-") as td:
            for vcpus, mem, want in ((255, None, 2560), (255, 3000, 3000),
                                     (2, None, 2048)):
                sdir = Path(td) / f"s{vcpus}-{mem}"
                with redirect_stdout(io.StringIO()) as out:
                    run.create_set(sdir, p, 1, vcpus, None, "kvm", True,
                                   [], mem_mb=mem)
                m = json.loads((sdir / "manifest.json").read_text())
                self.assertEqual(m["mem_mb"], want)
                self.assertIn(f", {want} MiB guest;", out.getvalue())

    def test_plan_bigger_than_host_refused_before_build(self):
        from harness.flows import bench as run
        from harness.kernel import kbuild, vm
        with tempfile.TemporaryDirectory(prefix="mntbench-lim-") as td, \
                mock.patch.object(vm, "host_mem_mb", return_value=1500), \
                mock.patch.object(kbuild, "ensure_kernel") as build, \
                redirect_stderr(io.StringIO()) as err:
            rc = run.main(["--profile", "quick", "--cpus", "2", "--out",
                           str(Path(td) / "set")])
            self.assertEqual(list(Path(td).iterdir()), [])
        self.assertEqual(rc, 2)
        build.assert_not_called()
        self.assertEqual(err.getvalue(),
                         "mntbench-run: error: plan quick at 2 vCPUs needs "
                         "2048 MiB of guest memory, this host has 1500 MiB;"
                         " allowed: fewer vCPUs, or --mem (MEM=) up to 1500"
                         " to try with less\n")

    def test_vm_default_mem_bigger_than_host_refused(self):
        from harness.kernel import kbuild, vm
        with mock.patch.object(vm, "host_mem_mb", return_value=2000), \
                mock.patch.object(kbuild, "ensure_kernel") as build, \
                redirect_stderr(io.StringIO()) as err:
            rc = vm.main(["--cpus", "2", "--", "true"])
        self.assertEqual(rc, 2)
        build.assert_not_called()
        self.assertEqual(err.getvalue().splitlines(), [
            "mntbench-vm: error: a guest of 2 vCPUs needs 2048 MiB of "
            "guest memory, this host has 2000 MiB; allowed: fewer vCPUs, "
            "or --mem (MEM=) up to 2000 to try with less"])

    def test_run_vm_limits_per_boot(self):
        """Without --timeout each boot gets the limit of the points it
        runs (of its A/B part only); --timeout sets every boot's."""
        from harness.flows import bench as run
        from harness.kernel import vm
        text = ('name = "t"\nreps = 4\nwarmup = 0\nduration = 500\n'
                'interval = 250\nclock = "icount"\n'
                '[load]\nmodes = ["detached"]\nworkloads = ["stat"]\n'
                'cpus = [1, "all"]\n[teardown]\nmodes = ["detached"]\n'
                'layers = [2]\nreps = 2\nduration = 0.25\n')
        with tempfile.TemporaryDirectory(prefix="mntbench-lim-") as td:
            path = Path(td) / "p.toml"
            path.write_text(text)
            p = plan.load(str(path))
            for timeout, part in ((None, ""), (None, "1/4"), (50.0, "")):
                sdir = Path(td) / f"set-{timeout}-{part.replace('/', '')}"
                with redirect_stdout(io.StringIO()):
                    run.create_set(sdir, p, 1, 4, None, "tcg", True, [])
                pts = point.load(json.loads(
                    (sdir / "points.json").read_text()))
                seen = {}

                def fake(cfg, cmd):
                    seen[(cfg.accel, cfg.cpus)] = (cfg.timeout, cfg.mem_mb)
                    return vm.VMResult(0, sdir / "c.log", 0.0, cfg.accel)
                with mock.patch.object(vm, "run", fake):
                    self.assertEqual(run.run_vm(sdir, None, 4, timeout,
                                                part), 0)
                want = {}
                for key, ps in plan.boots(pts, 4).items():
                    ps = [q for q in ps if not part or q.rep % 4 == 1]
                    limit = timeout or plan.time_limit(ps)
                    want[key[:2]] = (limit, 2048)     # no plugin here
                self.assertEqual(seen, want, (timeout, part))
                if timeout is None and not part:
                    # 1 task: 4 load reps of 0 + 500 + 1 + 2 x 0.01 s
                    # (2 layers), 2 teardown reps of 0 + 0.25 + 1 + 0.02
                    self.assertAlmostEqual(
                        seen[("icount", 1)][0],
                        2 * (4 * 501.02 + 2 * 1.27) + 300)
                    self.assertAlmostEqual(seen[("icount", 4)][0],
                                           2 * (4 * 501.02) + 300)
                if part:
                    # one rep of four: 2 x 501 + 300 < the hour
                    self.assertEqual(seen[("icount", 4)][0], 3600.0)


class PlanShowTest(unittest.TestCase):
    """python3 -m harness.run.planshow: the plan, its boots, time and memory,
    without a build or a boot."""

    def show(self, *argv: str) -> tuple[int, str, str]:
        from harness.run import planshow
        with redirect_stdout(io.StringIO()) as out, \
                redirect_stderr(io.StringIO()) as err:
            rc = planshow.main(list(argv))
        return rc, out.getvalue(), err.getvalue()

    def test_full_at_64(self):
        rc, out, err = self.show("--profile", "full", "--cpus", "64",
                                 "--accel", "kvm")
        self.assertEqual((rc, err), (0, ""))
        lines = out.splitlines()
        # the KVM boot, 2 path-length boots, 7 coherence boots
        self.assertIn("4091 points in 10 boots:", lines)
        load = next(x for x in lines if x.startswith("load "))
        self.assertEqual(load.split(), ["load", "3360", "10", "4", "4",
                                        "2,10,100", "1,2,4,8,16,32,64"])
        pts = [p for p in plan.expand(plan.load("full"), 64, 0,
                                      accel_name="kvm") if p.clock == "kvm"]
        est = plan.estimate_seconds(pts)
        boot = next(x for x in lines if x.startswith("1 "))
        self.assertIn(" kvm ", boot)
        self.assertIn(planshow_duration(est), boot)
        self.assertIn(planshow_duration(plan.time_limit(pts)), boot)
        self.assertTrue(any(x.startswith("guest memory: 2048 MiB ")
                            for x in lines))

    def test_points_listed_in_run_order(self):
        rc, out, _ = self.show("--profile", "quick", "--cpus", "64",
                               "--accel", "tcg", "--cores", "2",
                               "--points", "--seed", "5")
        self.assertEqual(rc, 0)
        listed = out.split("points in run order (seed 5):\n", 1)[1]
        rows = [r.split() for r in listed.splitlines()[1:]]
        pts = plan.expand(plan.load("quick"), 64, 5, accel_name="tcg")
        # boot by boot, each boot's points in the set's order
        want = [(str(i), q.id, q.clock, str(cpus))
                for i, ((_, cpus, _), ps) in enumerate(
                    plan.boots(pts, 64).items(), 1) for q in ps]
        self.assertEqual([tuple(r[:4]) for r in rows], want)
        self.assertEqual(len(rows), 168)
        self.assertEqual([r[0] for r in rows],
                         sorted(r[0] for r in rows))
        self.assertEqual({(r[0], r[3]) for r in rows},
                         {("1", str(pts[0].boot_cpus)),
                          ("2", str(65 - pts[0].boot_cpus))})
        # icount guests are not slowed by the cores: no TCG scaling
        self.assertNotIn("host cores under TCG", out)
        rc, out, _ = self.show("--profile", "default", "--cpus", "8",
                               "--accel", "tcg", "--cores", "2")
        self.assertIn("x vCPUs/2 host cores under TCG", out)

    def test_bad_input(self):
        for argv, named in ((["--cpus", "0"], "--cpus=0"),
                            (["--cpus", "2000"], "--cpus=2000"),
                            (["--cores", "0"], "--cores=0"),
                            (["--profile", "nope"], "plan nope")):
            rc, out, err = self.show(*argv)
            self.assertEqual((rc, out), (2, ""), argv)
            self.assertIn(named, err)
            self.assertEqual(len(err.splitlines()), 1, err)


def planshow_duration(s: float) -> str:
    from harness.run import planshow
    return planshow.duration(s)


if __name__ == "__main__":
    unittest.main()
