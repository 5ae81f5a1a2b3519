"""What an experiment kind is, and the pieces its builders share.

A kind builds its points from its plan section and turns a point's raw
output into sample records; its report section and plots are the output
stage's (harness/output/sections/). harness/run/kinds/__init__.py lists
the kinds.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from harness import errors, kparams
from harness.point import Point
from harness.run import ovlbench

HOST = "host"       # no VM: the running kernel

# ovlbench's limits, for the plan's validation: base.MAX_LAYERS and the
# others are read from `bench/ovlbench --limits` when first used
# (harness/run/ovlbench.py), never copied; harness/tests/test_inputs.py runs
# bench/ovlbench at each boundary.
LIMITS = {
    "MAX_LAYERS": "max_layers",     # lower layers (1 only with --upper)
    "MAX_TASKS": "max_tasks",
    "MAX_SECONDS": "max_seconds",   # --warmup, --duration, --interval
    "MIN_INTERVAL": "min_interval",
    "MAX_INTERVALS": "max_intervals",   # --duration / --interval
    "MAX_OPS": "max_ops",           # --ops per task
    "MAX_PAIR_INTERVAL": "max_pair_interval",   # --interval, --pair-modes
    "TASK_MODES": "task_modes",
    "PAIR_WORKLOADS": "pair_workloads",         # --pair-modes takes
    "MARKED_WORKLOADS": "marked_workloads",     # --coherence-marks takes
    "NO_OVERLAY_WORKLOADS": "no_overlay_workloads",     # the census's
}


def __getattr__(name: str):
    if name in LIMITS:
        return ovlbench.limit(LIMITS[name])
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@dataclass
class Context:
    """What a builder needs besides its plan section."""
    doc: dict               # the whole plan document
    vcpus: int
    has_switch: bool        # the kernel has the mode switch
    probes: bool            # the kernel can be traced (mntlock)
    accel: str              # the set's accelerator, or HOST
    rng: random.Random      # one seeded stream for the whole plan

    def section(self, name: str) -> dict:
        return self.doc.get(name, {})


@dataclass(frozen=True)
class Kind:
    name: str
    section: str            # its plan section ([load], [probes], ...)
    build: Callable[[Context], list[Point]]
    # (collector, point, boot, raw ovlbench JSON, on icount, set dir)
    collect: Callable[..., None]
    # metric name of (quantity, point)
    metric: Callable[[str, Point], str]
    # its variants are overlay modes, compared in the report's tables
    compares_modes: bool = True
    # (key in its section, its default: None = the plan's top-level reps)
    # of the repetition counts an A/B run scales (plan.for_boots)
    reps: tuple[tuple[str, int | None], ...] = (("reps", 1),)
    validate: Callable[[dict, Path], None] | None = None
    clock: str | None = None    # a clock of its own (pathlen: icount)
    on_host: bool = True        # runs without a VM too
    # the keys its plan section allows (plan.py checks their values; a
    # section two kinds share allows the keys of both); None: undeclared
    keys: tuple[str, ...] | None = None
    # (set dir, kbuild.Kernel): on the host after the boots of a run
    # (coherence: names its addresses while the kernel is at hand)
    after_boots: Callable[..., None] | None = None
    # the top-level keys it reads from its probe points' mntlock
    # documents (probes.load checks them there)
    probe_doc: tuple[str, ...] = ()


def cpu_counts(spec, vcpus: int) -> list[int]:
    """'powers' -> 1, 2, 4, ... vcpus; a list may hold 'all'."""
    if spec == "powers":
        out, n = [], 1
        while n < vcpus:
            out.append(n)
            n *= 2
        return out + [vcpus]
    if not isinstance(spec, list):
        raise errors.InputError(
            f"plan cpus={spec!r}: allowed: 'powers' or a list of counts "
            "and 'all'")
    out = []
    for c in spec:
        n = vcpus if c == "all" else c
        if isinstance(n, bool) or not isinstance(n, int) or \
                not 1 <= n <= vcpus:
            raise errors.InputError(
                f"plan cpus {c!r}: allowed: 1..{vcpus} (the vCPUs) or "
                "'all'")
        if n not in out:
            out.append(n)
    return out


def common_args(ctx: Context, cpus: int, first_cpu: int = 0) -> list[str]:
    """cpus tasks pinned to CPUs first_cpu.. on, and the plan's timing."""
    d = ctx.doc
    return ["--tasks", str(cpus),
            "--cpus", f"{first_cpu}-{first_cpu + cpus - 1}",
            "--mode", d.get("task_mode", "process"),
            "--warmup", str(d["warmup"]), "--interval", str(d["interval"])]


def modes(sec: dict, has_switch: bool) -> list[tuple[str, str]]:
    """(mode, variant) of a section's modes: 'longterm-array#aa' is an
    A/A copy of longterm-array, run interleaved with the mode itself; a
    kernel without the switch has its one fixed mode."""
    tagged = list(sec.get("modes", []))
    if not has_switch and tagged:
        return [(kparams.FIXED, kparams.FIXED)]
    return [(kparams.plan_mode(v), v) for v in tagged]


def duration_args(ctx: Context, sec: dict) -> tuple[str, tuple[str, ...]]:
    """A section's --duration, and an --interval when a duration of its
    own is shorter than the plan's interval: then it is one interval."""
    dur = str(sec.get("duration", ctx.doc["duration"]))
    if float(dur) < ctx.doc["interval"]:
        return dur, ("--interval", dur)
    return dur, ()


def workload_points(ctx: Context, kind: str, sec: dict, reps: int,
                    **extra) -> list[Point]:
    """Points running a file workload per mode and CPU count (load,
    pathlen, probe): each repetition a block, shuffled."""
    dur, interval = duration_args(ctx, sec)
    out: list[Point] = []
    for rep in range(sec.get("reps", reps)):
        block = []
        for w in sec.get("workloads", []):
            for layers in sec.get("layers", [2]):
                for c in cpu_counts(sec.get("cpus", "powers"), ctx.vcpus):
                    for m, v in modes(sec, ctx.has_switch):
                        block.append(Point(
                            id=f"{kind}-{w}-l{layers}-c{c}-{v}-r{rep}",
                            kind=kind, workload=w, mode=m, variant=v,
                            layers=layers, cpus=c, rep=rep, **extra,
                            args=("--workload", w, "--layers", str(layers),
                                  "--duration", dur,
                                  *common_args(ctx, c), *interval)))
        ctx.rng.shuffle(block)
        out += block
    return out


def layer_points(ctx: Context, sec: dict,
                 make: Callable[[int, str, str, int], list[Point]]
                 ) -> list[Point]:
    """The points make(layers, mode, variant, rep) for each layer count
    and mode of a section (teardown, bystander): each repetition a block,
    shuffled."""
    out: list[Point] = []
    for rep in range(sec.get("reps", 1)):
        block = [p for layers in sec.get("layers", [])
                 for m, v in modes(sec, ctx.has_switch)
                 for p in make(layers, m, v, rep)]
        ctx.rng.shuffle(block)
        out += block
    return out


def run_of(doc: dict) -> dict:
    """The one run of an ovlbench document."""
    return doc["runs"][0]


def cpu_ops(run: dict) -> list[int]:
    """Per task, the ops its task_cpu_ns covers; files of ovlbench
    before task_cpu_ops counted them as the window's (task_totals)."""
    return run.get("task_cpu_ops") or run["task_totals"]


def iterations_us(lat: dict, what: str) -> list[float]:
    """Per-iteration latencies in us, tasks in order."""
    return [x / 1000 for task in lat[f"{what}_ns"]["raw"] for x in task]
