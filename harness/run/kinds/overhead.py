"""overhead: open-close with mntlock attached and without, in alternating
pairs in the same boot, per mode and CPU count of the probe pass
([probes] overhead_reps). On a wall clock the records are ops/s; on the
icount clock instructions per op, and the difference is what the probes
add, exactly."""

from __future__ import annotations



from harness.point import PROBE_OFF, PROBE_ON, Point
from harness.run.kinds import base, load, probe

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


KIND = base.Kind(name=NAME, section="probes", build=build,
                 collect=load.collect, metric=metric, compares_modes=False,
                 reps=(("overhead_reps", 0),),
                 keys=("overhead_reps", "modes", "cpus", "all_puts",
                       "path_walk"))
