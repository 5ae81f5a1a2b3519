"""Ending a bpftrace run in the guest.

bpftrace 0.17 (Debian 12) ends its event loop only when SIGINT interrupts
epoll_wait(): its handler sets a flag, and the loop reads that flag from
the EINTR alone.  A SIGINT that lands while the loop is reading events
or between two waits (each 100 ms) is lost and the run goes on for ever:
once in CI, when the signal came just as the umount it traced printed
its record.  So the signal is repeated until the process ends."""

from __future__ import annotations

import signal
import subprocess

# between two signals: several of bpftrace's 100 ms waits
REPEAT_S = 1.0


def interrupt(p: subprocess.Popen, timeout: float) -> int:
    """SIGINT to p every REPEAT_S until it ends; SIGKILL after timeout
    seconds.  Its exit status (negative: the signal that ended it)."""
    waited = 0.0
    while waited < timeout:
        p.send_signal(signal.SIGINT)
        try:
            return p.wait(timeout=min(REPEAT_S, timeout - waited))
        except subprocess.TimeoutExpired:
            waited += REPEAT_S
    p.kill()
    return p.wait()
