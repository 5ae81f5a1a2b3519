"""bystander: open-close throughput of the other tasks while task 0
churns mount/umount ([bystander]); needs 2 vCPUs or more.

Each mode also runs a no-churn baseline: the same load tasks on the same
CPUs with CPU 0 idle (ovlbench -w open-close). The loss against it is
normalised per umount and per grace period, with the grace periods that
mntlock counts in the same runs (both halves carry mntlock, so its cost
cancels): expedited grace periods interrupt every CPU, normal ones only
wait."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from harness import metrics
from harness.point import Point
from harness.run import probes
from harness.run.kinds import base

NAME = "bystander"
BASELINE = "open-close"     # the baseline's workload: the load alone
# mntlock's grace-period kind -> the quantity of its count per umount
# the baseline's quantity -> the churning run's (per clock)
LOAD_OF = {"baseline_ops_per_s_per_task": "load_ops_per_s_per_task",
           "baseline_insn_ns_per_op": "load_insn_ns_per_op"}
# its grace periods and umounts are all it reads from mntlock: no lock
# probes, so the load tasks pay less for the count
MNTLOCK_ARGS = ("--no-lock",)
GP_PER_UMOUNT = {"synchronize_rcu": "gp_per_umount",
                 "synchronize_rcu_expedited": "gp_expedited_per_umount"}


def build(ctx: base.Context) -> list[Point]:
    if ctx.vcpus < 2:
        return []
    sec = ctx.section(NAME)
    dur, interval = base.duration_args(ctx, sec)
    n = ctx.vcpus

    def point(layers: int, m: str, v: str, rep: int,
              churn: bool) -> Point:
        if churn:
            wl, tag, tasks = NAME, "", base.common_args(ctx, n)
        else:
            # the churning run's load tasks (1..), pinned where they were
            wl, tag = BASELINE, "-nochurn"
            tasks = base.common_args(ctx, n - 1, first_cpu=1)
        return Point(
            id=f"{NAME}-l{layers}-{v}{tag}-r{rep}", kind=NAME,
            workload=wl, mode=m, variant=v, layers=layers, cpus=n,
            rep=rep, probe=ctx.probes, mntlock_args=MNTLOCK_ARGS,
            args=("--workload", wl, "--upper", "--layers", str(layers),
                  "--duration", dur, *tasks, *interval))
    return base.layer_points(
        ctx, sec, lambda layers, m, v, rep:
        [point(layers, m, v, rep, churn) for churn in (True, False)])


def collect(c, p: Point, boot: int, doc: dict, icount: bool,
            sdir: Path) -> None:
    run = base.run_of(doc)
    roles = run["task_roles"]
    load = [i for i, r in enumerate(roles) if r == "load"]
    ops = sum(run["task_totals"][i] for i in load)
    secs = sum(run["intervals_s"]) or 1.0
    if icount:
        cpu_ops = base.cpu_ops(run)
        value = sum(run["task_cpu_ns"][i] for i in load) / \
            max(sum(cpu_ops[i] for i in load), 1)
    else:
        value = ops / secs / max(len(load), 1)
    if p.workload == BASELINE:
        c.add(p, boot, "baseline_ops_per_s_per_task", [value],
              icount=icount)
        return
    c.add(p, boot, "load_ops_per_s_per_task", [value], icount=icount)
    churn = roles.index("churn")
    if not icount:
        c.add(p, boot, "umounts_per_s", [run["task_totals"][churn] / secs])
    lat = run.get("latency") or {}
    if "umount_ns" in lat:
        c.add(p, boot, "umount_us", base.iterations_us(lat, "umount"),
              per_iteration=True, icount=icount)
    mdoc = probes.load(sdir, p.id, KIND.probe_doc) if p.probe else None
    if mdoc is not None:
        for q, n in gp_per_umount(mdoc).items():
            c.add(p, boot, q, [n])


def gp_per_umount(doc: dict) -> dict[str, float]:
    """quantity -> grace periods per overlay umount, of each kind: the
    median over mntlock's umount records (the churner's, and the main
    overlay's at exit, which is torn down alike), wherever in the umount
    they were waited for."""
    recs = [r["gp"] for r in doc["teardown"]["records"] if r["overlay"]]
    if not recs:
        return {}
    return {q: float(np.median([sum(w[kind]["calls"] for w in gp.values())
                                for gp in recs]))
            for kind, q in GP_PER_UMOUNT.items()}


def metric(quantity: str, p: Point) -> str:
    if metrics.quantity(quantity).per_iteration:
        return f"{NAME}.l{p.layers}.{quantity}"
    return f"{NAME}.l{p.layers}.c{p.cpus}.{quantity}"


KIND = base.Kind(name=NAME, section=NAME, build=build, collect=collect,
                 metric=metric,
                 keys=("modes", "layers", "reps", "duration"),
                 probe_doc=("teardown",))
