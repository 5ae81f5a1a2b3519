"""Graphs for patch review, PNG and SVG, from a result set's samples: the
drawing helpers; each kind (harness/run/kinds) says which graphs it has."""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from harness import kparams  # noqa: E402
from harness.analysis import stats  # noqa: E402

plt.rcParams["svg.fonttype"] = "none"   # titles stay text in the SVG
DETACHED = kparams.DETACHED
# legend order: the mode under test first, then upstream's and the rest
MODE_ORDER = [DETACHED, *(m for m in kparams.MODES if m != DETACHED),
              kparams.FIXED]


def finish(fig, ax, out: Path, name: str, title: str, xlabel: str,
           ylabel: str, legend: bool = True, **grid) -> bool:
    """Title, axis labels, legend and grid, then save; True."""
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if legend:
        ax.legend()
    ax.grid(alpha=0.3, **grid)
    save(fig, out, name)
    return True


def save(fig, out: Path, name: str) -> None:
    out.mkdir(exist_ok=True)
    fig.tight_layout()
    try:
        for ext in ("png", "svg"):
            # the pid tells a live writer's temp from a dead one's
            # (setfiles.sweep)
            tmp = out / f".{name}.{os.getpid()}.tmp.{ext}"
            try:
                fig.savefig(tmp, dpi=110)
                tmp.replace(out / f"{name}.{ext}")
            except BaseException:
                tmp.unlink(missing_ok=True)
                raise
    finally:
        plt.close(fig)


def _series(rs, x: str, **fields) -> dict[str, dict[int, list[float]]]:
    """variant -> {x: run values} of the series with these fields; x is
    the field on the horizontal axis (cpus, layers)."""
    out: dict[str, dict[int, list[float]]] = {}
    for s in rs.select(**fields):
        out.setdefault(s.variant, {})[getattr(s, x)] = list(s.values)
    return out


def _ordered(d: dict) -> list[str]:
    return sorted(d, key=lambda v: (MODE_ORDER.index(v)
                                    if v in MODE_ORDER else 99, v))


def _errbar(ax, xs, samples, label, scale=None):
    meds, lo, hi = [], [], []
    for x, s in zip(xs, samples):
        e = stats.estimate(s)
        k = scale(x) if scale else 1.0
        meds.append(e.median * k)
        lo.append((e.median - e.lo) * k)
        hi.append((e.hi - e.median) * k)
    ax.errorbar(xs, meds, yerr=[lo, hi], marker="o", capsize=3, label=label)
    return meds


def throughput(rs, out: Path, kind: str,
               workload: str = "open-close") -> bool:
    data = _series(rs, "cpus", kind=kind, workload=workload, layers=2,
                   quantity="ops_per_s_per_task")
    if not data:
        return False
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for v in _ordered(data):
        xs = sorted(data[v])
        meds = _errbar(ax, xs, [data[v][x] for x in xs], v, scale=float)
        if v in (kparams.UPSTREAM, kparams.FIXED) and xs:
            ax.plot(xs, [meds[0] / xs[0] * x for x in xs], "k:",
                    label="linear scaling")
    ax.set_xticks(sorted({x for d in data.values() for x in d}))
    return finish(fig, ax, out, f"throughput-{workload}",
                  f"{workload} throughput vs CPUs (2 layers)",
                  "CPUs (tasks)", "total ops/s (median, 95% CI)")


def _ratio_errbar(ax, xs, comps, label=None) -> None:
    """Ratios of medians with their CIs (stats.Comparison) at xs."""
    ax.errorbar(xs, [c.ratio for c in comps],
                yerr=[[c.ratio - c.lo for c in comps],
                      [c.hi - c.ratio for c in comps]],
                marker="o", capsize=3, label=label)


def ratio(rs, out: Path, kind: str) -> bool:
    data = _series(rs, "cpus", kind=kind, workload="open-close",
                   layers=2, quantity="ops_per_s_per_task")
    up = kparams.UPSTREAM
    if DETACHED not in data or up not in data:
        return False
    xs = sorted(set(data[DETACHED]) & set(data[up]))
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    _ratio_errbar(ax, xs, [stats.compare(data[up][x], data[DETACHED][x])
                           for x in xs])
    ax.axhline(1.0, color="k", lw=0.8)
    ax.set_xticks(xs)
    return finish(fig, ax, out, "ratio-detached-longterm",
                  f"{DETACHED} / {up} open-close throughput",
                  "CPUs (tasks)", "ratio of medians (95% bootstrap CI)",
                  legend=False)


def teardown(rs, out: Path) -> bool:
    data = _series(rs, "layers", kind="teardown", quantity="umount_us",
                   stat="median")
    if not data:
        return False
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for v in _ordered(data):
        xs = sorted(data[v])
        _errbar(ax, xs, [data[v][x] for x in xs], v)
    ax.set_xscale("log")
    ax.set_yscale("log")
    return finish(fig, ax, out, "teardown-umount-latency",
                  "umount latency vs layers per teardown mode",
                  "lower layers (+ upper)",
                  "umount latency, us (median of run medians, 95% CI)",
                  which="both")


def overhead(comps: dict, target: float, out: Path) -> bool:
    """with/without ratio per CPU count, one line per mode, against the
    target; comps: (mode, cpus) -> stats.Comparison."""
    if not comps:
        return False
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for mode in sorted({m for m, _ in comps}):
        xs = sorted(c for m, c in comps if m == mode)
        _ratio_errbar(ax, xs, [comps[(mode, x)] for x in xs],
                      label=mode or "all modes")
    ax.axhline(1.0, color="k", lw=0.8)
    ax.axhline(target, color="r", lw=0.8, ls="--",
               label=f"target ({target:.2f})")
    ax.set_xticks(sorted({c for _, c in comps}))
    return finish(fig, ax, out, "probe-overhead",
                  "probe overhead: open-close with / without mntlock",
                  "CPUs (tasks)", "ratio of medians (95% bootstrap CI)")


def bars(rs, out: Path, fields: dict, title: str, ylabel: str,
          name: str) -> bool:
    """One bar per variant (and CPU count where there are several)."""
    found = rs.select(**fields)
    many = len({s.cpus for s in found}) > 1
    rows = []
    for s in sorted(found, key=lambda s: (s.cpus, _ordered(
            {v.variant: 0 for v in found}).index(s.variant))):
        label = f"{s.variant} c{s.cpus}" if many else s.variant
        rows.append((label, stats.estimate(s.values)))
    if not rows:
        return False
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    labels = [v for v, _ in rows]
    meds = [e.median for _, e in rows]
    err = [[e.median - e.lo for _, e in rows], [e.hi - e.median
                                                 for _, e in rows]]
    ax.bar(range(len(rows)), meds, yerr=err, capsize=4)
    ax.set_xticks(range(len(rows)), labels, rotation=15)
    return finish(fig, ax, out, name, title, "", ylabel, legend=False,
                  axis="y")


def path_length(rs, out: Path, kind: str) -> bool:
    return bars(rs, out, {"kind": kind, "workload": "open-close",
                          "quantity": "insn_ns_per_op"},
                "open-close path length (icount: instructions, not "
                "wall-clock time)", "instructions per op (median, 95% CI)",
                "path-length-open-close")


def lines_vs_vcpus(rs, out: Path, kind: str, quantity: str,
                   workload: str = "open-close") -> bool:
    """An exact count per mode against vCPUs (one run per point)."""
    data = _series(rs, "cpus", kind=kind, workload=workload,
                   quantity=quantity)
    if not data:
        return False
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for v in _ordered(data):
        xs = sorted(data[v])
        ax.plot(xs, [float(np.median(data[v][x])) for x in xs], marker="o",
                label=v)
    xs = sorted({x for d in data.values() for x in d})
    ax.set_xscale("log", base=2)
    ax.set_xticks(xs)
    ax.set_xticklabels([str(x) for x in xs])
    return finish(fig, ax, out, "coherence",
                  f"{workload}: cache lines fought over per op",
                  "vCPUs (one task each)",
                  "fought-over lines per op (coherence model)")
