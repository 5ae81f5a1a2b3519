"""probe: the load workloads with mntlock attached ([probes]): mntput
slow path and mount_lock contention per op, in a marked probe pass."""

from __future__ import annotations

from pathlib import Path


from harness.point import Point
from harness.run import probes
from harness.run.kinds import base

NAME = "probe"


def mntlock_args(ctx: base.Context) -> tuple[str, ...]:
    """mntlock's own options: the overhead pairs measure the tool as the
    probe pass runs it. The reader side (path walks redone after a
    mount_lock write, and what a redone open costs) is on unless the
    plan says path_walk = false: its probes add about 20% to an open."""
    sec = ctx.section("probes")
    return (("--all-puts",) if sec.get("all_puts") else ()) + \
        (("--restart-cost",) if sec.get("path_walk", True) else ())


def build(ctx: base.Context) -> list[Point]:
    if not ctx.probes:
        return []
    return base.workload_points(ctx, NAME, ctx.section("probes"), 1,
                                probe=True, mntlock_args=mntlock_args(ctx))


def probe_file(sdir: Path, p: Point) -> Path:
    return sdir / "probes" / f"{p.id}.json"


def collect(c, p: Point, boot: int, doc: dict, icount: bool,
            sdir: Path) -> None:
    mdoc = probes.load(sdir, p.id, KIND.probe_doc)
    if mdoc is None:
        return
    s = base.run_of(doc)["summary"]
    # The probe saw the whole run: divide by every op, not the window's.
    ops = s.get("lifetime_ops", s["total_ops"])
    for q, value in probes.per_op(mdoc, ops).items():
        c.add(p, boot, q, [value], icount=icount)


def metric(quantity: str, p: Point) -> str:
    return f"{NAME}.{p.workload}.l{p.layers}.c{p.cpus}.{quantity}"


KIND = base.Kind(name=NAME, section="probes", build=build, collect=collect,
                 metric=metric,
                 probe_doc=probes.PER_OP,
                 keys=("modes", "workloads", "layers", "cpus", "reps",
                       "duration", "all_puts", "path_walk"))
