"""What a run of a plan would be, without building or booting anything.

    python3 -m harness.run.planshow --profile full --cpus 64
    python3 -m harness.run.planshow --profile full --cpus 64 --accel kvm \
        --points

Prints, for a plan at a number of vCPUs: the points of each kind (modes,
workloads, layer and task counts, repetitions), the boots the run makes
(one per clock and guest size) with the estimated guest time and the
default time limit of each, and the guest memory the run would get by
default (`make bench` without MEM). --points lists every point in run
order (boot by boot), with its clock, its boot's vCPUs and its estimate.

The accelerator is --accel, else MNTBENCH_ACCEL, else this host's cached
verdict (~/.cache/mntbench/accel.json), else TCG (the run itself probes
KVM). --cores sets the host cores that TCG's time limits scale by (for
planning a run on another host). The order of points is shuffled at run
time with the run's seed; --seed shows one such order. Exit status: 0,
2 bad input.
"""

from __future__ import annotations

import argparse
import os
import sys

from harness import errors
from harness.kernel import accel, vm
from harness.point import Point
from harness.run import plan
from harness.run.kinds import base


def duration(s: float) -> str:
    """Seconds as the largest two units: '8 h 57 min', '6 min 50 s'."""
    s = round(s)
    if s >= 86400:
        return f"{s // 86400} d {s % 86400 // 3600} h"
    if s >= 3600:
        return f"{s // 3600} h {s % 3600 // 60} min"
    if s >= 60:
        return f"{s // 60} min {s % 60} s"
    return f"{s} s"


def _values(xs) -> str:
    """Distinct values, in order of size, comma-separated."""
    return ",".join(str(x) for x in sorted(set(xs))) or "-"


def kinds_table(points: list[Point]) -> list[str]:
    rows = [("kind", "points", "reps", "variants", "workloads", "layers",
             "tasks")]
    for kind in dict.fromkeys(p.kind for p in points):
        ps = [p for p in points if p.kind == kind]
        rows.append((kind, str(len(ps)), str(len({p.rep for p in ps})),
                     str(len({p.variant for p in ps})),
                     str(len({p.workload for p in ps})),
                     _values(p.layers for p in ps),
                     _values(p.cpus for p in ps)))
    return _columns(rows)


def _columns(rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                      for i, (c, w) in enumerate(zip(r, widths))).rstrip()
            for r in rows]


def default_accel() -> tuple[str, str]:
    """(accelerator, why) without a probe boot."""
    forced = os.environ.get("MNTBENCH_ACCEL")
    if forced:
        if forced not in accel.ACCELS:
            raise errors.InputError(
                f"MNTBENCH_ACCEL={forced}: allowed: "
                f"{', '.join(accel.ACCELS)}")
        return forced, "MNTBENCH_ACCEL"
    verdict = accel._cached(accel.host_key())
    if verdict:
        return verdict["accel"], "this host's cached verdict"
    return accel.TCG, "assumed: no verdict cached, the run probes KVM"


def show(p: plan.Plan, vcpus: int, accel_name: str, why: str, cores: int,
         seed: int, points_list: bool) -> list[str]:
    points = plan.expand(p, vcpus, seed, accel_name=accel_name)
    out = [f"plan {p.name} ({p.doc.get('description', '')}), {vcpus} "
           f"vCPUs, {accel_name} ({why}); nothing built or booted", ""]
    out += kinds_table(points)
    boots = plan.boots(points, vcpus)
    rows = [("boot", "clock", "vCPUs", "points", "estimate", "time limit")]
    total_limit = 0.0
    for i, ((clock, cpus, plugin), ps) in enumerate(boots.items(), 1):
        limit = plan.time_limit(ps) * accel.slowdown(cpus, clock, cores)
        total_limit += limit
        rows.append((str(i), clock + (f"+{plugin}" if plugin else ""),
                     str(cpus), str(len(ps)),
                     duration(plan.estimate_seconds(ps)), duration(limit)))
    est = plan.estimate_seconds(points)
    out += ["", f"{len(points)} points in {len(boots)} "
            f"boot{'s' * (len(boots) != 1)}:"] + _columns(rows)
    out.append(
        f"guest time: about {duration(est)} (per point: warm-up + "
        f"duration + {plan.POINT_S:g} s + {plan.LAYER_S * 1000:g} ms a "
        f"layer; probe points x{plan.PROBE_FACTOR}; an --ops point has "
        f"{plan.OPS_POINT_S:g} s for its ops, no warm-up or duration, x1)")
    scaled = [c for (clock, c, _) in boots if
              accel.slowdown(c, clock, cores) != 1.0]
    out.append(
        f"time limit of a boot: {plan.LIMIT_MARGIN:g} x its estimate + "
        f"{plan.LIMIT_BOOT_S:.0f} s, at least {plan.LIMIT_MIN_S:.0f} s"
        + (f"; x vCPUs/{cores} host cores under TCG (the guest runs that "
           "much slower)" if scaled else "")
        + " (harness.flows.bench --timeout S sets every boot's)")
    need, tasks, layers = plan.needs(points, vcpus)
    mem = vm.mem_for(need, tasks, layers)
    host = vm.host_mem_mb()
    out.append(
        f"guest memory: {mem} MiB (a guest of {need} vCPUs, up to "
        f"{tasks} tasks, up to {layers} layers; MEM= sets it); this host "
        f"has {host} MiB" + ("" if mem <= host else
                             ": make bench would refuse it (exit 2)"))
    top = vm.max_cpus()
    if top is not None and vcpus > top:
        out.append(f"note: this QEMU boots at most {top} vCPUs (machine "
                   f"{vm.MACHINE}): make bench would refuse CPUS={vcpus}")
    if points_list:
        # as the run goes: boot by boot, each boot's points in order
        rows = [("boot", "point", "clock", "vCPUs", "seconds")]
        rows += [(str(i), q.id, q.clock, str(cpus),
                  f"{plan.point_seconds(q):.1f}")
                 for i, ((_, cpus, _), ps) in enumerate(boots.items(), 1)
                 for q in ps]
        out += ["", f"points in run order (seed {seed}):"] + _columns(rows)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="mntbench-planshow", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--profile", default="default",
                    help="quick, default, full, or a plan file")
    ap.add_argument("--cpus", type=int, default=os.cpu_count() or 1,
                    help="vCPUs (default: this host's CPUs)")
    ap.add_argument("--accel", choices=accel.ACCELS)
    ap.add_argument("--cores", type=int, default=accel.host_cores(),
                    help="host cores, for TCG's time limits (default: "
                    "this host's)")
    ap.add_argument("--seed", type=int, default=0,
                    help="the order of points shown (default 0)")
    ap.add_argument("--points", action="store_true",
                    help="list every point in run order")
    args = ap.parse_args(argv)
    try:
        if not 1 <= args.cpus <= base.MAX_TASKS:
            raise errors.InputError(
                f"--cpus={args.cpus}: allowed: vCPUs 1..{base.MAX_TASKS}")
        if args.cores < 1:
            raise errors.InputError(
                f"--cores={args.cores}: allowed: an integer >= 1")
        p = plan.load(args.profile)
        name, why = (args.accel, "--accel") if args.accel else \
            default_accel()
        lines = show(p, args.cpus, name, why, args.cores, args.seed,
                     args.points)
    except errors.MntbenchError as e:
        print(f"mntbench-planshow: error: {e}", file=sys.stderr)
        return e.exit_code
    try:
        print("\n".join(lines))
    except BrokenPipeError:     # --points | head
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


if __name__ == "__main__":
    sys.exit(main())
