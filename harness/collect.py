"""Turn the raw outputs of a run into per-metric samples (samples.json).

Metric names say what was run: <workload>.l<layers>.c<cpus>.<quantity>;
variants are overlay modes. One sample per repetition for throughput (the
repetition is the independent unit), one per iteration for latencies.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path

from harness import overhead
from harness.resultset import Metric


class Collector:
    def __init__(self) -> None:
        self.metrics: dict[str, Metric] = {}

    def add(self, name: str, variant: str, values, unit: str,
            direction: str, label: str = "", exact: bool = False) -> None:
        m = self.metrics.get(name)
        if m is None:
            m = Metric(name, unit, direction, {}, label, exact)
            self.metrics[name] = m
        m.variants.setdefault(variant, []).extend(float(v) for v in values)


def _run(doc: dict) -> dict:
    return doc["runs"][0]


def _load(c: Collector, p: dict, doc: dict) -> None:
    s = _run(doc)["summary"]
    base = f"{p['workload']}.l{p['layers']}.c{p['cpus']}"
    c.add(f"{base}.ops_per_s_per_task", p["mode"], [s["ops_per_s_per_task"]],
          "ops/s", "higher", f"{p['workload']}, {p['layers']} layers, "
          f"{p['cpus']} CPUs: ops/s per task")


def _teardown(c: Collector, p: dict, doc: dict) -> None:
    lat = _run(doc)["latency"]
    for what in ("umount", "mount"):
        raw = [x for task in lat[f"{what}_ns"]["raw"] for x in task]
        c.add(f"teardown.l{p['layers']}.{what}_us", p["mode"],
              [x / 1000 for x in raw], "us", "lower",
              f"{what} latency, {p['layers']} layers + upper")


def _bystander(c: Collector, p: dict, doc: dict) -> None:
    run = _run(doc)
    roles = run["task_roles"]
    load = [i for i, r in enumerate(roles) if r == "load"]
    secs = sum(run["intervals_s"]) or 1.0
    per_task = sum(run["task_totals"][i] for i in load) / secs / max(
        len(load), 1)
    c.add(f"bystander.l{p['layers']}.c{p['cpus']}.load_ops_per_s_per_task",
          p["mode"], [per_task], "ops/s", "higher",
          f"open-close beside mount/umount churn of {p['layers']} layers")
    lat = run.get("latency") or {}
    if "umount_ns" in lat:
        raw = [x for task in lat["umount_ns"]["raw"] for x in task]
        c.add(f"bystander.l{p['layers']}.umount_us", p["mode"],
              [x / 1000 for x in raw], "us", "lower",
              f"umount latency under open-close load, {p['layers']} layers")


def _overhead(c: Collector, p: dict, doc: dict) -> None:
    s = _run(doc)["summary"]
    c.add(overhead.metric_name(p["mode"], p["cpus"]),
          "probe-on" if p["probe"] else "probe-off",
          [s["ops_per_s_per_task"]], "ops/s", "higher",
          "open-close with and without mntlock attached")


def _probe(c: Collector, p: dict, doc: dict, probe: dict | None) -> None:
    if probe is None:
        return
    from harness import probes  # the mntlock output format lives there
    s = _run(doc)["summary"]
    # The probe saw the whole run: divide by every op, not the window's.
    ops = s.get("lifetime_ops", s["total_ops"])
    base = f"probe.{p['workload']}.l{p['layers']}.c{p['cpus']}"
    for q, (value, unit, direction, label) in probes.per_op(
            probe, ops).items():
        c.add(f"{base}.{q}", p["mode"], [value], unit, direction, label,
              exact=q.endswith("puts_per_op"))


HANDLERS = {"load": _load, "teardown": _teardown, "bystander": _bystander,
            "overhead": _overhead}


def collect(sdir: Path) -> tuple[dict, list[str]]:
    """(metrics, ids of points without output)."""
    points = json.loads((sdir / "points.json").read_text())
    c = Collector()
    missing = []
    for p in points:
        raw = sdir / "raw" / f"{p['id']}.json"
        if not raw.is_file():
            missing.append(p["id"])
            continue
        doc = json.loads(raw.read_text())
        if p["kind"] == "probe":
            pf = sdir / "probes" / f"{p['id']}.json"
            _probe(c, p, doc, json.loads(pf.read_text())
                   if pf.is_file() else None)
        else:
            HANDLERS[p["kind"]](c, p, doc)
    return c.metrics, missing


def modes_seen(sdir: Path) -> dict[str, str]:
    """Mode asked for -> mode ovlbench read back from /proc/mounts."""
    out: dict[str, set] = defaultdict(set)
    for p in json.loads((sdir / "points.json").read_text()):
        raw = sdir / "raw" / f"{p['id']}.json"
        if raw.is_file():
            out[p["mode"]].add(json.loads(raw.read_text())["overlay_mode"])
    return {k: ",".join(sorted(v)) for k, v in out.items()}
