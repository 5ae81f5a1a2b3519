"""Where the detached cost goes: the detached-versus-longterm difference
in time per op, split into mount_lock spin wait, walk restarts times
their cost, and the remainder, per CPU count.

The difference comes from the load points (ops/s per task, or on the
icount clock instructions per op); the parts from the probe pass on the
same clock (mntlock: lock wait per op, restarts per op, the extra time
of a restarted open). All are medians of runs; the remainder is what the
two parts do not explain, printed as it is, negative or not.

On the icount clock the vCPUs take turns, so a redone open waits out the
other vCPU's turn (milliseconds of guest time, bpf/BENCHMARKS.md): the
restart cost means nothing there, and the restarts are left in the
remainder, said so.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from harness import kparams, stats

CAND, BASE = kparams.DETACHED, kparams.UPSTREAM


@dataclass(frozen=True)
class Split:
    cpus: int
    icount: bool        # the parts are icount guest ns (instructions)
    delta: float        # ns per op, detached minus longterm
    lock_wait: float    # ns per op
    restarts: float     # restarts per op (detached)
    restart_cost: float | None  # ns per restarted open; None: unknown
    # wall clock: the 95% CI of the throughput ratio, when it includes 1
    undecided: tuple[float, float] | None = None

    @property
    def restart_part(self) -> float:
        return self.restarts * (self.restart_cost or 0.0)

    @property
    def remainder(self) -> float:
        return self.delta - self.lock_wait - self.restart_part


def median(rs, variant: str, **fields) -> float | None:
    """The median of runs of a set's one series with these fields."""
    s = rs.select(variant=variant, **fields)
    return float(np.median(s[0].values)) if s else None


def _delta(rs, cpus: int) -> tuple[float, bool] | None:
    """(detached - longterm in ns per op, on icount) from the load
    points of open-close at 2 layers."""
    at = dict(kind="load", workload="open-close", layers=2, cpus=cpus)
    d, b = (median(rs, v, quantity="insn_ns_per_op", **at)
            for v in (CAND, BASE))
    if d is not None and b is not None:
        return d - b, True
    d, b = (median(rs, v, quantity="ops_per_s_per_task", **at)
            for v in (CAND, BASE))
    if d and b:
        return 1e9 / d - 1e9 / b, False
    return None


def splits(rs) -> list[Split]:
    out = []
    for cpus in sorted({s.cpus for s in rs.select(kind="probe")}):
        dl = _delta(rs, cpus)
        if dl is None:
            continue
        delta, icount = dl
        at = dict(kind="probe", workload="open-close", layers=2, cpus=cpus)
        wait_q = ("lock_wait_icount_ns_per_op" if icount
                  else "lock_wait_ns_per_op")
        waits = [median(rs, v, quantity=wait_q, **at) for v in (CAND, BASE)]
        restarts = median(rs, CAND, quantity="rcu_restarts_per_op", **at)
        if None in waits or restarts is None:
            continue
        cost = None if icount else median(
            rs, CAND, quantity="restart_cost_ns", **at)
        if cost is None and restarts == 0:
            cost = 0.0
        out.append(Split(cpus, icount, delta, waits[0] - waits[1],
                         restarts, cost, None if icount else
                         _undecided(rs, cpus)))
    return out


def _undecided(rs, cpus: int) -> tuple[float, float] | None:
    """The CI of the wall-clock throughput ratio of the load points
    (detached over longterm), when it includes 1."""
    at = dict(kind="load", workload="open-close", layers=2, cpus=cpus,
              quantity="ops_per_s_per_task")
    b, c = (rs.select(variant=v, **at) for v in (BASE, CAND))
    if not b or not c:
        return None
    cmp = stats.compare(b[0].values, c[0].values)
    return (cmp.lo, cmp.hi) if cmp.lo <= 1.0 <= cmp.hi else None


def lines(rs) -> list[str]:
    out = []
    for s in splits(rs):
        unit = "icount ns" if s.icount else "ns"

        def pct(x: float) -> str:
            return f"{100 * x / s.delta:+.0f}%" if s.delta else "n/a"
        out += [f"  c{s.cpus} ({'icount' if s.icount else 'wall clock'}): "
                f"{CAND} {s.delta:+.0f} {unit}/op over {BASE}"
                + (f", undecided: the throughput ratio's 95% CI "
                   f"[{s.undecided[0]:.3f}, {s.undecided[1]:.3f}] holds 1, "
                   "so the parts are no split of it" if s.undecided
                   else ""),
                f"    mount_lock wait      {s.lock_wait:+8.0f}  "
                f"{pct(s.lock_wait)}",
                (f"    walk restarts        {s.restart_part:+8.0f}  "
                 f"{pct(s.restart_part)}  ({s.restarts:.4f}/op x "
                 f"{s.restart_cost:.0f})" if s.restart_cost is not None
                 else f"    walk restarts        {s.restarts:.4f}/op, cost "
                 "not measurable here: in the remainder"),
                f"    remainder            {s.remainder:+8.0f}  "
                f"{pct(s.remainder)}"]
    if not out:
        return []
    return ["Where the detached cost goes (medians of runs: load points",
            "for the difference, the probe pass for the parts):", *out, ""]


def plot(rs, out) -> bool:
    from harness import plots as P
    ss = splits(rs)
    if not ss:
        return False
    fig, ax = P.plt.subplots(figsize=(6.4, 4.2))
    xs = np.arange(len(ss))
    bottom = np.zeros(len(ss))
    for label, vals in (("mount_lock wait", [s.lock_wait for s in ss]),
                        ("walk restarts x cost",
                         [s.restart_part for s in ss]),
                        ("remainder", [s.remainder for s in ss])):
        ax.bar(xs, vals, bottom=bottom, label=label)
        bottom += np.array(vals)
    ax.plot(xs, [s.delta for s in ss], "k_", markersize=30,
            label="measured difference")
    ax.set_xticks(xs, [f"{s.cpus} CPUs" for s in ss])
    unit = "icount ns" if ss[0].icount else "ns"
    return P.finish(fig, ax, out, "detached-cost-split",
                    f"where the {CAND} cost goes ({CAND} - {BASE})",
                    "", f"{unit} per op (medians of runs)", axis="y")
