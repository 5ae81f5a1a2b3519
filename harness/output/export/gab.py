"""github-action-benchmark's custom JSON: an array of {name, unit, value,
range, extra} for `tool: customBiggerIsBetter` or `customSmallerIsBetter`.

Checked against the action's README ("Examples" of custom benchmarks:
name, unit and value required; range and extra optional strings, shown in
the chart's tooltip) and files it keeps in gh-pages data.js (e.g. "range":
"± 383"). The tool reads one direction per file, so each export holds
one: --direction bigger (quantities whose higher value is better,
harness/metrics.py) or smaller.

range: "± H", H the larger half of the CI; extra: the CI itself, the
runs and boots it is from.
"""

from __future__ import annotations

import json

from harness import metrics
from harness.analysis import resultset, stats
from harness.output.export import rows as rowmod

# --direction value -> (the tool's name, the quantities' direction)
DIRECTIONS = {"bigger": ("customBiggerIsBetter", metrics.HIGHER),
              "smaller": ("customSmallerIsBetter", metrics.LOWER)}


def entry(r: rowmod.Row) -> dict:
    half = max(r.upper - r.value, r.value - r.lower)
    return {"name": r.name, "unit": r.unit, "value": r.value,
            "range": f"± {half:.6g}",
            "extra": f"median of {r.n_runs} runs in {r.boots} boot(s); "
                     f"{100 * stats.CONFIDENCE:g}% CI "
                     f"[{r.lower:.6g}, {r.upper:.6g}]"}


def document(rs: resultset.ResultSet, direction: str) -> list[dict]:
    want = DIRECTIONS[direction][1]
    return [entry(r) for r in rowmod.rows(rs) if r.direction == want]


def render(sets: list[resultset.ResultSet], direction: str) -> str:
    return json.dumps(document(sets[0], direction), indent=1) + "\n"
