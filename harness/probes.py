"""Reading mntlock's JSON (mntbench.mntlock/3, bpf/SCHEMA.md): per-operation
figures and the mount_lock wait histogram's buckets."""

from __future__ import annotations

from dataclasses import dataclass


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
    # the reader side, from /3 on; a field is null where its probe could
    # not attach (mntlock warned), and then there is no figure
    walk = doc.get("path_walk") or {}
    for key, q in PATH_WALK_PER_OP.items():
        if walk.get(key) is not None:
            out[q] = walk[key] / ops
    if walk.get("restart_cost_ns") is not None and walk.get("rcu_restarts"):
        out["restart_cost_ns"] = walk["restart_cost_ns"]
    return out


# path_walk count -> its per-op quantity (harness/metrics.py)
PATH_WALK_PER_OP = {"rcu_restarts": "rcu_restarts_per_op",
                    "lookup_restarts": "lookup_restarts_per_op",
                    "legitimize_failed": "legitimize_failed_per_op",
                    "unlazy_failed": "unlazy_failed_per_op",
                    "mount_lock_writes": "mount_lock_writes_per_op"}


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


@dataclass(frozen=True)
class MountPuts:
    """One row of mntput_by_mount: mntput()s of mounts of one filesystem
    type in one state (ns, internal, detached). all is None where mntlock
    ran without --all-puts (only slow puts counted)."""
    fstype: str
    state: str
    slow: int
    all: int | None


def by_mount(doc: dict) -> list[MountPuts]:
    """The mntput_by_mount rows, in the document's order (slow puts
    descending, then fstype, then state); [] for a document from before
    the key (not measured there)."""
    return [MountPuts(r["fstype"], r["state"], r["slow"], r.get("all"))
            for r in doc.get("mntput_by_mount") or []]
