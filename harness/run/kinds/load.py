"""load: a file workload's throughput per mode and CPU count, on the
set's clock ([load]); on icount, instructions per op instead."""

from __future__ import annotations

from pathlib import Path

from harness.point import Point
from harness.run.kinds import base

NAME = "load"


def build(ctx: base.Context) -> list[Point]:
    return base.workload_points(ctx, NAME, ctx.section("load"),
                                ctx.doc["reps"])


def throughput(doc: dict, icount: bool) -> float:
    """ops/s per task; on the icount clock the tasks' own CPU time per op
    instead (instructions per op: it does not depend on an idle vCPU)."""
    s = base.run_of(doc)["summary"]
    return s["cpu_ns_per_op"] if icount else s["ops_per_s_per_task"]


def collect(c, p: Point, boot: int, doc: dict, icount: bool,
            sdir: Path) -> None:
    c.add(p, boot, "ops_per_s_per_task", [throughput(doc, icount)],
          icount=icount)


def metric(quantity: str, p: Point) -> str:
    return f"{p.workload}.l{p.layers}.c{p.cpus}.{quantity}"


KIND = base.Kind(name=NAME, section="load", build=build, collect=collect,
                 metric=metric, reps=(("reps", None),),
                 keys=("modes", "workloads", "layers", "cpus", "reps",
                       "duration"))
