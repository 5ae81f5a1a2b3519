"""The VM runner: exit status, output streams, shares, panics, no QEMU
left (the watchdog's ends: test_vm_limits). Each boot checks what it can:
a boot of TCG is some 10 s of a loaded host's time."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import tempfile
import unittest
from pathlib import Path

from harness import errors
from harness.kernel import vm
from harness.paths import REPO
from harness.tests import common


class RunnerTest(unittest.TestCase):
    def test_exit_status_comes_through_from_the_guest_set_up(self):
        # the guest's mounts and vCPUs checked there; 7 only if they hold
        # (status 0 comes through in test_results_share_under_tmp)
        cfg = common.vm_config("rc")
        need = ["proc", "sysfs", "devtmpfs", "tracefs", "debugfs", "bpf"]
        cmd = " && ".join(f"grep -q ' {t} ' /proc/mounts" for t in need)
        cmd += " && grep -q ' /tmp tmpfs ' /proc/mounts"
        cmd += " && grep -q ' /run tmpfs ' /proc/mounts"
        cmd += f" && test $(nproc) = {cfg.cpus} && exit 7"
        self.assertEqual(vm.run(cfg, cmd).rc, 7)

    def test_output_streams_and_console_log(self):
        res = common.results_dir("cli")
        env = dict(os.environ, PYTHONPATH=str(REPO))
        p = subprocess.run(
            ["/usr/bin/python3", "-m", "harness.kernel.vm",
             "--results", str(res),
             "--", "echo to-out; echo to-err >&2; uname -r; exit 3"],
            capture_output=True, text=True, env=env,
            stdin=subprocess.DEVNULL)
        self.assertEqual(p.returncode, 3, p.stderr)
        self.assertIn("to-out", p.stdout)
        self.assertNotIn("to-err", p.stdout)
        self.assertIn("to-err", p.stderr)
        self.assertIn(common.kernel().info["release"], p.stdout)
        logs = list((res / "console").glob("*.log"))
        self.assertTrue(logs)
        self.assertIn("mntbench-init: exit 3", logs[-1].read_text())

    def test_results_share_under_tmp(self):
        # The guest's /tmp is a tmpfs: the share's mount point is made.
        # Every other guest test writes to a share at its host path (under
        # results/); the root the guest sees is read-only.
        with tempfile.TemporaryDirectory(prefix="mntbench-share-") as d:
            cfg = vm.VMConfig(kernel=common.kernel(), results=Path(d))
            rc = vm.run(cfg, f"echo hi > {d}/x && "
                             "! touch /etc/mntbench-ro-check 2>/dev/null").rc
            self.assertEqual(rc, 0)
            self.assertEqual(Path(d, "x").read_text(), "hi\n")
        self.assertFalse(os.path.exists("/etc/mntbench-ro-check"))

    def test_panic_is_a_vm_error(self):
        cfg = common.vm_config("panic", timeout=120.0)
        with self.assertRaises(errors.VMError):
            vm.run(cfg, "echo c > /proc/sysrq-trigger; sleep 100")
        self.assertFalse(common.qemu_running_for(cfg.results))

    def test_an_image_that_never_starts_is_named(self):
        """A truncated image (as a damaged cache once handed out): the
        error says the kernel never started and names the image."""
        k = common.kernel()
        cfg = common.vm_config("truncated", timeout=120.0)
        bad = cfg.results / "bzImage-truncated"
        bad.write_bytes(k.bzimage.read_bytes()[:1 << 20])
        cfg = dataclasses.replace(cfg, kernel=dataclasses.replace(
            k, bzimage=bad))
        with self.assertRaises(errors.VMError) as cm:
            vm.boot(cfg, "true", vm.accel.TCG)
        self.assertIn(f"the kernel never started (an empty console) from "
                      f"the image {bad}", str(cm.exception))
        self.assertFalse(common.qemu_running_for(cfg.results))

    def test_bad_input(self):
        env = dict(os.environ, PYTHONPATH=str(REPO))
        p = subprocess.run(
            ["/usr/bin/python3", "-m", "harness.kernel.vm", "--cpus", "0",
             "true"],
            capture_output=True, text=True, env=env)
        self.assertEqual(p.returncode, 2)
        self.assertIn("--cpus=0", p.stderr)


if __name__ == "__main__":
    unittest.main()
