"""The VM runner's ends told apart, in the guest (3 boots of 1 vCPU): a
command that itself exits 124 or 125 is passed through as the guest's own
status and said to be so; the watchdog's message has the kernel's boot
messages, init's stage lines and the tail of the command's output, and no
QEMU is left; a results path with a space and a comma works, and no
control directory is left; without --mem the guest gets vm.mem_for's
memory."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import unittest

from harness import errors
from harness.kernel import vm
from harness.paths import REPO
from harness.tests import common


def python_vm(res, *argv: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["/usr/bin/python3", "-m", "harness.kernel.vm", "--cpus", "1", "--mem",
         "1024", "--results", str(res), *argv], capture_output=True,
        text=True, stdin=subprocess.DEVNULL,
        env=dict(os.environ, PYTHONPATH=str(REPO)))


class VMEndsTest(unittest.TestCase):
    def results(self, name: str):
        res = common.results_dir(name)
        self.addCleanup(shutil.rmtree, res, True)
        return res

    def test_command_exiting_124_is_not_the_watchdog(self):
        # and without --mem the guest gets vm.mem_for's memory: its
        # MemTotal is that, less what the kernel keeps (2.7% at 2048 MiB)
        # and the dentry hash table (vm.DHASH_ENTRIES, capped by the
        # kernel at 64 MiB here)
        res = self.results("own-124")
        p = subprocess.run(
            ["/usr/bin/python3", "-m", "harness.kernel.vm", "--cpus", "1",
             "--timeout", "120", "--results", str(res), "--",
             "awk '/^MemTotal:/ {print $2}' /proc/meminfo; exit 124"],
            capture_output=True, text=True, stdin=subprocess.DEVNULL,
            env=dict(os.environ, PYTHONPATH=str(REPO)))
        self.assertEqual(p.returncode, 124, p.stderr)
        kib = vm.mem_for(1, 1) * 1024
        self.assertEqual(vm.mem_for(1, 1), vm.DEFAULT_MEM_MB)
        total = int(p.stdout.split()[-1])
        self.assertLessEqual(total, kib)
        self.assertGreater(total, 0.95 * kib - vm.DHASH_ENTRIES * 8 / 1024)
        self.assertIn("the guest command itself exited 124", p.stderr)
        self.assertNotIn("watchdog", p.stderr)
        log = next((res / "console").glob("*.log")).read_text()
        # the kernel's own boot messages, and init's stages in order
        self.assertIn("Linux version", log)
        stages = ["mntbench-init: started", "results share mounted",
                  "mntbench-init: running the command",
                  "mntbench-init: exit 124", "mntbench-init: powering off"]
        at = [log.find(s) for s in stages]
        self.assertNotIn(-1, at, log[-2000:])
        self.assertEqual(at, sorted(at))
        self.assertEqual(list(res.glob(".vm-*")), [])

    def test_watchdog_shows_console_and_output_tail(self):
        res = self.results("tail")
        p = python_vm(res, "--timeout", "30", "--",
                      "echo marker-out; echo marker-err >&2; sleep 1000")
        self.assertEqual(p.returncode, errors.GuestTimeout.exit_code,
                         p.stderr)
        err = p.stderr
        self.assertIn("watchdog: the guest did not finish within 30s", err)
        console, _, output = err.partition(
            "Last lines of the command's output:")
        self.assertIn("mntbench-init: running the command", console)
        self.assertIn("marker-out", output)
        self.assertIn("marker-err", output)
        self.assertNotIn("itself exited", err)
        self.assertEqual(list(res.glob(".vm-*")), [])
        self.assertFalse(common.qemu_running_for(res))

    def test_space_and_comma_in_results_path(self):
        base = self.results("paths")
        res = base / "a b,c"
        cfg = vm.VMConfig(kernel=common.kernel(), cpus=1, mem_mb=1024,
                          timeout=120.0, results=res)
        out = res / "x y,z"
        r = vm.run(cfg, f"echo hi > {shlex.quote(str(out))}; exit 125")
        self.assertEqual((r.rc, r.outcome), (125, "exited"))
        self.assertEqual(out.read_text(), "hi\n")
        self.assertIn("mntbench-init: exit 125", r.console.read_text())
        self.assertEqual(r.console.parent, res / "console")
        self.assertEqual(list(res.glob(".vm-*")), [])


if __name__ == "__main__":
    unittest.main()
