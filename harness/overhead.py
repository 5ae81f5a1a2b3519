"""Probe overhead pairs: open-close throughput with mntlock attached and
without, same boot, per mode and CPU count (harness/plan.py makes the
points, harness/collect.py the records: kind "overhead", variants
probe-on and probe-off)."""

from __future__ import annotations

from harness import stats
from harness.collect import OVERHEAD_OFF, OVERHEAD_ON

# The target of bpf/: at most 5% slower with the tool attached
TARGET_RATIO = 0.95


def comparisons(rs) -> dict[tuple[str, int], stats.Comparison]:
    """(mode, cpus) -> with/without ratio of medians with its CI."""
    on = {(s.mode, s.cpus): s.values
          for s in rs.select(kind="overhead", variant=OVERHEAD_ON)}
    off = {(s.mode, s.cpus): s.values
           for s in rs.select(kind="overhead", variant=OVERHEAD_OFF)}
    return {k: stats.compare(off[k], on[k])
            for k in sorted(on.keys() & off.keys())}
