"""Disk full under a running set (issue 29): `python3 -m harness.run`
whose set fills its disk mid-run exits 1 (an incomplete set,
harness/exitstatus.py) with one line naming the full disk, keeps every
point it finished, leaves no temp file or half a JSON document, and
--resume completes the set once there is room again.

The set lives on a small tmpfs mounted for the test (as root; skipped
otherwise), unmounted in the cleanup whatever happens; a ballast file
fills it as soon as the first point's output is there. Guest test: the
plan is harness/plans/bisect.toml (6 points in one boot)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import unittest

from harness import point, resultset
from harness.paths import REPO
from harness.tests import common, tmpfs

PLAN = REPO / "harness" / "plans" / "bisect.toml"
TMPFS_SIZE = "16m"


def run(*args: str) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.Popen(["/usr/bin/python3", "-m", "harness.run", *args],
                            env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)


def stop(p: subprocess.Popen) -> None:
    """The run and what it started (QEMU), if still alive."""
    if p.poll() is None:
        os.killpg(p.pid, signal.SIGKILL)
        p.wait()


@unittest.skipUnless(tmpfs.ROOT, tmpfs.NEEDS_ROOT)
class DiskFullTest(unittest.TestCase):
    def test_full_mid_run_then_resume(self):
        common.kernel()     # cached: not built inside the run's timing
        mnt = tmpfs.mount(self, TMPFS_SIZE)
        sdir = mnt / "set"
        ballast = mnt / "ballast"
        t0 = time.monotonic()
        p = run("--profile", str(PLAN), "--seed", "7", "--cpus", "1",
                "--out", str(sdir))
        self.addCleanup(stop, p)
        raw = sdir / "raw"
        deadline = time.monotonic() + 900
        while time.monotonic() < deadline and p.poll() is None:
            if raw.is_dir() and any(raw.glob("*.json")):
                break
            time.sleep(0.2)
        self.assertIsNone(p.poll(), "the run ended before its first point")
        tmpfs.fill(ballast)
        out, err = p.communicate(timeout=900)
        print(f"\n[disk-full] full run: {time.monotonic() - t0:.0f} s, "
              f"rc {p.returncode}", flush=True)

        # the documented status and one line naming the full disk
        self.assertEqual(p.returncode, 1, err)
        full = [ln for ln in err.splitlines() if "disk full" in ln]
        self.assertEqual(len(full), 1, err)
        self.assertIn(str(sdir), full[0])
        print(f"[disk-full] {full[0]}", flush=True)
        m = json.loads((sdir / "manifest.json").read_text())
        self.assertEqual(m["status"], "incomplete")

        # the finished points are kept; no temp file, no half a document
        points = point.load(json.loads((sdir / "points.json").read_text()))
        done = [q for q in points if resultset.complete(sdir, q)]
        self.assertGreaterEqual(len(done), 1)
        self.assertLess(len(done), len(points))
        kept = {f: f.stat().st_mtime_ns for q in done
                for f in resultset.point_files(sdir, q)}
        self.assertEqual([f for f in sdir.rglob("*") if ".tmp" in f.name],
                         [])
        for f in sdir.rglob("*.json"):
            with self.subTest(file=str(f.relative_to(sdir))):
                json.loads(f.read_text())

        # room again: --resume completes the set, the kept points untouched
        ballast.unlink()
        t1 = time.monotonic()
        p = run("--resume", str(sdir))
        self.addCleanup(stop, p)
        out, err = p.communicate(timeout=900)
        print(f"[disk-full] resume: {time.monotonic() - t1:.0f} s, rc "
              f"{p.returncode}; {len(done)} of {len(points)} points kept",
              flush=True)
        self.assertEqual(p.returncode, 0, err)
        self.assertIn(f"resume: {len(done)}/", out)
        m = json.loads((sdir / "manifest.json").read_text())
        self.assertEqual(m["status"], "complete")
        for f, mtime in kept.items():
            self.assertEqual(f.stat().st_mtime_ns, mtime, f)
        self.assertEqual(resultset.validate(sdir), [])


if __name__ == "__main__":
    unittest.main()
