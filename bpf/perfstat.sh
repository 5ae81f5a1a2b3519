#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# perfstat.sh - hardware counters around a command: perf stat (cycles,
# instructions, cache references/misses, ...) and, with --c2c, perf c2c
# record + report (cache-line contention, e.g. on mount_lock).
#
# Usage: bpf/perfstat.sh [-o DIR] [-e EVENTS] [--c2c] [--] COMMAND [ARG]...
#   -o DIR     write perf-stat.txt (and c2c.data, c2c-report.txt) to DIR
#              (default: a new directory under /tmp)
#   -e EVENTS  perf stat events (default: cycles,instructions,
#              cache-references,cache-misses,L1-dcache-load-misses,
#              LLC-load-misses)
#   --c2c      also run COMMAND under perf c2c record (a second run)
#
# Without a PMU (QEMU TCG, many VMs) perf reports <not supported> or 0 for
# every hardware event.  This script checks first, with
# "perf stat -e cycles true", and then prints "PMU not available: REASON"
# instead of a table of zeros; COMMAND still runs, once, so the script can
# stay in a pipeline.  Exit status: COMMAND's; 2 for usage errors.

set -u

events=cycles,instructions,cache-references,cache-misses,L1-dcache-load-misses,LLC-load-misses
out=
c2c=0

usage() {
	sed -n '/^# Usage:/,/^#   --c2c/p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

while [ $# -gt 0 ]; do
	case "$1" in
	-o) [ $# -ge 2 ] || usage; out=$2; shift 2 ;;
	-e) [ $# -ge 2 ] || usage; events=$2; shift 2 ;;
	--c2c) c2c=1; shift ;;
	-h|--help) usage ;;
	--) shift; break ;;
	-*) echo "perfstat.sh: unknown option $1" >&2; usage ;;
	*) break ;;
	esac
done
[ $# -gt 0 ] || usage

# Why there is no usable PMU, or nothing if there is one
pmu_problem() {
	if ! command -v perf >/dev/null 2>&1; then
		echo "perf is not installed (Debian: linux-perf)"
		return
	fi
	probe=$(perf stat -x, -e cycles true 2>&1 >/dev/null)
	rc=$?
	if [ $rc -ne 0 ]; then
		echo "perf stat -e cycles failed (exit $rc): $(echo "$probe" |
			head -n 1)"
		return
	fi
	# CSV: value,unit,event,...; "<not supported>" or 0 cycles for true
	line=$(echo "$probe" | grep 'cycles' | head -n 1)
	case "$line" in
	"<not supported>"*|"<not counted>"*)
		echo "cycles event ${line%%,*} (no hardware PMU: TCG or a VM without a virtual PMU)"
		return ;;
	"0,"*)
		echo "cycles counted 0 for 'true' (no hardware PMU)"
		return ;;
	esac
}

problem=$(pmu_problem)
if [ -n "$problem" ]; then
	echo "PMU not available: $problem" >&2
	"$@"
	exit $?
fi

[ -n "$out" ] || out=$(mktemp -d /tmp/perfstat.XXXXXX)
mkdir -p "$out" || exit 2

# -a: all CPUs, so the contention on the other CPUs counts too
perf stat -a -e "$events" -o "$out/perf-stat.txt" -- "$@"
rc=$?
cat "$out/perf-stat.txt" >&2

if [ "$c2c" = 1 ]; then
	# c2c needs load/store sampling (Intel ldlat/PEBS, AMD IBS)
	if perf c2c record -e list 2>&1 | grep -q 'available'; then
		perf c2c record -a -o "$out/c2c.data" -- "$@" >/dev/null
		perf c2c report -i "$out/c2c.data" --stdio \
			>"$out/c2c-report.txt" 2>&1
		echo "perf c2c report: $out/c2c-report.txt" >&2
	else
		echo "perf c2c not supported here: no memory-access sampling events (perf c2c record -e list)" >&2
	fi
fi
echo "perfstat.sh: results in $out" >&2
exit $rc
