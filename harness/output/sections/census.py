"""The report section and plots of the census kind (its points and records:
harness/run/kinds/census.py)."""

from __future__ import annotations

import textwrap
from harness import setcheck
from harness.point import NA_KEY
from harness.run import probes
from harness.run.kinds.census import MIN_PER_OP, NAME, ops_of, probe_doc, WIDTH


def rows(rs) -> list[dict]:
    """The census table: a row per workload, tasks, variant and (filesystem
    type, mount state) whose mounts were put, each per op summed over the
    repetitions: slow puts of that row, and the run's mount_lock writes
    (system-wide) and walk restarts; a workload the kernel lacks gets one
    row with its n/a reason."""
    runs: dict[tuple, dict] = {}     # (workload, tasks, variant) -> totals
    puts: dict[tuple, list] = {}     # ... + (fstype, state) -> [all, slow]
    na: dict[tuple, str] = {}
    for p in rs.points:
        raw = rs.path / "raw" / f"{p.id}.json"
        mdoc = probe_doc(rs.path, p) if p.kind == NAME else None
        if mdoc is None or not raw.is_file():
            continue
        key = (p.workload, p.cpus, p.variant)
        doc = setcheck.read_json(rs.path, "raw", raw.name)
        if isinstance(doc, dict) and NA_KEY in doc:
            na[key] = str(doc[NA_KEY])
            continue
        walk = mdoc.get("path_walk") or {}
        t = runs.setdefault(key, {"ops": 0, "writes": 0, "restarts": 0})
        t["ops"] += ops_of(doc, str(raw))
        t["writes"] += walk.get("mount_lock_writes") or 0
        t["restarts"] += (walk.get("rcu_restarts") or 0) + \
            (walk.get("lookup_restarts") or 0)
        for r in probes.by_mount(mdoc):
            a = puts.setdefault(key + (r.fstype, r.state), [0, 0])
            a[0] += r.all or 0
            a[1] += r.slow
    out = []
    for key, t in sorted(runs.items()):
        mounts = sorted((k[3:], n) for k, n in puts.items()
                        if k[:3] == key
                        and max(n) >= MIN_PER_OP * t["ops"]) \
            or [(("-", "-"), [0, 0])]
        for (fs, st), (n_all, n_slow) in mounts:
            out.append({"workload": key[0], "tasks": key[1],
                        "variant": key[2], "fstype": fs, "state": st,
                        "ops": t["ops"], "puts_per_op": n_all / t["ops"],
                        "slow_per_op": n_slow / t["ops"],
                        "writes_per_op": t["writes"] / t["ops"],
                        "restarts_per_op": t["restarts"] / t["ops"]})
    for (w, c, v), why in sorted(na.items()):
        out.append({"workload": w, "tasks": c, "variant": v, "na": why})
    return out


def table(rs) -> list[str]:
    rws = rows(rs)
    if not rws:
        return []
    out = textwrap.wrap(
        "Census: mntput() by filesystem and mount state, per op: all "
        "puts, slow puts (no namespace: mount_lock taken), mount_lock "
        "write sections (system-wide) and walk restarts; exact counts "
        "summed over the runs. A mount in a namespace or internal "
        "(MNT_NS_INTERNAL) takes the fast path. Rows under "
        f"{MIN_PER_OP:g} per op (the run's own set-up) are left out; "
        "pipe closes two files per op.", WIDTH)
    out.append(f"  {'workload':14} {'tasks':>5} {'variant':15} "
               f"{'filesystem':11} {'state':9} {'puts/op':>8} "
               f"{'slow/op':>8} {'writes/op':>9} {'restarts/op':>11}")
    for r in rws:
        head = f"  {r['workload']:14} {r['tasks']:5d} {r['variant']:15}"
        if "na" in r:
            out.append(f"{head} n/a: {r['na']}")
            continue
        out.append(f"{head} {r['fstype']:11} {r['state']:9} "
                   f"{r['puts_per_op']:8.3f} {r['slow_per_op']:8.3f} "
                   f"{r['writes_per_op']:9.3f} {r['restarts_per_op']:11.3f}")
    return out + [""]


report = table
