#!/usr/bin/python3
"""Guest side of the hash-chain tests: the icount path length of stat on
a fixed overlay file before and after many dentries are added elsewhere,
and after they are gone. A path walk scans its dentry's hash chain past
every dentry added to that bucket after it; the guest's enlarged hash
table (harness/kernel/vm.py HASH_ENTRIES) keeps that from showing. Then the
mount-hash chains the walk scans (bench/tools/hashchains.bt): init.sh
mounts /tmp last so that nothing sits ahead of it.

Writes one JSON document (write, then rename) to the path given; the host
side (harness/tests/test_clocks.py) asserts on it.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO))
from harness.run.guest.jsonout import write_doc  # noqa: E402

OVLBENCH = REPO / "bench" / "ovlbench"
HASHCHAINS = REPO / "bench" / "tools" / "hashchains.bt"
ROOT = Path("/tmp/dcache")
# 150,000 files stay inside a 2 GiB guest's tmpfs inode limit; on the
# kernel's own 262,144-bucket table they added 24 instructions per stat
FILES = 150_000


def stat_run(target: Path, out: Path) -> list[str]:
    """One ovlbench run of stat on target, its JSON to out."""
    return [str(OVLBENCH), "--workload", "stat", "--target", str(target),
            "--tasks", "1", "--cpus", "0", "--warmup", "0.1",
            "--duration", "0.3", "--interval", "0.3", "--quiet",
            "--output", str(out)]


def stat_ns(target: Path, runs: int = 2) -> list[float]:
    """icount ns per stat of target, one value per ovlbench run."""
    out = []
    tmp = ROOT / "run.json"
    for _ in range(runs):
        subprocess.run(stat_run(target, tmp), check=True)
        out.append(json.loads(tmp.read_text())["runs"][0]["summary"]
                   ["cpu_ns_per_op"])
    return out


def mount_chains(target: Path) -> dict[str, list[int]]:
    """Per mountpoint name crossed by stat of target: the entries
    scanned before the match, each distinct count once."""
    log = ROOT / "bt.out"
    # -c: the run starts once the probes are attached, and bpftrace ends
    # when it has (bpftrace 0.17 can lose a SIGINT; bpf/README.md)
    with open(log, "w") as f:
        subprocess.run(["bpftrace", "-c",
                        " ".join(stat_run(target, ROOT / "bt.json")),
                        str(HASHCHAINS)], stdout=f,
                       stderr=subprocess.STDOUT, check=True, timeout=600)
    out: dict[str, list[int]] = {}
    for name, n in re.findall(r"@mount_chain\[(.*?), (\d+), 1\]",
                              log.read_text()):
        out.setdefault(name, []).append(int(n))
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("output", type=Path)
    args = ap.parse_args()
    ROOT.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "tmpfs", str(ROOT)], check=True)
    for d in ("l1", "l2", "m", "many"):
        (ROOT / d).mkdir()
    (ROOT / "l1" / "f0").write_text("1")
    (ROOT / "l2" / "f0").write_text("2")
    subprocess.run(["mount", "-t", "overlay", "overlay", "-o",
                    f"lowerdir={ROOT}/l1:{ROOT}/l2", str(ROOT / "m")],
                   check=True)
    target = ROOT / "m" / "f0"
    doc: dict = {"cmdline": Path("/proc/cmdline").read_text().split(),
                 "files": FILES, "base": stat_ns(target)}
    for i in range(FILES):
        (ROOT / "many" / f"a{i}").touch()
    doc["loaded"] = stat_ns(target)
    shutil.rmtree(ROOT / "many")
    # the 150,000 dentries are freed by RCU callbacks after a grace
    # period: on one vCPU they ran inside a later stat run and were
    # charged to it (+1.2%, 41 insn/op, in one run of two). Idle time is
    # free under icount (sleep=off): wait here for them.
    time.sleep(5)
    doc["after"] = stat_ns(target)
    doc["mount_chains"] = mount_chains(target)
    subprocess.run(["umount", str(ROOT / "m")], check=True)
    subprocess.run(["umount", str(ROOT)], check=True)
    write_doc(args.output, doc)
    return 0


if __name__ == "__main__":
    sys.exit(main())
