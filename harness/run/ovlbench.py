"""What bench/ovlbench takes, as it says itself: `bench/ovlbench --limits`
prints its ranges, the workloads each option takes and its exit statuses
as JSON (bench/main.c); the C (bench/ovlbench.h, workload.h) is the one
definition, and the harness reads it here instead of copying it.

The binary is run once per process, when a limit is first asked for (a
plan's checks, an n/a point in the guest), so that importing the harness
runs nothing. `make -C bench` builds it (`make unit`, `make all` and
every target that runs a plan do).

Standard library only: the guest runner imports it too.
"""

from __future__ import annotations

import functools
import json
import subprocess

from harness import errors
from harness.paths import REPO

BINARY = REPO / "bench" / "ovlbench"
SCHEMA = "mntbench.ovlbench-limits/1"


@functools.cache
def limits() -> dict:
    """The document `ovlbench --limits` prints; BuildError if there is
    no ovlbench that prints it."""
    how = f"{BINARY} --limits"
    try:
        r = subprocess.run([str(BINARY), "--limits"], capture_output=True,
                           text=True, timeout=60)
    except OSError as e:
        raise errors.BuildError(f"{how}: {e.strerror or e} (build it: "
                                "make -C bench)") from None
    try:
        doc = json.loads(r.stdout) if r.returncode == 0 else None
    except ValueError:
        doc = None
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA:
        why = (r.stderr.strip().splitlines() or [f"exit {r.returncode}"])[-1]
        raise errors.BuildError(f"{how}: no {SCHEMA} document ({why}); an "
                                "older build? make -C bench")
    return doc


def limit(key: str):
    """One of the document's values; a list as a tuple."""
    v = limits()[key]
    return tuple(v) if isinstance(v, list) else v


def exit_status(name: str) -> int:
    """ovlbench's exit status of that name ('na': the kernel lacks what
    the workload needs, 'task', 'usage', ...)."""
    return limits()["exit_statuses"][name]
