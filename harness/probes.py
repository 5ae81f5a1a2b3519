"""Reading mntlock's JSON (mntbench.mntlock/2, bpf/SCHEMA.md) into
per-operation figures and the mount_lock wait histogram."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def per_op(doc: dict, ops: int) -> dict[str, float]:
    """quantity (harness/metrics.py) -> value for one probe pass, divided
    by the workload's ops over the same span (lifetime_ops). Fast-path
    puts exist only where mntlock ran with --all-puts."""
    if ops <= 0:
        return {}
    put = _mntput_v2(doc["mntput"])
    lock = doc["mount_lock_contention"]
    out = {}
    if put["slow_path"] is not None:
        out["slow_puts_per_op"] = put["slow_path"]["layer"] / ops
    if put["classified"]:
        out["fast_puts_per_op"] = put["layer"]["fast_path"] / ops
    out["lock_slowpath_per_op"] = lock["slowpath"]["count"] / ops
    out["lock_wait_ns_per_op"] = lock["slowpath"]["wait"]["sum_ns"] / ops
    return out


def _mntput_v2(put: dict) -> dict:
    """mntbench.mntlock/1 (stored baselines) always classified every
    mntput(): read it as /2 does."""
    if "classified" in put:
        return put
    return {**put, "classified": True,
            "slow_path": {"layer": put["layer"]["slow_path"]}}


def wait_buckets(doc: dict) -> list[tuple[int, int]]:
    """(low bound in ns, count) of the mount_lock wait histogram."""
    return [(b["lo"], b["count"]) for b in
            doc["mount_lock_contention"]["slowpath"]["wait"]["log2_buckets"]]


def wait_histogram_plot(docs: dict, out: Path, save) -> bool:
    """Wait-time histogram per mode (all runs summed) at the largest CPU
    count probed; docs: probe point -> its mntlock document."""
    import matplotlib.pyplot as plt
    if not docs:
        return False
    top = max(p.cpus for p in docs)
    hist: dict[str, dict[int, int]] = {}
    for p, doc in docs.items():
        if p.cpus == top:
            h = hist.setdefault(p.variant, {})
            for lo, n in wait_buckets(doc):
                h[lo] = h.get(lo, 0) + n
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for mode, h in sorted(hist.items()):
        label = f"{mode} ({sum(h.values())} waits)"
        if h:
            lo = np.array(sorted(h), dtype=float)
            ax.step(np.maximum(lo, 1), [h[x] for x in sorted(h)],
                    where="post", label=label)
        else:
            ax.plot([], [], label=label)
    ax.set_xscale("log")
    ax.set_title(f"mount_lock wait histogram, open-close on {top} CPUs")
    ax.set_xlabel("wait in the qspinlock slowpath, ns (log2 buckets)")
    ax.set_ylabel("contended acquisitions (all runs)")
    ax.legend()
    ax.grid(alpha=0.3)
    save(fig, out, "mount-lock-wait")
    return True
