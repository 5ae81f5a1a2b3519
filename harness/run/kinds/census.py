"""census: which mounts take mntput()'s slow path, by filesystem type and
mount state ([census]). Each census workload (files on the kernel's
internal mounts: bench/workloads/, no overlay) and the overlay's
open-close for reference run a fixed number of ops under mntlock, so
every per-op figure is an exact count."""

from __future__ import annotations

from pathlib import Path

from harness import errors, kparams, setcheck
from harness.point import NA_KEY, Point
from harness.run import probes
from harness.run.kinds import base

NAME = "census"
# The census's workloads: ovlbench's without an overlay (WL_NO_OVERLAY,
# base.NO_OVERLAY_WORKLOADS: ovlbench --limits says which), and the
# overlay's own for reference (run in the section's modes)
REFERENCE = "open-close"
# Every put of the tasks (fast and slow, so that a workload without slow
# puts still shows its mount), any mount, per op; and the reader side
MNTLOCK_ARGS = ("--all-puts", "--path-walk")
# Rows under one put per 20 ops are the run's own machinery (set-up,
# teardown of its mount namespace, its sampling), not its ops: left out
MIN_PER_OP = 0.05
WIDTH = 78


def build(ctx: base.Context) -> list[Point]:
    """[census] internal: the workloads on internal mounts; modes: the
    overlay's open-close in those modes, for reference; each for ops
    ops per task at each of cpus, reps times, under mntlock."""
    sec = ctx.section(NAME)
    if not ctx.probes:
        return []
    ops = str(sec.get("ops", 10000))
    runs = [(w, (kparams.DEFAULT, kparams.DEFAULT), ())
            for w in sec.get("internal", [])]
    runs += [(REFERENCE, mv, ("--layers", "2"))
             for mv in base.modes(sec, ctx.has_switch)]
    out: list[Point] = []
    for rep in range(sec.get("reps", 2)):
        block = []
        for w, (m, v), layers in runs:
            for c in base.cpu_counts(sec.get("cpus", [1, "all"]), ctx.vcpus):
                block.append(Point(
                    id=f"{NAME}-{w}-c{c}-{v}-r{rep}", kind=NAME,
                    workload=w, mode=m, variant=v,
                    layers=2 if layers else 0, cpus=c, rep=rep,
                    probe=True, mntlock_args=MNTLOCK_ARGS,
                    args=("--workload", w, *layers, "--ops", ops,
                          "--tasks", str(c), "--cpus", f"0-{c - 1}",
                          "--mode", ctx.doc.get("task_mode", "process"))))
        ctx.rng.shuffle(block)
        out += block
    return out


def probe_doc(sdir: Path, p: Point) -> dict | None:
    return probes.load(sdir, p.id, KIND.probe_doc)


def ops_of(doc: dict, where: str) -> int:
    with setcheck.fields(where):
        ops = base.run_of(doc)["summary"]["total_ops"]
    if type(ops) is not int or ops <= 0:
        raise errors.InputError(f"{where}: runs[0].summary.total_ops="
                                f"{setcheck.show(ops)}; allowed: an "
                                "integer > 0")
    return ops


def collect(c, p: Point, boot: int, doc: dict, icount: bool,
            sdir: Path) -> None:
    mdoc = probe_doc(sdir, p)
    if NA_KEY in doc or mdoc is None:
        return
    ops = ops_of(doc, f"{sdir}/raw/{p.id}.json")
    slow = sum(r.slow for r in probes.by_mount(mdoc))
    c.add(p, boot, "census_slow_puts_per_op", [slow / ops], icount=icount)
    per = probes.per_op(mdoc, ops)
    for q in ("mount_lock_writes_per_op", "rcu_restarts_per_op",
              "lookup_restarts_per_op"):
        if q in per:
            c.add(p, boot, q, [per[q]], icount=icount)


def metric(quantity: str, p: Point) -> str:
    return f"{NAME}.{p.workload}.c{p.cpus}.{quantity}"


KIND = base.Kind(name=NAME, section=NAME, build=build, collect=collect,
                 metric=metric, on_host=False,
                 compares_modes=False, probe_doc=probes.PER_OP,
                 reps=(("reps", 2),),
                 keys=("internal", "modes", "ops", "cpus", "reps"))
