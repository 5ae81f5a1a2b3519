"""Reading mntlock's JSON (mntbench.mntlock/2, bpf/SCHEMA.md) into
per-operation figures and the mount_lock wait histogram."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np


def per_op(doc: dict, ops: int) -> dict[str, tuple]:
    """quantity -> (value, unit, direction, label) for one probe pass,
    divided by the workload's ops over the same span (lifetime_ops).
    Fast-path puts exist only where mntlock ran with --all-puts."""
    if ops <= 0:
        return {}
    put = _mntput_v2(doc["mntput"])
    lock = doc["mount_lock_contention"]
    out = {}
    if put["slow_path"] is not None:
        out["slow_puts_per_op"] = (
            put["slow_path"]["layer"] / ops, "1/op", "lower",
            "mntput slow path (mnt_ns NULL) on layer mounts per op")
    if put["classified"]:
        out["fast_puts_per_op"] = (
            put["layer"]["fast_path"] / ops, "1/op", "higher",
            "mntput fast path on layer mounts per op")
    out["lock_slowpath_per_op"] = (
        lock["slowpath"]["count"] / ops, "1/op", "lower",
        "contended mount_lock acquisitions per op")
    out["lock_wait_ns_per_op"] = (
        lock["slowpath"]["wait"]["sum_ns"] / ops, "ns/op", "lower",
        "mount_lock wait (qspinlock slowpath) per op")
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
