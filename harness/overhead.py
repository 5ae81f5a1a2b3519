"""Probe overhead pairs: open-close with mntlock attached and without,
same boot, per mode and CPU count (harness/plan.py makes the points,
harness/collect.py the records: kind "overhead", variants probe-on and
probe-off). On a wall clock the records are ops/s; on the icount clock
they are instructions per op, and the difference is what the probes add,
exactly."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from harness import stats
from harness.collect import OVERHEAD_OFF, OVERHEAD_ON

# The target of bpf/: at most 5% slower with the tool attached
TARGET_RATIO = 0.95
PATH_LENGTH = "insn_ns_per_op"


@dataclass(frozen=True)
class Overhead:
    speed: stats.Comparison     # with/without, as a fraction of speed
    added: float | None         # instructions per op (icount), else None
    base: float                 # median without the probe


def comparisons(rs) -> dict[tuple[str, int], Overhead]:
    """(mode, cpus) -> the probe's cost in speed (ratio of medians with
    its CI) and, on icount, in instructions per op."""
    def series(variant):
        return {(s.mode, s.cpus, s.quantity): s.values
                for s in rs.select(kind="overhead", variant=variant)}
    on, off = series(OVERHEAD_ON), series(OVERHEAD_OFF)
    out = {}
    for key in sorted(on.keys() & off.keys()):
        mode, cpus, q = key
        if q == PATH_LENGTH:
            # fewer instructions is faster: speed ratio = off / on
            speed = stats.compare(on[key], off[key])
            added = float(np.median(on[key]) - np.median(off[key]))
        else:
            speed, added = stats.compare(off[key], on[key]), None
        out[(mode, cpus)] = Overhead(speed, added,
                                     float(np.median(off[key])))
    return out
