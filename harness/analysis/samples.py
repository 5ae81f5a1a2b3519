"""samples.json (schema mntbench.samples/2): one record per measured
value, with the structure of the design kept.

    {"schema": "mntbench.samples/2", "records": [
      {"metric": "open-close.l2.c2.ops_per_s_per_task",
       "variant": "detached", "boot": 0, "run": 3, "value": 104211.0,
       "unit": "ops/s", "direction": "higher", "exact": false,
       "kind": "load", "mode": "detached", "workload": "open-close",
       "layers": 2, "cpus": 2, "quantity": "ops_per_s_per_task"},
      {... "metric": "teardown.l10.umount_us", "run": 0,
       "iteration": 17, ...},
      {... "disturbed": true ...}]}

"disturbed" (absent: false) marks a run during which the host took the
vCPUs' CPUs (harness/run/monitor.py).

A run is one ovlbench invocation (a point of the plan) and the unit of
analysis; boot says which guest boot ran it. Per-iteration records
(latency) are reduced to per-run statistics before anything compares
them: iterations of one run are not independent.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from harness import errors, kparams, metrics, setcheck

SCHEMA = "mntbench.samples/2"
OLD_SCHEMAS = ("mntbench.samples/1",)
FIELDS = ("metric", "variant", "boot", "run", "value", "unit", "direction",
          "exact", "kind", "mode", "workload", "layers", "cpus", "quantity")
_STR = ("metric", "variant", "unit", "kind", "mode", "workload", "quantity")
_INT = ("boot", "run", "layers", "cpus")


@dataclass(frozen=True)
class Record:
    metric: str
    variant: str
    boot: int
    run: int
    value: float
    unit: str
    direction: str
    exact: bool
    kind: str
    mode: str
    workload: str
    layers: int
    cpus: int
    quantity: str
    iteration: int | None = None
    # the host took the vCPUs' CPUs during the run (harness/run/monitor.py)
    disturbed: bool = False

    def doc(self) -> dict:
        d = {k: getattr(self, k) for k in FIELDS}
        if self.iteration is not None:
            d["iteration"] = self.iteration
        if self.disturbed:
            d["disturbed"] = True
        return d


@dataclass
class Series:
    """One measure of one variant: its unit values, one per run."""
    measure: metrics.Measure
    variant: str
    unit: str
    direction: str
    exact: bool
    quantity: str
    kind: str
    mode: str
    workload: str
    layers: int
    cpus: int
    units: list[tuple[int, int, float]] = field(default_factory=list)
    disturbed: set[tuple[int, int]] = field(default_factory=set)

    @property
    def values(self) -> np.ndarray:
        return np.array([v for _, _, v in self.units], dtype=float)

    @property
    def boots(self) -> list[int]:
        return [b for b, _, _ in self.units]


def _bad(where: str, why: str) -> errors.InputError:
    return errors.InputError(f"{where}: {why}")


def _finite(v: int | float) -> bool:
    try:
        return math.isfinite(v)
    except OverflowError:   # an integer beyond the doubles
        return False


def _check(rec, where: str, known: dict) -> Record:
    if not isinstance(rec, dict):
        raise _bad(where, f"record is {type(rec).__name__}, not an object")
    missing = [k for k in FIELDS if k not in rec]
    if missing:
        raise _bad(where, f"record lacks {', '.join(missing)}")

    def name() -> str:     # only for a message: 32k records per set
        return f"metric {rec['metric']!r}, variant {rec['variant']!r}"
    for k in _STR:
        v = rec[k]
        # printable: a name ends up in one-line messages and tables
        if type(v) is not str or (not v and k != "mode") or \
                not v.isprintable() or len(v) > setcheck.MAX_NAME:
            raise _bad(where, f"{name()}: {k}={setcheck.show(v)} is not "
                              "a name")
    if rec["kind"] not in known:
        raise _bad(where, f"{name()}: kind {rec['kind']!r}; allowed: "
                          f"{', '.join(known)}")
    for k in _INT + (("iteration",) if "iteration" in rec else ()):
        v = rec[k]
        if type(v) is not int or v < 0:
            raise _bad(where, f"{name()}: {k}={v!r}; allowed: an integer "
                              ">= 0")
    v = rec["value"]
    if type(v) not in (int, float) or not _finite(v):
        raise _bad(where, f"{name()}, run {rec['run']}: value {v!r} is not "
                          "a finite number")
    if rec["direction"] not in metrics.DIRECTIONS:
        raise _bad(where, f"{name()}: direction {rec['direction']!r}; "
                          f"allowed: {', '.join(metrics.DIRECTIONS)}")
    for k in ("exact", "disturbed"):
        if type(rec.get(k, False)) is not bool:
            raise _bad(where, f"{name()}: {k}={rec[k]!r}; allowed: true, "
                              "false")
    # Sets collected before points had a variant kept the plan's A/A tag
    # ('mode#aa') in mode too; mode is the overlay mode that was set.
    return Record(**{k: rec[k] for k in FIELDS if k != "mode"},
                  mode=kparams.plan_mode(rec["mode"]),
                  iteration=rec.get("iteration"),
                  disturbed=rec.get("disturbed", False))


def parse(doc, where: str) -> list[Record]:
    """Records of a samples.json document; InputError naming the file,
    metric, variant and bad value otherwise."""
    if isinstance(doc, dict) and doc.get("schema") in OLD_SCHEMAS:
        raise _bad(where, f"{doc['schema']} (made before records); "
                          "rewrite it from raw/ with: python3 -m "
                          "harness.analysis.collect SET")
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA:
        raise _bad(where, f"not {SCHEMA}")
    recs = doc.get("records")
    if not isinstance(recs, list):
        raise _bad(where, "'records' is not a list")
    if not recs:
        raise _bad(where, "no records")
    from harness.run import kinds
    out = [_check(r, f"{where}: record {i}", kinds.KINDS)
           for i, r in enumerate(recs)]
    _consistent(out, where)
    return out


def _consistent(recs: list[Record], where: str) -> None:
    """A metric has one unit, direction and exactness, and a run one
    value (or one per iteration)."""
    meta: dict[str, tuple] = {}
    seen: set[tuple] = set()
    for r in recs:
        m = (r.unit, r.direction, r.exact, r.quantity)
        if meta.setdefault(r.metric, m) != m:
            raise _bad(where, f"metric {r.metric!r}: records disagree on "
                              f"unit/direction/exact/quantity: "
                              f"{meta[r.metric]} vs {m}")
        key = (r.metric, r.variant, r.boot, r.run, r.iteration)
        if key in seen:
            raise _bad(where, f"metric {r.metric!r}, variant "
                              f"{r.variant!r}: run {r.run} of boot "
                              f"{r.boot} appears twice")
        seen.add(key)


# sha256 of a file's content -> its records: the gate, the report and the
# tests read one set many times, and checking 32k records takes a second
_PARSED: dict[bytes, tuple[Record, ...]] = {}


def load(path: Path) -> list[Record]:
    try:
        data = Path(path).read_bytes()
    except OSError as e:
        raise _bad(str(path), e.strerror or str(e)) from e
    digest = hashlib.sha256(data).digest()
    if digest not in _PARSED:
        # NaN and Infinity parse: _check names the record that has one
        doc = setcheck.loads(data, str(path), nonfinite=True)
        if len(_PARSED) >= 8:
            _PARSED.pop(next(iter(_PARSED)))
        _PARSED[digest] = tuple(parse(doc, str(path)))
    return list(_PARSED[digest])


def dumps(records: list[Record]) -> str:
    """One record per line: diffs of a committed set stay readable."""
    rows = ",\n".join(json.dumps(r.doc(), sort_keys=True,
                                  separators=(",", ":")) for r in records)
    return f'{{"schema": "{SCHEMA}", "records": [\n{rows}\n]}}\n'


def series(records: list[Record]) -> dict[tuple[metrics.Measure, str],
                                          Series]:
    """(measure, variant) -> its unit values, one per (boot, run): a run
    value as is, a per-iteration metric as each run's median and p90."""
    groups: dict[tuple, list[Record]] = defaultdict(list)
    for r in records:
        groups[(r.metric, r.variant, r.boot, r.run)].append(r)
    out: dict[tuple[metrics.Measure, str], Series] = {}
    for (metric, variant, boot, run), rs in sorted(groups.items()):
        r0 = rs[0]
        if r0.iteration is None:
            stats = {metrics.RUN_VALUE: r0.value}
        else:
            x = np.array([r.value for r in rs])
            stats = {"median": float(np.median(x)),
                     "p90": float(np.percentile(x, 90))}
        for stat, value in stats.items():
            key = (metrics.Measure(metric, stat), variant)
            s = out.get(key)
            if s is None:
                s = out[key] = Series(
                    key[0], variant, r0.unit, r0.direction, r0.exact,
                    r0.quantity, r0.kind, r0.mode, r0.workload, r0.layers,
                    r0.cpus)
            s.units.append((boot, run, value))
            if r0.disturbed:
                s.disturbed.add((boot, run))
    return out
