#!/usr/bin/python3
"""Guest side of the mode tests: exercise the private_mounts switch and
count, with bpftrace on the running kernel, what each mode does.

Writes one JSON document (write, then rename) to the path given; the host
side (harness/tests/test_kernel_modes.py) asserts on it.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))
from bpf.btf import member_offset  # noqa: E402
from bpf.tests.layers import make_layers  # noqa: E402
from harness import kparams  # noqa: E402
from harness.run.guest.jsonout import write_doc  # noqa: E402

REPO = Path(__file__).resolve().parents[3]
SWITCH, MODES = kparams.SWITCH, kparams.MODES
GP_SCRIPT = REPO / "bpf" / "ovl-gp-count.bt"
OVLBENCH = REPO / "bench" / "ovlbench"
ROOT = Path("/tmp/ovlt")
# Where ovl-gp-count.bt runs (a bpftrace start is some 10 s of TCG): the
# closes of a detached and a longterm overlay, and one teardown with a
# grace period per layer. Every mode's grace periods and slow puts are
# counted by mntlock too (harness/tests/test_mntlock.py).
CLOSES_COUNTED = (kparams.DETACHED, kparams.UPSTREAM)
UMOUNT_COUNTED = (kparams.SERIAL,)


def bpftrace(args: list[str]) -> dict[str, int]:
    """Run bpftrace with JSON output; the maps it printed at exit."""
    res = subprocess.run(["bpftrace", "-f", "json", *args],
                         capture_output=True, text=True)
    if res.returncode != 0:
        raise RuntimeError(f"bpftrace failed: {res.stderr.strip()}")
    maps: dict[str, int] = {}
    for line in res.stdout.splitlines():
        try:
            doc = json.loads(line)
        except ValueError:
            continue
        if isinstance(doc, dict) and doc.get("type") == "map":
            maps.update(doc["data"])
    return maps


def backing_files() -> bool:
    """Whether overlay's real files are backing files holding the layer's
    path (6.6 on), so that each close puts a private layer mount; before,
    open_with_fake_path() gave them the overlay's own path."""
    with open("/proc/kallsyms") as f:
        return any(line.split()[2] == "backing_file_open" for line in f)


def check_switch() -> dict:
    out = {"exists": SWITCH.exists()}
    if not out["exists"]:
        return out
    out["default"] = SWITCH.read_text().strip()
    try:
        SWITCH.write_text("bogus")
        out["bad_value"] = "accepted"
    except OSError as e:
        out["bad_value"] = os.strerror(e.errno)
    out["after_bad"] = SWITCH.read_text().strip()
    return out


def one_mode(mode: str, layers: int, closes: int, off: int) -> dict:
    SWITCH.write_text(mode)
    lower = make_layers(ROOT, layers)
    mnt = ROOT / "m"
    subprocess.run(["mount", "-t", "overlay", "overlay", "-o",
                    f"lowerdir={lower}", str(mnt)], check=True)
    shown = [ln for ln in Path("/proc/mounts").read_text().splitlines()
             if f" {mnt} overlay " in ln]
    opt = [o for o in shown[0].split()[3].split(",")
           if o.startswith("private_mounts=")] if shown else []
    # Change the switch under an existing mount: teardown must not follow.
    SWITCH.write_text("detached" if mode != "detached" else "longterm-serial")
    # The probed process: exactly `closes` open()+close() of the file in
    # one ovlbench task, on this overlay (--target: ovlbench mounts
    # nothing).  The script counts the -c command's thread group, so the
    # task is a thread (--mode thread), not a child process.
    loop = [str(OVLBENCH), "-w", "open-close", "--target", f"{mnt}/f",
            "--tasks", "1", "--mode", "thread", "--ops", str(closes), "-q",
            "-o", str(ROOT / "ovlbench.json")]
    out = {"shown": opt[0].split("=", 1)[1] if opt else None}
    if mode in CLOSES_COUNTED:
        puts = bpftrace([str(GP_SCRIPT), str(off), "-c", " ".join(loop)])
        out.update(closes=closes,
                   mntput_ns_null=puts.get("@mntput_ns_null", 0),
                   mntput_ns_internal=puts.get("@mntput_ns_internal", 0))
    if mode in UMOUNT_COUNTED:
        gps = bpftrace([str(GP_SCRIPT), str(off), "-c",
                        f"/bin/umount {mnt}"])
        out.update({k: gps.get("@" + k, 0) for k in (
            "ovl_free_fs", "ovl_sync_rcu", "ovl_sync_rcu_exp",
            "umount_sync_rcu", "umount_sync_rcu_exp")})
    else:
        subprocess.run(["umount", str(mnt)], check=True)
    subprocess.run(["umount", str(ROOT)], check=True)
    return out


def long_teardown(layers: int) -> dict:
    """One ovlbench teardown run whose last umount outlasts ovlbench's
    5 s stop deadline under TCG (a grace period per layer): it must be
    waited for, not killed. An iteration is timed if it began before the
    window closed: with no warm-up and a 0.1 s window, one run on the 7.2
    smoke at load1 3.4 timed none (its first iteration began after the
    close), so the window is 1 s after 0.5 s of warm-up."""
    SWITCH.write_text("longterm-serial")
    out = Path("/tmp/long-teardown.json")
    res = subprocess.run([str(OVLBENCH), "-w", "teardown", "--upper",
                          "--layers", str(layers), "--tasks", "1",
                          "--cpus", "0", "--warmup", "0.5", "-d", "1",
                          "-i", "1", "-q", "-o", str(out)],
                         capture_output=True, text=True)
    SWITCH.write_text("longterm-array")
    doc = json.loads(out.read_text()) if res.returncode == 0 else {}
    lat = doc["runs"][0]["latency"]["umount_ns"]["raw"] if doc else []
    return {"rc": res.returncode, "stderr": res.stderr[-2000:],
            "umount_ns": [x for task in lat for x in task]}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("output", type=Path)
    ap.add_argument("--layers", type=int, default=100)
    ap.add_argument("--closes", type=int, default=1000)
    args = ap.parse_args()
    doc: dict = {"release": os.uname().release, "switch": check_switch(),
                 "backing_files": backing_files()}
    if doc["switch"]["exists"]:
        off = member_offset("/sys/kernel/btf/vmlinux", "mount", "mnt")
        doc["modes"] = {m: one_mode(m, args.layers, args.closes, off)
                        for m in MODES}
        doc["long_teardown"] = long_teardown(500)
        SWITCH.write_text("longterm-array")
    write_doc(args.output, doc)
    print(json.dumps(doc, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
