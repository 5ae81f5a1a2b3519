"""The experiment kinds, in the order a plan expands them. Each module is
one unit: its points, its records, its report section, its plots (see
harness/README.md, "Adding an experiment kind")."""

from __future__ import annotations

from harness.kinds import (bystander, census, coherence, collateral, load,
                           overhead, paired, pathlen, probe, teardown)
from harness.kinds.base import Kind

KINDS: dict[str, Kind] = {m.KIND.name: m.KIND for m in (
    load, pathlen, paired, teardown, bystander, probe, overhead,
    collateral, census, coherence)}


def of(name: str) -> Kind:
    return KINDS[name]
