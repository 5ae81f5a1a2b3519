"""Run a plan and leave a result set: `make bench`, `make ab`, CI.

    python3 -m harness.run [--profile default] [--cpus N] [--seed S]
    python3 -m harness.run --resume results/<set>
    python3 -m harness.run --host        # the running kernel, no VM

The set lives in results/<timestamp>-<host>/ (or --out). Every file in it
is written atomically; manifest.json says whether the set is complete.
Ctrl-C stops the guest, keeps the finished points and marks the set
incomplete; --resume continues it with the same plan and seed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from harness import (collect, errors, kbuild, kparams, monitor, plan, point,
                     report, resultset, vm)
from harness.kinds.base import HOST
from harness.paths import REPO
from harness.point import Point

RUN_POINTS = REPO / "harness" / "guest" / "run_points.py"
SWITCH = kparams.SWITCH


def _version(cmd: list[str]) -> str:
    try:
        out = subprocess.run(cmd, capture_output=True, text=True).stdout
    except OSError:
        return "absent"
    return (out.strip().splitlines() or ["?"])[0]


def host_cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def new_manifest(p: plan.Plan, seed: int, vcpus: int, kernel, accel: str,
                 points: list[Point], argv: list[str],
                 knobs: dict[str, int] | None = None,
                 mem_mb: int = vm.DEFAULT_MEM_MB) -> dict:
    info = kernel.info if kernel else {"release": platform.release(),
                                       "series": [], "source_id": "host"}
    return {
        "schema": resultset.MANIFEST_SCHEMA, "status": "incomplete",
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "hostname": socket.gethostname(), "host_cpu": host_cpu(),
        "accel": accel, "vcpus": vcpus,
        "mem_mb": None if accel == HOST else mem_mb,
        "kernel": {k: info.get(k) for k in (
            "release", "ksrc", "source_id", "series", "series_hash",
            "fragment_hash", "config_hash")},
        "switch": kernel.has_switch if kernel else SWITCH.exists(),
        "clocks": sorted({pt.clock for pt in points}),
        "icount": vm.accel.ICOUNT_OPTS
        if any(pt.clock == vm.accel.ICOUNT for pt in points) else None,
        "plan_name": p.name, "plan_hash": p.hash,
        "points_hash": plan.points_hash(points), "boots": 0,
        "plan": p.doc, "seed": seed,
        # calibration: injected cost (harness/kparams.py); {} measures the
        # kernel as it is
        "knobs": dict(knobs or {}),
        "tools": {"qemu": _version(["qemu-system-x86_64", "--version"]),
                  "bpftrace": _version(["bpftrace", "--version"]),
                  "bpftool": _version(["bpftool", "version"]),
                  "clang": _version(["clang", "--version"]),
                  "python": platform.python_version()},
        "command": " ".join(["python3 -m harness.run", *argv]),
    }


def finish(sdir: Path, interrupted: bool) -> int:
    """Collect samples, write summary/report/plots, set the status."""
    manifest = json.loads((sdir / "manifest.json").read_text())
    # A point cut off mid-write leaves only its temp file: drop it.
    for tmp in [t for d in ("raw", "probes", "boots")
                for t in sdir.glob(f"{d}/*.tmp")]:
        tmp.unlink()
    missing = collect.write(sdir)
    failed = sorted(p.stem for p in (sdir / "failed").glob("*.txt")) \
        if (sdir / "failed").is_dir() else []
    manifest["modes_seen"] = collect.modes_seen(sdir)
    manifest["missing_points"] = len(missing)
    manifest["failed_points"] = failed
    manifest["status"] = ("complete" if not missing and not interrupted
                          else "incomplete")
    resultset.write_json(sdir / "manifest.json", manifest)
    report.write_all(resultset.load(sdir))
    if missing:
        print(f"run: set {manifest['status']}: {len(missing)} of "
              f"{len(missing) + sum(1 for _ in (sdir / 'raw').glob('*.json'))}"
              f" points not done; continue with: make bench RESUME={sdir}",
              file=sys.stderr)
    return 0 if manifest["status"] == "complete" else 1


def next_boot(sdir: Path) -> int:
    """Number the boot about to run points of this set (the manifest
    counts them), so that every record can say which boot made it."""
    mpath = sdir / "manifest.json"
    manifest = json.loads(mpath.read_text())
    boot = int(manifest.get("boots", 0))
    manifest["boots"] = boot + 1
    resultset.write_json(mpath, manifest)
    return boot


def _guest_args(sdir: Path, clock: str, cpus: int | None = None,
                part: str = "") -> list[str]:
    args = [str(RUN_POINTS), str(sdir), "--boot", str(next_boot(sdir)),
            "--clock", clock]
    args += ["--cpus", str(cpus)] if cpus else []
    return args + (["--part", part] if part else [])


def _boots_to_run(sdir: Path, vcpus: int) -> list[tuple[str, int]]:
    """(clock, vCPUs) of the boots with points still to run, in the
    order of the points."""
    points = point.load(json.loads((sdir / "points.json").read_text()))
    todo = [(p.clock, p.boot_cpus or vcpus) for p in points
            if not (sdir / "raw" / f"{p.id}.json").exists()]
    return list(dict.fromkeys(todo))


def run_vm(sdir: Path, kernel, vcpus: int, timeout: float,
           part: str = "") -> int:
    """Boot once per clock and guest size the set's points need (the
    accelerator's; icount for path-length points, sized to their tasks)
    and run them (part 'K/N': the K-th of N interleaved parts, for A/B
    runs)."""
    rc = 0
    points = point.load(json.loads((sdir / "points.json").read_text()))
    mem = json.loads((sdir / "manifest.json").read_text()).get(
        "mem_mb") or vm.DEFAULT_MEM_MB
    for clock, cpus in _boots_to_run(sdir, vcpus):
        cfg = vm.VMConfig(kernel=kernel, cpus=cpus, results=sdir,
                          timeout=timeout, accel=clock or None, mem_mb=mem)
        cmd = " ".join(["/usr/bin/python3",
                        *_guest_args(sdir, clock, cpus, part)])
        with monitor.Monitor(sdir, points, clock):
            rc = vm.run(cfg, cmd).rc or rc
    return rc


def run_host(sdir: Path) -> int:
    """Host mode: the same points on the running kernel, in a private
    mount namespace of ovlbench's own."""
    return subprocess.run(["/usr/bin/python3",
                           *_guest_args(sdir, HOST)]).returncode


def prepare(args, argv) -> tuple[Path, object, int]:
    """Create the set (or reopen it for --resume); (dir, kernel, vcpus)."""
    if args.resume:
        sdir = Path(args.resume)
        m = json.loads((sdir / "manifest.json").read_text())
        if m.get("status") == "complete":
            raise errors.InputError(f"--resume {sdir}: set is complete")
        kernel = None if m["accel"] == HOST else kbuild.ensure_kernel(
            Path(m["kernel"]["ksrc"] or kbuild.DEFAULT_KSRC),
            kbuild._parse_patches(args.patches))
        return sdir, kernel, m["vcpus"]
    p = plan.load(args.profile)
    vcpus = args.cpus
    kernel = None
    if args.host:
        accel, has_switch = HOST, SWITCH.exists()
        if not has_switch:
            print("run: the running kernel has no private_mounts switch: "
                  "only its own fixed mode is measured", file=sys.stderr)
    else:
        kernel = kbuild.ensure_kernel(args.ksrc,
                                      kbuild._parse_patches(args.patches))
        has_switch = kernel.has_switch
        if not has_switch:
            print("run: kernel built without the switch (PATCHES=none): "
                  "only its own fixed mode is measured", file=sys.stderr)
        accel = args.accel or vm.accel.choose(
            vm.VMConfig(kernel=kernel, results=REPO / "results" / "vm"),
            vm.boot)
    seed = args.seed if args.seed is not None else random.SystemRandom(
        ).randrange(1 << 31)
    name = time.strftime("%Y%m%d-%H%M%S") + "-" + socket.gethostname()
    sdir = Path(args.out) if args.out else REPO / "results" / name
    if args.host and not args.probes:
        print("run: host mode: no probe pass (the host kernel may refuse "
              "tracing; add --probes to try)", file=sys.stderr)
    create_set(sdir, p, seed, vcpus, kernel, accel, has_switch, argv,
               probes=not args.host or args.probes, mem_mb=args.mem)
    return sdir, kernel, vcpus


def create_set(sdir: Path, p: plan.Plan, seed: int, vcpus: int, kernel,
               accel: str, has_switch: bool, argv: list[str],
               probes: bool = True,
               knobs: dict[str, int] | None = None,
               mem_mb: int = vm.DEFAULT_MEM_MB) -> None:
    """Write the points and the manifest of a new, incomplete set."""
    points = plan.expand(p, vcpus, seed, has_switch, probes, accel)
    if sdir.exists() and any(sdir.iterdir()):
        raise errors.InputError(f"--out {sdir}: exists and is not empty")
    sdir.mkdir(parents=True, exist_ok=True)
    resultset.write_json(sdir / "points.json", point.dump(points))
    resultset.write_json(sdir / "manifest.json", new_manifest(
        p, seed, vcpus, kernel, accel, points, argv, knobs, mem_mb))
    est = plan.estimate_seconds(p, points)
    print(f"run: {len(points)} points, plan {p.name}, seed {seed}, about "
          f"{est / 60:.0f} min; set {sdir}", flush=True)


def _sigterm(signum, frame):
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    ap = argparse.ArgumentParser(prog="mntbench-run", description=__doc__,
                                 formatter_class=argparse.
                                 RawDescriptionHelpFormatter)
    ap.add_argument("--profile", default="default",
                    help="quick, default, full, or a plan file")
    ap.add_argument("--cpus", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--seed", type=int)
    ap.add_argument("--out", help="set directory (default results/<ts>-<host>)")
    ap.add_argument("--resume", metavar="SET")
    ap.add_argument("--host", action="store_true",
                    help="run on the running kernel, without a VM")
    ap.add_argument("--probes", action="store_true",
                    help="with --host: run the probe pass too")
    ap.add_argument("--ksrc", type=Path, default=kbuild.DEFAULT_KSRC)
    ap.add_argument("--patches", default=str(kbuild.DEFAULT_PATCHES))
    ap.add_argument("--accel", choices=vm.accel.ACCELS,
                    help="default: KVM if it boots, else TCG; icount: "
                    "TCG with a deterministic instruction clock")
    ap.add_argument("--mem", type=int, default=vm.DEFAULT_MEM_MB,
                    help=f"guest memory in MiB (default "
                    f"{vm.DEFAULT_MEM_MB}; recorded in the manifest)")
    ap.add_argument("--timeout", type=float, default=3600.0,
                    help="guest time limit in seconds (default 3600)")
    args = ap.parse_args(argv)
    signal.signal(signal.SIGTERM, _sigterm)
    sdir = None
    try:
        if args.cpus < 1:
            raise errors.InputError(f"--cpus={args.cpus}: must be >= 1")
        vm.check_mem(args.mem)
        sdir, kernel, vcpus = prepare(args, argv)
        if kernel is None:
            run_host(sdir)
        else:
            run_vm(sdir, kernel, vcpus, args.timeout)
        rc = finish(sdir, interrupted=False)
    except errors.MntbenchError as e:
        print(f"mntbench-run: error: {e}", file=sys.stderr)
        if sdir is not None and (sdir / "points.json").exists():
            finish(sdir, interrupted=True)
            if isinstance(e, errors.InputError):
                return e.exit_code
            return errors.VMError.exit_code
        return e.exit_code
    except KeyboardInterrupt:
        print("mntbench-run: interrupted", file=sys.stderr)
        if sdir is not None and (sdir / "points.json").exists():
            finish(sdir, interrupted=True)
            print(f"run: kept the finished points in {sdir}; continue "
                  f"with: python3 -m harness.run --resume {sdir}",
                  file=sys.stderr)
        return 130
    print(f"run: result set {sdir}\n{(sdir / 'report.txt').read_text()}")
    return rc


if __name__ == "__main__":
    sys.exit(main())
