"""Each experiment kind's own part of the output: its report section and
its plots, in the order of the kinds (harness/run/kinds/__init__.py). A
kind without a module here adds only rows to the report's tables."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from harness.output.sections import (bystander, census, coherence, collateral,
                                     load, overhead, paired, pathlen, probe,
                                     teardown)
from harness.run import kinds


@dataclass(frozen=True)
class Section:
    report: Callable[..., list[str]] | None = None  # (result set) -> lines
    plots: Callable[..., list[str]] | None = None   # (set, out dir) -> names


# keyed by kind name: each module is named for its kind
SECTIONS: dict[str, Section] = {
    m.__name__.rsplit(".", 1)[1]: Section(getattr(m, "report", None),
                                          getattr(m, "plots", None))
    for m in (load, pathlen, paired, teardown, bystander, probe, overhead,
              collateral, census, coherence)}


def _in_kind_order() -> list[Section]:
    return [SECTIONS[k] for k in kinds.KINDS if k in SECTIONS]


def report(rs) -> list[str]:
    """Every kind's report section, in the kinds' order."""
    return [line for s in _in_kind_order() if s.report
            for line in s.report(rs)]


def make_plots(rs) -> list[str]:
    """Every kind's graphs into SET/plots; the names made."""
    out = rs.path / "plots"
    made: list[str] = []
    for s in _in_kind_order():
        if s.plots:
            made += [n for n in s.plots(rs, out) if n not in made]
    return made
