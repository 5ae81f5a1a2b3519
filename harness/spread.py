"""Run-to-run spread of every run-valued series of a set: (max - min) /
median, the figure the README's Noise section quotes per clock.

    python3 -m harness.spread SET
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from harness import errors, resultset


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="mntbench-spread",
        description="Print (max - min) / median of each series of a set.")
    ap.add_argument("set", type=Path)
    args = ap.parse_args(argv)
    try:
        rs = resultset.load(args.set)
    except errors.MntbenchError as e:
        print(f"mntbench-spread: error: {e}", file=sys.stderr)
        return e.exit_code
    for s in sorted(rs.select(), key=lambda s: (str(s.measure), s.variant)):
        x = np.asarray(s.values, dtype=float)
        med = float(np.median(x))
        if x.size < 2 or med == 0:
            continue
        print(f"{str(s.measure):40} {s.variant:22} runs {x.size:2}  "
              f"median {med:11.1f} {s.unit:6} spread "
              f"{100 * (x.max() - x.min()) / abs(med):.3f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main())
