"""Run-to-run spread of every run-valued series of a set: (max - min) /
median, the figure the README's Noise section quotes per clock.

    python3 -m harness.analysis.spread SET
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from harness import cli
from harness.analysis import resultset


def _print(sdir: Path) -> int:
    rs = resultset.load(sdir)
    for s in sorted(rs.select(), key=lambda s: (str(s.measure), s.variant)):
        x = np.asarray(s.values, dtype=float)
        med = float(np.median(x))
        if x.size > 1 and med != 0:
            print(f"{str(s.measure):40} {s.variant:22} runs {x.size:2}  "
                  f"median {med:11.1f} {s.unit:6} spread "
                  f"{100 * (x.max() - x.min()) / abs(med):.3f}%")
    return 0


def main(argv: list[str] | None = None) -> int:
    return cli.on_set("mntbench-spread", "Print (max - min) / median of "
                      "each series of a set.", _print, argv)


if __name__ == "__main__":
    sys.exit(main())
