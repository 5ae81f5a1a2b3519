#!/usr/bin/python3
"""Guest side of bpf/tests/test_overhead.py: open()+close() throughput on
an overlay with and without mntlock attached, in one boot, alternating
the configurations so that drift hits them alike.

Usage (in the guest, as root, from the repository root):
    overhead.py OUTPUT.json [--reps R] [--seconds S] [--tasks T[,T...]]
                [--configs C[,C...]]

Workloads: bpf/.output/oploop (-t T -s S, one file per run, all tasks on
one file) and, if built, bench/ovlbench -w open-close (one file per
task).  Both time their own window, after mntlock has attached.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
MNTLOCK = REPO / "bpf" / "mntlock"
OPLOOP = REPO / "bpf" / ".output" / "oploop"
OVLBENCH = REPO / "bench" / "ovlbench"
SWITCH = Path("/sys/module/overlay/parameters/private_mounts")
ROOT = Path("/tmp/mlo")
MNT = ROOT / "m"

# name -> mntlock options (None: no mntlock); --configs picks some
KNOWN = {
    "none": None,
    "mntlock": [],
    "mntlock-all-puts": ["--all-puts"],
    "mntlock-latency": ["--latency"],
    "mntlock-no-lock": ["--no-lock"],
    "mntlock-no-teardown": ["--no-teardown"],
    "mntlock-no-lock-no-teardown": ["--no-lock", "--no-teardown"],
}
DEFAULT_CONFIGS = ["mntlock", "mntlock-all-puts", "mntlock-latency"]


def log(msg: str) -> None:
    print(f"overhead: {msg}", file=sys.stderr, flush=True)


def run(cmd: list[str], config: list[str] | None, comm: str,
        res: Path) -> tuple[dict, dict | None]:
    """The workload's JSON (last line of stdout), and mntlock's."""
    doc = None
    if config is not None:
        out = res / "mntlock-overhead.json"
        cmd = [str(MNTLOCK), "--comm", comm, "-o", str(out), *config,
               "--", *cmd]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode:
        raise RuntimeError(f"{cmd}: rc={r.returncode} {r.stderr.strip()}")
    if config is not None:
        doc = json.loads(out.read_text())
    return json.loads(r.stdout), doc


def oploop(tasks: int, secs: float):
    def one(config, res):
        w, m = run([str(OPLOOP), "-t", str(tasks), "-s", str(secs),
                    f"{MNT}/f"], config, "oploop", res)
        return w["ops_per_s"], m
    return one


def ovlbench(tasks: int, secs: float):
    def one(config, res):
        w, m = run([str(OVLBENCH), "-w", "open-close", "-l", "2",
                    "-t", str(tasks), "-d", str(secs), "--warmup", "1",
                    "-q"], config, "ovlbench", res)
        return w["runs"][0]["summary"]["ops_per_s"], m
    return one


def measure(name: str, one, reps: int, res: Path,
            configs: dict[str, list[str] | None]) -> dict:
    ops: dict[str, list[float]] = {c: [] for c in configs}
    slow: dict[str, list[int]] = {c: [] for c in configs
                                  if configs[c] is not None}
    for rep in range(reps):
        for cfg, extra in configs.items():
            rate, doc = one(extra, res)
            ops[cfg].append(rate)
            if doc is not None:
                slow[cfg].append(doc["mntput"]["slow_path"]["layer"])
            log(f"{name} rep {rep} {cfg}: {rate:.0f} ops/s")
    med = {c: statistics.median(v) for c, v in ops.items()}
    # each "with" run against the "none" run just before it: resists the
    # host's drift better than a ratio of medians
    paired = {c: statistics.median(1.0 - w / n for w, n in
                                   zip(ops[c], ops["none"]))
              for c in configs if c != "none"}
    return {
        "ops_per_s": ops,
        "median_ops_per_s": med,
        "overhead_pct": {c: 100.0 * (med["none"] - med[c]) / med["none"]
                         for c in configs if c != "none"},
        "paired_overhead_pct": {c: 100.0 * v for c, v in paired.items()},
        "mntlock_layer_slow": slow,
    }


def csv(kind, allowed=None):
    def parse(text: str) -> list:
        out = [kind(x) for x in text.split(",")]
        bad = [x for x in out if allowed is not None and x not in allowed]
        if bad:
            raise argparse.ArgumentTypeError(
                f"{bad[0]!r}; allowed: {', '.join(allowed)}")
        return out
    return parse


def mount_overlay() -> None:
    ROOT.mkdir(exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "tmpfs", str(ROOT)], check=True)
    for d in ("l1", "l2", "m"):
        (ROOT / d).mkdir()
    (ROOT / "l2" / "f").write_text("x\n")
    subprocess.run(["mount", "-t", "overlay", "overlay", "-o",
                    f"lowerdir={ROOT}/l1:{ROOT}/l2", str(MNT)], check=True)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("output", type=Path)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--seconds", type=float, default=3)
    ap.add_argument("--tasks", type=csv(int),
                    default=[os.cpu_count() or 1],
                    help="comma-separated task counts (default: ncpus)")
    ap.add_argument("--configs", type=csv(str, KNOWN),
                    help="comma-separated, from: " + ", ".join(KNOWN))
    args = ap.parse_args()
    configs = {c: KNOWN[c] for c in
               ["none", *(args.configs or DEFAULT_CONFIGS)]}
    res = args.output.parent / "overhead"
    res.mkdir(parents=True, exist_ok=True)
    doc: dict = {"release": os.uname().release, "ncpus": os.cpu_count(),
                 "tasks": args.tasks, "reps": args.reps,
                 "seconds": args.seconds, "configs": configs,
                 "results": {}}
    for mode in ("detached", "longterm-array"):
        SWITCH.write_text(mode)
        mount_overlay()
        for t in args.tasks:
            name = f"oploop/{mode}/t{t}"
            doc["results"][name] = measure(name, oploop(t, args.seconds),
                                           args.reps, res, configs)
        subprocess.run(["umount", str(MNT)], check=True)
        subprocess.run(["umount", str(ROOT)], check=True)
        if not os.access(OVLBENCH, os.X_OK):
            continue
        for t in args.tasks:
            name = f"ovlbench/{mode}/t{t}"
            doc["results"][name] = measure(
                name, ovlbench(t, args.seconds), args.reps, res, configs)
    SWITCH.write_text("longterm-array")
    tmp = args.output.with_suffix(".tmp")
    tmp.write_text(json.dumps(doc, indent=1) + "\n")
    tmp.rename(args.output)
    for name, r in doc["results"].items():
        print(f"{name:30s} none {r['median_ops_per_s']['none']:10.0f} "
              + " ".join(f"{c} {v:+.1f}% (paired {p:+.1f}%)"
                         for (c, v), p in
                         zip(r["overhead_pct"].items(),
                             r["paired_overhead_pct"].values())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
