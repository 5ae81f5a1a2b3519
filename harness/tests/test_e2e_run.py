"""End to end in the VM: `make bench PROFILE=quick` gives a complete,
schema-valid set; Ctrl-C keeps finished points and --resume completes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import unittest

from harness.analysis import resultset
from harness.paths import REPO
from harness.tests import common

TINY = REPO / "harness" / "tests" / "fixtures" / "tiny.toml"


def _sigint_default() -> None:
    # a shell's background job (cmd &, no job control) inherits SIGINT
    # ignored, and python then keeps ignoring it: Ctrl-C is tested as a
    # terminal sends it, however this test was started
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def run(*args: str, **kw) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.Popen(["/usr/bin/python3", "-m", "harness.flows.bench",
                             *args],
                            env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, preexec_fn=_sigint_default, **kw)


class InterruptResumeTest(unittest.TestCase):
    def test_interrupt_then_resume(self):
        sdir = common.results_dir("interrupt") / "set"
        p = run("--profile", str(TINY), "--seed", "3", "--out", str(sdir))
        raw = sdir / "raw"
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline and p.poll() is None:
            if raw.is_dir() and len(list(raw.glob("*.json"))) >= 3:
                break
            time.sleep(0.5)
        self.assertIsNone(p.poll(), "run ended before it could be stopped")
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=120)
        self.assertEqual(p.returncode, 130, err)
        self.assertIn("--resume", err)
        self.assertFalse(common.qemu_running_for(sdir))
        m = json.loads((sdir / "manifest.json").read_text())
        self.assertEqual(m["status"], "incomplete")
        kept = {f.name: f.stat().st_mtime_ns for f in raw.glob("*.json")}
        self.assertGreaterEqual(len(kept), 3)
        self.assertEqual(list(sdir.glob("**/*.tmp")), [])

        p = run("--resume", str(sdir))
        out, err = p.communicate(timeout=600)
        self.assertEqual(p.returncode, 0, err)
        self.assertIn(f"resume: {len(kept)}/", out)
        m = json.loads((sdir / "manifest.json").read_text())
        self.assertEqual(m["status"], "complete")
        for name, mtime in kept.items():
            self.assertEqual((raw / name).stat().st_mtime_ns, mtime, name)
        self.assertEqual(resultset.validate(sdir), [])
        # every record says which boot made it: the kept points boot 0,
        # the resumed ones boot 1
        self.assertEqual(m["boots"], 2)
        self.assertEqual({r.boot for r in resultset.load(sdir).records},
                         {0, 1})


if __name__ == "__main__":
    unittest.main()
