"""make -C bench test in two tiers; run from bench/ as make does.

    python3 tests/tiers.py quick    # make unit's: seconds
    python3 tests/tiers.py slow     # make test's, after unit

The slow tier is the tests that take a second or more each on a quiet
host (every workload run briefly in both modes, a stopped task's
deadline, timed sweeps, pairs of timed runs): the top Makefile's unit
stays under a minute. The two tiers are every test
`make -C bench test` runs, once each; a name in SLOW that no longer
names a test is an error, not a test quietly moved back.
"""

from __future__ import annotations

import sys
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent

# unittest ids, as discover names them from tests/
SLOW = frozenset({
    "test_ovlbench.TestWorkloads.test_workloads",
    "test_ovlbench.TestWorkloads.test_every_task_file_in_every_file_layer",
    "test_ovlbench.TestWorkloads.test_teardown_sweep",
    "test_ovlbench.TestWorkloads.test_pinning_round_robin",
    "test_ovlbench.TestCollateral.test_two_and_three_tasks",
    "test_ovlbench.TestCollateral.test_victims_alternate",
    "test_ovlbench.TestStoppedTask.test_killed_at_the_deadline",
    "test_ovlbench.TestStoppedTask.test_signal_while_waiting",
    "test_census_workloads.TestCounts.test_time_based",
})


def ids(suite: unittest.TestSuite) -> set[str]:
    out: set[str] = set()
    for t in suite:
        out |= ids(t) if isinstance(t, unittest.TestSuite) else {t.id()}
    return out


def tier(suite: unittest.TestSuite, slow: bool) -> unittest.TestSuite:
    """suite's tests of one tier, in its order and grouping (a class's
    set-up runs once)."""
    out = unittest.TestSuite()
    for t in suite:
        if isinstance(t, unittest.TestSuite):
            out.addTest(tier(t, slow))
        elif (t.id() in SLOW) == slow:
            out.addTest(t)
    return out


def main(argv: list[str]) -> int:
    if argv not in (["quick"], ["slow"]):
        print("usage: tiers.py quick|slow", file=sys.stderr)
        return 2
    suite = unittest.defaultTestLoader.discover(str(HERE))
    result = unittest.TextTestRunner(verbosity=2).run(
        tier(suite, argv == ["slow"]))
    gone = sorted(SLOW - ids(suite))
    if gone:
        print(f"tiers.py: SLOW names no test: {', '.join(gone)}",
              file=sys.stderr)
        return 1
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
