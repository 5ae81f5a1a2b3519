"""The report section and plots of the bystander kind (its points and records:
harness/run/kinds/bystander.py)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
import numpy as np
from harness.analysis import stats
from harness.run.kinds.bystander import BASELINE, LOAD_OF, NAME


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
    from harness.output import plots as P
    made = P.bars(rs, out, {"kind": NAME,
                            "quantity": "load_ops_per_s_per_task"},
                  "bystander open-close throughput during teardown churn",
                  "ops/s per load task (median, 95% CI)", "bystander")
    return ["bystander"] if made else []
