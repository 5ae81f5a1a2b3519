"""Reading mntlock's JSON (bpf/SCHEMA.md) into per-operation figures."""

from __future__ import annotations

import json
from pathlib import Path


def per_op(doc: dict, ops: int) -> dict[str, tuple]:
    """quantity -> (value, unit, direction, label) for one probe pass."""
    return {}


def wait_histogram_plot(rs, out: Path, save) -> bool:
    return False
