#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# overhead.sh [SECONDS] [REPS] [CPU]: how close ovlbench's open-close loop
# comes to a bare one (target: ratio >= 0.98).
#
# In one private mount namespace, on one 2-layer overlay (tmpfs layers)
# that this script mounts, run tools/minloop and "ovlbench --target" on
# the same file, 1 task pinned to CPU, REPS times each, alternating which
# goes first.  Prints each pair, then the ratio ovlbench/minloop of ops/s
# (wall clock) and of ops per CPU-second (user+sys of the whole process
# tree, from wait4, which other load on the machine disturbs far less):
# the median of the pairs' ratios, and the ratio of the best of each.
# Run as root, after make.  Defaults: 2 s, 20 reps, CPU 0.
set -eu

bench=$(cd "$(dirname "$0")/.." && pwd)

if [ "${1:-}" != --inner ]; then
	[ -x "$bench/ovlbench" ] && [ -x "$bench/tools/minloop" ] ||
		{ echo "overhead.sh: run make in $bench first" >&2; exit 2; }
	dir=$(mktemp -d /tmp/overhead.XXXXXX)
	trap 'rmdir "$dir"' EXIT
	unshare -m --propagation private "$0" --inner "$dir" "${1:-2}" \
		"${2:-20}" "${3:-0}"
	exit
fi

dir=$2
mount -t tmpfs tmpfs "$dir"
mkdir "$dir/l0" "$dir/l1" "$dir/m"
echo lower0 > "$dir/l0/f"
echo lower1 > "$dir/l1/f"
mount -t overlay overlay -o "lowerdir=$dir/l0:$dir/l1" "$dir/m"
status=0
/usr/bin/python3 - "$bench" "$dir/m/f" "$3" "$4" "$5" <<'PY' || status=$?
import json, os, statistics, subprocess, sys

bench, path, secs, reps, cpu = sys.argv[1:]


def run(cmd):
    """stdout, and user+sys CPU seconds of cmd and its children"""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    out = proc.stdout.read()
    _, status, ru = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        sys.exit(f"{cmd[0]} failed: {proc.returncode}")
    return out, ru.ru_utime + ru.ru_stime


def minloop():
    out, cpu_s = run(["taskset", "-c", cpu, f"{bench}/tools/minloop",
                      path, secs])
    ops, wall, _ = out.split()
    return int(ops) / float(wall), int(ops) / cpu_s


def ovlbench():
    out, cpu_s = run([f"{bench}/ovlbench", "--target", path, "--tasks",
                      "1", "--cpus", cpu, "--warmup", "0", "--duration",
                      secs, "--interval", secs, "--quiet"])
    summ = json.loads(out)["runs"][0]["summary"]
    return summ["ops_per_s"], summ["total_ops"] / cpu_s


print(f"kernel {os.uname().release}, {secs} s per run, CPU {cpu}, "
      f"file {path}")
wall, cpu_ratio, ms, os_ = [], [], [], []
for i in range(1, int(reps) + 1):
    if i % 2:
        m, o = minloop(), ovlbench()
    else:
        o, m = ovlbench(), minloop()
    ms.append(m)
    os_.append(o)
    wall.append(o[0] / m[0])
    cpu_ratio.append(o[1] / m[1])
    print(f"rep {i}: ops/s minloop {m[0]:.0f} ovlbench {o[0]:.0f} "
          f"({wall[-1]:.4f}); ops/CPU-s minloop {m[1]:.0f} "
          f"ovlbench {o[1]:.0f} ({cpu_ratio[-1]:.4f})")
print(f"ratio ovlbench/minloop, median of {reps}: "
      f"ops/s {statistics.median(wall):.4f} "
      f"(min {min(wall):.4f}, max {max(wall):.4f}); "
      f"ops/CPU-s {statistics.median(cpu_ratio):.4f} "
      f"(min {min(cpu_ratio):.4f}, max {max(cpu_ratio):.4f})")
best = [max(o[k] for o in os_) / max(m[k] for m in ms) for k in (0, 1)]
print(f"ratio ovlbench/minloop, best of {reps} each: "
      f"ops/s {best[0]:.4f}; ops/CPU-s {best[1]:.4f}")
PY
umount "$dir/m" "$dir"
exit $status
