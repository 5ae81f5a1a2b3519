"""paired: two modes in one run ([paired]): ovlbench --pair-modes A,B
mounts an overlay per mode and alternates short blocks between them; a
run's value is the geometric mean of its B/A block ratios."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from harness import errors, kparams
from harness.point import paired_variant, Point
from harness.run.kinds import base

NAME = "paired"


def build(ctx: base.Context) -> list[Point]:
    pa = ctx.section("paired") if ctx.has_switch else {}
    dur = str(ctx.doc["duration"])
    out: list[Point] = []
    for rep in range(pa.get("reps", 1)):
        block = []
        for a, b in pa.get("pairs", []):
            for w in pa.get("workloads", ["open-close"]):
                for layers in pa.get("layers", [2]):
                    for c in base.cpu_counts(pa.get("cpus", "powers"),
                                             ctx.vcpus):
                        block.append(Point(
                            id=f"paired-{w}-l{layers}-c{c}-{b}-vs-{a}"
                               f"-r{rep}",
                            # ovlbench sets the switch for each overlay
                            kind=NAME, workload=w, mode=kparams.DEFAULT,
                            variant=paired_variant(a, b), pair=(a, b),
                            layers=layers, cpus=c, rep=rep,
                            args=("--workload", w, "--layers",
                                  str(layers), "--duration", dur,
                                  *base.common_args(ctx, c), "--interval",
                                  str(pa.get("interval", 0.25)),
                                  "--pair-modes", f"{a},{b}")))
        ctx.rng.shuffle(block)
        out += block
    return out


def validate(doc: dict, path: Path) -> None:
    sec = doc.get("paired", {})
    for w in sec.get("workloads", []):
        if w not in base.PAIR_WORKLOADS:
            raise errors.InputError(
                f"plan {path}: [paired] workload {w!r}; allowed: "
                f"{', '.join(base.PAIR_WORKLOADS)} (--pair-modes)")
    iv = sec.get("interval", 0.25)
    if isinstance(iv, (int, float)) and not isinstance(iv, bool) and \
            iv > base.MAX_PAIR_INTERVAL:
        raise errors.InputError(
            f"plan {path}: [paired] interval={iv!r}; allowed: seconds "
            f"{base.MIN_INTERVAL:g}..{base.MAX_PAIR_INTERVAL:g} "
            "(blocks of --pair-modes)")
    pairs = sec.get("pairs", [])
    if not isinstance(pairs, list):
        raise errors.InputError(
            f"plan {path}: [paired] pairs={pairs!r}; allowed: a list of "
            "pairs of modes")
    for pair in pairs:
        if not (isinstance(pair, list) and len(pair) == 2
                and all(m in kparams.MODES for m in pair)
                and pair[0] != pair[1]):
            raise errors.InputError(
                f"plan {path}: [paired] pair {pair!r}; allowed: two "
                f"different modes of {', '.join(kparams.MODES)}")


def collect(c, p: Point, boot: int, doc: dict, icount: bool,
            sdir: Path) -> None:
    ratios = [x for x in base.run_of(doc)["pair"]["block_ratios"] if x > 0]
    c.add(p, boot, "pair_ratio",
          [float(np.exp(np.mean(np.log(ratios)))) if ratios else 0.0])


def metric(quantity: str, p: Point) -> str:
    return f"{NAME}.{p.workload}.l{p.layers}.c{p.cpus}.{quantity}"


KIND = base.Kind(name=NAME, section="paired", build=build, collect=collect,
                 metric=metric, compares_modes=False, validate=validate,
                 keys=("pairs", "workloads", "layers", "cpus", "reps",
                       "interval"))
