"""The report section and plots of the teardown kind (its points and records:
harness/run/kinds/teardown.py)."""

from __future__ import annotations

from pathlib import Path


def plots(rs, out: Path) -> list[str]:
    from harness.output import plots as P
    return ["teardown"] if P.teardown(rs, out) else []
