"""The report section and plots of the overhead kind (its points and records:
harness/run/kinds/overhead.py)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
import numpy as np
from harness.analysis import stats
from harness.point import PROBE_OFF, PROBE_ON
from harness.run.kinds.overhead import NAME, PATH_LENGTH, TARGET_RATIO


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
                for s in rs.select(kind=NAME, variant=variant)}
    on, off = series(PROBE_ON), series(PROBE_OFF)
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


def report(rs) -> list[str]:
    """Throughput with the probe attached / without, same boot, per mode
    and CPU count."""
    out = []
    for (mode, cpus), o in comparisons(rs).items():
        c = o.speed
        out.append(f"  {mode} c{cpus}: with/without = {c.ratio:.3f} "
                   f"[{c.lo:.3f}, {c.hi:.3f}], n={c.n_base}+{c.n_cand}")
        if o.added is not None:
            out.append(f"    {o.added:+.0f} icount ns per op "
                       f"({100 * o.added / o.base:+.2f}% of {o.base:.0f})")
    if not out:
        return []
    return ["Probe overhead (open-close throughput with mntlock",
            "attached / without, same boot, 95% CI):", *out, ""]


def plots(rs, out: Path) -> list[str]:
    from harness.output import plots as P
    comps = {k: o.speed for k, o in comparisons(rs).items()}
    return ["probe-overhead"] if P.overhead(comps, TARGET_RATIO, out) \
        else []
