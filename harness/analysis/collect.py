"""Turn the raw outputs of a run into sample records (samples.json).

One record per run for throughput and per-op counts; one per iteration for
latencies (reduced to per-run statistics before comparison, see
harness/analysis/samples.py). Each record says which point (kind, mode,
workload, layers, cpus), which run (the point's repetition) and which boot.

    python3 -m harness.analysis.collect SET   # SET/samples.json from raw/
"""

from __future__ import annotations

import math
import sys
from collections import defaultdict
from pathlib import Path

from harness import cli, errors, metrics, point, setcheck
from harness.analysis import samples
from harness.kernel.accel import ICOUNT
from harness.paths import REPO
from harness.point import NA_KEY, Point
from harness.run import kinds, monitor
from harness.setfiles import point_files, write_text

# boots/<id>.json, as run_points.py writes it
BOOT = {"boot": setcheck.COUNT, "clock?": setcheck.STR,
        "kernel_text?": (None, setcheck.STR)}


class Collector:
    """Records of a set's points; each kind's collect() adds its own."""

    def __init__(self) -> None:
        self.records: list[samples.Record] = []
        self.disturbed: set[str] = set()    # point ids

    def add(self, p: Point, boot: int, quantity: str, values,
            per_iteration: bool = False, icount: bool = False) -> None:
        if icount:
            quantity = metrics.ON_ICOUNT.get(quantity, quantity)
        q = metrics.quantity(quantity)
        name = kinds.of(p.kind).metric(quantity, p)
        for i, v in enumerate(values):
            v = float(v)
            if not math.isfinite(v):
                raise ValueError(f"{quantity} of point {p.id} is {v}, "
                                 "not a finite number")
            self.records.append(samples.Record(
                metric=name, variant=p.variant, boot=boot,
                run=p.rep, value=v, unit=q.unit,
                direction=q.direction, exact=q.exact, kind=p.kind,
                mode=p.mode, workload=p.workload, layers=p.layers,
                cpus=p.cpus, quantity=quantity,
                iteration=i if per_iteration else None,
                disturbed=p.id in self.disturbed))


def boot_of(sdir: Path, point_id: str) -> tuple[int, str]:
    """(boot, clock) of a point, as run_points.py recorded them; boot 0
    and no clock for sets made before they were recorded."""
    f = sdir / "boots" / f"{point_id}.json"
    if not f.is_file():
        return 0, ""
    doc = setcheck.read_json(sdir, "boots", f"{point_id}.json")
    setcheck.shape(doc, BOOT, str(f))
    return doc["boot"], doc.get("clock", "")


def _raw_error(doc) -> str | None:
    """What bench/schema.json finds wrong in an ovlbench output (a
    not-applicable point's is {NA_KEY: why})."""
    if isinstance(doc, dict) and NA_KEY in doc:
        return None
    return setcheck.schema_error(doc, REPO / "bench" / "schema.json")


def collect(sdir: Path) -> tuple[list[samples.Record], list[str]]:
    """(records, ids of points without output). The set is untrusted
    input (harness/setcheck.py): a file that is there and malformed is
    refused (InputError), as is a name or symlink leading out of it."""
    setcheck.tree(sdir)
    points = point.of_set(sdir, kinds.KINDS)
    c = Collector()
    missing = []
    for p in points:
        # half a point (raw output without its probe file) is no point;
        # a run settles the set before it collects (run.settle), so a
        # file that does not parse here is damage, not a killed point
        if not all(f.is_file() for f in point_files(sdir, p)):
            missing.append(p.id)
            continue
        raw = sdir / "raw" / f"{p.id}.json"
        doc = setcheck.read_json(sdir, "raw", raw.name)
        boot, clock = boot_of(sdir, p.id)
        host = monitor.read(sdir, p.id)
        if host and host.get("disturbed"):
            c.disturbed.add(p.id)
        with setcheck.fields(str(raw), lambda: _raw_error(doc)):
            kinds.of(p.kind).collect(c, p, boot, doc, clock == ICOUNT,
                                     sdir)
    return c.records, missing


def write(sdir: Path) -> list[str]:
    """Write SET/samples.json; the ids of points without output."""
    records, missing = collect(sdir)
    write_text(sdir / "samples.json", samples.dumps(records))
    return missing


def modes_seen(sdir: Path) -> dict[str, str]:
    """Mode asked for -> mode ovlbench read back from /proc/mounts."""
    out: dict[str, set] = defaultdict(set)
    for p in point.of_set(sdir, kinds.KINDS):
        raw = sdir / "raw" / f"{p.id}.json"
        if raw.is_file():
            doc = setcheck.read_json(sdir, "raw", raw.name)
            setcheck.shape(doc, {"overlay_mode?": (None, setcheck.STR)},
                           str(raw))
            seen = doc.get("overlay_mode")
            if seen is not None:    # None: n/a, ovlbench did not run
                out[p.mode].add(seen)
    return {k: ",".join(sorted(v)) for k, v in out.items()}


def _rewrite(sdir: Path) -> int:
    if not (sdir / "points.json").is_file():
        raise errors.InputError(f"{sdir}: no points.json (not a result "
                                "set)")
    missing = write(sdir)
    print(f"collect: {sdir / 'samples.json'} written"
          + (f"; {len(missing)} points have no output" if missing else ""))
    return 0


def main(argv: list[str] | None = None) -> int:
    return cli.on_set("mntbench-collect", "Rewrite a set's samples.json "
                      "from its raw outputs.", _rewrite, argv)


if __name__ == "__main__":
    sys.exit(main())
