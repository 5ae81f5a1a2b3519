"""Where things live: the checkout, and the cache outside it."""

import os
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def cache_dir() -> Path:
    """Kernel builds and per-host facts; outside the checkout, so a fresh
    clone (as in CI) reuses them."""
    base = os.environ.get("MNTBENCH_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"),
        "mntbench")
    path = Path(base)
    path.mkdir(parents=True, exist_ok=True)
    return path
