"""The report section and plots of the pathlen kind (its points and records:
harness/run/kinds/pathlen.py)."""

from __future__ import annotations

from pathlib import Path
from harness.run.kinds.pathlen import NAME


def plots(rs, out: Path) -> list[str]:
    from harness.output import plots as P
    return ["path-length"] if P.path_length(rs, out, kind=NAME) else []
