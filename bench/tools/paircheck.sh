#!/bin/sh
# Paired blocks against separate runs, on the icount clock: detached over
# longterm-array, open-close, 2 layers, 2 tasks, 3 of each. Run from the
# repository root in a 2-vCPU icount guest:
#   make vm ACCEL=icount CPUS=2 CMD='sh bench/tools/paircheck.sh'
B=$PWD/bench/ovlbench
P=/sys/module/overlay/parameters/private_mounts
C="--workload open-close --layers 2 --tasks 2 --cpus 0-1 --warmup 0.2 --duration 1 --interval 0.25 --quiet"
for r in 1 2 3; do
	for m in longterm-array detached; do
		echo $m > $P && $B $C --output /tmp/pc-$m-$r.json || exit 1
	done
	$B $C --pair-modes longterm-array,detached --output /tmp/pc-p-$r.json ||
		exit 1
done
echo longterm-array > $P
/usr/bin/python3 - <<'PY'
import json, statistics
def rate(f):
    return json.load(open(f))["runs"][0]["summary"]["ops_per_s_per_task"]
for r in (1, 2, 3):
    sep = rate(f"/tmp/pc-detached-{r}.json") / rate(f"/tmp/pc-longterm-array-{r}.json")
    br = json.load(open(f"/tmp/pc-p-{r}.json"))["runs"][0]["pair"]["block_ratios"]
    print(f"{r}: separate runs {sep:.5f}, paired blocks median "
          f"{statistics.median(br):.5f} ({len(br)} pairs)")
PY
