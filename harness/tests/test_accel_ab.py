"""The accelerator choice and the A/B command's arguments and trimming
(host only: the probe boot is a stand-in, nothing boots)."""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import tempfile
import unittest
from pathlib import Path
from unittest import mock

from harness import errors, point
from harness.flows import ab
from harness.kernel import accel, vm
from harness.run import plan
from harness.run.kinds.base import HOST


class Boot:
    """Stands in for vm.run: counts calls, answers as told."""

    def __init__(self, rc=0, raises=None):
        self.rc, self.raises, self.calls = rc, raises, 0

    def __call__(self, cfg, cmd, acc, silent=False):
        self.calls += 1
        self.acc = acc
        if self.raises:
            raise self.raises
        return vm.VMResult(rc=self.rc, console=Path("/dev/null"),
                           seconds=1.5, accel=acc)


class AccelTest(unittest.TestCase):
    def setUp(self):
        self.cache = tempfile.mkdtemp(prefix="mntbench-accel-")
        self.addCleanup(shutil.rmtree, self.cache, True)
        env = {k: v for k, v in os.environ.items() if k != "MNTBENCH_ACCEL"}
        env["MNTBENCH_CACHE"] = self.cache
        p = mock.patch.dict(os.environ, env, clear=True)
        p.start()
        self.addCleanup(p.stop)
        self.key = mock.patch.object(accel, "host_key",
                                     return_value="h|k|qemu")
        self.key.start()
        self.addCleanup(self.key.stop)
        self.kvm = mock.patch.object(accel.os, "access", return_value=True)
        self.kvm.start()
        self.addCleanup(self.kvm.stop)
        self.cfg = vm.VMConfig(kernel=None, cpus=2)

    def choose(self, boot):
        with contextlib.redirect_stderr(io.StringIO()):
            return accel.choose(self.cfg, boot)

    def test_working_kvm_is_chosen_and_cached(self):
        boot = Boot(rc=0)
        self.assertEqual(self.choose(boot), accel.KVM)
        self.assertEqual(boot.acc, accel.KVM)
        self.assertEqual(self.choose(boot), accel.KVM)
        self.assertEqual(boot.calls, 1)      # the second answer is cached
        doc = json.loads((Path(self.cache) / "accel.json").read_text())
        self.assertEqual(doc["accel"], accel.KVM)

    def test_hanging_or_failing_kvm_falls_back_to_tcg(self):
        for boot in (Boot(raises=errors.GuestTimeout("slow")),
                     Boot(raises=errors.VMError("no CPU")), Boot(rc=3)):
            with self.subTest(boot=boot.raises or boot.rc):
                (Path(self.cache) / "accel.json").unlink(missing_ok=True)
                self.assertEqual(self.choose(boot), accel.TCG)

    def test_no_kvm_device_never_boots(self):
        boot = Boot()
        with mock.patch.object(accel.os, "access", return_value=False):
            self.assertEqual(self.choose(boot), accel.TCG)
        self.assertEqual(boot.calls, 0)

    def test_another_host_probes_again(self):
        boot = Boot(rc=0)
        self.choose(boot)
        with mock.patch.object(accel, "host_key", return_value="other"):
            self.choose(boot)
        self.assertEqual(boot.calls, 2)

    def test_override(self):
        boot = Boot()
        with mock.patch.dict(os.environ, {"MNTBENCH_ACCEL": "icount"}):
            self.assertEqual(self.choose(boot), accel.ICOUNT)
        with mock.patch.dict(os.environ, {"MNTBENCH_ACCEL": "xen"}):
            with self.assertRaisesRegex(errors.InputError, "xen"):
                self.choose(boot)
        self.assertEqual(boot.calls, 0)


class IcountSmpTest(unittest.TestCase):
    """The 2-vCPU icount probe: its verdict, cached beside the kernel, and
    what it takes out of a plan."""

    def setUp(self):
        self.dir = Path(tempfile.mkdtemp(prefix="mntbench-smp-"))
        self.addCleanup(shutil.rmtree, self.dir, True)
        k = mock.Mock(dir=self.dir, info={"release": "6.1.0"})
        self.cfg = vm.VMConfig(kernel=k, cpus=8)
        p = mock.patch.object(accel, "host_key", return_value="h|k|qemu")
        p.start()
        self.addCleanup(p.stop)

    def test_verdicts_and_cache(self):
        for boot, ok in ((Boot(rc=0), True),
                         (Boot(raises=errors.GuestTimeout("hung")), False),
                         (Boot(raises=errors.VMError("qemu died")), False),
                         (Boot(rc=3), False)):
            with self.subTest(boot=boot.raises or boot.rc):
                (self.dir / accel.SMP_VERDICT).unlink(missing_ok=True)
                got, why = accel.icount_smp(self.cfg, boot)
                self.assertEqual(got, ok, why)
                self.assertEqual(boot.acc, accel.ICOUNT)
                self.assertEqual(accel.icount_smp(self.cfg, boot),
                                 (got, why))
                self.assertEqual(boot.calls, 1)     # then cached
                doc = json.loads((self.dir / accel.SMP_VERDICT).read_text())
                self.assertEqual((doc["ok"], doc["host"]), (ok, "h|k|qemu"))

    def test_expand_without_smp_keeps_single_task_icount_points(self):
        q = plan.load("quick")
        full = plan.expand(q, 2, 1, accel_name=accel.TCG)
        one = plan.expand(q, 2, 1, accel_name=accel.TCG, icount_smp=False)
        many = [p for p in full if p.clock == accel.ICOUNT and p.cpus > 1]
        self.assertTrue(many)
        self.assertEqual(len(one), len(full) - len(many))
        self.assertTrue(all(p.cpus == 1 for p in one))
        self.assertTrue(plan.needs_icount_smp(q, 2, accel.TCG))
        self.assertFalse(plan.needs_icount_smp(q, 1, accel.TCG))
        # KVM runs no point on icount: nothing to leave out
        self.assertEqual(plan.expand(q, 2, 1, accel_name=accel.KVM,
                                     icount_smp=False),
                         plan.expand(q, 2, 1, accel_name=accel.KVM))


class AbArgsTest(unittest.TestCase):
    def bad(self, *argv: str, named: str) -> None:
        with self.assertRaises(errors.InputError) as cm:
            ab._parse(list(argv))
        self.assertIn(named, str(cm.exception))

    def test_bad_values_are_named(self):
        self.bad("--rounds", "0", named="--rounds=0")
        self.bad("--min-boots", "0", named="--min-boots=0")
        self.bad("--min-boots", "41", named="--min-boots=41")
        self.bad("--min-boots", "5", "--max-boots", "4",
                 named="--max-boots=4")
        self.bad("--budget", "nan", named="--budget=nan")
        self.bad("--budget", "-1", named="--budget=-1")
        self.bad("--threshold", "-2", named="-2")

    def test_rounds_is_a_fixed_design(self):
        a = ab._parse(["--rounds", "4"])
        self.assertEqual((a.min_boots, a.max_boots), (4, 4))


class AbTrimTest(unittest.TestCase):
    def test_unrun_rounds_are_dropped(self):
        tmp = Path(tempfile.mkdtemp(prefix="mntbench-trim-"))
        self.addCleanup(shutil.rmtree, tmp, True)
        p = plan.for_boots(plan.load("quick"), 3, 10)
        pts = plan.expand(p, 2, seed=1, accel_name=HOST)
        (tmp / "points.json").write_text(json.dumps(point.dump(pts)))
        (tmp / "manifest.json").write_text("{}")
        ab._trim(tmp, 4, 10)
        kept = point.load(json.loads((tmp / "points.json").read_text()))
        self.assertEqual(sorted({q.rep % 10 for q in kept}), [0, 1, 2, 3])
        self.assertEqual(len(kept), len([q for q in pts
                                         if q.rep % 10 < 4]))
        m = json.loads((tmp / "manifest.json").read_text())
        self.assertEqual(m["boots_per_kernel"], 4)
        self.assertEqual(m["points_hash"], plan.points_hash(kept))


if __name__ == "__main__":
    unittest.main()
