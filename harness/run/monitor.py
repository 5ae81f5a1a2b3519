"""Host disturbance detection: did the guest's vCPUs get the host's CPUs
while a point ran?

Under TCG and KVM a vCPU is a host thread (QEMU names them "CPU 0/TCG",
"CPU 1/KVM", or "ALL CPUs/TCG" for single-threaded TCG). While a point
runs with N busy tasks, N vCPU threads should each run all the time; when
other work shares the host they get less, the guest sees lock holders
preempted, and its figures stop meaning anything about the kernel. So for
every point the monitor records, from the host:

    vcpu_share = vCPU run time / (wall time x busy vCPU threads)

where busy threads are the point's tasks (capped by the vCPU threads:
single-threaded TCG has one), as the median over the point's POLL steps
(set-up and exit, with one busy thread, are a minority of the steps), and

    runnable_share = vCPU run time / (run time + runqueue wait time)

summed over the point, and

    other_share = host CPU time of everything but QEMU
                  / (wall time x host CPUs)

from /proc/stat and QEMU's /proc/PID/stat. A point is disturbed when its
vCPUs waited (runnable_share < THRESHOLD) *and* something else used the
host (other_share > OTHER). Each alone misleads: a vCPU that idles
because its workload sleeps (teardown waits for RCU grace periods) has a
low vcpu_share on a quiet host (0.03 seen), and pays a host wake-up
latency at every wake, so its runnable_share drops to 0.66 on a quiet
host too; and on a big host a busy process on a free core disturbs
nothing. The schedstat figures (run ns, wait ns per vCPU thread) are
read every POLL seconds; a point starts and ends with the files
run_points.py writes: boots/<id>.json just before, raw/<id>.json when
done. Each point's figures go to host/<id>.json.

Disturbed points' records are marked (harness/analysis/collect.py); the gate
never decides on them. The icount clock is exempt: its
guest time counts instructions, so a slow host makes it slower, not
different.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

import numpy as np

from harness import setcheck, setfiles
from harness.point import Point

POLL = 0.1
# A CPU-bound process per host core during a point gives about 0.33
# (harness/tests/test_clocks.py prints it); quiet CPU-bound points 0.96-1.
THRESHOLD = 0.9
# Quiet: the harness itself, 0.01 (0.07-0.15 over the shortest points);
# one CPU-bound process per host core: 0.67.
OTHER = 0.2
HZ = os.sysconf("SC_CLK_TCK")
NCPU = os.cpu_count() or 1


def vcpu_threads(pid: int) -> list[int]:
    """Thread ids of a QEMU process's vCPUs."""
    out = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            try:
                comm = Path(f"/proc/{pid}/task/{tid}/comm").read_text()
            except OSError:
                continue
            if comm.startswith(("CPU ", "ALL CPUs")):
                out.append(int(tid))
    except OSError:
        pass
    return out


def run_wait_ns(pid: int, tids: list[int]) -> tuple[int, int]:
    """Summed run time and runqueue wait time of these threads
    (schedstat's first two fields)."""
    run = wait = 0
    for tid in tids:
        try:
            f = Path(f"/proc/{pid}/task/{tid}/schedstat").read_text().split()
            run, wait = run + int(f[0]), wait + int(f[1])
        except (OSError, ValueError, IndexError):
            pass
    return run, wait


def host_busy_ticks() -> int:
    """Busy time of all host CPUs, in clock ticks (/proc/stat)."""
    try:
        f = Path("/proc/stat").read_text().split("\n", 1)[0].split()
        user, nice, system, _idle, _iow, irq, softirq, steal = (
            int(x) for x in f[1:9])
        return user + nice + system + irq + softirq + steal
    except (OSError, ValueError):
        return 0


def proc_ticks(pid: int) -> int:
    """utime + stime of a process, in clock ticks."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        f = stat[stat.rindex(")") + 2:].split()
        return int(f[11]) + int(f[12])
    except (OSError, ValueError, IndexError):
        return 0


def children_named(name: str) -> list[int]:
    """Our child processes whose command name starts with name."""
    me = os.getpid()
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            stat = Path(f"/proc/{d}/stat").read_text()
        except OSError:
            continue
        comm = stat[stat.index("(") + 1:stat.rindex(")")]
        ppid = int(stat[stat.rindex(")") + 2:].split()[1])
        if ppid == me and comm.startswith(name):
            out.append(int(d))
    return out


def load1() -> float:
    try:
        return float(Path("/proc/loadavg").read_text().split()[0])
    except (OSError, ValueError):
        return -1.0


class Monitor:
    """Watches one set's points while this process runs its guest."""

    def __init__(self, sdir: Path, points: list[Point], clock: str,
                 find_pid=lambda: children_named("qemu-system")) -> None:
        self.sdir = sdir
        self.points = {p.id: p for p in points}
        self.clock = clock
        self.find_pid = find_pid
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.started: dict[str, int] = {}   # id -> index in samples
        # (time, vCPU run ns, vCPU wait ns, host busy ticks, QEMU ticks)
        self.samples: list[tuple[float, int, int, int, int]] = []

    def __enter__(self) -> "Monitor":
        (self.sdir / "host").mkdir(exist_ok=True)
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.thread.join(timeout=5)

    def _loop(self) -> None:
        pid, tids = None, []
        pending = {i for i in self.points
                   if not (self.sdir / "raw" / f"{i}.json").exists()}
        while not self.stop.wait(POLL):
            if pid is None or not tids:
                pids = self.find_pid()
                pid = pids[0] if pids else None
                tids = vcpu_threads(pid) if pid else []
                if not tids:
                    continue
            self.samples.append((time.monotonic(), *run_wait_ns(pid, tids),
                                 host_busy_ticks(), proc_ticks(pid)))
            for i in list(pending):
                if i not in self.started and (
                        self.sdir / "boots" / f"{i}.json").exists():
                    self.started[i] = len(self.samples) - 1
                if i in self.started and (
                        self.sdir / "raw" / f"{i}.json").exists():
                    try:
                        self._record(i, len(tids))
                    except OSError as e:
                        # a full disk: the point goes unmarked, the
                        # watch goes on
                        print(f"monitor: {e}", file=sys.stderr)
                    pending.discard(i)

    def _record(self, point_id: str, nthreads: int) -> None:
        span = self.samples[self.started.pop(point_id):]
        busy = max(1, min(self.points[point_id].cpus, nthreads))
        steps = [(b[1] - a[1]) / ((b[0] - a[0]) * 1e9 * busy)
                 for a, b in zip(span, span[1:]) if b[0] > a[0]]
        share = float(np.median(steps)) if steps else 1.0
        first, last = span[0], span[-1]
        wall = last[0] - first[0]
        ran, waited = last[1] - first[1], last[2] - first[2]
        runnable = ran / (ran + waited) if ran + waited > 0 else 1.0
        other = max(0, (last[3] - first[3]) - (last[4] - first[4]))
        other_share = other / (wall * HZ * NCPU) if wall > 0 else 0.0
        doc = {"vcpu_share": round(share, 4),
               "runnable_share": round(runnable, 4),
               "other_share": round(other_share, 4),
               "wall_s": round(wall, 3), "busy_threads": busy,
               "load1": load1(), "clock": self.clock,
               "disturbed": disturbed(runnable, other_share, self.clock)}
        setfiles.write_json(self.sdir / "host" / f"{point_id}.json", doc)


def disturbed(runnable: float, other: float, clock: str) -> bool:
    from harness.kernel.accel import ICOUNT
    return clock != ICOUNT and runnable < THRESHOLD and other > OTHER


# host/<id>.json, as Monitor._record writes it
HOST_DOC = {"vcpu_share": setcheck.NUM, "runnable_share?": setcheck.NUM,
            "other_share?": setcheck.NUM, "wall_s?": setcheck.NUM,
            "busy_threads?": setcheck.COUNT, "load1": setcheck.NUM,
            "clock?": setcheck.STR, "disturbed?": setcheck.BOOL}


def read(sdir: Path, point_id: str) -> dict | None:
    """A point's figures; None if it has none, InputError if they are
    malformed (harness/setcheck.py)."""
    f = sdir / "host" / f"{point_id}.json"
    if not f.is_file():
        return None
    doc = setcheck.read_json(sdir, "host", f.name)
    setcheck.shape(doc, HOST_DOC, str(f))
    return doc
