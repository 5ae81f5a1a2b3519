"""CSV for Apache Otava (formerly Hunter): one row per set, oldest first.

Checked against Otava's docs/CSV.md, examples/csv (data/local_sample.csv,
config/otava.yaml) and its CSV importer (otava/importer.py,
otava/test_config.py): the first line is the header and every later line
a data row (csv.reader: no comment lines), a time column, attribute
columns copied as text, and metric columns that must each parse as a
float in every row. A metric's direction (1: higher is better, -1: lower
is better) and scale are not in the CSV: they are per metric in the
test's config, `metrics: {NAME: {column, direction, scale}}`. So the
directions go in a sidecar, <stem>.otava.yaml beside the CSV: an Otava
config with one csv test pointing at the file. It is written as JSON,
which is YAML (Otava loads it with ruamel's safe loader).

Columns: time (the manifest's created, as in Otava's examples), set,
kernel_source_id, commit (empty when the manifest has none), then one
column per measure and variant (METRIC[:STAT] [VARIANT], the set's
median). With several sets, only the measures every set has: an empty
cell would stop Otava's import.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from harness import metrics
from harness.analysis import resultset
from harness.output.export import rows as rowmod

TIME_COLUMN = "time"
ATTRIBUTES = ("set", "kernel_source_id", "commit")
OTAVA_DIRECTION = {metrics.HIGHER: 1, metrics.LOWER: -1}
TIME_FORMAT = "%Y-%m-%d %H:%M:%S %z"


def _table(sets: list[resultset.ResultSet]):
    """(sets oldest first, their rows by name, the shared names)."""
    ordered = sorted(sets, key=lambda rs: (rowmod.created(rs), rs.path.name))
    per = [{r.name: r for r in rowmod.rows(rs)} for rs in ordered]
    shared = set(per[0])
    for d in per[1:]:
        shared &= set(d)
    names = [n for n in per[0] if n in shared]
    return ordered, per, names


def render(sets: list[resultset.ResultSet]) -> str:
    ordered, per, names = _table(sets)
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([TIME_COLUMN, *ATTRIBUTES, *names])
    for rs, d in zip(ordered, per):
        w.writerow([rowmod.created(rs).strftime(TIME_FORMAT), rs.path.name,
                    rowmod.source_id(rs), rowmod.commit(rs),
                    *(repr(d[n].value) for n in names)])
    return buf.getvalue()


def sidecar_path(out: Path) -> Path:
    return out.with_name(out.stem + ".otava.yaml")


def sidecar(sets: list[resultset.ResultSet], csv_file: Path,
            test: str = "mntbench") -> str:
    """The Otava config for the CSV: its metrics with their
    directions."""
    _, per, names = _table(sets)
    conf = {"tests": {test: {
        "type": "csv", "file": str(csv_file), "time_column": TIME_COLUMN,
        "attributes": list(ATTRIBUTES),
        "metrics": {n: {"column": n,
                        "direction": OTAVA_DIRECTION[per[0][n].direction],
                        "scale": 1}
                    for n in names}}}}
    return json.dumps(conf, indent=1) + "\n"
