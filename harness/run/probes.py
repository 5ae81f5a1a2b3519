"""Reading mntlock's JSON (mntbench.mntlock/3, bpf/SCHEMA.md): per-operation
figures and the mount_lock wait histogram's buckets. load() reads a
point's document from a set and holds it to what the functions here
read (check()): a set is untrusted input (harness/setcheck.py)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from harness import errors, setcheck
from harness.setcheck import BOOL, COUNT, NUM, STR

SCHEMAS = ("mntbench.mntlock/1", "mntbench.mntlock/2", "mntbench.mntlock/3")


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

# What the readers here and the kinds take from a document (setcheck
# specs), where it is there; the rest of it is not read. A reader asks
# for the keys it needs (load(need=...)): per_op() PER_OP, wait_buckets()
# the contention, gp counts the teardown.
_PUTS = {"fast_path?": COUNT, "slow_path?": COUNT}
PER_OP = ("mntput", "mount_lock_contention")
SHAPE = {
    "schema?": STR,
    "mntput?": {"classified?": BOOL,
               "slow_path?": (None, {"layer": COUNT, "all?": COUNT}),
               "layer?": (None, _PUTS), "all?": (None, _PUTS)},
    "mount_lock_contention?": {"slowpath": {
        "count": COUNT,
        "wait": {"sum_ns": COUNT,
                 "log2_buckets": [{"lo": COUNT, "count": COUNT}]}}},
    "path_walk?": (None, {**{f"{k}?": (None, COUNT)
                             for k in PATH_WALK_PER_OP},
                          "restart_cost_ns?": (None, NUM)}),
    # grace periods of an umount record: where -> kind -> calls
    "teardown?": {"records": [{"overlay": BOOL, "gp": {"*": {
        "synchronize_rcu": {"calls": COUNT},
        "synchronize_rcu_expedited": {"calls": COUNT}}}}]},
    "mntput_by_mount?": (None, [{"fstype": STR, "state": STR,
                                 "slow": COUNT, "all?": (None, COUNT)}]),
}


def check(doc, where: str, need: tuple[str, ...] = ()) -> None:
    """A mntlock document as per_op(), wait_buckets(), by_mount() and
    the kinds read it, with the top-level keys in need; InputError
    naming where and the field if not."""
    setcheck.shape(doc, SHAPE, where)
    for k in need:
        if k not in doc:
            raise errors.InputError(f"{where}: no key {k}")
    if doc.get("schema", SCHEMAS[-1]) not in SCHEMAS:
        raise errors.InputError(
            f"{where}: schema={setcheck.show(doc['schema'])}; allowed: "
            f"{', '.join(SCHEMAS)}")
    if "mntput" not in doc:
        return
    put = doc["mntput"]
    layer = put.get("layer") or {}
    if "classified" not in put:     # /1: every put classified
        need = None if "slow_path" in layer else "layer.slow_path"
    elif "slow_path" not in put:
        need = "slow_path"
    else:
        need = "layer.fast_path" if put["classified"] and \
            "fast_path" not in layer else None
    if need:
        raise errors.InputError(f"{where}: no key mntput.{need}")


def load(sdir: Path, point_id: str,
         need: tuple[str, ...] = ()) -> dict | None:
    """probes/<id>.json of a set, checked (check()); None if the point
    has none."""
    f = sdir / "probes" / f"{point_id}.json"
    if not f.is_file():
        return None
    doc = setcheck.read_json(sdir, "probes", f.name)
    check(doc, str(f), need)
    return doc


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
