"""The report section and plots of the collateral kind (its points and records:
harness/run/kinds/collateral.py)."""

from __future__ import annotations

import numpy as np
from harness.run.kinds.collateral import NAME


def report(rs) -> list[str]:
    """Per CPU count and victims' quantity: each mode's median of runs."""
    rows: dict[tuple[int, str, str], list[str]] = {}
    for s in sorted(rs.select(kind=NAME), key=lambda s: s.variant):
        if s.quantity.startswith("victim"):
            med = float(np.median(s.values))
            rows.setdefault((s.cpus, s.quantity, s.unit), []).append(
                f"{s.variant} {med:.4g}")
    out = []
    for (cpus, q, unit), cells in sorted(rows.items()):
        out += [f"  c{cpus} {q} ({unit}):",
                f"    {', '.join(cells)}"[:72]]
    if not out:
        return []
    return ["Collateral: victims on a plain tmpfs beside overlay "
            "aggressors,", "median of runs:", *out, ""]
