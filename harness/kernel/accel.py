"""Pick the accelerator: KVM when it really boots the kernel, else TCG.

/dev/kvm existing is not enough: on some hosts it is a nested hypervisor
(e.g. kvm_pvm) on which a stock kernel hangs right after "early console in
setup code". So the first run on a host makes a probe boot under KVM with a
short time limit, and caches the verdict per host (hostname, host kernel,
QEMU version). MNTBENCH_ACCEL=kvm|tcg|icount overrides.

icount is TCG with a deterministic instruction clock: single-threaded
TCG, guest time advancing by 2^shift ns per instruction. It is never
chosen by itself; plans and users ask for it (ACCEL=icount).
"""

from __future__ import annotations

import dataclasses
import json
import os
import platform
import subprocess
import sys
from typing import Callable

from harness import errors
from harness.paths import cache_dir

KVM, TCG, ICOUNT = "kvm", "tcg", "icount"
ACCELS = (KVM, TCG, ICOUNT)
# shift=0: 1 ns of guest time per instruction, whatever the host's speed
# (auto would adapt to the host and so differ between machines);
# sleep=off: an idle vCPU jumps to its next timer deadline instead of
# waiting in host time, so idle periods cost no host time and no noise;
# align=off: the guest clock is not slowed to host time.
ICOUNT_OPTS = "shift=0,sleep=off,align=off"

_noticed = False         # the TCG notice is printed once per process
PROBE_TIMEOUT = 25.0    # a KVM boot takes ~1-3 s; TCG here takes ~4 s


def host_key() -> str:
    qemu = subprocess.run(["qemu-system-x86_64", "--version"],
                          capture_output=True, text=True).stdout
    qemu = qemu.splitlines()[0] if qemu else "qemu?"
    return f"{platform.node()}|{platform.release()}|{qemu}"


def _cache_file():
    return cache_dir() / "accel.json"


def _cached(key: str) -> dict | None:
    try:
        data = json.loads(_cache_file().read_text())
    except (OSError, ValueError):
        return None
    return data if data.get("host") == key else None


def _store(verdict: dict) -> None:
    path = _cache_file()
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(verdict, indent=2) + "\n")
    tmp.rename(path)


def _probe(cfg, boot: Callable) -> tuple[str, str]:
    """Boot `true` under KVM with a short limit; (accel, reason)."""
    if not os.access("/dev/kvm", os.R_OK | os.W_OK):
        return "tcg", "no usable /dev/kvm"
    probe = dataclasses.replace(cfg, timeout=PROBE_TIMEOUT, cpus=1,
                                mem_mb=512)
    try:
        res = boot(probe, "true", "kvm", silent=True)
    except errors.GuestTimeout:
        return "tcg", (f"a KVM probe boot did not finish in "
                       f"{PROBE_TIMEOUT:g}s (nested or broken KVM)")
    except errors.VMError as e:
        return "tcg", f"a KVM probe boot failed: {str(e).splitlines()[0]}"
    if res.rc != 0:
        return "tcg", f"a KVM probe boot exited {res.rc}"
    return "kvm", f"a KVM probe boot worked in {res.seconds:.1f}s"


# A 2-vCPU icount boot of `true` takes ~9 s here; a kernel that cannot
# bring its second vCPU up never finishes.
SMP_PROBE_TIMEOUT = 90.0
SMP_VERDICT = "icount-smp.json"     # beside the kernel it is about


def icount_smp(cfg, boot: Callable) -> tuple[bool, str]:
    """Whether cfg.kernel brings up a second vCPU under icount: (ok,
    reason), from a probe boot cached beside the kernel per host.

    Measured: Debian's 6.1 never does on this QEMU (its second vCPU
    spins in wait_for_master_cpu() while the first loops in
    do_boot_cpu()), whatever the shift, CPU model or machine; 6.12 does.
    """
    path = cfg.kernel.dir / SMP_VERDICT
    key = host_key()
    try:
        d = json.loads(path.read_text())
        if d.get("host") == key:
            return bool(d["ok"]), str(d["reason"])
    except (OSError, ValueError, KeyError):
        pass
    probe = dataclasses.replace(cfg, timeout=SMP_PROBE_TIMEOUT, cpus=2,
                                mem_mb=512)
    try:
        res = boot(probe, "true", ICOUNT, silent=True)
        ok, reason = res.rc == 0, (
            f"a 2-vCPU icount probe boot worked in {res.seconds:.1f}s"
            if res.rc == 0 else
            f"a 2-vCPU icount probe boot exited {res.rc}")
    except errors.GuestTimeout:
        ok, reason = False, (
            f"a 2-vCPU icount probe boot did not finish in "
            f"{SMP_PROBE_TIMEOUT:g}s (the second vCPU is not brought up)")
    except errors.VMError as e:
        ok, reason = False, (f"a 2-vCPU icount probe boot failed: "
                             f"{str(e).splitlines()[0]}")
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps({"host": key, "ok": ok, "reason": reason},
                              indent=2) + "\n")
    tmp.rename(path)
    return ok, reason


def host_cores() -> int:
    """The host CPUs this process may use (QEMU's threads inherit them)."""
    return len(os.sched_getaffinity(0))


def slowdown(vcpus: int, accel_name: str, cores: int) -> float:
    """How much longer a guest takes than one whose vCPUs fit the host:
    MTTCG runs a host thread per vCPU, so past the host's cores they
    share them (boot included: a 64-vCPU guest on 2 cores does not boot
    in minutes). KVM and icount (one thread for all vCPUs) are left at
    1: the first is not TCG, the second does not depend on the cores."""
    if accel_name != TCG or vcpus <= cores:
        return 1.0
    return vcpus / cores


def overcommit_warning(vcpus: int, accel_name: str,
                       cores: int) -> str | None:
    """A one-line warning when the vCPUs exceed the host's cores under
    TCG, else None."""
    f = slowdown(vcpus, accel_name, cores)
    if f == 1.0:
        return None
    return (f"mntbench: warning: {vcpus} vCPUs on {cores} host cores "
            f"under TCG: the guest runs about {f:.3g}x slower (boot "
            f"included); time limits are scaled by {f:.3g}")


def choose(cfg, boot: Callable, quiet: bool = False) -> str:
    forced = os.environ.get("MNTBENCH_ACCEL")
    if forced:
        if forced not in ACCELS:
            raise errors.InputError(
                f"MNTBENCH_ACCEL={forced}: allowed values are "
                f"{', '.join(ACCELS)}")
        return forced
    key = host_key()
    verdict = _cached(key)
    if verdict is None:
        name, reason = _probe(cfg, boot)
        verdict = {"host": key, "accel": name, "reason": reason}
        _store(verdict)
    global _noticed
    if verdict["accel"] == "tcg" and not quiet and not _noticed:
        _noticed = True
        print(f"mntbench: using TCG: {verdict['reason']} "
              f"(cached in {_cache_file()})", file=sys.stderr)
    return verdict["accel"]
