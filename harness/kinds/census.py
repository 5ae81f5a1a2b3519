"""census: which mounts take mntput()'s slow path, by filesystem type and
mount state ([census]). Each census workload (files on the kernel's
internal mounts: bench/workloads/, no overlay) and the overlay's
open-close for reference run a fixed number of ops under mntlock, so
every per-op figure is an exact count."""

from __future__ import annotations

import textwrap
from pathlib import Path

from harness import errors, kparams, probes, setcheck
from harness.kinds import base
from harness.point import NA_KEY, Point

NAME = "census"
# ovlbench's workloads without an overlay (WL_NO_OVERLAY), and the
# overlay's own for reference (run in the section's modes)
INTERNAL = ("mqueue", "memfd", "memfd-hugetlb", "pipe", "socket")
REFERENCE = "open-close"
# Every put of the tasks (fast and slow, so that a workload without slow
# puts still shows its mount), any mount, per op; and the reader side
MNTLOCK_ARGS = ("--all-puts", "--path-walk")
# Rows under one put per 20 ops are the run's own machinery (set-up,
# teardown of its mount namespace, its sampling), not its ops: left out
MIN_PER_OP = 0.05
WIDTH = 78


def build(ctx: base.Context) -> list[Point]:
    """[census] internal: the workloads on internal mounts; modes: the
    overlay's open-close in those modes, for reference; each for ops
    ops per task at each of cpus, reps times, under mntlock."""
    sec = ctx.section(NAME)
    if not ctx.probes:
        return []
    ops = str(sec.get("ops", 10000))
    runs = [(w, (kparams.DEFAULT, kparams.DEFAULT), ())
            for w in sec.get("internal", [])]
    runs += [(REFERENCE, mv, ("--layers", "2"))
             for mv in base.modes(sec, ctx.has_switch)]
    out: list[Point] = []
    for rep in range(sec.get("reps", 2)):
        block = []
        for w, (m, v), layers in runs:
            for c in base.cpu_counts(sec.get("cpus", [1, "all"]), ctx.vcpus):
                block.append(Point(
                    id=f"{NAME}-{w}-c{c}-{v}-r{rep}", kind=NAME,
                    workload=w, mode=m, variant=v,
                    layers=2 if layers else 0, cpus=c, rep=rep,
                    probe=True, mntlock_args=MNTLOCK_ARGS,
                    args=("--workload", w, *layers, "--ops", ops,
                          "--tasks", str(c), "--cpus", f"0-{c - 1}",
                          "--mode", ctx.doc.get("task_mode", "process"))))
        ctx.rng.shuffle(block)
        out += block
    return out


def probe_doc(sdir: Path, p: Point) -> dict | None:
    return probes.load(sdir, p.id, KIND.probe_doc)


def ops_of(doc: dict, where: str) -> int:
    with setcheck.fields(where):
        ops = base.run_of(doc)["summary"]["total_ops"]
    if type(ops) is not int or ops <= 0:
        raise errors.InputError(f"{where}: runs[0].summary.total_ops="
                                f"{setcheck.show(ops)}; allowed: an "
                                "integer > 0")
    return ops


def collect(c, p: Point, boot: int, doc: dict, icount: bool,
            sdir: Path) -> None:
    mdoc = probe_doc(sdir, p)
    if NA_KEY in doc or mdoc is None:
        return
    ops = ops_of(doc, f"{sdir}/raw/{p.id}.json")
    slow = sum(r.slow for r in probes.by_mount(mdoc))
    c.add(p, boot, "census_slow_puts_per_op", [slow / ops], icount=icount)
    per = probes.per_op(mdoc, ops)
    for q in ("mount_lock_writes_per_op", "rcu_restarts_per_op",
              "lookup_restarts_per_op"):
        if q in per:
            c.add(p, boot, q, [per[q]], icount=icount)


def metric(quantity: str, p: Point) -> str:
    return f"{NAME}.{p.workload}.c{p.cpus}.{quantity}"


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


KIND = base.Kind(name=NAME, section=NAME, build=build, collect=collect,
                 metric=metric, report=table, on_host=False,
                 compares_modes=False, probe_doc=probes.PER_OP,
                 reps=(("reps", 2),),
                 keys=("internal", "modes", "ops", "cpus", "reps"))
