"""teardown: mount and umount latency of one overlay per layer count and
mode ([teardown]), one record per iteration."""

from __future__ import annotations

from pathlib import Path

from harness.point import Point
from harness.run.kinds import base

NAME = "teardown"


def build(ctx: base.Context) -> list[Point]:
    td = ctx.section("teardown")
    tdur = str(td.get("duration", 1.0))

    def point(layers: int, m: str, v: str, rep: int) -> list[Point]:
        return [Point(
            id=f"teardown-l{layers}-{v}-r{rep}", kind=NAME,
            workload="teardown", mode=m, variant=v, layers=layers, cpus=1,
            rep=rep, args=("--workload", "teardown", "--upper", "--layers",
                           str(layers), "--tasks", "1", "--cpus", "0",
                           "--warmup", "0", "--duration", tdur,
                           "--interval", tdur))]
    return base.layer_points(ctx, td, point)


def collect(c, p: Point, boot: int, doc: dict, icount: bool,
            sdir: Path) -> None:
    lat = base.run_of(doc)["latency"]
    for what in ("umount", "mount"):
        c.add(p, boot, f"{what}_us", base.iterations_us(lat, what),
              per_iteration=True, icount=icount)


def metric(quantity: str, p: Point) -> str:
    return f"teardown.l{p.layers}.{quantity}"


KIND = base.Kind(name=NAME, section="teardown", build=build,
                 collect=collect, metric=metric,
                 keys=("modes", "layers", "duration", "reps"))
