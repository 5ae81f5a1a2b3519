"""KCIDB v4 report data: the set's kernel as one checkout and one build,
each measured value as a test with status DONE and a number.

Checked against kcidb-io's schema (kcidb_io/schema/v04_05.py, the last
v4 minor): top level {"version": {"major": 4, "minor": 5}, "checkouts",
"builds", "tests"}, no other keys, no nulls; ids "ORIGIN:..." with
ORIGIN matching [a-z0-9_]+; a test's "path" matches ^[.a-zA-Z0-9_-]*$
and its output is "number": {"value", "unit", "prefix"} (there is no
"value.number": the schema nests value and unit under "number");
"DONE" means the test completed and produced a measurement rather than
a verdict. checkout.patchset_hash is left out: the schema defines it as
a sha256 over each patch's sha256, and our series hash is another hash
(kbuild.series_hash); it goes under misc with the other identities.
git_commit_hash is filled only when the manifest records a commit.
"""

from __future__ import annotations

import json
import re

from harness import metrics
from harness.analysis import resultset, stats
from harness.output.export import rows as rowmod

ORIGIN = "mntbench"
VERSION = {"major": 4, "minor": 5}
_PATH_BAD = re.compile(r"[^.a-zA-Z0-9_-]")


def _time(rs: resultset.ResultSet) -> str:
    """RFC 3339, as the schema's date-time format wants (+00:00)."""
    return rowmod.created(rs).isoformat()


def test_path(r: rowmod.Row) -> str:
    """mntbench.METRIC[.STAT].VARIANT, with what the path may not hold
    (a variant's #, say) as _."""
    parts = [ORIGIN, r.measure.metric]
    if r.measure.stat != metrics.RUN_VALUE:
        parts.append(r.measure.stat)
    parts.append(r.variant)
    return _PATH_BAD.sub("_", ".".join(parts))


def document(rs: resultset.ResultSet) -> dict:
    m = rs.manifest
    k = m.get("kernel") or {}
    src = rowmod.source_id(rs)
    series_hash = str(k.get("series_hash") or "")
    config_hash = str(k.get("config_hash") or "")
    checkout_id = f"{ORIGIN}:{src}+{series_hash}" if series_hash \
        else f"{ORIGIN}:{src}"
    build_id = f"{checkout_id}+{config_hash}"
    when = _time(rs)
    checkout = {
        "id": checkout_id, "origin": ORIGIN, "start_time": when,
        "valid": True,
        "comment": f"{k.get('release', '')} from {k.get('ksrc', '')}",
        "misc": {"source_id": src, "series": list(k.get("series") or []),
                 "series_hash": series_hash,
                 "patches": str(k.get("patches") or "")}}
    if rowmod.commit(rs):
        checkout["git_commit_hash"] = rowmod.commit(rs)
    build = {
        "id": build_id, "origin": ORIGIN, "checkout_id": checkout_id,
        "valid": True, "comment": str(k.get("release") or ""),
        "config_name": f"mntbench fragment {str(k.get('fragment_hash'))[:12]}",
        "misc": {"config_hash": config_hash,
                 "fragment_hash": str(k.get("fragment_hash") or ""),
                 "release": str(k.get("release") or "")}}
    env = {"comment": f"{m.get('accel')}, {m.get('vcpus')} vCPUs, "
                      f"{m.get('host_cpu')}",
           "misc": {"accel": str(m.get("accel")), "vcpus": m.get("vcpus"),
                    "host_cpu": str(m.get("host_cpu")),
                    "hostname": str(m.get("hostname"))}}
    tests = []
    for r in rowmod.rows(rs):
        tests.append({
            "id": f"{ORIGIN}:{rs.path.name}/{r.measure}/{r.variant}",
            "origin": ORIGIN, "build_id": build_id, "path": test_path(r),
            "status": "DONE", "start_time": when, "environment": env,
            "comment": r.name,
            "number": {"value": r.value, "unit": r.unit},
            "misc": {"set": rs.path.name, "plan": str(m.get("plan_name")),
                     "seed": m.get("seed"), "measure": str(r.measure),
                     "variant": r.variant, "direction": r.direction,
                     "exact": r.exact, "lower_value": r.lower,
                     "upper_value": r.upper,
                     "confidence": stats.CONFIDENCE,
                     "n_runs": r.n_runs, "boots": r.boots}})
    return {"version": dict(VERSION), "checkouts": [checkout],
            "builds": [build], "tests": tests}


def render(sets: list[resultset.ResultSet]) -> str:
    return json.dumps(document(sets[0]), indent=1, sort_keys=True) + "\n"
