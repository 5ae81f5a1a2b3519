"""overhead: open-close with mntlock attached and without, in alternating
pairs in the same boot, per mode and CPU count of the probe pass
([probes] overhead_reps). On a wall clock the records are ops/s; on the
icount clock instructions per op, and the difference is what the probes
add, exactly."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from harness import stats
from harness.kinds import base, load, probe
from harness.point import PROBE_OFF, PROBE_ON, Point

NAME = "overhead"
# The target of bpf/: at most 5% slower with the tool attached
TARGET_RATIO = 0.95
PATH_LENGTH = "insn_ns_per_op"


def build(ctx: base.Context) -> list[Point]:
    pr = ctx.section("probes") if ctx.probes else {}
    margs = probe.mntlock_args(ctx)
    dur = str(ctx.doc["duration"])
    out: list[Point] = []
    for rep in range(pr.get("overhead_reps", 0)):
        for m, v in base.modes(pr, ctx.has_switch):
            for c in base.cpu_counts(pr.get("cpus", "powers"), ctx.vcpus):
                for on in ctx.rng.sample([False, True], 2):
                    out.append(Point(
                        id=f"overhead-{v}-c{c}-{'on' if on else 'off'}"
                           f"-r{rep}",
                        kind=NAME, workload="open-close", mode=m,
                        variant=PROBE_ON if on else PROBE_OFF,
                        layers=2, cpus=c, rep=rep, probe=on,
                        mntlock_args=margs if on else (),
                        args=("--workload", "open-close", "--layers", "2",
                              "--duration", dur,
                              *base.common_args(ctx, c))))
    return out


def metric(quantity: str, p: Point) -> str:
    return f"{NAME}.{p.mode}.c{p.cpus}.{quantity}"


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
    from harness import plots as P
    comps = {k: o.speed for k, o in comparisons(rs).items()}
    return ["probe-overhead"] if P.overhead(comps, TARGET_RATIO, out) \
        else []


KIND = base.Kind(name=NAME, section="probes", build=build,
                 collect=load.collect, metric=metric, compares_modes=False,
                 reps=(("overhead_reps", 0),), report=report, plots=plots,
                 keys=("overhead_reps", "modes", "cpus", "all_puts",
                       "path_walk"))
