"""The report section and plots of the load kind (its points and records:
harness/run/kinds/load.py)."""

from __future__ import annotations

from pathlib import Path
from harness.run.kinds.load import NAME


def plots(rs, out: Path) -> list[str]:
    from harness.output import plots as P
    made = []
    if P.throughput(rs, out, kind=NAME):
        made.append("throughput")
    if P.ratio(rs, out, kind=NAME):
        made.append("ratio")
    if P.path_length(rs, out, kind=NAME):
        made.append("path-length")
    return made
