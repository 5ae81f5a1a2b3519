"""Trends and change points over a directory of result sets.

    python3 -m harness.output.history DIR [--order FILE] [--out OUTDIR]
        [--metrics REGEX] [--alpha A] [--min-size N] [--permutations R]
        [--seed S]

The sets are DIR's subdirectories holding a manifest.json; sets that are
not complete are left out (a line on stderr says which). They are put
in order of their manifest's "created" time, or, with --order FILE, of
FILE's lines: one kernel id a line (a git commit, or the manifest's
kernel source_id; a prefix of 7 or more characters will do; blank lines
and # comments are skipped), sets of one id in time order. A set whose
commit and source id are on no line is refused (exit 2).

The measures are the last set's plan's [gate] metrics (--metrics REGEX
instead, as in the gate), every variant. For each, OUTDIR (default
DIR/history) gets METRIC.png and .svg: each variant's median per set
with its 95% CI, and dashed lines at its change points. A change point
is found by E-divisive means over the sets' medians (harness/
changepoint.py: permutation test at --alpha, default 0.05; at least
--min-size sets, default 3, on each side; --permutations 199; --seed 0),
and printed as

    METRIC [VARIANT]: step of -10.0% (worse) between set A and set B
        (p=0.005)

(one line), with the change of the mean of the sets between this change
point and its neighbours, A the last set before it and B the first
after. Exit 0 (the change points are information: the gate decides
regressions), 2 bad input.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from harness import cli, errors, metrics
from harness.analysis import changepoint, gate, resultset, stats
from harness.output.export import rows as rowmod

PROG = "mntbench-history"
MIN_PREFIX = 7      # characters of a commit or source id in --order


@dataclass
class Trend:
    """One measure of one variant across the ordered sets."""
    measure: metrics.Measure
    variant: str
    unit: str
    direction: str
    at: list[int]                   # positions of the sets that have it
    estimates: list[stats.Estimate]
    changes: list[changepoint.ChangePoint]

    @property
    def name(self) -> str:
        return f"{self.measure} [{self.variant}]"

    @property
    def medians(self) -> np.ndarray:
        return np.array([e.median for e in self.estimates])


def find_sets(d: Path) -> tuple[list[resultset.ResultSet], list[str]]:
    """The complete sets in d, and a note on each set left out."""
    if not d.is_dir():
        raise errors.InputError(f"DIR {d}: no such directory")
    out, notes = [], []
    for sub in sorted(p for p in d.iterdir() if p.is_dir()):
        if not (sub / "manifest.json").is_file():
            continue
        rs = resultset.load(sub)
        if rs.status != "complete":
            notes.append(f"{PROG}: left out {sub.name}: {rs.status}")
            continue
        out.append(rs)
    if not out:
        raise errors.InputError(
            f"DIR {d}: no complete result set (a directory with "
            "manifest.json) in it")
    return out, notes


def set_ids(rs: resultset.ResultSet) -> list[str]:
    return [i for i in (rowmod.commit(rs), rowmod.source_id(rs)) if i]


def _matches(line: str, ids: list[str]) -> bool:
    return any(line == i or (len(line) >= MIN_PREFIX and i.startswith(line))
               for i in ids)


def read_order(f: Path) -> list[str]:
    try:
        text = f.read_text()
    except OSError as e:
        raise errors.InputError(
            f"--order {f}: {e.strerror or e}") from None
    lines = [ln.split("#", 1)[0].strip() for ln in text.splitlines()]
    return [ln for ln in lines if ln]


def order(sets: list[resultset.ResultSet],
          lines: list[str] | None, where: str = "") -> list:
    """The sets by time, or by the first of lines naming their kernel."""
    def when(rs):
        return (rowmod.created(rs), rs.path.name)
    if lines is None:
        return sorted(sets, key=when)
    rank = {}
    for rs in sets:
        ids = set_ids(rs)
        pos = next((i for i, ln in enumerate(lines) if _matches(ln, ids)),
                   None)
        if pos is None:
            raise errors.InputError(
                f"--order {where}: set {rs.path.name} (kernel "
                f"{', '.join(i[:12] for i in ids) or 'without an id'}) "
                "is on no line; allowed: its commit or kernel source id, "
                f"or a prefix of {MIN_PREFIX}+ characters")
        rank[rs.path.name] = pos
    return sorted(sets, key=lambda rs: (rank[rs.path.name], when(rs)))


def trends(sets: list[resultset.ResultSet], select: str | None,
           alpha: float, min_size: int, permutations: int,
           seed: int) -> list[Trend]:
    fam = gate.family(sets[-1], gate.Options(select=select))
    by_key: dict[tuple, Trend] = {}
    for pos, rs in enumerate(sets):
        for (m, v), s in sorted(rs.series.items()):
            if not any(p.search(str(m)) for p in fam):
                continue
            t = by_key.get((m, v))
            if t is None:
                t = by_key[(m, v)] = Trend(m, v, s.unit,
                                           rowmod.direction(s), [], [], [])
            t.at.append(pos)
            t.estimates.append(stats.estimate(s.values))
    if not by_key:
        raise errors.InputError(
            "no gated measure in these sets (patterns: "
            f"{', '.join(p.pattern for p in fam)})")
    out = [by_key[k] for k in sorted(by_key)]
    for t in out:
        t.changes = changepoint.detect(t.medians, alpha, min_size,
                                       permutations, seed)
    return out


def step(t: Trend, c: changepoint.ChangePoint) -> tuple[float, bool]:
    """(relative change of the mean, worse?) at c, between the segments
    its neighbouring change points bound."""
    cuts = [0, *(x.index for x in t.changes), len(t.at)]
    i = cuts.index(c.index)
    x = t.medians
    before, after = x[cuts[i - 1]:c.index].mean(), \
        x[c.index:cuts[i + 1]].mean()
    rel = after / before - 1 if before else float("inf")
    worse = (after < before) if t.direction == metrics.HIGHER \
        else (after > before)
    return rel, worse


def lines(t: Trend, sets: list[resultset.ResultSet]) -> list[str]:
    out = []
    for c in t.changes:
        rel, worse = step(t, c)
        a = sets[t.at[c.index - 1]].path.name
        b = sets[t.at[c.index]].path.name
        out.append(f"{t.name}: step of {100 * rel:+.1f}% "
                   f"({'worse' if worse else 'better'}) between set {a} "
                   f"and set {b} (p={c.p:.3g})")
    return out


def file_name(m: metrics.Measure) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", str(m))


def plot(ts: list[Trend], sets: list[resultset.ResultSet],
         out: Path) -> list[str]:
    """One PNG and SVG per measure; the names written."""
    from harness.output import plots
    plt = plots.plt
    made = []
    for m in sorted({t.measure for t in ts}):
        fig, ax = plt.subplots(figsize=(7.2, 4.2))
        for t in (t for t in ts if t.measure == m):
            med = t.medians
            lo = med - np.array([e.lo for e in t.estimates])
            hi = np.array([e.hi for e in t.estimates]) - med
            line = ax.errorbar(t.at, med, yerr=[lo, hi], marker="o",
                               capsize=3, label=t.variant)
            for c in t.changes:
                ax.axvline((t.at[c.index - 1] + t.at[c.index]) / 2,
                           color=line[0].get_color(), ls="--", lw=1)
        names = [rs.path.name for rs in sets]
        every = max(1, len(names) // 20)
        ax.set_xticks(range(0, len(names), every),
                      names[::every], rotation=30, ha="right",
                      fontsize=7)
        unit = next(t.unit for t in ts if t.measure == m)
        plots.finish(fig, ax, out, file_name(m), str(m), "result set",
                     f"{unit} (median, {100 * stats.CONFIDENCE:g}% CI)")
        made.append(file_name(m))
    return made


def run(args) -> int:
    if not 0 < args.alpha < 1:
        raise errors.InputError(
            f"--alpha={args.alpha}: allowed: a number in (0, 1)")
    if args.min_size < 2:
        raise errors.InputError(
            f"--min-size={args.min_size}: allowed: an integer >= 2")
    if args.permutations < 1:
        raise errors.InputError(
            f"--permutations={args.permutations}: allowed: an integer "
            ">= 1")
    sets, notes = find_sets(args.dir)
    lines_ = read_order(args.order) if args.order is not None else None
    sets = order(sets, lines_, str(args.order))
    ts = trends(sets, args.metrics, args.alpha, args.min_size,
                args.permutations, args.seed)
    out = args.out if args.out is not None else args.dir / "history"
    try:
        out.mkdir(parents=True, exist_ok=True)
        made = plot(ts, sets, out)
    except OSError as e:
        raise errors.InputError(
            f"--out {out}: cannot write: {e.strerror or e}") from e
    found = [ln for t in ts for ln in lines(t, sets)]
    # after the work: an error stays one line
    for n in notes:
        print(n, file=sys.stderr)
    print("\n".join(found) if found else "history: no change point")
    print(f"history: {len(sets)} sets, {len(ts)} series of {len(made)} "
          f"gated measures, {len(found)} change point(s) (E-divisive, "
          f"alpha {args.alpha:g}, min size {args.min_size}, "
          f"{args.permutations} permutations, seed {args.seed}); "
          f"plots in {out}")
    return 0


def _options(ap: cli.Parser) -> None:
    ap.add_argument("dir", type=Path, metavar="DIR",
                    help="directory of result sets")
    ap.add_argument("--order", type=Path, metavar="FILE",
                    help="kernel ids (commit or source id), one a line, "
                    "oldest first; default: the sets' created times")
    ap.add_argument("--out", type=Path, metavar="OUTDIR",
                    help="where the plots go (default DIR/history)")
    ap.add_argument("--metrics", metavar="REGEX",
                    help="measures to follow instead of the plan's [gate] "
                    "metrics")
    ap.add_argument("--alpha", type=float, default=changepoint.ALPHA)
    ap.add_argument("--min-size", type=int, default=changepoint.MIN_SIZE)
    ap.add_argument("--permutations", type=int,
                    default=changepoint.PERMUTATIONS)
    ap.add_argument("--seed", type=int, default=changepoint.SEED)


def main(argv: list[str] | None = None) -> int:
    return cli.command(PROG, __doc__, _options, run, argv)


if __name__ == "__main__":
    sys.exit(main())
