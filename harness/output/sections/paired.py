"""The report section and plots of the paired kind (its points and records:
harness/run/kinds/paired.py)."""

from __future__ import annotations

import numpy as np
from harness.analysis import stats
from harness.run.kinds.paired import NAME


def _pct_ci(diff: float, lo: float, hi: float) -> str:
    return (f"{100 * np.expm1(diff):+.1f}% [{100 * np.expm1(lo):+.1f}%, "
            f"{100 * np.expm1(hi):+.1f}%]")


def report(rs) -> list[str]:
    """Mode B over mode A, from alternating blocks in one run (paired) and
    from separate runs (unpaired), with 95% CIs over runs: how much the
    pairing narrows the interval."""
    from statsmodels.stats.weightstats import DescrStatsW
    pairs = {p.variant: p.pair for p in rs.points if p.kind == NAME}
    out = []
    for s in sorted(rs.select(kind=NAME, quantity="pair_ratio"),
                    key=lambda s: (s.variant, s.cpus)):
        a, b = pairs[s.variant]
        x = np.log(s.values)
        if x.size < 2:
            continue
        lo, hi = DescrStatsW(x).tconfint_mean()
        out.append(f"  {s.workload} c{s.cpus} {s.variant}:")
        out.append(f"    paired   {_pct_ci(x.mean(), lo, hi)} "
                   f"({x.size} runs)")
        sa, sb = (rs.select(kind="load", workload=s.workload,
                            layers=s.layers, cpus=s.cpus, variant=v,
                            quantity="ops_per_s_per_task") for v in (a, b))
        if sa and sb:
            t = stats.decide(sa[0].values, sb[0].values, "higher", 0.02)
            out.append(f"    unpaired {_pct_ci(t.diff, t.lo, t.hi)} "
                       f"({t.n_base}+{t.n_cand} runs)")
    if not out:
        return []
    return ["Paired comparison (mode B / mode A throughput, blocks of",
            "0.25 s alternating in one run) against separate runs:",
            *out, ""]
