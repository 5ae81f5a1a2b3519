"""Where the detached cost goes: the detached-versus-longterm difference
in time per op, split into mount_lock spin wait, walk restarts times
their cost, and the remainder, per CPU count.

The difference comes from the load points (ops/s per task, or on the
icount clock instructions per op); the parts from the probe pass on the
same clock (mntlock: lock wait per op, restarts per op, the extra time
of a restarted open). All are medians of runs; the remainder is what the
two parts do not explain, printed as it is, negative or not, when the
split is decided. A split is undecided when the difference's 95% CI
(of the throughput or path-length ratio) holds 1 or a part's holds 0:
then it says which, with their CIs, and prints no remainder (what is
left of an undecided difference is noise, and may come out larger than
it with the opposite sign).

On the icount clock the vCPUs take turns, so a redone open waits out the
other vCPU's turn (milliseconds of guest time, bpf/BENCHMARKS.md): the
restart cost means nothing there, and the restarts are left in the
remainder, said so.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

import textwrap

from harness import kparams
from harness.analysis import stats

CAND, BASE = kparams.DETACHED, kparams.UPSTREAM


@dataclass(frozen=True)
class Split:
    cpus: int
    icount: bool        # the parts are icount guest ns (instructions)
    delta: float        # ns per op, detached minus longterm
    lock_wait: float    # ns per op
    restarts: float     # restarts per op (detached)
    restart_cost: float | None  # ns per restarted open; None: unknown
    # the 95% CI of the difference's ratio (throughput, or on icount
    # path length; detached over longterm), when it includes 1
    undecided: tuple[float, float] | None = None
    # the parts whose 95% CI holds 0: (part, lo, hi) in ns per op
    undecided_parts: tuple[tuple[str, float, float], ...] = ()

    @property
    def decided(self) -> bool:
        """The difference and its parts are told from none: the
        remainder means something."""
        return self.undecided is None and not self.undecided_parts

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
        parts = [p for p in (_wait_undecided(rs, wait_q, at),
                             _restarts_undecided(rs, cost is not None
                                                 and not icount, at))
                 if p is not None]
        out.append(Split(cpus, icount, delta, waits[0] - waits[1],
                         restarts, cost, _undecided(rs, cpus, icount),
                         tuple(parts)))
    return out


def _undecided(rs, cpus: int, icount: bool) -> tuple[float, float] | None:
    """The CI of the load points' ratio, detached over longterm
    (throughput; on icount, instructions per op), when it includes 1."""
    at = dict(kind="load", workload="open-close", layers=2, cpus=cpus,
              quantity="insn_ns_per_op" if icount else "ops_per_s_per_task")
    b, c = (rs.select(variant=v, **at) for v in (BASE, CAND))
    if not b or not c:
        return None
    cmp = stats.compare(b[0].values, c[0].values)
    if cmp.lo == cmp.hi:
        return None     # no spread: the ratio is known
    return (cmp.lo, cmp.hi) if cmp.lo <= 1.0 <= cmp.hi else None


def _wait_undecided(rs, quantity: str, at: dict):
    """("mount_lock wait", lo, hi) when the CI of the lock wait's
    difference (detached - longterm) holds 0."""
    b, c = (rs.select(variant=v, quantity=quantity, **at)
            for v in (BASE, CAND))
    d = stats.difference(b[0].values, c[0].values)
    return ("mount_lock wait", d.lo, d.hi) if d.spans_zero else None


def _restarts_undecided(rs, priced: bool, at: dict):
    """("walk restarts", lo, hi) when the CI of the restart part
    (detached's restarts per op x the cost of one) holds 0; unpriced
    restarts are in the remainder, not a part."""
    r = rs.select(variant=CAND, quantity="rcu_restarts_per_op", **at)
    cost = rs.select(variant=CAND, quantity="restart_cost_ns", **at)
    if not priced or not r or not cost:
        return None
    er, ec = stats.estimate(r[0].values), stats.estimate(cost[0].values)
    lo, hi = er.lo * ec.lo, er.hi * ec.hi
    return ("walk restarts", lo, hi) if lo <= 0 < hi else None


def _why(s: Split) -> str:
    """What leaves a split undecided, with the CIs."""
    what = "path length" if s.icount else "throughput"
    items = ([f"the difference ({what} ratio CI [{s.undecided[0]:.3f}, "
              f"{s.undecided[1]:.3f}] holds 1)"] if s.undecided else [])
    items += [f"{name} (CI [{lo:+.0f}, {hi:+.0f}] holds 0)"
              for name, lo, hi in s.undecided_parts]
    return ("parts undecided: " + ", ".join(items) +
            ": no remainder")


def lines(rs) -> list[str]:
    out = []
    for s in splits(rs):
        unit = "icount ns" if s.icount else "ns"

        def row(name: str, x: float, *extra: str) -> str:
            # a share of an undecided difference is no share
            share = ((f"{100 * x / s.delta:+.0f}%" if s.delta else "n/a")
                     if s.decided else "")
            return "  ".join(c for c in (f"    {name:<20} {x:+8.0f}", share,
                                         *extra) if c)
        out += [f"  c{s.cpus} ({'icount' if s.icount else 'wall clock'}): "
                f"{CAND} {s.delta:+.0f} {unit}/op over {BASE}",
                row("mount_lock wait", s.lock_wait),
                row("walk restarts", s.restart_part,
                    f"({s.restarts:.4f}/op x {s.restart_cost:.0f})")
                if s.restart_cost is not None
                else f"    walk restarts        {s.restarts:.4f}/op, cost "
                "not measurable here"]
        if s.decided:
            out.append(row("remainder", s.remainder,
                           "" if s.restart_cost is not None
                           else "(walk restarts in it)"))
        else:
            out += textwrap.wrap(_why(s), 72, initial_indent="    ",
                                 subsequent_indent="      ")
    if not out:
        return []
    return ["Where the detached cost goes (medians of runs: load points",
            "for the difference, the probe pass for the parts):", *out, ""]


def plot(rs, out) -> bool:
    from harness.output import plots as P
    ss = splits(rs)
    if not ss:
        return False
    fig, ax = P.plt.subplots(figsize=(6.4, 4.2))
    xs = np.arange(len(ss))
    bottom = np.zeros(len(ss))
    for label, vals in (("mount_lock wait", [s.lock_wait for s in ss]),
                        ("walk restarts x cost",
                         [s.restart_part for s in ss]),
                        # an undecided split has no remainder
                        ("remainder", [s.remainder if s.decided else 0.0
                                       for s in ss])):
        ax.bar(xs, vals, bottom=bottom, label=label)
        bottom += np.array(vals)
    ax.plot(xs, [s.delta for s in ss], "k_", markersize=30,
            label="measured difference")
    ax.set_xticks(xs, [f"{s.cpus} CPUs" + ("" if s.decided
                                           else "\n(undecided)")
                       for s in ss])
    unit = "icount ns" if ss[0].icount else "ns"
    return P.finish(fig, ax, out, "detached-cost-split",
                    f"where the {CAND} cost goes ({CAND} - {BASE})",
                    "", f"{unit} per op (medians of runs)", axis="y")
