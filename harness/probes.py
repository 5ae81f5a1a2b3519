"""Reading mntlock's JSON (mntbench.mntlock/1, bpf/SCHEMA.md) into
per-operation figures and the mount_lock wait histogram."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np


def per_op(doc: dict, ops: int) -> dict[str, tuple]:
    """quantity -> (value, unit, direction, label) for one probe pass,
    divided by the workload's ops over the same span (lifetime_ops)."""
    if ops <= 0:
        return {}
    layer = doc["mntput"]["layer"]
    lock = doc["mount_lock_contention"]
    return {
        "slow_puts_per_op": (
            layer["slow_path"] / ops, "1/op", "lower",
            "mntput slow path (mnt_ns NULL) on layer mounts per op"),
        "fast_puts_per_op": (
            layer["fast_path"] / ops, "1/op", "higher",
            "mntput fast path on layer mounts per op"),
        "lock_slowpath_per_op": (
            lock["slowpath"]["count"] / ops, "1/op", "lower",
            "contended mount_lock acquisitions per op"),
        "lock_wait_ns_per_op": (
            lock["slowpath"]["wait"]["sum_ns"] / ops, "ns/op", "lower",
            "mount_lock wait (qspinlock slowpath) per op"),
    }


def wait_buckets(doc: dict) -> list[tuple[int, int]]:
    """(low bound in ns, count) of the mount_lock wait histogram."""
    return [(b["lo"], b["count"]) for b in
            doc["mount_lock_contention"]["slowpath"]["wait"]["log2_buckets"]]


def wait_histogram_plot(rs, out: Path, save) -> bool:
    """Wait-time histogram per mode, at the largest CPU count probed."""
    import matplotlib.pyplot as plt
    files = {}
    rx = re.compile(r"probe-open-close-l(\d+)-c(\d+)-(.+)\.json")
    for f in sorted((rs.path / "probes").glob("probe-*.json")):
        m = rx.fullmatch(f.name)
        if m:
            key = (int(m.group(2)), m.group(3))
            files[key] = f
    if not files:
        return False
    top = max(c for c, _ in files)
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    drawn = False
    for (cpus, mode), f in sorted(files.items()):
        if cpus != top:
            continue
        b = wait_buckets(json.loads(f.read_text()))
        total = sum(c for _, c in b)
        label = f"{mode} ({total} waits)"
        if b:
            lo = np.array([x for x, _ in b], dtype=float)
            ax.step(np.maximum(lo, 1), [c for _, c in b], where="post",
                    label=label)
            drawn = True
        else:
            ax.plot([], [], label=label)
    ax.set_xscale("log")
    ax.set_title(f"mount_lock wait histogram, open-close on {top} CPUs")
    ax.set_xlabel("wait in the qspinlock slowpath, ns (log2 buckets)")
    ax.set_ylabel("contended acquisitions")
    ax.legend()
    ax.grid(alpha=0.3)
    save(fig, out, "mount-lock-wait")
    return drawn or bool(files)
