"""Run one command in a QEMU guest booted on the built kernel.

The guest's root is the host's, read-only over 9p; the results directory is
the only writable share, mounted in the guest at its host path. The command's
stdout and stderr reach ours through two virtio serial ports as it runs; the
kernel console goes to a log kept in <results>/console/. The command's exit
status becomes ours. A watchdog kills a guest that outlives its time limit;
QEMU dies with us (PR_SET_PDEATHSIG), so no QEMU is ever orphaned.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from harness import accel, errors, kbuild
from harness.paths import REPO

GUEST_INIT = REPO / "harness" / "guest" / "init.sh"
DEFAULT_RESULTS = REPO / "results" / "vm"
PR_SET_PDEATHSIG = 1
DEFAULT_MEM_MB = 2048
MIN_MEM_MB = 128


def check_mem(mem_mb: int) -> None:
    if mem_mb < MIN_MEM_MB:
        raise errors.InputError(
            f"--mem={mem_mb}: allowed: MiB >= {MIN_MEM_MB}")


@dataclass
class VMConfig:
    kernel: kbuild.Kernel
    cpus: int = field(default_factory=lambda: os.cpu_count() or 1)
    mem_mb: int = DEFAULT_MEM_MB
    timeout: float = 600.0
    results: Path = DEFAULT_RESULTS
    accel: str | None = None        # None: decide (probe, cached)
    env: dict[str, str] = field(default_factory=dict)
    quiet: bool = False             # no notices on stderr


@dataclass
class VMResult:
    rc: int
    console: Path
    seconds: float
    accel: str


def _die_with_parent() -> None:
    """Runs in the QEMU child: get SIGKILL when the runner dies."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    os.setpgrp()


def qemu_argv(cfg: VMConfig, accel_name: str, ctl: Path, console: Path,
              out: str, err: str) -> list[str]:
    """The QEMU command line; out/err are paths the consoles write to."""
    results = cfg.results.resolve()
    append = " ".join([
        "console=ttyS0", "earlyprintk=serial,ttyS0", "loglevel=4",
        "root=hostroot", "rootfstype=9p",
        "rootflags=trans=virtio,version=9p2000.L,msize=262144",
        "ro", f"init={GUEST_INIT}", "panic=-1", "oops=panic",
        "nmi_watchdog=0", f"mntbench.ctl={ctl}", f"mntbench.res={results}",
    ] + ([f"mntbench.tmp={','.join(keep)}"] if (keep := _tmp_entries())
         else []))
    if accel_name == accel.KVM:
        acc = ["-accel", "kvm", "-cpu", "host"]
    elif accel_name == accel.ICOUNT:
        acc = ["-accel", "tcg,thread=single", "-icount", accel.ICOUNT_OPTS,
               "-cpu", "max"]
    else:
        acc = ["-accel", "tcg,thread=multi", "-cpu", "max"]
    return [
        "qemu-system-x86_64", "-nodefaults", "-no-user-config",
        # named threads ("CPU 0/TCG"): harness/monitor.py finds the vCPUs
        "-name", "mntbench,debug-threads=on",
        "-display", "none", "-no-reboot", "-machine", "pc",
        *acc, "-smp", str(cfg.cpus), "-m", f"{cfg.mem_mb}M",
        "-kernel", str(cfg.kernel.bzimage), "-append", append,
        "-chardev", f"file,id=con,path={console}",
        "-serial", "chardev:con",
        "-fsdev", "local,id=hostroot,path=/,security_model=none,readonly=on,multidevs=remap",
        "-device", "virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot",
        "-fsdev", f"local,id=results,path={results},security_model=none",
        "-device", "virtio-9p-pci,fsdev=results,mount_tag=results",
        "-device", "virtio-serial-pci",
        "-chardev", f"file,id=out,path={out},append=on",
        "-device", "virtserialport,chardev=out,name=mntbench.out",
        "-chardev", f"file,id=err,path={err},append=on",
        "-device", "virtserialport,chardev=err,name=mntbench.err",
    ]


def _tmp_entries() -> list[str]:
    """Entries of the host's /tmp the guest must still see under its own
    tmpfs /tmp: those holding the checkout or the working directory."""
    out = []
    for p in (REPO, Path.cwd()):
        parts = p.resolve().parts
        if len(parts) > 2 and parts[1] == "tmp" and parts[2] not in out:
            out.append(parts[2])
    return out


def _tail(path: Path, lines: int = 20) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "(no console log)"
    return "\n".join(text.rstrip().splitlines()[-lines:])


def _kill(proc: subprocess.Popen) -> None:
    """Kill QEMU and reap it: TERM first, KILL if it lingers."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=3)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    except ProcessLookupError:
        proc.wait()


def _pump(fd: int, sink) -> threading.Thread:
    """Copy what the guest writes to fd into sink (None: drop) as it comes."""
    def copy():
        with os.fdopen(fd, "rb", buffering=0) as src:
            while chunk := src.read(65536):
                if sink is not None:
                    sink.buffer.write(chunk)
                    sink.buffer.flush()
    t = threading.Thread(target=copy, daemon=True)
    t.start()
    return t


def _write_control(ctl: Path, cmd: str, env: dict[str, str]) -> None:
    ctl.mkdir(parents=True)
    (ctl / "cmd").write_text(cmd + "\n")
    (ctl / "cwd").write_text(os.getcwd() + "\n")
    (ctl / "env").write_text("".join(
        f"export {k}={shlex.quote(v)}\n" for k, v in env.items()))


def boot(cfg: VMConfig, cmd: str, accel_name: str,
         silent: bool = False) -> VMResult:
    """Boot once with a given accelerator and run cmd. Raises GuestTimeout
    or VMError; returns the command's exit status otherwise. The command's
    output goes to our stdout/stderr (to /dev/null if silent)."""
    results = cfg.results.resolve()
    (results / "console").mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    console = results / "console" / f"{stamp}-{os.getpid()}-{accel_name}.log"
    ctl = Path(tempfile.mkdtemp(prefix=".vm-", dir=results))
    shutil.rmtree(ctl)
    _write_control(ctl, cmd, cfg.env)
    # QEMU writes the serial ports into pipes that we copy to our own
    # stdout/stderr; its own stderr is piped for error messages.
    pipes = [os.pipe(), os.pipe()]
    wfds = [w for _, w in pipes]
    out, err = (f"/proc/self/fd/{fd}" for fd in wfds)
    argv = qemu_argv(cfg, accel_name, ctl, console, out, err)
    t0 = time.monotonic()
    try:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, pass_fds=wfds,
                                preexec_fn=_die_with_parent)
    except OSError as e:
        shutil.rmtree(ctl, ignore_errors=True)
        for r, w in pipes:
            os.close(r)
            os.close(w)
        raise errors.VMError(f"cannot start QEMU: {e}") from e
    for fd in wfds:
        os.close(fd)
    sinks = [None, None] if silent else [sys.stdout, sys.stderr]
    pumps = [_pump(r, sink) for (r, _), sink in zip(pipes, sinks)]
    try:
        try:
            _, qerr = proc.communicate(timeout=cfg.timeout)
        except subprocess.TimeoutExpired:
            _kill(proc)
            raise errors.GuestTimeout(
                f"guest did not finish within {cfg.timeout:g}s; killed. "
                f"Last console lines ({console}):\n{_tail(console)}")
        rcfile = ctl / "rc"
        if not rcfile.is_file():
            msg = qerr.decode(errors="replace").strip()
            raise errors.VMError(
                "guest stopped without an exit status (panic or QEMU "
                f"failure){': ' + msg if msg else ''}. Last console lines "
                f"({console}):\n{_tail(console)}")
        rc = int(rcfile.read_text().strip() or 125)
        return VMResult(rc=rc, console=console,
                        seconds=time.monotonic() - t0, accel=accel_name)
    finally:
        _kill(proc)
        for t in pumps:
            t.join(timeout=5)
        shutil.rmtree(ctl, ignore_errors=True)


def run(cfg: VMConfig, cmd: str) -> VMResult:
    """Run cmd in the guest on the best accelerator this host has."""
    name = cfg.accel or accel.choose(cfg, boot, quiet=cfg.quiet)
    return boot(cfg, cmd, name)


def _interrupted(signum, frame):
    # Raise, so the finally clauses kill QEMU before we exit.
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="mntbench-vm",
        description="Run a command in the patched guest kernel and return "
                    "its exit status (124: time limit, 125: VM failure).")
    ap.add_argument("--cpus", type=int, default=os.cpu_count() or 1,
                    help="vCPUs (default: host CPUs, %(default)s)")
    ap.add_argument("--mem", type=int, default=DEFAULT_MEM_MB,
                    help=f"MiB (default {DEFAULT_MEM_MB})")
    ap.add_argument("--timeout", type=float, default=600.0,
                    help="seconds before the guest is killed (default 600)")
    ap.add_argument("--results", type=Path, default=DEFAULT_RESULTS,
                    help="writable share; console logs go to <results>/console")
    ap.add_argument("--accel", choices=["auto", *accel.ACCELS],
                    default="auto", help="icount: deterministic clock")
    ap.add_argument("--ksrc", type=Path, default=kbuild.DEFAULT_KSRC)
    ap.add_argument("--patches", default=str(kbuild.DEFAULT_PATCHES))
    ap.add_argument("--env", action="append", default=[], metavar="K=V",
                    help="environment for the command (repeatable)")
    ap.add_argument("cmd", nargs="+", help="shell command run in the guest")
    args = ap.parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupted)
    try:
        if args.cpus < 1:
            raise errors.InputError(f"--cpus={args.cpus}: must be >= 1")
        check_mem(args.mem)
        if args.timeout <= 0:
            raise errors.InputError(f"--timeout={args.timeout:g}: must be > 0")
        env = {}
        for kv in args.env:
            if "=" not in kv:
                raise errors.InputError(f"--env {kv}: expected KEY=VALUE")
            k, v = kv.split("=", 1)
            env[k] = v
        args.results.mkdir(parents=True, exist_ok=True)
        kernel = kbuild.ensure_kernel(args.ksrc,
                                      kbuild._parse_patches(args.patches))
        cfg = VMConfig(kernel=kernel, cpus=args.cpus, mem_mb=args.mem,
                       timeout=args.timeout, results=args.results,
                       accel=None if args.accel == "auto" else args.accel,
                       env=env)
        res = run(cfg, " ".join(args.cmd))
    except errors.MntbenchError as e:
        print(f"mntbench-vm: error: {e}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print("mntbench-vm: interrupted; guest killed", file=sys.stderr)
        return 130
    return res.rc


if __name__ == "__main__":
    sys.exit(main())
