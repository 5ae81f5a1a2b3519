"""Run one command in a QEMU guest booted on the built kernel.

The guest's root is the host's, read-only over 9p; the results directory is
the only writable share, mounted in the guest at its host path. The command's
stdout and stderr reach ours through two virtio serial ports as it runs; the
kernel console goes to a log kept in <results>/console/. The command's exit
status becomes ours. A watchdog kills a guest that outlives its time limit;
QEMU dies with us (PR_SET_PDEATHSIG), so no QEMU is ever orphaned.

Paths may hold any character but a control character: QEMU's option
values double a comma, the kernel command line carries them octal-escaped
(init.sh decodes them). The control files of a boot live in
<results>/.vm-<pid>-<start time>-*; a boot removes those of dead runners.
"""

from __future__ import annotations

import argparse
import collections
import ctypes
import functools
import json
import math
import os
import re
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

from harness import errors
from harness.kernel import accel, kbuild
from harness.paths import REPO

GUEST_INIT = REPO / "harness" / "kernel" / "init.sh"
DEFAULT_RESULTS = REPO / "results" / "vm"
PR_SET_PDEATHSIG = 1
DEFAULT_MEM_MB = 2048     # the least a guest gets unless --mem says
MIN_MEM_MB = 128
# What a guest uses, measured (2026-11-26, Debian 6.12 + series, TCG,
# -m 2048, one boot each of 2, 8 and 16 vCPUs): installed RAM minus
# MemAvailable, sampled every 0.05 s. Idle: 79.0, 95.7 and 109.0 MiB, so
# 2.1-2.8 MiB per vCPU (per-CPU areas, slab, idle stacks) over about 75
# MiB. On top, during ovlbench: a 500-layer teardown +5.4..+8.6 MiB (at
# most 18 KiB a layer); 256 open-close tasks at most +35 MiB (0.14 MiB a
# task); mntlock --all-puts --path-walk +6.8..+15.5 MiB; the guest's
# python (run_points) 11.5 MiB. The figures below round those up; the
# headroom covers what sampling could miss and slab and page cache
# growing over thousands of points.
MEM_BASE_MB = 128           # the idle kernel, python, mntlock
MEM_PER_VCPU_MB = 4.0
MEM_PER_TASK_MB = 0.25
MEM_PER_LAYER_MB = 0.05
MEM_HEADROOM = 2.0
MEM_STEP_MB = 256           # needs rounded up to a multiple of this
MACHINE = "pc"

# A dentry hash table far larger than the kernel sizes it for the
# guest's memory. A path walk scans its dentry's hash chain past every
# dentry added to that bucket after it, a few instructions each: with
# the default 262,144 buckets, 200,000 files created elsewhere added 24
# instructions to every stat (README, Noise). The kernel caps the table
# at 1/16 of memory: 8,388,608 buckets (64 MiB) in a 2 GiB guest.
DHASH_ENTRIES = 1 << 24         # 8 bytes each, taken from the guest's RAM
HASH_ENTRIES = (f"dhash_entries={DHASH_ENTRIES}",)
COHERENCE_PLUGIN = REPO / "coherence" / "coherence.so"
MAX_TIMEOUT = 7 * 86400.0   # a week: beyond it, a typo
CTL = re.compile(r"\.vm-(\d+)-(\d+)-")   # .vm-<pid>-<start time>-
OUTPUT_TAIL = 8192          # bytes of the command's output kept for errors


def host_mem_mb() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) // 1024
    raise OSError("no MemTotal in /proc/meminfo")


def mem_for(vcpus: int, tasks: int = 0, layers: int = 0) -> int:
    """Guest MiB for a boot of this many vCPUs running up to `tasks`
    tasks over up to `layers` layers: the measured needs (above) times
    the headroom, rounded up, and never below DEFAULT_MEM_MB (what every
    guest had before: small guests are run as they were)."""
    need = MEM_HEADROOM * (MEM_BASE_MB + MEM_PER_VCPU_MB * vcpus +
                           MEM_PER_TASK_MB * tasks +
                           MEM_PER_LAYER_MB * layers)
    return max(DEFAULT_MEM_MB, math.ceil(need / MEM_STEP_MB) * MEM_STEP_MB)


def check_mem(mem_mb: int) -> None:
    """Guest MiB: from MIN_MEM_MB to the host's RAM (QEMU cannot set up
    more, and fails as if the VM had died)."""
    top = host_mem_mb()
    if not MIN_MEM_MB <= mem_mb <= top:
        raise errors.InputError(
            f"--mem={mem_mb}: allowed: MiB {MIN_MEM_MB}..{top} (the "
            "host's RAM)")


def check_fits(mem_mb: int, what: str) -> None:
    """A guest size derived, not given (--mem): more than the host's
    RAM is bad input too, named as what needs it."""
    top = host_mem_mb()
    if mem_mb > top:
        raise errors.InputError(
            f"{what} needs {mem_mb} MiB of guest memory, this host has "
            f"{top} MiB; allowed: fewer vCPUs, or --mem (MEM=) up to {top} "
            "to try with less")


@functools.lru_cache(maxsize=None)
def max_cpus() -> int | None:
    """QEMU's most vCPUs for MACHINE (query-machines), None if QEMU
    cannot tell (then the boot says what is wrong)."""
    qmp = ('{"execute":"qmp_capabilities"}\n{"execute":"query-machines"}'
           '\n{"execute":"quit"}\n')
    try:
        out = subprocess.run(
            ["qemu-system-x86_64", "-machine", "none", "-display", "none",
             "-nodefaults", "-no-user-config", "-qmp", "stdio"],
            input=qmp, capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    for line in out.splitlines():
        try:
            ret = json.loads(line).get("return")
        except ValueError:
            continue
        for m in ret if isinstance(ret, list) else []:
            if MACHINE in (m.get("name"), m.get("alias")):
                return m.get("cpu-max")
    return None


def check_cpus(cpus: int, opt: str = "--cpus") -> None:
    top = max_cpus()
    if cpus < 1 or (top is not None and cpus > top):
        raise errors.InputError(
            f"{opt}={cpus}: allowed: vCPUs 1..{top or 'QEMU max'} (QEMU's "
            f"most for machine {MACHINE})")


def check_timeout(timeout: float, opt: str = "--timeout") -> None:
    if not (math.isfinite(timeout) and 0 < timeout <= MAX_TIMEOUT):
        raise errors.InputError(
            f"{opt}={timeout}: allowed: seconds > 0 and <= "
            f"{MAX_TIMEOUT:.0f}")


def check_results(path: Path, opt: str = "--results") -> None:
    """A writable directory (made if missing), its path without control
    characters (the guest's command line could not carry them)."""
    if any(ord(c) < 32 or c == "\x7f" for c in str(path)):
        raise errors.InputError(
            f"{opt} {str(path)!r}: allowed: a path without control "
            "characters")
    if path.exists() and not path.is_dir():
        raise errors.InputError(
            f"{opt} {path}: not a directory; allowed: a directory (made "
            "if missing)")
    try:
        path.mkdir(parents=True, exist_ok=True)
        tempfile.NamedTemporaryFile(dir=path, prefix=".write-check-"
                                    ).close()
    except OSError as e:
        raise errors.InputError(
            f"{opt} {path}: cannot write there ({e.strerror}); allowed: "
            "a writable directory") from None


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
    # the coherence plugin loaded, writing its windows there (TCG only)
    coherence: Path | None = None


@dataclass
class VMResult:
    """A guest that ran its command to the end: rc is the command's own
    status (124 and 125 too). The watchdog and a VM failure raise
    errors.GuestTimeout and errors.VMError instead."""
    rc: int
    console: Path
    seconds: float
    accel: str
    outcome: str = "exited"     # beside errors.*.outcome, for manifests


def _die_with_parent() -> None:
    """Runs in the QEMU child: get SIGKILL when the runner dies."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    os.setpgrp()


def qemu_opt(value) -> str:
    """A value inside a QEMU option list: a comma is doubled."""
    return str(value).replace(",", ",,")


_PLAIN = re.compile(rb"[A-Za-z0-9/._+:@=-]")


def cmdline_word(value) -> str:
    """A value on the kernel command line as one word that init.sh's
    word splitting and globbing leave alone: every other byte as \\0ooo,
    which printf %b turns back."""
    return "".join(chr(b) if _PLAIN.fullmatch(bytes([b])) else f"\\0{b:03o}"
                   for b in os.fsencode(str(value)))


def qemu_argv(cfg: VMConfig, accel_name: str, ctl: Path, console: Path,
              out: str, err: str) -> list[str]:
    """The QEMU command line; out/err are paths the consoles write to."""
    results = cfg.results.resolve()
    # The console gets the kernel's boot messages (default loglevel);
    # init.sh quietens it while the command runs.
    append = " ".join([
        "console=ttyS0", "earlyprintk=serial,ttyS0", "printk.time=1",
        "root=hostroot", "rootfstype=9p",
        "rootflags=trans=virtio,version=9p2000.L,msize=262144",
        "ro", f"init={GUEST_INIT}", "panic=-1", "oops=panic",
        "nmi_watchdog=0", *HASH_ENTRIES, f"mntbench.ctl={cmdline_word(ctl)}",
        f"mntbench.res={cmdline_word(results)}",
    ] + ([f"mntbench.tmp={','.join(map(cmdline_word, keep))}"]
         if (keep := _tmp_entries()) else []))
    if accel_name == accel.KVM:
        acc = ["-accel", "kvm", "-cpu", "host"]
    elif accel_name == accel.ICOUNT:
        acc = ["-accel", "tcg,thread=single", "-icount", accel.ICOUNT_OPTS,
               "-cpu", "max"]
    else:
        acc = ["-accel", "tcg,thread=multi", "-cpu", "max"]
    if cfg.coherence is not None:
        if accel_name == accel.KVM:
            raise errors.InputError(
                "the coherence plugin needs TCG; allowed accelerators: "
                f"{accel.TCG}, {accel.ICOUNT}")
        acc += ["-plugin", f"{qemu_opt(COHERENCE_PLUGIN)},dir="
                f"{qemu_opt(cfg.coherence.resolve())}"]
    return [
        "qemu-system-x86_64", "-nodefaults", "-no-user-config",
        # named threads ("CPU 0/TCG"): harness/run/monitor.py finds the vCPUs
        "-name", "mntbench,debug-threads=on",
        "-display", "none", "-no-reboot", "-machine", MACHINE,
        *acc, "-smp", str(cfg.cpus), "-m", f"{cfg.mem_mb}M",
        "-kernel", str(cfg.kernel.bzimage), "-append", append,
        "-chardev", f"file,id=con,path={qemu_opt(console)}",
        "-serial", "chardev:con",
        "-fsdev", "local,id=hostroot,path=/,security_model=none,readonly=on,multidevs=remap",
        "-device", "virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot",
        "-fsdev", f"local,id=results,path={qemu_opt(results)},"
        "security_model=none",
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


class _Tail:
    """The last bytes of the command's output, both streams as they
    came: what a time limit or a panic cut off."""

    def __init__(self):
        self.buf = collections.deque(maxlen=OUTPUT_TAIL)
        self.lock = threading.Lock()

    def add(self, chunk: bytes) -> None:
        with self.lock:
            self.buf.extend(chunk)

    def text(self, lines: int = 20) -> str:
        with self.lock:
            data = bytes(self.buf).decode(errors="replace")
        return "\n".join(data.rstrip().splitlines()[-lines:]) or "(none)"


def _pump(fd: int, sink, tail: _Tail) -> threading.Thread:
    """Copy what the guest writes to fd into sink (None: drop) as it
    comes, keeping its tail."""
    def copy():
        with os.fdopen(fd, "rb", buffering=0) as src:
            while chunk := src.read(65536):
                tail.add(chunk)
                if sink is None:
                    continue
                # a text stream without bytes underneath (a test's
                # redirect_stdout) gets text
                raw = getattr(sink, "buffer", None)
                if raw is not None:
                    raw.write(chunk)
                    raw.flush()
                else:
                    sink.write(chunk.decode(errors="replace"))
                    sink.flush()
    t = threading.Thread(target=copy, daemon=True)
    t.start()
    return t


def _start_time(pid: int) -> str | None:
    """A process's start time (field 22 of /proc/PID/stat): with the
    pid, it names a process once, across pid reuse."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]


def sweep(results: Path) -> list[Path]:
    """Remove the control directories in results whose runner is gone
    (SIGKILL, a crash): those of a live process stay. The removed."""
    gone = []
    for d in results.glob(".vm-*"):
        m = CTL.match(d.name)
        if m and _start_time(int(m[1])) == m[2]:
            continue
        shutil.rmtree(d, ignore_errors=True)
        gone.append(d)
    return gone


def _write_control(ctl: Path, cmd: str, env: dict[str, str]) -> None:
    (ctl / "cmd").write_text(cmd + "\n")
    (ctl / "cwd").write_text(os.getcwd() + "\n")
    (ctl / "env").write_text("".join(
        f"export {k}={shlex.quote(v)}\n" for k, v in env.items()))
    # room for the status, taken now: init.sh writes it over these bytes
    # (no truncation), so a results disk that fills up during the boot
    # still gets the command's status (_exit_status strips the padding)
    (ctl / "rc.tmp").write_text(" " * 7 + "\n")


def time_limit(cfg: VMConfig, accel_name: str) -> float:
    """The guest's time limit: cfg.timeout, scaled when the vCPUs exceed
    the host's cores under TCG (accel.slowdown)."""
    return cfg.timeout * accel.slowdown(cfg.cpus, accel_name,
                                        accel.host_cores())


def _exit_status(ctl: Path) -> int:
    """The command's status as init.sh wrote it; VMError when there is
    none: the guest did not run its command to the end."""
    try:
        text = (ctl / "rc").read_text().strip()
    except OSError:
        try:
            why = (ctl / "error").read_text().strip()
        except OSError:
            why = "panic or QEMU failure"
        raise errors.VMError(f"guest stopped without an exit status "
                             f"({why})") from None
    if not text.isdigit() or int(text) > 255:
        raise errors.VMError(f"guest wrote a bad exit status {text!r}")
    return int(text)


def boot(cfg: VMConfig, cmd: str, accel_name: str,
         silent: bool = False) -> VMResult:
    """Boot once with a given accelerator and run cmd. Raises GuestTimeout
    or VMError; returns the command's exit status otherwise. The command's
    output goes to our stdout/stderr (to /dev/null if silent)."""
    results = cfg.results.resolve()
    stamp = time.strftime("%Y%m%d-%H%M%S")
    console = results / "console" / f"{stamp}-{os.getpid()}-{accel_name}.log"
    ctl = None
    try:
        (results / "console").mkdir(parents=True, exist_ok=True)
        sweep(results)
        ctl = Path(tempfile.mkdtemp(
            prefix=f".vm-{os.getpid()}-{_start_time(os.getpid())}-",
            dir=results))
        _write_control(ctl, cmd, cfg.env)
    except OSError as e:
        if ctl is not None:
            shutil.rmtree(ctl, ignore_errors=True)
        raise errors.VMError(f"cannot write the control files in "
                             f"{results}: {e.strerror}") from None
    try:
        return _boot(cfg, accel_name, ctl, console, silent)
    finally:
        shutil.rmtree(ctl, ignore_errors=True)


def _boot(cfg: VMConfig, accel_name: str, ctl: Path, console: Path,
          silent: bool) -> VMResult:
    # QEMU writes the serial ports into pipes that we copy to our own
    # stdout/stderr; its own stderr is piped for error messages.
    pipes = [os.pipe(), os.pipe()]
    wfds = [w for _, w in pipes]
    out, err = (f"/proc/self/fd/{fd}" for fd in wfds)
    argv = qemu_argv(cfg, accel_name, ctl, console, out, err)
    limit = time_limit(cfg, accel_name)
    t0 = time.monotonic()
    try:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, pass_fds=wfds,
                                preexec_fn=_die_with_parent)
    except OSError as e:
        for r, w in pipes:
            os.close(r)
            os.close(w)
        raise errors.VMError(f"cannot start QEMU: {e}") from e
    for fd in wfds:
        os.close(fd)
    sinks = [None, None] if silent else [sys.stdout, sys.stderr]
    tail = _Tail()
    pumps = [_pump(r, sink, tail) for (r, _), sink in zip(pipes, sinks)]

    def stop():
        # QEMU gone, the pipes reach EOF: the tail is all there is
        _kill(proc)
        for t in pumps:
            t.join(timeout=5)

    def last_lines() -> str:
        return (f"Last console lines ({console}):\n{_tail(console)}\n"
                f"Last lines of the command's output:\n{tail.text()}")
    try:
        try:
            _, qerr = proc.communicate(timeout=limit)
        except subprocess.TimeoutExpired:
            stop()
            scaled = "" if limit == cfg.timeout else \
                f" ({cfg.timeout:g}s scaled for {cfg.cpus} vCPUs on " \
                f"{accel.host_cores()} host cores)"
            raise errors.GuestTimeout(
                f"watchdog: the guest did not finish within {limit:g}s"
                f"{scaled}; killed.\n{last_lines()}") from None
        stop()
        try:
            rc = _exit_status(ctl)
        except errors.VMError as e:
            msg = qerr.decode(errors="replace").strip()
            try:
                started = console.stat().st_size > 0
            except OSError:
                started = False
            if not started:
                # not one byte on the serial console: the image never ran
                raise errors.VMError(
                    f"{e}: the kernel never started (an empty console) from "
                    f"the image {cfg.kernel.bzimage}"
                    f"{': ' + msg if msg else ''}") from None
            raise errors.VMError(
                f"{e}{': ' + msg if msg else ''}.\n{last_lines()}"
                ) from None
        return VMResult(rc=rc, console=console,
                        seconds=time.monotonic() - t0, accel=accel_name)
    finally:
        stop()


_warned: set[tuple[int, str]] = set()


def warn_overcommit(cpus: int, accel_name: str) -> None:
    """Print accel.overcommit_warning once per process and guest size."""
    msg = accel.overcommit_warning(cpus, accel_name, accel.host_cores())
    if msg and (cpus, accel_name) not in _warned:
        _warned.add((cpus, accel_name))
        print(msg, file=sys.stderr, flush=True)


def run(cfg: VMConfig, cmd: str) -> VMResult:
    """Run cmd in the guest on the best accelerator this host has."""
    check_cpus(cfg.cpus)
    name = cfg.accel or accel.choose(cfg, boot, quiet=cfg.quiet)
    if not cfg.quiet:
        warn_overcommit(cfg.cpus, name)
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
    ap.add_argument("--mem", type=int,
                    help=f"MiB (default: what --cpus vCPUs need, at "
                    f"least {DEFAULT_MEM_MB}; harness/kernel/vm.py mem_for)")
    ap.add_argument("--timeout", type=float, default=600.0,
                    help="seconds before the guest is killed (default "
                    "600; times vCPUs/cores when they exceed the host's "
                    "cores under TCG)")
    ap.add_argument("--results", type=Path, default=DEFAULT_RESULTS,
                    help="writable share; console logs go to <results>/console")
    ap.add_argument("--accel", choices=["auto", *accel.ACCELS],
                    default="auto", help="icount: deterministic clock")
    ap.add_argument("--ksrc", type=Path, default=kbuild.DEFAULT_KSRC)
    ap.add_argument("--patches", default=kbuild.DEFAULT_PATCHES)
    ap.add_argument("--env", action="append", default=[], metavar="K=V",
                    help="environment for the command (repeatable)")
    ap.add_argument("--coherence", type=Path, metavar="DIR",
                    help="load the coherence plugin (coherence/), which "
                    "writes each window the guest marks to DIR")
    ap.add_argument("cmd", nargs="+", help="shell command run in the guest")
    args = ap.parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupted)
    try:
        check_cpus(args.cpus)
        check_timeout(args.timeout)
        if args.mem is None:
            args.mem = mem_for(args.cpus, args.cpus)
            check_fits(args.mem, f"a guest of {args.cpus} vCPUs")
        check_mem(args.mem)
        env = {}
        for kv in args.env:
            if "=" not in kv:
                raise errors.InputError(f"--env {kv}: expected KEY=VALUE")
            k, v = kv.split("=", 1)
            env[k] = v
        check_results(args.results)
        kernel = kbuild.ensure_kernel(args.ksrc, args.patches)
        cfg = VMConfig(kernel=kernel, cpus=args.cpus, mem_mb=args.mem,
                       timeout=args.timeout, results=args.results,
                       accel=None if args.accel == "auto" else args.accel,
                       env=env, coherence=args.coherence)
        res = run(cfg, " ".join(args.cmd))
    except errors.MntbenchError as e:
        print(f"mntbench-vm: error: {e}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print("mntbench-vm: interrupted; guest killed", file=sys.stderr)
        return 130
    if res.rc in (errors.GuestTimeout.exit_code, errors.VMError.exit_code):
        print(f"mntbench-vm: the guest command itself exited {res.rc} "
              "(the guest ran to its end: not the time limit, not a VM "
              "failure)", file=sys.stderr)
    return res.rc


if __name__ == "__main__":
    sys.exit(main())
