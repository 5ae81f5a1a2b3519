"""harness.run.guest.interrupt: a SIGINT that is lost does not leave the
process running (bpftrace 0.17 drops one that misses its epoll_wait)."""

from __future__ import annotations

import subprocess
import sys
import unittest

from harness.run.guest.interrupt import interrupt

# A child that drops its first SIGINT, as bpftrace does when the signal
# misses its wait, and ends with status 0 at the second.
LOSES_ONE = """
import signal, sys
seen = []
def on_int(sig, frame):
    seen.append(sig)
    if len(seen) == 2:
        sys.exit(0)
signal.signal(signal.SIGINT, on_int)
print("ready", flush=True)
while True:
    signal.pause()
"""

# A child that never ends on SIGINT.
DEAF = """
import signal
signal.signal(signal.SIGINT, signal.SIG_IGN)
print("ready", flush=True)
while True:
    signal.pause()
"""


def start(code: str) -> subprocess.Popen:
    p = subprocess.Popen([sys.executable, "-c", code],
                         stdout=subprocess.PIPE, text=True)
    assert p.stdout is not None
    assert p.stdout.readline() == "ready\n"
    return p


class InterruptTest(unittest.TestCase):
    def test_a_lost_signal_is_repeated(self):
        p = start(LOSES_ONE)
        self.assertEqual(interrupt(p, 30), 0)
        p.stdout.close()

    def test_killed_after_the_timeout(self):
        p = start(DEAF)
        self.assertEqual(interrupt(p, 1.5), -9)
        p.stdout.close()


if __name__ == "__main__":
    unittest.main()
