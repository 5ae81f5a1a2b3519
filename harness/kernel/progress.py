"""What a kernel build shows while it runs, so that it is never silent
for long: on a terminal (stderr a tty) a status line redrawn in place,
otherwise the same line every INTERVAL seconds.

Objects are counted from kbuild's quiet output: a line
`  TAG     path.o` (CC, AS, LD, HOSTCC, BTF, ...; `CC [M]` too), one
per object file it makes; the same as the *.o files a finished build
directory holds, less those configuring made silently (make -s).
"""

from __future__ import annotations

import os
import re
import select
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Callable, TextIO

# without a terminal, a status line this long after the last output
INTERVAL = 30.0
# on a terminal, the status line is redrawn this often
REFRESH = 0.5
# the ETA scales the previous build's times by this build's speed once
# the previous build had spent this long at the same point
SPEED_AFTER = 30.0

OBJECT = re.compile(r"^  [A-Z][A-Z0-9_]*(?: \[M\])?\s+\S+\.o$")


def is_object(line: str) -> bool:
    """Whether a make output line is kbuild's making of one object file."""
    return OBJECT.match(line.rstrip("\r\n")) is not None


def count_objects(build: os.PathLike | str) -> int:
    """The *.o files under a build directory."""
    n = 0
    for _, _, files in os.walk(build):
        n += sum(1 for f in files if f.endswith(".o"))
    return n


def clock_text(seconds: float) -> str:
    s = max(0, int(seconds))
    return f"{s // 60}:{s % 60:02d}"


@dataclass(frozen=True)
class Estimate:
    """What a compile should do, from an earlier build of the same
    config: `expected` objects; `seconds` that build's compile took and
    `times` the elapsed time at each of its objects (None: spread
    evenly)."""

    expected: int | None = None
    seconds: float | None = None
    times: tuple[float, ...] | None = None

    def remaining(self, done: int, elapsed: float) -> float | None:
        """Seconds left after `done` objects in `elapsed` seconds: what
        the earlier build took from the same point, scaled by how much
        slower or faster this one has been so far. A build resumed
        after a kill expects fewer objects: those the earlier build made
        first are taken as the ones already made."""
        if self.expected is None or self.seconds is None:
            return None
        n_prev = len(self.times) if self.times else self.expected
        if n_prev <= 0:
            return None
        skip = max(0, n_prev - self.expected)

        def at(k: int) -> float:
            k = min(max(k, 0), n_prev)
            if k == 0:
                return 0.0
            if self.times:
                return self.times[k - 1]
            return self.seconds * k / n_prev

        base = at(skip)
        prev_done = at(skip + done) - base
        prev_total = self.seconds - base
        speed = elapsed / prev_done if prev_done >= SPEED_AFTER else 1.0
        return max(0.0, (prev_total - prev_done) * speed)


class Reporter:
    """kbuild's messages (to `out`) and the status of the running phase
    (to `err`); one per build, so that the silence is measured across
    phases. `clock` is injectable for tests."""

    def __init__(self, out: TextIO | None = None, err: TextIO | None = None,
                 tty: bool | None = None,
                 clock: Callable[[], float] = time.monotonic,
                 interval: float = INTERVAL):
        self.out = sys.stdout if out is None else out
        self.err = sys.stderr if err is None else err
        if tty is None:
            try:
                tty = self.err.isatty()
            except (AttributeError, ValueError):
                tty = False
        self.tty = tty
        self.clock = clock
        self.interval = interval
        self.last = clock()         # when anything was last shown
        self.drawn = False          # a status line is on the terminal
        self.what: str | None = None
        self.counting = False
        self.estimate = Estimate()
        self.t0 = self.last
        self.done = 0
        self.times: list[float] = []
        self.eta: tuple[float, float] | None = None  # (ETA, at elapsed)

    # kbuild's own lines
    def say(self, msg: str) -> None:
        self._erase()
        print(msg, file=self.out, flush=True)
        self.last = self.clock()

    # a phase: something that runs long without output of its own
    def start(self, what: str, counting: bool = False,
              estimate: Estimate | None = None) -> "Reporter":
        self.what = what
        self.counting = counting
        self.estimate = estimate or Estimate()
        self.t0 = self.clock()
        self.done = 0
        self.times = []
        eta = self.estimate.remaining(0, 0.0)
        self.eta = None if eta is None else (eta, 0.0)
        return self

    def __enter__(self) -> "Reporter":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> float:
        """End the phase (its status line erased); its seconds."""
        self._erase()
        elapsed = self.clock() - self.t0
        self.what = None
        return elapsed

    def elapsed(self) -> float:
        return self.clock() - self.t0

    def line(self, text: str) -> None:
        """A line of the running command's output."""
        if self.counting and is_object(text):
            self.done += 1
            elapsed = self.elapsed()
            self.times.append(elapsed)
            eta = self.estimate.remaining(self.done, elapsed)
            self.eta = None if eta is None else (eta, elapsed)
        self.poll()

    def status(self) -> str:
        """The status line of the running phase."""
        elapsed = self.elapsed()
        parts = []
        if self.counting:
            exp = self.estimate.expected
            if exp:
                pct = min(100, self.done * 100 // exp)
                parts.append(f"{self.done}/{exp} objects ({pct}%)")
            else:
                noun = "object" if self.done == 1 else "objects"
                parts.append(f"{self.done} {noun}")
        parts.append(f"{clock_text(elapsed)} elapsed")
        if self.eta is not None:
            eta, at = self.eta
            parts.append(f"ETA {clock_text(eta - (elapsed - at))}")
        return f"kernel: {self.what}: " + ", ".join(parts)

    def wait(self) -> float:
        """Seconds until poll() has something to show."""
        if self.what is None:
            return REFRESH if self.tty else self.interval
        since = self.clock() - self.last
        return max(0.0, (REFRESH if self.tty else self.interval) - since)

    def poll(self) -> None:
        """Show the status if it is due."""
        if self.what is None or self.wait() > 0:
            return
        if self.tty:
            text = self.status()
            try:
                width = os.get_terminal_size(self.err.fileno()).columns
            except (OSError, AttributeError, ValueError):
                width = 0
            if width > 1:   # a wrapped line would not be redrawn in place
                text = text[:width - 1]
            self.err.write("\r" + text + "\033[K")
            self.drawn = True
        else:
            self.err.write(self.status() + "\n")
        self.err.flush()
        self.last = self.clock()

    def _erase(self) -> None:
        if self.drawn:
            self.err.write("\r\033[K")
            self.err.flush()
            self.drawn = False


MAKE_VARS = ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES")


def run(cmd: list[str], rep: Reporter, cwd: os.PathLike | None = None,
        log: TextIO | None = None) -> tuple[int, bytes]:
    """Run cmd, its stdout and stderr merged: into `log` (an open file)
    when given, else kept and returned; each line goes to rep.line, and
    rep.poll runs whenever the output pauses. Its exit status."""
    # a command run under make -s, -k or -j2 (make unit, make bench) gets
    # none of the caller's make flags: its output is the same either way
    env = {k: v for k, v in os.environ.items() if k not in MAKE_VARS}
    proc = subprocess.Popen(cmd, cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, env=env)
    kept = bytearray()
    partial = b""
    fd = proc.stdout.fileno()
    try:
        while True:
            ready, _, _ = select.select([fd], [], [], rep.wait())
            if ready:
                data = os.read(fd, 65536)
                if not data:
                    break
                if log is not None:
                    view = memoryview(data)
                    while view:
                        view = view[os.write(log.fileno(), view):]
                else:
                    kept += data
                *lines, partial = (partial + data).split(b"\n")
                for ln in lines:
                    rep.line(ln.decode(errors="replace"))
            rep.poll()
        if partial:
            rep.line(partial.decode(errors="replace"))
        return proc.wait(), bytes(kept)
    finally:
        proc.stdout.close()
        if proc.poll() is None:
            # interrupted: make removes its half-made targets on SIGTERM
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
