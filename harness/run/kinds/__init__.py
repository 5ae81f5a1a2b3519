"""The experiment kinds, in the order a plan expands them. Each module is
one kind's points and records; its report section and plots are in
harness/output/sections/ (harness/README.md, "Adding an experiment
kind")."""

from __future__ import annotations

from harness.run.kinds import (bystander, census, coherence, collateral, load,
                               overhead, paired, pathlen, probe, teardown)
from harness.run.kinds.base import Kind

KINDS: dict[str, Kind] = {m.KIND.name: m.KIND for m in (
    load, pathlen, paired, teardown, bystander, probe, overhead,
    collateral, census, coherence)}


def of(name: str) -> Kind:
    return KINDS[name]
