"""Run a plan and leave a result set: `make bench`, `make ab`, CI.

    python3 -m harness.flows.bench [--profile default] [--cpus N] [--seed S]
    python3 -m harness.flows.bench --resume results/<set>
    python3 -m harness.flows.bench --host        # the running kernel, no VM

The set lives in results/<timestamp>-<host>/ (or --out). Every file in it
is written atomically; manifest.json says whether the set is complete.
Ctrl-C stops the guest, keeps the finished points and marks the set
incomplete; --resume continues it with the same plan, seed and kernel
(the manifest's; --ksrc/--patches that name another kernel are refused).
The output directory is tried for writing before anything is built.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import json
import os
import platform
import random
import shlex
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from harness import errors, exitstatus, kparams, point, setcheck, setfiles
from harness.analysis import collect, resultset
from harness.kernel import kbuild, vm
from harness.output import report
from harness.paths import REPO
from harness.point import Point
from harness.run import kinds, monitor, plan
from harness.run.kinds.base import HOST

RUN_POINTS = REPO / "harness" / "run" / "guest" / "run_points.py"
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
                 mem_mb: int | None = None) -> dict:
    info = kernel.info if kernel else {"release": platform.release(),
                                       "series": [], "source_id": "host"}
    return {
        "schema": setfiles.MANIFEST_SCHEMA, "status": "incomplete",
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "hostname": socket.gethostname(), "host_cpu": host_cpu(),
        "accel": accel, "vcpus": vcpus,
        "mem_mb": None if accel == HOST else
        mem_mb or guest_mem(points, vcpus),
        "kernel": {k: info.get(k) for k in (
            "release", "ksrc", "patches", "source_id", "series",
            "series_hash", "fragment_hash", "config_hash")},
        "switch": kernel.has_switch if kernel else SWITCH.exists(),
        "clocks": sorted({pt.clock for pt in points}),
        "icount": vm.accel.ICOUNT_OPTS
        if any(pt.clock == vm.accel.ICOUNT for pt in points) else None,
        # kernel settings of every boot that bear on the figures
        "guest_cmdline": None if accel == HOST else list(vm.HASH_ENTRIES),
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
        "command": " ".join(["python3 -m harness.flows.bench", *argv]),
    }


def guest_mem(points: list[Point], vcpus: int) -> int:
    """The default guest MiB of a set: what its largest boot needs."""
    return vm.mem_for(*plan.needs(points, vcpus))


def settle(sdir: Path) -> list[str]:
    """Make the files of a set say what is done: a point cut off
    mid-write leaves only temp files (removed), a probe point killed
    between ovlbench's write and mntlock's only half its outputs (removed:
    it is not done, and --resume runs it again), a point that failed once
    and then succeeded a failure note (removed). The ids of the points
    not done."""
    setfiles.sweep(sdir)
    points = point.load(json.loads((sdir / "points.json").read_text()))
    missing = []
    for p in points:
        note = sdir / "failed" / f"{p.id}.txt"
        if setfiles.complete(sdir, p):
            note.unlink(missing_ok=True)
            continue
        missing.append(p.id)
        for f in setfiles.point_files(sdir, p):
            f.unlink(missing_ok=True)
    return missing


def finish(sdir: Path, interrupted: bool) -> int:
    """Collect samples, write summary/report/plots, set the status."""
    manifest = json.loads((sdir / "manifest.json").read_text())
    vm.sweep(sdir)      # control directories of a runner killed mid-boot
    missing = settle(sdir)
    collect.write(sdir)
    failed = sorted(p.stem for p in (sdir / "failed").glob("*.txt")) \
        if (sdir / "failed").is_dir() else []
    manifest["modes_seen"] = collect.modes_seen(sdir)
    manifest["missing_points"] = len(missing)
    manifest["failed_points"] = failed
    status = "complete" if not missing and not interrupted else "incomplete"
    # "complete" is the last write: a disk that fills up before it (the
    # report, the plots) leaves an incomplete set that --resume finishes
    manifest["status"] = "incomplete"
    setfiles.write_json(sdir / "manifest.json", manifest)
    rs = resultset.load(sdir)
    rs.manifest["status"] = manifest["status"] = status
    if report.write_all(rs):
        # the set's numbers are whole: its status stands (the plots are a
        # view of them, which make report draws again)
        print(f"run: warning: the plots of {sdir} failed; the numbers are "
              f"written; draw them again with: make report SET={sdir}",
              file=sys.stderr)
    if status == "complete":
        setfiles.write_json(sdir / "manifest.json", manifest)
    if missing:
        total = len(json.loads((sdir / "points.json").read_text()))
        print(f"run: set {manifest['status']}: {len(missing)} of {total}"
              f" points not done; continue with: make bench RESUME={sdir}",
              file=sys.stderr)
        full = _full_disk(sdir, failed)
        if full:
            print(f"run: {full}: free some space before resuming",
                  file=sys.stderr)
    return 0 if manifest["status"] == "complete" else 1


def _full_disk(sdir: Path, failed: list[str]) -> str | None:
    """Why the points failed, if it was the set's disk filling up (in
    the guest: their failure notes say so, or there is next to no room
    left): one line, or None."""
    nospace = os.strerror(errno.ENOSPC)
    said = [i for i in failed if nospace in _read(sdir, i)]
    st = os.statvfs(sdir)
    free = st.f_bavail * st.f_frsize
    if not said and free >= 1 << 20:
        return None
    return (f"disk full under set {sdir} ({free // 1024} KiB free; "
            f"{len(said)} failure notes say {nospace!r})")


def _read(sdir: Path, point_id: str) -> str:
    """A failure note's text as far as it can be read (through setcheck:
    inside the set, at most setfiles.MAX_NOTE bytes), else ""."""
    try:
        return setcheck.read_bytes(sdir, "failed", f"{point_id}.txt",
                                   most=setfiles.MAX_NOTE).decode(
                                       errors="replace")
    except errors.InputError:
        return ""


def next_boot(sdir: Path) -> int:
    """Number the boot about to run points of this set (the manifest
    counts them), so that every record can say which boot made it."""
    mpath = sdir / "manifest.json"
    manifest = json.loads(mpath.read_text())
    boot = int(manifest.get("boots", 0))
    manifest["boots"] = boot + 1
    setfiles.write_json(mpath, manifest)
    return boot


def _guest_args(sdir: Path, clock: str, cpus: int | None = None,
                part: str = "", plugin: str = "") -> list[str]:
    args = [str(RUN_POINTS), str(sdir), "--boot", str(next_boot(sdir)),
            "--clock", clock]
    args += ["--cpus", str(cpus)] if cpus else []
    args += ["--plugin", plugin] if plugin else []
    return args + (["--part", part] if part else [])


def _in_part(p: Point, part: str) -> bool:
    """Whether run_points.py --part 'K/N' runs p: repetitions r with
    r % N == K."""
    if not part:
        return True
    k, n = map(int, part.split("/"))
    return p.rep % n == k


def _todo(sdir: Path, vcpus: int, part: str = ""
          ) -> dict[tuple[str, int, str], list[Point]]:
    """(clock, vCPUs, plugin) -> the points still to run in that boot,
    in the order of the points."""
    points = point.load(json.loads((sdir / "points.json").read_text()))
    return plan.boots([p for p in points if _in_part(p, part)
                       and not setfiles.complete(sdir, p)], vcpus)


def run_vm(sdir: Path, kernel, vcpus: int, timeout: float | None,
           part: str = "") -> int:
    """Boot once per clock and guest size the set's points need (the
    accelerator's; icount for path-length points, sized to their tasks)
    and run them (part 'K/N': the K-th of N interleaved parts, for A/B
    runs). timeout None: each boot's limit is plan.time_limit of the
    points it runs."""
    rc = 0
    points = point.load(json.loads((sdir / "points.json").read_text()))
    mem = json.loads((sdir / "manifest.json").read_text()).get(
        "mem_mb") or vm.DEFAULT_MEM_MB
    for (clock, cpus, plugin), todo in _todo(sdir, vcpus, part).items():
        limit = plan.time_limit(todo) if timeout is None else timeout
        windows = None
        if plugin == point.COHERENCE:
            windows = setfiles.windows_dir(sdir)
            windows.mkdir(parents=True, exist_ok=True)
        cfg = vm.VMConfig(kernel=kernel, cpus=cpus, results=sdir,
                          timeout=limit, accel=clock or None, mem_mb=mem,
                          coherence=windows)
        # quoted: a set path may hold spaces
        cmd = shlex.join(["/usr/bin/python3",
                          *_guest_args(sdir, clock, cpus, part, plugin)])
        with monitor.Monitor(sdir, points, clock):
            try:
                res = vm.run(cfg, cmd)
            except (errors.GuestTimeout, errors.VMError) as e:
                _boot_end(sdir, clock, e.outcome, None)
                raise
        _boot_end(sdir, clock, res.outcome, res.rc)
        rc = res.rc or rc
    # what a kind does with the kernel at hand once its points ran
    for name in sorted({p.kind for p in points}):
        hook = kinds.of(name).after_boots
        if hook:
            hook(sdir, kernel)
    return rc


def _boot_end(sdir: Path, clock: str, outcome: str, rc: int | None) -> None:
    """How a boot ended, in the manifest: the runner's own status
    (exited with rc, time-limit, vm-failure) is never mistaken for a
    guest command that exited 124 or 125."""
    mpath = sdir / "manifest.json"
    m = json.loads(mpath.read_text())
    m.setdefault("boot_ends", []).append(
        {"boot": int(m.get("boots", 1)) - 1, "clock": clock,
         "outcome": outcome, "rc": rc})
    setfiles.write_json(mpath, m)


def run_host(sdir: Path) -> int:
    """Host mode: the same points on the running kernel, in a private
    mount namespace of ovlbench's own."""
    return subprocess.run(["/usr/bin/python3",
                           *_guest_args(sdir, HOST)]).returncode


def _short(h: str | None) -> str:
    return (h or "none")[:12]


def resume_kernel(sdir: Path, m: dict, args):
    """The kernel a set was measured on, to continue it on: the manifest's
    source and series unless --ksrc/--patches say otherwise, and then only
    if they name the same kernel (source id, series hash, fragment hash,
    config hash as the manifest records them): InputError if not. Checked
    before anything is built."""
    want = m["kernel"]
    if m["accel"] == HOST:
        if args.ksrc is not None or args.patches is not None:
            raise errors.InputError(
                f"--resume {sdir}: a host set runs on the running kernel; "
                "--ksrc and --patches do not apply")
        if platform.release() != want.get("release"):
            raise errors.InputError(
                f"--resume {sdir}: the set ran on kernel {want.get('release')}"
                f", this host runs {platform.release()}")
        return None
    ksrc = args.ksrc or Path(want.get("ksrc") or kbuild.DEFAULT_KSRC)
    if not ksrc.exists():
        raise errors.InputError(f"--resume {sdir}: kernel source {ksrc}: "
                                "no such file or directory")
    if args.patches is not None:
        patches = kbuild.parse_patches(args.patches, ksrc)
    elif want.get("patches"):
        patches = Path(want["patches"])
    else:
        # sets made before the manifest named the directory: the tree's
        # series, if the set had one (its hash is checked below)
        patches = kbuild.series_for(ksrc) if want.get("series") else None
    src_id, _, ser, frag, _ = kbuild.kernel_key(ksrc, patches,
                                                kbuild.DEFAULT_FRAGMENT)
    n = len(want.get("series") or [])
    theirs_series = f"{n} patches ({_short(want.get('series_hash'))})" \
        if n else "no series"
    differ = [
        (what, theirs, ours) for what, rec, have, theirs, ours in (
            ("source", want.get("source_id"), src_id,
             f"{want.get('ksrc')} ({_short(want.get('source_id'))})",
             f"{ksrc} ({_short(src_id)})"),
            ("series", want.get("series_hash"), ser, theirs_series,
             f"{patches} ({_short(ser)})" if patches else "no series"),
            ("config fragment", want.get("fragment_hash"), frag,
             _short(want.get("fragment_hash")), _short(frag)))
        if rec is not None and rec != have]
    kernel = None
    if not differ:
        kernel = kbuild.ensure_kernel(ksrc, patches)
        have = kernel.info.get("config_hash")
        if want.get("config_hash") not in (None, have):
            differ = [("config", _short(want["config_hash"]), _short(have))]
    if differ:
        raise errors.InputError(
            f"--resume {sdir}: not the set's kernel: " + "; ".join(
                f"{what} {theirs} in the set, {ours} now"
                for what, theirs, ours in differ))
    return kernel


def reopen(args, hold: contextlib.ExitStack) -> tuple[Path, object, int]:
    """--resume: the set (locked for this run, its leftovers removed),
    the kernel it was measured on, its vCPUs."""
    sdir = Path(args.resume)
    try:
        m = json.loads((sdir / "manifest.json").read_text())
    except FileNotFoundError:
        raise errors.InputError(f"--resume {sdir}: no manifest.json there "
                                "(not a result set)") from None
    except (OSError, ValueError) as e:
        raise errors.InputError(f"--resume {sdir}: manifest.json: {e}") \
            from None
    if not isinstance(m, dict) or not isinstance(m.get("kernel"), dict) \
            or "accel" not in m or "vcpus" not in m:
        raise errors.InputError(f"--resume {sdir}: manifest.json lacks "
                                "the kernel, accel or vcpus")
    if m.get("status") == "complete":
        raise errors.InputError(f"--resume {sdir}: set is complete")
    setfiles.check_writable(sdir, "--resume")
    hold.enter_context(setfiles.lock(sdir))
    # what a killed run left: temp files, half points
    settle(sdir)
    return sdir, resume_kernel(sdir, m, args), m["vcpus"]


def prepare(args, argv, hold: contextlib.ExitStack) -> tuple[Path, object,
                                                              int]:
    """Create the set (or reopen it for --resume); (dir, kernel, vcpus).
    The set stays locked (setfiles.lock) while hold is open."""
    if args.resume:
        return reopen(args, hold)
    p = plan.load(args.profile)
    vcpus = args.cpus
    name = time.strftime("%Y%m%d-%H%M%S") + "-" + socket.gethostname()
    sdir = Path(args.out) if args.out else REPO / "results" / name
    # before a build and the points, not after them
    setfiles.check_writable(sdir, "--out" if args.out else "results")
    if sdir.exists() and any(sdir.iterdir()):
        raise errors.InputError(f"--out {sdir}: exists and is not empty")
    kernel = None
    if not args.host and args.mem is None:
        # before the kernel is built; KVM's guests when the accelerator
        # is not chosen yet: every point in a guest of all the vCPUs
        check_guest_mem(p, vcpus, args.accel or vm.accel.KVM)
    if args.host:
        accel, has_switch = HOST, SWITCH.exists()
        if not has_switch:
            print("run: the running kernel has no private_mounts switch: "
                  "only its own fixed mode is measured", file=sys.stderr)
    else:
        kernel = kbuild.ensure_kernel(
            args.ksrc or kbuild.DEFAULT_KSRC,
            kbuild.DEFAULT_PATCHES if args.patches is None else args.patches,
            ref=args.ref)
        has_switch = kernel.has_switch
        if not has_switch:
            print("run: kernel built without the switch (PATCHES=none): "
                  "only its own fixed mode is measured", file=sys.stderr)
        accel = args.accel or vm.accel.choose(
            vm.VMConfig(kernel=kernel, results=REPO / "results" / "vm"),
            vm.boot)
        vm.warn_overcommit(vcpus, accel)
    seed = args.seed if args.seed is not None else random.SystemRandom(
        ).randrange(1 << 31)
    if args.host and not args.probes:
        print("run: host mode: no probe pass (the host kernel may refuse "
              "tracing; add --probes to try)", file=sys.stderr)
    no_smp = None if args.host else icount_smp(
        p, vcpus, [kernel], accel, REPO / "results" / "vm")
    create_set(sdir, p, seed, vcpus, kernel, accel, has_switch, argv,
               probes=not args.host or args.probes, mem_mb=args.mem,
               no_icount_smp=no_smp)
    hold.enter_context(setfiles.lock(sdir))
    return sdir, kernel, vcpus


def check_guest_mem(p: plan.Plan, vcpus: int, accel: str) -> None:
    """InputError when the plan's guests need more than the host's RAM."""
    mem = guest_mem(plan.expand(p, vcpus, 0, accel_name=accel), vcpus)
    vm.check_fits(mem, f"plan {p.name} at {vcpus} vCPUs")


def icount_smp(p: plan.Plan, vcpus: int, kernels: list, accel: str,
               results: Path) -> str | None:
    """None when the plan's icount points can run as planned on every
    kernel, else why those of more than one task are left out (a kernel
    that cannot bring up a second vCPU under icount; a warning line)."""
    if accel == HOST or \
            not plan.needs_icount_smp(p, vcpus, accel):
        return None
    for k in kernels:
        ok, why = vm.accel.icount_smp(
            vm.VMConfig(kernel=k, results=results), vm.boot)
        if not ok:
            msg = (f"kernel {k.info.get('release') or k.dir.name}: {why}: "
                   "icount points of more than one task are left out")
            print(f"run: warning: {msg}", file=sys.stderr)
            return msg
    return None


def create_set(sdir: Path, p: plan.Plan, seed: int, vcpus: int, kernel,
               accel: str, has_switch: bool, argv: list[str],
               probes: bool = True,
               knobs: dict[str, int] | None = None,
               mem_mb: int | None = None,
               no_icount_smp: str | None = None) -> None:
    """Write the points and the manifest of a new, incomplete set; its
    guests get mem_mb MiB, or (None) what its points need; no_icount_smp
    (icount_smp()'s reason) leaves out icount points of several tasks."""
    points = plan.expand(p, vcpus, seed, has_switch, probes, accel,
                         icount_smp=no_icount_smp is None)
    if sdir.exists() and any(sdir.iterdir()):
        raise errors.InputError(f"--out {sdir}: exists and is not empty")
    sdir.mkdir(parents=True, exist_ok=True)
    setfiles.write_json(sdir / "points.json", point.dump(points))
    manifest = new_manifest(p, seed, vcpus, kernel, accel, points, argv,
                            knobs, mem_mb)
    manifest["icount_single_task_only"] = no_icount_smp
    setfiles.write_json(sdir / "manifest.json", manifest)
    est = plan.estimate_seconds(points)
    mem = f", {manifest['mem_mb']} MiB guest" if manifest["mem_mb"] else ""
    print(f"run: {len(points)} points, plan {p.name}, seed {seed}, about "
          f"{est / 60:.0f} min{mem}; set {sdir}", flush=True)


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
    ap.add_argument("--out",
                    help="set directory (default results/<ts>-<host>)")
    ap.add_argument("--resume", metavar="SET")
    ap.add_argument("--host", action="store_true",
                    help="run on the running kernel, without a VM")
    ap.add_argument("--probes", action="store_true",
                    help="with --host: run the probe pass too")
    ap.add_argument("--ksrc", type=Path,
                    help=f"kernel source (default {kbuild.DEFAULT_KSRC}; "
                    "with --resume, the set's)")
    ap.add_argument("--ref", help="a commit of the git tree --ksrc, built "
                    "from a clone of its own (the tree is not touched)")
    ap.add_argument("--patches",
                    help=f"series directory, 'none' or 'auto' (the tree's "
                    f"version's; default {kbuild.DEFAULT_PATCHES}; with "
                    "--resume, the set's)")
    ap.add_argument("--accel", choices=vm.accel.ACCELS,
                    help="default: KVM if it boots, else TCG; icount: "
                    "TCG with a deterministic instruction clock")
    ap.add_argument("--mem", type=int,
                    help=f"guest memory in MiB (default: what the plan "
                    f"needs at --cpus, at least {vm.DEFAULT_MEM_MB}; "
                    "recorded in the manifest; python3 -m "
                    "harness.run.planshow prints it)")
    ap.add_argument("--timeout", type=float,
                    help=f"guest time limit of each boot in seconds "
                    f"(default: {plan.LIMIT_MARGIN:g} x the estimate of "
                    f"its points + {plan.LIMIT_BOOT_S:.0f}, at least "
                    f"{plan.LIMIT_MIN_S:.0f}; scaled under TCG when vCPUs "
                    "exceed the host's cores)")
    args = ap.parse_args(argv)
    signal.signal(signal.SIGTERM, _sigterm)
    try:
        # the set stays locked until its last write, error paths included
        with contextlib.ExitStack() as hold:
            return _run(args, argv, hold)
    except OSError as e:
        # the set's disk went away: one line, no traceback
        print(f"mntbench-run: error: {e}", file=sys.stderr)
        return errors.InputError.exit_code


DISK_FULL = (errno.ENOSPC, errno.EDQUOT)


def disk_full(sdir: Path | None, e: OSError) -> int:
    """A full disk under the set: one line, and the status of an
    incomplete set (exitstatus.INCOMPLETE_SET). Every file is written then
    renamed, so the finished points are whole and kept, and the manifest
    (never "complete" before the report is written) still says
    incomplete."""
    where = f" (writing {e.filename})" if e.filename else ""
    print(f"mntbench-run: error: disk full under set {sdir}{where}: "
          f"{e.strerror or e}; the set is incomplete, its finished points "
          f"are kept; free some space, then continue with: make bench "
          f"RESUME={sdir}", file=sys.stderr)
    return exitstatus.FAILED


def _finish_stopped(sdir: Path) -> int | None:
    """finish() a run that stopped short; disk_full()'s status if the
    disk is full, else None."""
    try:
        finish(sdir, interrupted=True)
    except errors.MntbenchError as e:
        # the first error is the one reported; this one only says the
        # set's own files could not be summarised
        print(f"mntbench-run: error: the stopped set was not finished: "
              f"{e}", file=sys.stderr)
    except OSError as e:
        if e.errno not in DISK_FULL:
            raise
        return disk_full(sdir, e)
    return None


def _run(args, argv: list[str], hold: contextlib.ExitStack) -> int:
    sdir = None
    try:
        vm.check_cpus(args.cpus)
        if args.timeout is not None:
            vm.check_timeout(args.timeout)
        if args.mem is not None:
            vm.check_mem(args.mem)
        sdir, kernel, vcpus = prepare(args, argv, hold)
        if kernel is None:
            run_host(sdir)
        else:
            run_vm(sdir, kernel, vcpus, args.timeout)
        rc = finish(sdir, interrupted=False)
    except errors.MntbenchError as e:
        print(f"mntbench-run: error: {e}", file=sys.stderr)
        if sdir is not None and (sdir / "points.json").exists():
            full = _finish_stopped(sdir)
            if full is not None:
                return full
            if isinstance(e, errors.InputError):
                return e.exit_code
            return errors.VMError.exit_code
        return e.exit_code
    except OSError as e:
        if sdir is None or e.errno not in DISK_FULL:
            raise
        return disk_full(sdir, e)
    except KeyboardInterrupt:
        print("mntbench-run: interrupted", file=sys.stderr)
        if sdir is not None and (sdir / "points.json").exists():
            full = _finish_stopped(sdir)
            if full is not None:
                return full
            print(f"run: kept the finished points in {sdir}; continue "
                  f"with: python3 -m harness.flows.bench --resume {sdir}",
                  file=sys.stderr)
        return 130
    print(f"run: result set {sdir}\n{(sdir / 'report.txt').read_text()}")
    return rc


if __name__ == "__main__":
    sys.exit(main())
