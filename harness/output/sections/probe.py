"""The report section and plots of the probe kind (its points and records:
harness/run/kinds/probe.py)."""

from __future__ import annotations

from pathlib import Path
import numpy as np
from harness.output import costsplit
from harness.run import probes
from harness.run.kinds.probe import KIND, NAME


def plots(rs, out: Path) -> list[str]:
    from harness.output import plots as P
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
    from harness.output import plots as P
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


def report(rs) -> list[str]:
    """Where the detached mode's cost goes (harness/output/costsplit.py)."""
    return costsplit.lines(rs)
