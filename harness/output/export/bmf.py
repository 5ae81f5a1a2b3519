"""Bencher Metric Format (BMF) JSON.

Checked against https://bencher.dev/docs/reference/bencher-metric-format/
(its JSON schema: {benchmark: {measure: {"value": number (required),
"lower_value", "upper_value": numbers}}}; a measure is named by slug or
name, at most 64 characters, and is created when it does not exist).

One benchmark per metric and variant, named METRIC [VARIANT]; under it
one measure per quantity and statistic (slug: the quantity in kebab
case, plus -median or -p90 for a latency), with the median of the runs
and its CI as lower_value and upper_value. BMF carries no direction:
Bencher takes it from the threshold's lower or upper boundary.
"""

from __future__ import annotations

import json

from harness import metrics
from harness.analysis import resultset
from harness.output.export import rows as rowmod

SLUG_MAX = 64


def benchmark(r: rowmod.Row) -> str:
    return f"{r.measure.metric} [{r.variant}]"


def measure_slug(r: rowmod.Row) -> str:
    parts = [r.quantity]
    if r.measure.stat != metrics.RUN_VALUE:
        parts.append(r.measure.stat)
    return "-".join(parts).replace("_", "-").lower()[:SLUG_MAX]


def document(rs: resultset.ResultSet) -> dict:
    out: dict = {}
    for r in rowmod.rows(rs):
        out.setdefault(benchmark(r), {})[measure_slug(r)] = {
            "value": r.value, "lower_value": r.lower,
            "upper_value": r.upper}
    return out


def render(sets: list[resultset.ResultSet]) -> str:
    return json.dumps(document(sets[0]), indent=1, sort_keys=True) + "\n"
