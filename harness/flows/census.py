"""make census: which mounts take mntput()'s slow path, by filesystem type
and mount state, on every census workload.

    python3 -m harness.flows.census [--ksrc TREE] [--patches P] [--cpus N]
        [--accel A] [--seed S] [--out DIR]

Runs the census plan (harness/plans/census.toml) as `make bench` runs a plan,
in one boot of the kernel, and prints its report, whose census table is the
answer (the table alone after a failed run). Exit status: harness.flows.bench's
(0, 1 incomplete set, 2 bad input, 3 build failed, 124/125 the guest, 130
interrupted).
"""

from __future__ import annotations

import argparse
import socket
import sys
import time
from pathlib import Path

from harness import errors
from harness.analysis import resultset
from harness.flows import bench as run
from harness.output.sections import census as census_out
from harness.paths import REPO

PLAN = "census"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    ap = argparse.ArgumentParser(
        prog="mntbench-census", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path,
                    help="set directory (default results/census-<ts>-<host>)")
    args, rest = ap.parse_known_args(argv)
    if "--profile" in rest or "--resume" in rest:
        print("mntbench-census: error: --profile/--resume: not allowed "
              "(the census plan is fixed; make bench PROFILE=census "
              "resumes)", file=sys.stderr)
        return errors.InputError.exit_code
    out = args.out or REPO / "results" / (
        f"census-{time.strftime('%Y%m%d-%H%M%S')}-{socket.gethostname()}")
    rc = run.main(["--profile", PLAN, "--out", str(out), *rest])
    # a finished run printed its report, the table in it; after a failed
    # or interrupted one, what it has
    if rc != 0 and (out / "samples.json").is_file():
        try:
            lines = census_out.table(resultset.load(out))
        except errors.InputError as e:
            print(f"mntbench-census: {e}", file=sys.stderr)
            return rc or e.exit_code
        print("\n".join(lines) if lines else
              "census: no census point finished", flush=True)
    return rc


if __name__ == "__main__":
    sys.exit(main())
