#!/bin/sh
# ops/s per task of open-close for 1 CPU and all CPUs, processes and
# threads, 3 interleaved repetitions; JSON to OUT (default results/rates).
# In the guest: make vm CMD='sh bench/tools/rates.sh'
set -eu
cd "$(dirname "$0")/../.."
out=${OUT:-$PWD/results/vm/rates}
mkdir -p "$out"
last=$(($(nproc) - 1))
for rep in 1 2 3; do
	for cpus in 0 "0-$last"; do
		for mode in process thread; do
			bench/ovlbench --cpus "$cpus" --mode "$mode" --warmup 1 \
				--duration 3 -q -o "$out/$cpus-$mode-$rep.json"
		done
	done
done
for f in "$out"/*.json; do
	printf '%s %s\n' "$(basename "$f" .json)" "$(grep -o \
		'"ops_per_s_per_task": [0-9.]*' "$f" | head -1 | cut -d' ' -f2)"
done
