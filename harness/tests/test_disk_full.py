"""Disk full under a running set (issue 29): `python3 -m harness.flows.bench`
whose set fills its disk mid-run exits 1 (an incomplete set,
harness/exitstatus.py) with one line naming the full disk, keeps every
point it finished, leaves no temp file or half a JSON document, and
--resume completes the set once there is room again.

The set lives on a small tmpfs mounted for the test (as root; skipped
otherwise), unmounted in the cleanup whatever happens; a ballast file
fills it as soon as the first point's output is there, or the last
one's (the set is then "complete" only once --resume has written its
report). Guest test: the plan is harness/plans/bisect.toml (6 points in
one boot)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import unittest

from harness import point, setfiles
from harness.analysis import resultset
from harness.paths import REPO
from harness.tests import common, tmpfs

PLAN = REPO / "harness" / "plans" / "bisect.toml"
TMPFS_SIZE = "16m"


def run(*args: str) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.Popen(["/usr/bin/python3", "-m", "harness.flows.bench",
                             *args],
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
    def test_full_after_the_first_point(self):
        done, total = self.full_then_resume(after=1)
        self.assertLess(done, total)

    def test_full_after_the_last_point(self):
        """Every point done, the disk full before the report: the set is
        not "complete" until its report is written, and --resume (with
        nothing to run) finishes it."""
        done, total = self.full_then_resume(after=6)
        self.assertEqual(done, total)

    def full_then_resume(self, after: int) -> tuple[int, int]:
        """A run whose disk fills up once `after` points are done, then
        --resume with room again; the points kept, and all."""
        common.kernel()     # cached: not built inside the run's timing
        mnt = tmpfs.mount(self, TMPFS_SIZE)
        sdir = mnt / "set"
        ballast = mnt / "ballast"
        name = f"[disk-full after {after}]"
        t0 = time.monotonic()
        p = run("--profile", str(PLAN), "--seed", "7", "--cpus", "1",
                "--out", str(sdir))
        self.addCleanup(stop, p)
        raw = sdir / "raw"
        deadline = time.monotonic() + 900
        while time.monotonic() < deadline and p.poll() is None:
            if raw.is_dir() and len(list(raw.glob("*.json"))) >= after:
                break
            time.sleep(0.05)
        self.assertIsNone(p.poll(), f"the run ended before {after} points")
        tmpfs.fill(ballast)
        out, err = p.communicate(timeout=900)
        print(f"\n{name} full run: {time.monotonic() - t0:.0f} s, "
              f"rc {p.returncode}", flush=True)

        # the documented status and one line naming the full disk
        self.assertEqual(p.returncode, 1, err)
        full = [ln for ln in err.splitlines() if "disk full" in ln]
        self.assertEqual(len(full), 1, err)
        self.assertIn(str(sdir), full[0])
        print(f"{name} {full[0]}", flush=True)
        m = json.loads((sdir / "manifest.json").read_text())
        self.assertEqual(m["status"], "incomplete")

        # the finished points are kept; no temp file, no half a document
        points = point.load(json.loads((sdir / "points.json").read_text()))
        done = [q for q in points if setfiles.complete(sdir, q)]
        self.assertGreaterEqual(len(done), after)
        kept = {f: f.stat().st_mtime_ns for q in done
                for f in setfiles.point_files(sdir, q)}
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
        print(f"{name} resume: {time.monotonic() - t1:.0f} s, rc "
              f"{p.returncode}; {len(done)} of {len(points)} points kept",
              flush=True)
        self.assertEqual(p.returncode, 0, err)
        if len(done) < len(points):
            self.assertIn(f"resume: {len(done)}/", out)
        m = json.loads((sdir / "manifest.json").read_text())
        self.assertEqual(m["status"], "complete")
        for f, mtime in kept.items():
            self.assertEqual(f.stat().st_mtime_ns, mtime, f)
        self.assertEqual(resultset.validate(sdir), [])
        return len(done), len(points)

if __name__ == "__main__":
    unittest.main()
