"""Turn the raw outputs of a run into sample records (samples.json).

One record per run for throughput and per-op counts; one per iteration for
latencies (reduced to per-run statistics before comparison, see
harness/samples.py). Each record says which point (kind, mode, workload,
layers, cpus), which run (the point's repetition) and which boot.

    python3 -m harness.collect SET    # rewrite SET/samples.json from raw/
"""

from __future__ import annotations

import json
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

from harness import errors, metrics, monitor, samples
from harness.accel import ICOUNT
from harness.resultset import write_text

OVERHEAD_ON, OVERHEAD_OFF = "probe-on", "probe-off"


class Collector:
    def __init__(self) -> None:
        self.records: list[samples.Record] = []
        self.disturbed: set[str] = set()    # point ids

    def add(self, p: dict, boot: int, quantity: str, values,
            variant: str | None = None, per_iteration: bool = False,
            icount: bool = False) -> None:
        if icount:
            quantity = metrics.ON_ICOUNT.get(quantity, quantity)
        q = metrics.quantity(quantity)
        workload = p.get("workload", p["kind"])
        name = metrics.name(p["kind"], quantity, workload, p["layers"],
                            p["cpus"], p["mode"])
        for i, v in enumerate(values):
            self.records.append(samples.Record(
                metric=name, variant=variant or p["mode"], boot=boot,
                run=p["rep"], value=float(v), unit=q.unit,
                direction=q.direction, exact=q.exact, kind=p["kind"],
                mode=p["mode"], workload=workload, layers=p["layers"],
                cpus=p["cpus"], quantity=quantity,
                iteration=i if per_iteration else None,
                disturbed=p["id"] in self.disturbed))


def _run(doc: dict) -> dict:
    return doc["runs"][0]


def _iterations(lat: dict, what: str) -> list[float]:
    """Per-iteration latencies in us, tasks in order."""
    return [x / 1000 for task in lat[f"{what}_ns"]["raw"] for x in task]


def _throughput(doc: dict, icount: bool) -> float:
    """ops/s per task; on the icount clock the tasks' own CPU time per op
    instead (instructions per op: it does not depend on an idle vCPU)."""
    s = _run(doc)["summary"]
    return s["cpu_ns_per_op"] if icount else s["ops_per_s_per_task"]


def _load(c: Collector, p: dict, boot: int, doc: dict,
          icount: bool) -> None:
    c.add(p, boot, "ops_per_s_per_task", [_throughput(doc, icount)],
          icount=icount)


def _teardown(c: Collector, p: dict, boot: int, doc: dict,
              icount: bool) -> None:
    lat = _run(doc)["latency"]
    for what in ("umount", "mount"):
        c.add(p, boot, f"{what}_us", _iterations(lat, what),
              per_iteration=True, icount=icount)


def _bystander(c: Collector, p: dict, boot: int, doc: dict,
               icount: bool) -> None:
    run = _run(doc)
    load = [i for i, r in enumerate(run["task_roles"]) if r == "load"]
    ops = sum(run["task_totals"][i] for i in load)
    if icount:
        value = sum(run["task_cpu_ns"][i] for i in load) / max(ops, 1)
    else:
        value = ops / (sum(run["intervals_s"]) or 1.0) / max(len(load), 1)
    c.add(p, boot, "load_ops_per_s_per_task", [value], icount=icount)
    lat = run.get("latency") or {}
    if "umount_ns" in lat:
        c.add(p, boot, "umount_us", _iterations(lat, "umount"),
              per_iteration=True, icount=icount)


def _overhead(c: Collector, p: dict, boot: int, doc: dict,
              icount: bool) -> None:
    c.add(p, boot, "ops_per_s_per_task", [_throughput(doc, icount)],
          variant=OVERHEAD_ON if p["probe"] else OVERHEAD_OFF,
          icount=icount)


def _probe(c: Collector, p: dict, boot: int, doc: dict, icount: bool,
           probe: dict | None) -> None:
    if probe is None:
        return
    from harness import probes  # the mntlock output format lives there
    s = _run(doc)["summary"]
    # The probe saw the whole run: divide by every op, not the window's.
    ops = s.get("lifetime_ops", s["total_ops"])
    for q, value in probes.per_op(probe, ops).items():
        c.add(p, boot, q, [value], icount=icount)


def _paired(c: Collector, p: dict, boot: int, doc: dict,
            icount: bool) -> None:
    ratios = [x for x in _run(doc)["pair"]["block_ratios"] if x > 0]
    a, b = p["pair"]
    c.add(p, boot, "pair_ratio",
          [float(np.exp(np.mean(np.log(ratios)))) if ratios else 0.0],
          variant=paired_variant(a, b))


def paired_variant(a: str, b: str) -> str:
    """The variant of a paired point: B relative to A."""
    return f"{b}/{a}"


def paired_modes(variant: str) -> tuple[str, str] | None:
    """(A, B) of a paired point's variant; None for any other variant."""
    b, sep, a = variant.partition("/")
    return (a, b) if sep else None


HANDLERS = {"load": _load, "pathlen": _load, "teardown": _teardown,
            "bystander": _bystander, "overhead": _overhead,
            "paired": _paired}


def boot_of(sdir: Path, point_id: str) -> tuple[int, str]:
    """(boot, clock) of a point, as run_points.py recorded them; boot 0
    and no clock for sets made before they were recorded."""
    f = sdir / "boots" / f"{point_id}.json"
    if not f.is_file():
        return 0, ""
    doc = json.loads(f.read_text())
    return int(doc["boot"]), str(doc.get("clock", ""))


def collect(sdir: Path) -> tuple[list[samples.Record], list[str]]:
    """(records, ids of points without output)."""
    points = json.loads((sdir / "points.json").read_text())
    c = Collector()
    missing = []
    for p in points:
        raw = sdir / "raw" / f"{p['id']}.json"
        if not raw.is_file():
            missing.append(p["id"])
            continue
        doc = json.loads(raw.read_text())
        boot, clock = boot_of(sdir, p["id"])
        icount = clock == ICOUNT
        host = monitor.read(sdir, p["id"])
        if host and host.get("disturbed"):
            c.disturbed.add(p["id"])
        if p["kind"] == "probe":
            pf = sdir / "probes" / f"{p['id']}.json"
            _probe(c, p, boot, doc, icount, json.loads(pf.read_text())
                   if pf.is_file() else None)
        else:
            HANDLERS[p["kind"]](c, p, boot, doc, icount)
    return c.records, missing


def write(sdir: Path) -> list[str]:
    """Write SET/samples.json; the ids of points without output."""
    records, missing = collect(sdir)
    write_text(sdir / "samples.json", samples.dumps(records))
    return missing


def modes_seen(sdir: Path) -> dict[str, str]:
    """Mode asked for -> mode ovlbench read back from /proc/mounts."""
    out: dict[str, set] = defaultdict(set)
    for p in json.loads((sdir / "points.json").read_text()):
        raw = sdir / "raw" / f"{p['id']}.json"
        if raw.is_file():
            out[p["mode"]].add(json.loads(raw.read_text())["overlay_mode"])
    return {k: ",".join(sorted(v)) for k, v in out.items()}


def main(argv: list[str] | None = None) -> int:
    import argparse
    ap = argparse.ArgumentParser(
        prog="mntbench-collect",
        description="Rewrite a set's samples.json from its raw outputs.")
    ap.add_argument("set", type=Path)
    args = ap.parse_args(argv)
    try:
        if not (args.set / "points.json").is_file():
            raise errors.InputError(f"{args.set}: no points.json (not a "
                                    "result set)")
        missing = write(args.set)
    except errors.MntbenchError as e:
        print(f"mntbench-collect: error: {e}", file=sys.stderr)
        return e.exit_code
    print(f"collect: {args.set / 'samples.json'} written"
          + (f"; {len(missing)} points have no output" if missing else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
