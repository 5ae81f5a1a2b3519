"""`make bench`: boot the patched kernel once and measure each overlay mode.

Until the run plan (issue 5) lands, this runs what exists: the exact-count
mode check (grace periods per umount, slow mntputs per close), and, when
bench/ovlbench is built, a short open-close run per mode. Results go to a
new directory under results/, written atomically.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import sys
import time
from pathlib import Path

from harness import errors, kbuild, vm
from harness.paths import REPO

MODES = ["longterm-array", "longterm-array-normal", "longterm-serial",
         "detached"]


def guest_script(out: Path, layers: int, duration: int) -> str:
    check = REPO / "harness" / "tests" / "guest" / "check_modes.py"
    lines = ["set -e",
             f"/usr/bin/python3 {check} {out}/modes.json --layers {layers}"
             " >/dev/null"]
    ovlbench = REPO / "bench" / "ovlbench"
    if ovlbench.is_file():
        sw = "/sys/module/overlay/parameters/private_mounts"
        for m in MODES:
            lines.append(f"echo {m} > {sw}")
            lines.append(f"{ovlbench} --workload open-close --layers 2 "
                         f"--duration {duration} --output {out}/{m}.json")
        lines.append(f"echo longterm-array > {sw}")
    return "\n".join(lines)


def summarize(out: Path) -> str:
    doc = json.loads((out / "modes.json").read_text())
    rows = [f"kernel {doc['release']}",
            f"{'mode':24} {'ovl GPs':>8} {'exp GPs':>8} "
            f"{'slow puts/close':>16} {'open-close ops/s':>17}"]
    for m, r in doc.get("modes", {}).items():
        ops = "-"
        f = out / f"{m}.json"
        if f.is_file():
            s = json.loads(f.read_text()).get("summary", {})
            ops = f"{s.get('ops_per_sec', 0):.0f}"
        rows.append(f"{m:24} {r['ovl_sync_rcu']:>8} {r['ovl_sync_rcu_exp']:>8}"
                    f" {r['mntput_ns_null'] / r['closes']:>16.2f} {ops:>17}")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="mntbench-bench")
    ap.add_argument("--results", type=Path, default=REPO / "results")
    ap.add_argument("--cpus", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--layers", type=int, default=100)
    ap.add_argument("--duration", type=int, default=5)
    args = ap.parse_args(argv)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    final = args.results / f"{stamp}-{socket.gethostname()}"
    work = final.with_name(final.name + ".partial")
    work.mkdir(parents=True)
    try:
        k = kbuild.ensure_kernel()
        cfg = vm.VMConfig(kernel=k, cpus=args.cpus, results=work,
                          timeout=1800)
        res = vm.run(cfg, guest_script(work, args.layers, args.duration))
        if res.rc != 0:
            raise errors.VMError(f"guest run failed with {res.rc}")
        (work / "summary.txt").write_text(summarize(work) + "\n")
        (work / "manifest.json").write_text(json.dumps(
            {"kernel": k.info, "accel": res.accel, "vcpus": args.cpus},
            indent=2) + "\n")
    except errors.MntbenchError as e:
        print(f"mntbench-bench: error: {e}; partial results kept in {work}",
              file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print(f"mntbench-bench: interrupted; partial results in {work}",
              file=sys.stderr)
        return 130
    work.rename(final)
    print((final / "summary.txt").read_text(), end="")
    print(f"results: {final}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
