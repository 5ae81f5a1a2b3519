#!/bin/sh
# Test one commit for `git bisect run`, with the gate's exit codes:
# 0 good, 1 bad (regression), 125 skip (build failed, no result set, the
# gate could not compare (2), or its verdict is inconclusive (3)).
#
#   cd ~/src/linux
#   git bisect start BAD GOOD
#   MNTBENCH=~/mntbench BASE=~/mntbench/results/<set of GOOD> \
#       git bisect run ~/mntbench/harness/ci/bisect-run.sh
#
# Environment: MNTBENCH (checkout, required), BASE (result set of a good
# kernel made with the same PROFILE and SEED, required), PROFILE (default
# bisect-teardown), SEED (default 1), METRICS (gate regex, default the
# plan's [gate] metrics),
# PATCHES (default none: the tree carries what it needs).
# It calls the Python commands, not make: make exits 2 whatever status a
# recipe fails with.
set -u
: "${MNTBENCH:?set MNTBENCH to the mntbench checkout}"
: "${BASE:?set BASE to the result set of a good kernel}"
tree=$(pwd)
sets=${MNTBENCH_BISECT_SETS:-$MNTBENCH/results/bisect}
out=$sets/$(git rev-parse --short HEAD)-$$
mkdir -p "$sets"
cd "$MNTBENCH" || exit 125
export PYTHONPATH="$MNTBENCH"
/usr/bin/python3 -m harness.flows.bench --ksrc "$tree" \
	--patches "${PATCHES:-none}" --profile "${PROFILE:-bisect-teardown}" \
	--seed "${SEED:-1}" --out "$out" || exit 125
/usr/bin/python3 -m harness.analysis.gate "$BASE" "$out" \
	${METRICS:+--metrics "$METRICS"}
rc=$?
[ "$rc" -le 1 ] && exit "$rc"
exit 125
