"""The exit statuses of `./mntbench TARGET` and `python3 -m harness.<cmd>`,
in one table.

./mntbench --explain TARGET STATUS prints meaning(); harness/errors.py's
exception classes take their codes from here; the table of
docs/variables-and-exit-statuses.md ("Exit statuses") is doc_rows(),
which harness/tests/test_docs.py checks and `python3 -m harness.exitstatus`
prints.

Standard library only, and nothing of the harness: ./mntbench and the
guest runner read it.
"""

from __future__ import annotations

import argparse
import sys

SUCCESS = 0
FAILED = 1          # a target's own "no": incomplete set, regression, style
BAD_INPUT = 2
BUILD_FAILED = 3
TIME_LIMIT = 124
VM_FAILURE = 125    # git bisect run: skip
INTERRUPTED = 130

# What a status means for every target that does not say otherwise:
# (the one line ./mntbench --explain prints, what the docs' table adds)
COMMON = {
    SUCCESS: ("success", ""),
    BAD_INPUT: ("bad input", ": a value that is not allowed (a bad number "
                "is refused before anything is built), a missing file, an "
                "output directory that cannot be written (tried before the "
                "build), a `--resume` whose kernel is not the set's, a set "
                "another run is using"),
    BUILD_FAILED: ("build failed", ": a kernel or a tool (a tree whose "
                   "version has no series, without `PATCHES=`)"),
    TIME_LIMIT: ("the guest outlived its time limit and was killed", ""),
    VM_FAILURE: ("the VM could not run, or stopped without an exit status",
                 " (panic)"),
    INTERRUPTED: ("interrupted", ""),
}

INCOMPLETE_SET = ("the set is incomplete (failed points, or its disk filled "
                  "up: one line says so; the finished points are kept)")
INCONCLUSIVE = "inconclusive: some gated measure was not decided"
CANNOT_TEST = ("cannot test: a kernel did not build or a set was not "
               "produced (git bisect run skips)")
# Each target's own meanings, over COMMON's
TARGETS = {
    "bench": {FAILED: INCOMPLETE_SET},
    "census": {FAILED: INCOMPLETE_SET},
    "coherence": {FAILED: INCOMPLETE_SET},
    "gate": {SUCCESS: "pass", FAILED: "regression",
             BUILD_FAILED: INCONCLUSIVE,
             VM_FAILURE: "a set could not be produced"},
    "ab": {SUCCESS: "pass", FAILED: "regression", BUILD_FAILED: INCONCLUSIVE,
           VM_FAILURE: CANNOT_TEST},
    "bisect": {SUCCESS: "the first bad commit is named",
               BUILD_FAILED: "no first bad commit: every step was skipped, "
               "or BAD is not a regression from GOOD",
               VM_FAILURE: "GOOD's set could not be produced"},
    "calibrate": {VM_FAILURE: CANNOT_TEST},
    "export": {FAILED: "a set is incomplete or failed (nothing written)"},
    "report": {FAILED: "plots failed (one line says why; report.txt, "
               "report.md and summary.json are written)"},
    "checkpatch": {FAILED: "style errors or warnings (checkpatch lists "
                   "them)"},
}
# The guest command's own status passes through, whatever it is, when
# the guest ran it to its end (harness/kernel/vm.py VMResult)
PASS_THROUGH = {"vm": "the guest command's exit status"}
SIGNAL = 128        # 128+N: killed by signal N


def meaning(target: str, status: int) -> str:
    """What status means for target, in one line."""
    if target in PASS_THROUGH and status != SUCCESS:
        own = PASS_THROUGH[target]
        return f"{COMMON[status][0]}, or {own}" if status in COMMON else own
    m = TARGETS.get(target, {}).get(status)
    if m is None and status in COMMON:
        m = COMMON[status][0]
    if m is None and status > SIGNAL:
        return f"killed by signal {status - SIGNAL}"
    return m or "not a documented status"


def doc_rows() -> list[tuple[str, str]]:
    """(status, meaning) of each row of the docs' table, Markdown."""
    rows = [(f"{SUCCESS}..255", "; ".join(
        f"`{t}`: {own}, when it ran to its end (124 and 125 from the "
        "command are named as such)" for t, own in PASS_THROUGH.items()))]
    for status in sorted({*COMMON, *(s for m in TARGETS.values()
                                     for s in m)}):
        parts = ["".join(COMMON[status])] if status in COMMON else []
        groups: dict[str, list[str]] = {}
        for t, own in TARGETS.items():
            if status in own:
                groups.setdefault(own[status], []).append(f"`{t}`")
        parts += [f"{', '.join(ts)}: {m}" for m, ts in groups.items()]
        rows.append((str(status), "; ".join(parts)))
    rows.append((f"{SIGNAL}+N", f"killed by signal N (any status above "
                 f"{SIGNAL} that no row names)"))
    return rows


def markdown() -> str:
    return "\n".join(["| status | meaning |", "| --- | --- |",
                      *(f"| {s} | {m} |" for s, m in doc_rows())])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="mntbench-exitstatus", description="Print the table of exit "
        "statuses as docs/variables-and-exit-statuses.md holds it.")
    ap.parse_args(argv)
    print(markdown())
    return 0


if __name__ == "__main__":
    sys.exit(main())
