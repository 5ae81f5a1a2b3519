#!/usr/bin/python3
"""Guest side of a run: execute the points of a plan, in order, in one boot.

Usage: run_points.py SET_DIR [--boot B] [--clock C] [--cpus N] [--part K/N]
    [--plugin P]
(SET_DIR/points.json is the plan; --clock C, --cpus N and --plugin P
run only the points of that clock, guest size and QEMU plugin, this
boot's; --part K/N only the K-th of N interleaved parts: the points whose
repetition r has r % N == K). A coherence point's window, which the
plugin wrote to coherence/windows/ when ovlbench closed it, is filed as
coherence/<id>.json.

For each point: set the overlay mode and the set's calibration knobs
(manifest "knobs", harness/kparams.py), run ovlbench (with mntlock attached
in probe passes), and keep its output in SET_DIR/raw/<id>.json (ovlbench
writes it via a temp file and rename) and the boot and clock that ran it
in SET_DIR/boots/<id>.json. Complete points (harness/analysis/resultset.py:
every output there and parseable) are skipped, which is how --resume
continues a set. A progress line with the ETA goes to stdout after each
point. A failed point is recorded in SET_DIR/failed/<id>.txt and the run
goes on; a point that succeeds removes its failed/<id>.txt of an earlier
attempt.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO))
from harness import kparams, point, setfiles  # noqa: E402
from harness.point import Point  # noqa: E402
from harness.run import ovlbench  # noqa: E402

OVLBENCH = ovlbench.BINARY
MNTLOCK = REPO / "bpf" / "mntlock"


def run_point(p: Point, sdir: Path, knobs: dict[str, int]) -> str | None:
    """Run one point; None on success, else why it failed."""
    kparams.set_mode(p.mode)
    kparams.apply_knobs(knobs)
    windows = setfiles.windows_dir(sdir)
    before = _windows(windows) if p.plugin == point.COHERENCE else set()
    raw = sdir / "raw" / f"{p.id}.json"
    argv = [str(OVLBENCH), *p.args, "--quiet", "--output", str(raw)]
    if p.probe:
        # mntlock attaches first, then starts ovlbench, and reports when
        # it exits; only tasks of the point's name are counted (ovlbench,
        # or the collateral kind's victims)
        argv = [str(MNTLOCK), "--comm", p.probe_comm, "--output",
                str(sdir / "probes" / f"{p.id}.json"),
                *p.mntlock_args, "--", *argv]
    res = subprocess.run(argv, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True)
    why = None
    if not raw.exists() and _ovlbench_status(p, sdir, res.returncode) \
            == ovlbench.exit_status("na"):
        # this kernel lacks what the workload needs: a result, not a
        # failure (the report prints n/a with ovlbench's reason)
        lines = [ln for ln in res.stderr.splitlines()
                 if ln.startswith("ovlbench:")] or [res.stderr.strip()]
        setfiles.write_text(raw, json.dumps(
            {point.NA_KEY: lines[-1].removeprefix("ovlbench: ")}) + "\n")
        return None
    if res.returncode != 0:
        why = f"{Path(argv[0]).name} exit {res.returncode}: " \
            f"{res.stderr.strip()}"
    elif p.plugin == point.COHERENCE:
        why = _file_window(p, sdir, _windows(windows) - before)
    if why is None and not setfiles.complete(sdir, p):
        why = f"{Path(argv[0]).name} exit 0 without valid output: " + \
            " ".join(f"{f.parent.name}/{f.name}"
                     for f in setfiles.point_files(sdir, p))
    if why:
        # half a probe point (ovlbench's output without mntlock's) is no
        # point
        for f in setfiles.point_files(sdir, p):
            f.unlink(missing_ok=True)
    return why


def _windows(d: Path) -> set[str]:
    return {f.name for f in d.glob("window-*.json")}


def _file_window(p: Point, sdir: Path, new: set[str]) -> str | None:
    """File the point's window (the plugin wrote it when the window
    closed) under the point's name; None, or why not."""
    if len(new) != 1:
        for name in new:
            (setfiles.windows_dir(sdir) / name).unlink(missing_ok=True)
        return (f"expected 1 coherence window, the plugin wrote "
                f"{len(new)} ({', '.join(sorted(new)) or 'none'})")
    os.replace(setfiles.windows_dir(sdir) / new.pop(),
               setfiles.window_file(sdir, p))
    return None


def _ovlbench_status(p: Point, sdir: Path, rc: int) -> int | None:
    """ovlbench's exit status: its own, or the one mntlock recorded for
    the command it ran (mntlock itself then exits 5)."""
    if not p.probe:
        return rc
    try:
        cmd = json.loads((sdir / "probes" / f"{p.id}.json").read_text())[
            "command"]
        return cmd["exit_status"]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def record_boot(sdir: Path, point_id: str, boot: int, clock: str,
                text: str | None = None) -> None:
    doc = {"boot": boot, "clock": clock}
    if text:
        doc["kernel_text"] = text
    setfiles.write_text(sdir / "boots" / f"{point_id}.json",
                         json.dumps(doc) + "\n")


def kernel_text() -> str | None:
    """Where the running kernel's _text is (KASLR moves it): coherence
    points name their addresses by it."""
    try:
        with open("/proc/kallsyms") as f:
            for line in f:
                addr, _, name = line.split()[:3]
                if name == "_text":
                    return "0x" + addr
    except (OSError, ValueError):
        pass
    return None


def record_failure(sdir: Path, point_id: str, why: str) -> None:
    print(f"point {point_id} failed: {why}", file=sys.stderr, flush=True)
    try:
        setfiles.write_text(sdir / "failed" / f"{point_id}.txt", why + "\n")
    except OSError as e:
        # the point stays incomplete all the same; the next points may
        # still find room
        print(f"point {point_id}: cannot record the failure: {e}",
              file=sys.stderr, flush=True)


def main() -> int:
    ap = argparse.ArgumentParser(prog="run_points")
    ap.add_argument("set", type=Path)
    ap.add_argument("--boot", type=int, default=0)
    ap.add_argument("--clock", default="")
    ap.add_argument("--cpus", type=int)
    ap.add_argument("--part", metavar="K/N")
    ap.add_argument("--plugin", default="",
                    help="run the points of this QEMU plugin's boot")
    args = ap.parse_args()
    sdir = args.set
    points = point.load(json.loads((sdir / "points.json").read_text()))
    knobs = json.loads((sdir / "manifest.json").read_text()).get(
        "knobs") or {}
    if args.clock:
        points = [p for p in points if p.clock == args.clock]
    if args.cpus:
        points = [p for p in points
                  if (p.boot_cpus or args.cpus) == args.cpus]
    points = [p for p in points if p.plugin == args.plugin]
    text = kernel_text() if args.plugin else None
    if args.part:
        # Part K of N (A/B runs alternate boots): repetition r goes to
        # part r % N, so every kind of point is spread over the boots.
        k, n = (int(x) for x in args.part.split("/"))
        points = [p for p in points if p.rep % n == k]
    for sub in ("raw", "probes", "failed", "boots"):
        (sdir / sub).mkdir(exist_ok=True)
    todo = [p for p in points if not setfiles.complete(sdir, p)]
    done0 = len(points) - len(todo)
    if done0:
        print(f"resume: {done0}/{len(points)} points already done",
              flush=True)
    t0 = time.monotonic()
    failed = 0
    for i, p in enumerate(todo, 1):
        try:
            record_boot(sdir, p.id, args.boot, args.clock, text)
            why = run_point(p, sdir, knobs)
        except (OSError, RuntimeError, kparams.KnobError) as e:
            why = str(e)
        if why:
            failed += 1
            record_failure(sdir, p.id, why)
        else:
            (sdir / "failed" / f"{p.id}.txt").unlink(missing_ok=True)
        el = time.monotonic() - t0
        eta = el / i * (len(todo) - i)
        print(f"[{done0 + i}/{len(points)}] {p.id:44} "
              f"ETA {int(eta) // 60}:{int(eta) % 60:02d}", flush=True)
    if kparams.SWITCH.exists():
        kparams.SWITCH.write_text(kparams.UPSTREAM)
    kparams.apply_knobs({})
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
