"""bystander: open-close throughput of the other tasks while task 0
churns mount/umount ([bystander]); needs 2 vCPUs or more."""

from __future__ import annotations

from pathlib import Path

from harness import metrics
from harness.kinds import base
from harness.point import Point

NAME = "bystander"


def build(ctx: base.Context) -> list[Point]:
    if ctx.vcpus < 2:
        return []
    dur = str(ctx.doc["duration"])

    def point(layers: int, m: str, v: str, rep: int) -> Point:
        return Point(
            id=f"bystander-l{layers}-{v}-r{rep}", kind=NAME,
            workload="bystander", mode=m, variant=v, layers=layers,
            cpus=ctx.vcpus, rep=rep,
            args=("--workload", "bystander", "--upper", "--layers",
                  str(layers), "--duration", dur,
                  *base.common_args(ctx, ctx.vcpus)))
    return base.layer_points(ctx, ctx.section("bystander"), point)


def collect(c, p: Point, boot: int, doc: dict, icount: bool,
            sdir: Path) -> None:
    run = base.run_of(doc)
    load = [i for i, r in enumerate(run["task_roles"]) if r == "load"]
    ops = sum(run["task_totals"][i] for i in load)
    if icount:
        value = sum(run["task_cpu_ns"][i] for i in load) / max(ops, 1)
    else:
        value = ops / (sum(run["intervals_s"]) or 1.0) / max(len(load), 1)
    c.add(p, boot, "load_ops_per_s_per_task", [value], icount=icount)
    lat = run.get("latency") or {}
    if "umount_ns" in lat:
        c.add(p, boot, "umount_us", base.iterations_us(lat, "umount"),
              per_iteration=True, icount=icount)


def metric(quantity: str, p: Point) -> str:
    if metrics.quantity(quantity).per_iteration:
        return f"bystander.l{p.layers}.{quantity}"
    return f"bystander.l{p.layers}.c{p.cpus}.{quantity}"


def plots(rs, out: Path) -> list[str]:
    from harness import plots as P
    made = P.bars(rs, out, {"kind": NAME,
                            "quantity": "load_ops_per_s_per_task"},
                  "bystander open-close throughput during teardown churn",
                  "ops/s per load task (median, 95% CI)", "bystander")
    return ["bystander"] if made else []


KIND = base.Kind(name=NAME, section="bystander", build=build,
                 collect=collect, metric=metric, plots=plots)
