"""Probe overhead pairs: open-close throughput with mntlock attached and
without, same boot, per mode and CPU count (harness/plan.py makes the
points, harness/collect.py the metrics)."""

from __future__ import annotations

import re

from harness import stats

# overhead.<mode>.c<cpus>.ops_per_s_per_task; sets made before the pairs
# covered every mode have overhead.c<cpus>.ops_per_s_per_task
NAME = re.compile(r"overhead\.(?:(?P<mode>[^.]+)\.)?c(?P<cpus>\d+)"
                  r"\.ops_per_s_per_task")
ON, OFF = "probe-on", "probe-off"
# The target of bpf/: at most 5% slower with the tool attached
TARGET_RATIO = 0.95


def metric_name(mode: str, cpus: int) -> str:
    return f"overhead.{mode}.c{cpus}.ops_per_s_per_task"


def comparisons(metrics: dict) -> dict[tuple[str, int], stats.Comparison]:
    """(mode, cpus) -> with/without ratio of medians with its CI; mode is
    '' for old sets."""
    out = {}
    for name, m in metrics.items():
        rx = NAME.fullmatch(name)
        on, off = m.variants.get(ON), m.variants.get(OFF)
        if rx and on and off:
            key = (rx.group("mode") or "", int(rx.group("cpus")))
            out[key] = stats.compare(off, on)
    return dict(sorted(out.items()))
