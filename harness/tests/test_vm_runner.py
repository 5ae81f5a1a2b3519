"""The VM runner: exit status, output streams, watchdog, no QEMU left."""

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


def qemu_running_for(results) -> bool:
    out = subprocess.run(["pgrep", "-af", "qemu-system"],
                         capture_output=True, text=True).stdout
    return str(results) in out


class RunnerTest(unittest.TestCase):
    def test_exit_status_comes_through(self):
        cfg = common.vm_config("rc")
        for rc in (0, 7):
            with self.subTest(rc=rc):
                self.assertEqual(vm.run(cfg, f"exit {rc}").rc, rc)

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

    def test_results_share_is_writable_at_host_path(self):
        cfg = common.vm_config("share")
        rc = vm.run(cfg, f"echo hi > {cfg.results}/x && "
                         "! touch /etc/mntbench-ro-check 2>/dev/null").rc
        self.assertEqual(rc, 0)
        self.assertEqual((cfg.results / "x").read_text(), "hi\n")
        self.assertFalse(os.path.exists("/etc/mntbench-ro-check"))

    def test_results_share_under_tmp(self):
        # The guest's /tmp is a tmpfs: the share's mount point is made.
        with tempfile.TemporaryDirectory(prefix="mntbench-share-") as d:
            cfg = vm.VMConfig(kernel=common.kernel(), results=Path(d))
            self.assertEqual(vm.run(cfg, f"echo hi > {d}/x").rc, 0)
            self.assertEqual(Path(d, "x").read_text(), "hi\n")

    def test_guest_mounts(self):
        cfg = common.vm_config("mounts")
        need = ["proc", "sysfs", "devtmpfs", "tracefs", "debugfs", "bpf"]
        cmd = " && ".join(f"grep -q ' {t} ' /proc/mounts" for t in need)
        cmd += " && grep -q ' /tmp tmpfs ' /proc/mounts"
        cmd += " && grep -q ' /run tmpfs ' /proc/mounts"
        cmd += f" && test $(nproc) = {cfg.cpus}"
        self.assertEqual(vm.run(cfg, cmd).rc, 0)

    def test_watchdog_kills_a_stalled_guest(self):
        cfg = common.vm_config("watchdog", timeout=30.0)
        with self.assertRaises(errors.GuestTimeout) as cm:
            vm.run(cfg, "echo stalling; sleep 100000")
        self.assertIn("did not finish within 30s", str(cm.exception))
        self.assertIn("Last console lines", str(cm.exception))
        self.assertFalse(qemu_running_for(cfg.results))

    def test_watchdog_exit_code_from_cli(self):
        res = common.results_dir("cli-timeout")
        env = dict(os.environ, PYTHONPATH=str(REPO))
        p = subprocess.run(
            ["/usr/bin/python3", "-m", "harness.kernel.vm",
             "--results", str(res),
             "--timeout", "30", "--", "sleep 100000"],
            capture_output=True, text=True, env=env,
            stdin=subprocess.DEVNULL)
        self.assertEqual(p.returncode, errors.GuestTimeout.exit_code)
        self.assertIn("did not finish within 30s", p.stderr)
        self.assertFalse(qemu_running_for(res))

    def test_panic_is_a_vm_error(self):
        cfg = common.vm_config("panic", timeout=120.0)
        with self.assertRaises(errors.VMError):
            vm.run(cfg, "echo c > /proc/sysrq-trigger; sleep 100")
        self.assertFalse(qemu_running_for(cfg.results))

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
        self.assertFalse(qemu_running_for(cfg.results))

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
