"""The rows every export format is made of: one per measure and variant
of a set, and the set's time and kernel identity."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from harness import errors, metrics
from harness.analysis import resultset, samples, stats


@dataclass(frozen=True)
class Row:
    measure: metrics.Measure
    variant: str
    unit: str
    direction: str          # metrics.HIGHER or metrics.LOWER
    quantity: str
    exact: bool
    value: float            # median of the run values
    lower: float            # its CI (stats.CONFIDENCE, bootstrap)
    upper: float
    n_runs: int
    boots: int

    @property
    def name(self) -> str:
        """As the gate prints a measure: METRIC[:STAT] [VARIANT]."""
        return f"{self.measure} [{self.variant}]"


def direction(s: samples.Series) -> str:
    """The quantity's declared direction (harness/metrics.py); the
    record's own for a quantity this version does not know."""
    q = metrics.QUANTITIES.get(s.quantity)
    return q.direction if q is not None else s.direction


def rows(rs: resultset.ResultSet) -> list[Row]:
    """Computed from samples.json rather than read from summary.json:
    summary.json is as old as the last report, and `harness.analysis.collect`
    may have rewritten the samples since (the reference set's lacks a metric
    its samples have). stats.estimate is what summary.json holds."""
    out = []
    for (m, v), s in sorted(rs.series.items()):
        e = stats.estimate(s.values)
        out.append(Row(m, v, s.unit, direction(s), s.quantity, s.exact,
                       e.median, e.lo, e.hi, e.n, len(set(s.boots))))
    return out


def created(rs: resultset.ResultSet) -> datetime:
    """When the set was made: manifest.json's "created"."""
    text = rs.manifest.get("created")
    try:
        return datetime.strptime(str(text), "%Y-%m-%dT%H:%M:%S%z")
    except ValueError:
        raise errors.InputError(
            f"result set {rs.path}: manifest.json created={text!r}; "
            "allowed: a time like 2026-11-25T22:04:00+0000") from None


_COMMIT = re.compile(r"^[0-9a-f]{40}$")


def source_id(rs: resultset.ResultSet) -> str:
    return str((rs.manifest.get("kernel") or {}).get("source_id") or "")


def commit(rs: resultset.ResultSet) -> str:
    """The kernel's git commit when the manifest records one (a full
    sha1), else ''. The source id is a hash of HEAD and the uncommitted
    diff (kbuild.source_identity), not a commit."""
    c = str((rs.manifest.get("kernel") or {}).get("commit") or "")
    return c if _COMMIT.match(c) else ""
