"""bystander: open-close throughput of the other tasks while task 0
churns mount/umount ([bystander]); needs 2 vCPUs or more.

Each mode also runs a no-churn baseline: the same load tasks on the same
CPUs with CPU 0 idle (ovlbench -w open-close). The loss against it is
normalised per umount and per grace period, with the grace periods that
mntlock counts in the same runs (both halves carry mntlock, so its cost
cancels): expedited grace periods interrupt every CPU, normal ones only
wait."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from harness import metrics, probes, stats
from harness.kinds import base
from harness.point import Point

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
        value = sum(run["task_cpu_ns"][i] for i in load) / max(ops, 1)
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


@dataclass(frozen=True)
class Loss:
    """A mode's bystander loss against its no-churn baseline."""
    mode: str
    layers: int
    cpus: int
    kept: stats.Comparison      # churn / baseline throughput, with CI
    umounts_per_s: float | None  # the churner's, in the window
    per_umount: float | None    # load ops lost per umount
    gp: float | None            # grace periods per umount
    gp_expedited: float | None

    @property
    def per_gp(self) -> float | None:
        n = (self.gp or 0) + (self.gp_expedited or 0)
        if self.per_umount is None or self.gp is None or not n:
            return None
        return self.per_umount / n


def losses(rs) -> list[Loss]:
    def med(s) -> float | None:
        return float(np.median(s[0].values)) if s else None
    out = []
    for b in rs.select(kind=NAME, workload=BASELINE):
        at = dict(kind=NAME, workload=NAME, variant=b.variant,
                  layers=b.layers, cpus=b.cpus)
        load = rs.select(quantity=LOAD_OF[b.quantity], **at)
        if not load:
            continue
        kept = stats.compare(b.values, load[0].values)
        per_umount = None
        rate = med(rs.select(quantity="umounts_per_s", **at))
        if b.quantity == "baseline_ops_per_s_per_task" and rate:
            lost = (np.median(b.values) - np.median(load[0].values)) \
                * (b.cpus - 1)
            per_umount = float(lost / rate)
        out.append(Loss(b.mode, b.layers, b.cpus, kept, rate, per_umount,
                        med(rs.select(quantity="gp_per_umount", **at)),
                        med(rs.select(quantity="gp_expedited_per_umount",
                                      **at))))
    return sorted(out, key=lambda x: (x.layers, x.cpus, x.mode))


def report(rs) -> list[str]:
    """Per mode: the load's loss against its no-churn baseline, per
    umount and per grace period, and which grace periods were waited
    for."""
    out = []
    for x in losses(rs):
        k = x.kept
        out.append(f"  {x.mode} l{x.layers} c{x.cpus}: loss "
                   f"{100 * (1 - k.ratio):.1f}% [{100 * (1 - k.hi):.1f}, "
                   f"{100 * (1 - k.lo):.1f}]")
        if x.umounts_per_s == 0:
            out.append("    no umount ended in the window: the churner "
                       "sat in its grace periods")
        elif k.hi >= 1:
            # a loss the CI does not tell from none has no per-umount size
            out.append("    no loss resolved (its CI includes 0)")
        elif x.per_umount is not None:
            per_gp = "" if x.per_gp is None else \
                f", {x.per_gp:.1f} per grace period"
            out.append(f"    {x.per_umount:.1f} load ops lost per umount "
                       f"({x.umounts_per_s:.0f}/s){per_gp}")
        if x.gp is not None:
            out.append(f"    grace periods per umount: {x.gp:.2f} normal, "
                       f"{x.gp_expedited or 0:.2f} expedited")
    if not out:
        return []
    return ["Bystander loss: the load tasks' open-close throughput beside",
            "mount/umount churn against the same tasks without churn",
            "(median of runs, 95% CI; both halves carry mntlock). Expedited",
            "grace periods (synchronize_rcu_expedited) send an IPI to every",
            "CPU; normal ones (synchronize_rcu) only wait:", *out, ""]


def plots(rs, out: Path) -> list[str]:
    from harness import plots as P
    made = P.bars(rs, out, {"kind": NAME,
                            "quantity": "load_ops_per_s_per_task"},
                  "bystander open-close throughput during teardown churn",
                  "ops/s per load task (median, 95% CI)", "bystander")
    return ["bystander"] if made else []


KIND = base.Kind(name=NAME, section=NAME, build=build, collect=collect,
                 metric=metric, report=report, plots=plots,
                 keys=("modes", "layers", "reps", "duration"),
                 probe_doc=("teardown",))
