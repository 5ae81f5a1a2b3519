"""pathlen: the load workloads again on the icount clock, in a boot of
their own ([pathlen]): instructions per op beside the wall-clock view."""

from __future__ import annotations

from pathlib import Path

from harness import errors
from harness.kernel.accel import ICOUNT
from harness.point import Point
from harness.run.kinds import base, load

NAME = "pathlen"


def build(ctx: base.Context) -> list[Point]:
    return base.workload_points(ctx, NAME, ctx.section("pathlen"),
                                ctx.doc["reps"])


def validate(doc: dict, path: Path) -> None:
    if doc.get("clock", "auto") == ICOUNT and \
            doc.get("pathlen", {}).get("modes"):
        raise errors.InputError(
            f"plan {path}: [pathlen] with clock='icount'; allowed: one of "
            "them (load points already run on icount)")


KIND = base.Kind(name=NAME, section="pathlen", build=build,
                 collect=load.collect, metric=load.metric,
                 reps=(("reps", None),), validate=validate,
                 clock=ICOUNT, on_host=False,
                 keys=("modes", "workloads", "layers", "cpus", "reps",
                       "duration"))
