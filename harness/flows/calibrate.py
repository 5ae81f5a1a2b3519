"""Calibration: the gate's false-alarm rate and power on the real kernel.

    python3 -m harness.flows.calibrate [--profile calibrate]
        [--clocks icount,tcg] [--sizes 1,2,5,10] [--paths open,teardown]
        [--aa 4] [--n 2] [--budget 10] [--seed S] [--out DIR]

One kernel (the default series, with the calibration knobs). First, on
each clock, the cost of one knob unit is measured against the base cost
of the measure it loads: an open for `open` (open-close), an unmount for
`teardown` (10-layer umount latency). On icount that cost is exact in
instructions (3 per unit); on MTTCG a unit takes a smaller share of an
op's time than its instructions do, so each clock converts with its own:
a requested "+2%" becomes the knob value that adds 2% of the base cost
on that clock.

Then, on each clock, `make ab`'s own code (harness/flows/ab.py: sequential,
interleaved boots, the gate) runs A/A comparisons (no knob on either
side) and A/B comparisons with the cost injected on the candidate only.
Each comparison has its own seed. The table counts, per clock and
injection, the comparisons, the regressions called (exit 1), the
equivalent (exit 0) and the inconclusive (exit 3) ones, the boots and
the guest minutes; and the change the comparison's sets show on the
loaded measure.

OUT/calibration.json holds the table and every comparison, rewritten
after each one, so an interrupted run keeps what it finished. Exit: 0
done, 2 bad input, 125 the kernel could not be built or a comparison
not run, 130 interrupted.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from statsmodels.stats.proportion import proportion_confint

from harness import errors, kparams, metrics, setfiles
from harness.analysis import resultset, samples
from harness.flows import ab, bench as run
from harness.kernel import kbuild, vm
from harness.paths import REPO
from harness.run import plan

# knob units of the cost measurement: far above the noise of every clock
# (a unit costs MTTCG about a tenth of the time, relative to kernel code,
# that it costs icount), well inside the knob's range
PROBE_UNITS = {"open": 5000, "teardown": 1000000}
AA = "A/A"


def loads(path: str, s: samples.Series) -> bool:
    """Whether a series is the measure a knob path loads."""
    if path == "open":
        return s.kind == "load" and s.workload == "open-close"
    umount = metrics.ON_ICOUNT.get("umount_us")
    return s.kind == "teardown" and s.measure.stat == "median" and \
        s.quantity in ("umount_us", umount)


@dataclass
class Cost:
    """What one knob unit adds on one clock."""
    clock: str
    path: str
    measure: str
    unit: str
    base: float             # geometric mean cost of an op/unmount, knob 0
    per_unit: float         # added per knob unit, same unit as base
    probe_units: int

    def knob_for(self, pct: float) -> int:
        return max(1, round(pct / 100 * self.base / self.per_unit))


@dataclass
class Comparison:
    clock: str
    injected: str           # 'A/A' or 'open +2%'
    knob: dict
    seed: int
    exit: int
    boots: int
    guest_s: float
    stopped: str | None
    change_pct: float | None    # the sets' change on the loaded measure
    outcomes: dict = field(default_factory=dict)


def _series(rs: resultset.ResultSet, path: str) -> samples.Series:
    """The (first, by name) measure in the set that the path loads."""
    for (_m, _v), s in sorted(rs.series.items(), key=lambda kv: str(kv[0])):
        if loads(path, s):
            return s
    raise errors.VMError(f"{rs.path}: no {path} measure in the set")


def _cost(s: samples.Series) -> float:
    """Geometric mean cost of one op or unmount, in ns or the unit."""
    g = float(np.exp(np.mean(np.log(s.values))))
    # a throughput falls as cost rises: work in time per op
    return 1e9 / g if s.direction == metrics.HIGHER else g


def measure_cost(kernel, p: plan.Plan, out: Path, cpus: int, seed: int,
                 paths: list[str], clock: str) -> dict[str, Cost]:
    """One boot with the knobs at 0, one with them at PROBE_UNITS, on
    this clock: a unit's share of an op's time depends on the clock (TCG
    runs a tight loop faster, relative to kernel code, than its
    instruction count says), so each clock converts sizes with its own."""
    sets = {}
    for tag, knobs in (("k0", {}), ("kN", {k: PROBE_UNITS[k]
                                           for k in paths})):
        sdir = out / "cost" / clock / tag
        run.create_set(sdir, p, seed, cpus, kernel, clock, True,
                       ["calibrate"], knobs=knobs)
        run.run_vm(sdir, kernel, cpus, 1800.0)
        if run.finish(sdir, interrupted=False) != 0:
            raise errors.VMError(f"cost set {sdir} is incomplete")
        sets[tag] = resultset.load(sdir)
    costs = {}
    for path in paths:
        s0, sn = _series(sets["k0"], path), _series(sets["kN"], path)
        base, loaded = _cost(s0), _cost(sn)
        unit = "ns" if s0.direction == metrics.HIGHER else s0.unit
        costs[path] = Cost(clock, path, str(s0.measure), unit, base,
                           (loaded - base) / PROBE_UNITS[path],
                           PROBE_UNITS[path])
    return costs


def measured_change(out: Path, path: str | None) -> float | None:
    """The cost change, in percent, that the comparison's sets show on
    the measure the knob loads (geometric means)."""
    if path is None:
        return None
    b, c = (_series(resultset.load(out / side), path)
            for side in ("base", "cand"))
    return round((_cost(c) / _cost(b) - 1) * 100, 3)


def compare(clock: str, injected: str, knob: dict, seed: int, out: Path,
            args, path: str | None) -> Comparison:
    """One `make ab` on the kernel against itself, knob on the candidate."""
    argv = [sys.executable, "-m", "harness.flows.ab",
            "--profile", args.profile, "--accel", clock,
            "--seed", str(seed), "--out", str(out),
            "--budget", str(args.budget), "--cpus", str(args.cpus)]
    if knob:
        argv += ["--cand-knobs", kparams.format_knobs(knob)]
    out.mkdir(parents=True, exist_ok=True)
    # a process of its own, as a user or CI runs it; its log beside it
    with open(out / "ab.log", "w") as log:
        rc = subprocess.run(argv, stdout=log, stderr=subprocess.STDOUT,
                            env={**os.environ, "PYTHONPATH": str(REPO)}
                            ).returncode
    if rc == 130:
        raise KeyboardInterrupt
    if rc not in (0, 1, 3):
        raise errors.VMError(f"comparison {out}: ab exit {rc} (see "
                             f"{out / 'ab.log'})")
    seq = json.loads((out / "sequential.json").read_text())
    last = seq["looks"][-1]
    return Comparison(clock, injected, knob, seed, rc, last["boots"],
                      seq["guest_s"], seq["stopped"],
                      measured_change(out, path), last["outcomes"])


def table(comps: list[Comparison]) -> list[dict]:
    rows = []
    for key in dict.fromkeys((c.clock, c.injected) for c in comps):
        cs = [c for c in comps if (c.clock, c.injected) == key]
        n = len(cs)
        reg = sum(c.exit == 1 for c in cs)
        lo, hi = proportion_confint(reg, n, method="beta")
        changes = [c.change_pct for c in cs if c.change_pct is not None]
        rows.append({
            "clock": key[0], "injected": key[1], "knob": cs[0].knob,
            "comparisons": n, "regressions": reg,
            "regression_rate": reg / n,
            "regression_ci95": [round(lo, 3), round(hi, 3)],
            "equivalent": sum(c.exit == 0 for c in cs),
            "inconclusive": sum(c.exit == 3 for c in cs),
            "boots_mean": statistics.mean(c.boots for c in cs),
            "guest_min": round(sum(c.guest_s for c in cs) / 60, 1),
            "guest_min_per_comparison": round(
                statistics.mean(c.guest_s for c in cs) / 60, 2),
            "measured_change_pct": round(statistics.median(changes), 2)
            if changes else None})
    return rows


def format_table(rows: list[dict]) -> str:
    head = (f"{'clock':7} {'injected':14} {'n':>3} {'regr':>4} "
            f"{'[95% CI]':>13} {'equiv':>5} {'incon':>5} {'boots':>5} "
            f"{'guest min':>9} {'measured':>8}")
    lines = [head]
    for r in rows:
        ci = r["regression_ci95"]
        meas = "" if r["measured_change_pct"] is None else \
            f"{r['measured_change_pct']:+.2f}%"
        lines.append(
            f"{r['clock']:7} {r['injected']:14} {r['comparisons']:3d} "
            f"{r['regressions']:4d} [{ci[0]:4.2f},{ci[1]:5.2f}] "
            f"{r['equivalent']:5d} {r['inconclusive']:5d} "
            f"{r['boots_mean']:5.1f} {r['guest_min']:9.1f} {meas:>8}")
    return "\n".join(lines)


def _floats(text: str, what: str) -> list[float]:
    try:
        vals = [float(x) for x in text.split(",") if x]
    except ValueError:
        vals = []
    if not vals or any(not 0 < v <= 1000 for v in vals):
        raise errors.InputError(
            f"{what}={text!r}: allowed: comma-separated percentages in "
            "(0, 1000]")
    return vals


def _parse(argv: list[str]) -> argparse.Namespace:
    ap = argparse.ArgumentParser(
        prog="mntbench-calibrate", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--profile", default="calibrate")
    ap.add_argument("--clocks", default="icount,tcg",
                    help="accelerators to calibrate, comma-separated: "
                    f"{', '.join(vm.accel.ACCELS)} (default icount,tcg)")
    ap.add_argument("--sizes", default="1,2,5,10",
                    help="injected costs in percent (default 1,2,5,10)")
    ap.add_argument("--paths", default="open,teardown",
                    help=f"knobs to inject: {', '.join(kparams.KNOBS)}")
    ap.add_argument("--aa", type=int, default=4,
                    help="A/A comparisons per clock (default 4)")
    ap.add_argument("--n", type=int, default=2,
                    help="comparisons per injected size (default 2)")
    ap.add_argument("--budget", type=float, default=10.0, metavar="MIN",
                    help="guest minutes per comparison (ab --budget)")
    ap.add_argument("--cpus", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args(argv)
    args.clock_list = [c for c in args.clocks.split(",") if c]
    bad = [c for c in args.clock_list if c not in vm.accel.ACCELS]
    if bad or not args.clock_list:
        raise errors.InputError(
            f"--clocks={args.clocks}: allowed: a comma-separated list of "
            f"{', '.join(vm.accel.ACCELS)}")
    args.size_list = _floats(args.sizes, "--sizes")
    args.path_list = [p for p in args.paths.split(",") if p]
    bad = [p for p in args.path_list if p not in kparams.KNOBS]
    if bad or not args.path_list:
        raise errors.InputError(
            f"--paths={args.paths}: allowed: a comma-separated list of "
            f"{', '.join(kparams.KNOBS)}")
    for opt in ("aa", "n"):
        if getattr(args, opt) < 0:
            raise errors.InputError(
                f"--{opt}={getattr(args, opt)}: allowed: an integer >= 0")
    if not (math.isfinite(args.budget) and args.budget > 0):
        raise errors.InputError(
            f"--budget={args.budget}: allowed: minutes > 0")
    vm.check_cpus(args.cpus)
    return args


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    doc: dict = {}
    out = None
    try:
        args = _parse(argv)
        p = plan.load(args.profile)
        kernel = ab.build(kbuild.DEFAULT_KSRC, kbuild.DEFAULT_PATCHES)
        out = args.out or REPO / "results" / (
            f"calibrate-{time.strftime('%Y%m%d-%H%M%S')}-"
            f"{socket.gethostname()}")
        if out.exists() and any(out.iterdir()):
            raise errors.InputError(f"--out {out}: exists and is not empty")
        out.mkdir(parents=True, exist_ok=True)
        t0 = time.monotonic()
        doc = {"schema": "mntbench.calibration/1", "profile": args.profile,
               "plan_hash": p.hash, "kernel": kernel.info.get("release"),
               "command": " ".join(["python3 -m harness.flows.calibrate",
                                    *argv]),
               "cost": {}, "comparisons": [], "table": [],
               "status": "running"}
        comps: list[Comparison] = []
        seed = args.seed
        for clock in args.clock_list:
            costs = measure_cost(kernel, p, out, args.cpus, args.seed,
                                 args.path_list, clock)
            doc["cost"][clock] = {k: asdict(c) for k, c in costs.items()}
            for c in costs.values():
                print(f"calibrate: {clock}: {c.path}: one knob unit adds "
                      f"{c.per_unit:.4g} {c.unit} to {c.base:.5g} {c.unit} "
                      f"({c.measure})", flush=True)
            cases = [(AA, {}, None)] * args.aa + [
                (f"{path} +{size:g}%", {path: costs[path].knob_for(size)},
                 path)
                for path in args.path_list for size in args.size_list
                for _ in range(args.n)]
            for i, (inj, knob, path) in enumerate(cases):
                seed += 1
                cdir = out / clock / f"{i:03d}"
                print(f"calibrate: {clock} {inj} {knob or ''} "
                      f"({i + 1}/{len(cases)})", flush=True)
                comps.append(compare(clock, inj, knob, seed, cdir, args,
                                     path))
                doc["comparisons"] = [asdict(c) for c in comps]
                doc["table"] = table(comps)
                setfiles.write_json(out / "calibration.json", doc)
        doc["status"] = "complete"
        doc["elapsed_min"] = round((time.monotonic() - t0) / 60, 1)
        setfiles.write_json(out / "calibration.json", doc)
        text = format_table(doc["table"])
        setfiles.write_text(out / "calibration.txt", text + "\n")
        print(text)
        print(f"calibrate: {out / 'calibration.json'}")
        return 0
    except errors.InputError as e:
        print(f"mntbench-calibrate: error: {e}", file=sys.stderr)
        return e.exit_code
    except errors.MntbenchError as e:
        print(f"mntbench-calibrate: cannot calibrate: {e}", file=sys.stderr)
        return ab.CANNOT_TEST
    except KeyboardInterrupt:
        if doc and out is not None:
            doc["status"] = "interrupted"
            setfiles.write_json(out / "calibration.json", doc)
            print(format_table(doc["table"]))
        print("mntbench-calibrate: interrupted; the finished comparisons "
              f"are kept in {out}", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
