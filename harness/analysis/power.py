"""Error rates of the sequential A/B at a given noise, by seeded simulation.

    python3 -m harness.analysis.power --sd open=3.94 --sd teardown=11.97 \\
        --most 40 --sizes open=3.5,5 --sizes teardown=10,12.5,20

Boot means are drawn log-normal with each measure's boot-to-boot sd (in
percent; take it from A/A sets, e.g. `make calibrate`'s), the candidate carries
the change on one measure, and each simulated A/B runs the rule itself:
harness/analysis/gate.py's evaluate at every look of
harness/analysis/sequential.py, from --first to --most boots per kernel,
stopping as `make ab` does. It prints the A/A false-alarm rate and, per size,
the power and the mean
boots at the stop. This is how the README states what MTTCG detects in 10
guest minutes: the real comparisons are too slow to repeat hundreds of
times on a wall clock.
"""

from __future__ import annotations

import argparse
import gc
import math
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from harness import errors, metrics
from harness.analysis import gate, resultset, samples, sequential


@dataclass(frozen=True)
class Sim:
    name: str           # measure name
    sd: float           # boot-to-boot sd of log values
    higher: bool        # a throughput (higher is better)


SIMS = {"open": ("open-close.l2.c1.ops_per_s_per_task", True),
        "teardown": ("teardown.l10.umount_us", False)}


def records(sims: list[Sim], boots: int, rng, shift: float = 0.0,
            target: str | None = None) -> list[samples.Record]:
    """One side's boot values; `shift` makes `target` that much worse."""
    out = []
    for s in sims:
        for b in range(boots):
            v = 1e3 * math.exp(rng.normal(0, s.sd))
            if s.name == target:
                v = v / (1 + shift) if s.higher else v * (1 + shift)
            out.append(samples.Record(
                metric=s.name, variant="m", boot=b, run=b, value=v,
                unit="ops/s" if s.higher else "us",
                direction=metrics.HIGHER if s.higher else metrics.LOWER,
                exact=False, kind="load" if s.higher else "teardown",
                mode="m", workload=s.name.split(".")[0], layers=2, cpus=1,
                quantity="ops_per_s_per_task" if s.higher else "umount_us"))
    return out


def run_once(sims: list[Sim], design: sequential.Design, rng,
             threshold: float, shift: float = 0.0,
             target: str | None = None,
             spend: bool = True) -> tuple[str, int, list[str]]:
    """(why it stopped, boots per kernel, outcomes) of one simulated A/B;
    spend=False tests every look at the full alpha (the naive rule)."""
    base = records(sims, design.most, rng)
    cand = records(sims, design.most, rng, shift, target)
    manifest = {"plan": {"gate": {"metrics": ["."],
                                  "threshold": threshold}}}
    for n in range(design.first, design.most + 1):
        rs = [resultset.ResultSet(Path(f"/sim/{i}"), manifest,
                                  [r for r in recs if r.boot < n])
              for i, recs in enumerate((base, cand))]
        conf = design.confidence_at(n) if spend else 1 - design.alpha
        vs = gate.evaluate(rs[0], rs[1], None, None,
                           gate.Options(confidence=conf))
        why = sequential.settled([v.outcome for v in vs])
        if why or n == design.most:
            return why or "max-boots", n, [v.outcome for v in vs]
    raise AssertionError("unreachable")


def _pairs(items: list[str], what: str) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {}
    for item in items:
        name, sep, vals = item.partition("=")
        try:
            nums = [float(v) for v in vals.split(",")]
        except ValueError:
            nums = []
        if not sep or name not in SIMS or not nums or any(
                not (math.isfinite(x) and x > 0) for x in nums):
            raise errors.InputError(
                f"{what} {item}: allowed: NAME=PCT[,PCT...] with NAME one "
                f"of {', '.join(SIMS)} and PCT > 0")
        out[name] = nums
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="mntbench-power", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sd", action="append", default=[], metavar="NAME=PCT",
                    help="boot-to-boot sd of a measure, percent")
    ap.add_argument("--sizes", action="append", default=[],
                    metavar="NAME=PCT,...", help="changes to simulate")
    ap.add_argument("--first", type=int, default=3)
    ap.add_argument("--most", type=int, default=40)
    ap.add_argument("--threshold", type=float, default=1.0,
                    help="the gate's threshold, percent (calibrate plan: 1)")
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--seed", type=int, default=20261126)
    args = ap.parse_args(argv)
    try:
        sds = _pairs(args.sd, "--sd")
        sizes = _pairs(args.sizes, "--sizes")
        if not sds or any(len(v) != 1 for v in sds.values()):
            raise errors.InputError("--sd: give NAME=PCT once per measure")
        if set(sizes) - set(sds):
            raise errors.InputError(
                f"--sizes {', '.join(set(sizes) - set(sds))}: no --sd")
        if args.runs < 1:
            raise errors.InputError(f"--runs={args.runs}: must be >= 1")
        try:
            design = sequential.Design(args.first, args.most)
        except ValueError as e:
            raise errors.InputError(f"--first/--most: {e}") from None
    except errors.InputError as e:
        print(f"mntbench-power: error: {e}", file=sys.stderr)
        return e.exit_code
    sims = [Sim(SIMS[k][0], v[0] / 100, SIMS[k][1]) for k, v in sds.items()]
    # statsmodels' Holm calls gc.collect() every time: freeze what exists
    gc.freeze()
    rng = np.random.default_rng(args.seed)
    aa = [run_once(sims, design, rng, args.threshold)
          for _ in range(args.runs)]
    print(f"A/A: false alarms {sum(w == 'regression' for w, _, _ in aa)}"
          f"/{args.runs}, mean boots {np.mean([n for _, n, _ in aa]):.1f}")
    for key, pcts in sizes.items():
        for pct in pcts:
            res = [run_once(sims, design, rng, args.threshold, pct / 100,
                            SIMS[key][0]) for _ in range(args.runs)]
            hits = sum(w == "regression" for w, _, _ in res)
            print(f"{key} +{pct:g}%: power {hits / args.runs:.3f} "
                  f"({hits}/{args.runs}), mean boots "
                  f"{np.mean([n for _, n, _ in res]):.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
