"""probe: the load workloads with mntlock attached ([probes]): mntput
slow path and mount_lock contention per op, in a marked probe pass."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from harness import costsplit, probes
from harness.kinds import base
from harness.point import Point

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


def plots(rs, out: Path) -> list[str]:
    from harness import plots as P
    made = []
    if P.bars(rs, out, {"kind": NAME, "workload": "open-close",
                        "layers": 2, "quantity": "slow_puts_per_op"},
              "mntput slow path (mount_lock) per open-close op",
              "slow mntputs per op", "mntput-slowpath"):
        made.append("mntput-slowpath")
    docs = {p: d for p in rs.points if p.kind == NAME
            and p.workload == "open-close"
            and (d := probes.load(rs.path, p.id, KIND.probe_doc))
            is not None}
    if wait_histogram(docs, out):
        made.append("mount-lock-wait")
    if costsplit.plot(rs, out):
        made.append("detached-cost-split")
    return made


def wait_histogram(docs: dict, out: Path) -> bool:
    """mount_lock wait-time histogram per mode (all runs summed) at the
    largest CPU count probed; docs: probe point -> its mntlock document."""
    from harness import plots as P
    if not docs:
        return False
    top = max(p.cpus for p in docs)
    hist: dict[str, dict[int, int]] = {}
    for p, doc in docs.items():
        if p.cpus == top:
            h = hist.setdefault(p.variant, {})
            for lo, n in probes.wait_buckets(doc):
                h[lo] = h.get(lo, 0) + n
    fig, ax = P.plt.subplots(figsize=(6.4, 4.2))
    for mode, h in sorted(hist.items()):
        label = f"{mode} ({sum(h.values())} waits)"
        xs = sorted(h)
        # a mode without waits still gets its legend entry
        ax.step(np.maximum(np.array(xs, dtype=float), 1),
                [h[x] for x in xs], where="post", label=label)
    ax.set_xscale("log")
    return P.finish(fig, ax, out, "mount-lock-wait",
                    f"mount_lock wait histogram, open-close on {top} CPUs",
                    "wait in the qspinlock slowpath, ns (log2 buckets)",
                    "contended acquisitions (all runs)")


KIND = base.Kind(name=NAME, section="probes", build=build, collect=collect,
                 metric=metric, report=costsplit.lines, plots=plots,
                 probe_doc=probes.PER_OP,
                 keys=("modes", "workloads", "layers", "cpus", "reps",
                       "duration", "all_puts", "path_walk"))
