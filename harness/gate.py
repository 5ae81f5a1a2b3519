"""The regression gate: compare two result sets metric by metric.

    python3 -m harness.gate BASE[:VARIANT] CAND[:VARIANT] [options]

A metric regresses when its median moves the wrong way by more than the
threshold (default 2%), the bootstrap CI of the ratio of medians excludes 1
at the chosen confidence, and Mann-Whitney U agrees (p < 1 - confidence),
its p-value Holm-adjusted over all the metrics compared in one call. A
base median of 0 regresses on any significant rise. Exact counts (probe
hits per op) are gated on the threshold alone.

Exit: 0 pass, 1 regression, 2 bad input (missing or corrupt set, plans that
do not match, different hosts or accelerators without --force), 125 a set
could not be produced (failed or incomplete run; `git bisect run` skips).
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from harness import errors, resultset, stats

PASS, REGRESSION = 0, 1
SET_MISSING = 125


@dataclass
class Verdict:
    metric: str
    variant: str
    base: stats.Estimate
    cand: stats.Estimate
    cmp: stats.Comparison | None
    direction: str
    threshold: float
    regressed: bool
    improved: bool
    p_adjusted: float | None = None


def _split(arg: str) -> tuple[Path, str | None]:
    """'path:variant' -> (path, variant); a bare path has no variant."""
    if ":" in arg and not Path(arg).exists():
        path, variant = arg.rsplit(":", 1)
        return Path(path), variant or None
    return Path(arg), None


def _check_comparable(base: resultset.ResultSet, cand: resultset.ResultSet,
                      force: bool) -> None:
    if base.path.resolve() == cand.path.resolve():
        return
    for key in ("host_cpu", "accel", "vcpus"):
        b, c = base.manifest.get(key), cand.manifest.get(key)
        if b != c and not force:
            raise errors.InputError(
                f"{key} differs: base {b!r}, candidate {c!r} "
                "(use --force to compare anyway)")
    if base.manifest.get("plan_hash") != cand.manifest.get("plan_hash"):
        raise errors.InputError(
            "plans do not match: base "
            f"{base.manifest.get('plan_name')!r}, candidate "
            f"{cand.manifest.get('plan_name')!r}")


EXACT_FLOOR = 0.01     # exact counts per op: changes below this are 0


def judge_exact(base: list[float], cand: list[float], direction: str,
                threshold: float) -> tuple[None, bool, bool]:
    """Exact counts (probe hits per op) need no CI: any change beyond the
    threshold (relative, or EXACT_FLOOR from a base of 0) counts."""
    b, c = float(stats.np.median(base)), float(stats.np.median(cand))
    limit = max(abs(b) * threshold, EXACT_FLOOR)
    worse = c - b if direction == "lower" else b - c
    return None, worse > limit, -worse > limit


def judge(base: list[float], cand: list[float], direction: str,
          threshold: float, confidence: float, p: float) -> tuple[
              stats.Comparison | None, bool, bool]:
    """(comparison, regressed, improved) for one metric; p is its
    Mann-Whitney p-value, adjusted for the other metrics compared."""
    be, ce = stats.estimate(base), stats.estimate(cand)
    sig = p < 1 - confidence
    if be.median == 0:
        if ce.median == 0:
            return None, False, False
        worse = ce.median > 0 if direction == "lower" else ce.median < 0
        return None, worse and sig, (not worse) and sig
    c = stats.compare(base, cand, confidence=confidence)
    # Significant: the ratio's CI excludes 1 and Mann-Whitney agrees (the
    # percentile bootstrap alone runs narrow at 5-10 repetitions).
    if direction == "higher":
        regressed = sig and c.ratio < 1 - threshold and c.hi < 1
        improved = sig and c.ratio > 1 + threshold and c.lo > 1
    else:
        regressed = sig and c.ratio > 1 + threshold and c.lo > 1
        improved = sig and c.ratio < 1 - threshold and c.hi < 1
    return c, regressed, improved


def gate(base: resultset.ResultSet, cand: resultset.ResultSet,
         base_variant: str | None, cand_variant: str | None,
         threshold: float, per_metric: dict[str, float],
         confidence: float, select: str | None) -> list[Verdict]:
    pairs = _pairs(base, cand, base_variant, cand_variant, select)
    # one family: every non-exact comparison of this call
    raw = {i: stats.p_value(xs, ys)
           for i, (name, _, _, xs, ys) in enumerate(pairs)
           if not base.metrics[name].exact}
    adj = dict(zip(raw, stats.holm(list(raw.values()))))
    out = []
    for i, (name, bv, cv, xs, ys) in enumerate(pairs):
        bm = base.metrics[name]
        th = per_metric.get(name, threshold)
        if bm.exact:
            c, reg, imp = judge_exact(xs, ys, bm.direction, th)
        else:
            c, reg, imp = judge(xs, ys, bm.direction, th, confidence,
                                adj[i])
        label = bv if bv == cv else f"{bv}->{cv}"
        out.append(Verdict(name, label, stats.estimate(xs),
                           stats.estimate(ys), c, bm.direction, th,
                           reg, imp, adj.get(i)))
    return out


def _pairs(base: resultset.ResultSet, cand: resultset.ResultSet,
           base_variant: str | None, cand_variant: str | None,
           select: str | None) -> list[tuple]:
    """(metric, base variant, candidate variant, base samples, candidate
    samples) for every comparison the call asks for."""
    out = []
    pattern = re.compile(select) if select else None
    for name, bm in sorted(base.metrics.items()):
        cm = cand.metrics.get(name)
        if cm is None or (pattern and not pattern.search(name)):
            continue
        pairs = ([(base_variant, cand_variant or base_variant)]
                 if base_variant else
                 [(v, v) for v in sorted(bm.variants) if v in cm.variants])
        for bv, cv in pairs:
            if bv not in bm.variants or cv not in cm.variants:
                continue
            xs, ys = bm.variants[bv], cm.variants[cv]
            if xs and ys:
                out.append((name, bv, cv, xs, ys))
    return out


def format_verdicts(vs: list[Verdict]) -> str:
    lines = []
    for v in vs:
        if v.cmp is None and v.base.median:
            change = (f"{100 * (v.cand.median / v.base.median - 1):+7.2f}%"
                      " (exact count)")
        elif v.cmp is None:
            change = "   n/a (base 0)"
        else:
            change = (f"{100 * v.cmp.change:+7.2f}% "
                      f"[{100 * (v.cmp.lo - 1):+.2f}, "
                      f"{100 * (v.cmp.hi - 1):+.2f}] "
                      f"p={v.p_adjusted:.3g} (Holm)")
        tag = ("REGRESSION" if v.regressed
               else "improved" if v.improved else "ok")
        lines.append(f"{tag:10} {v.metric} [{v.variant}] "
                     f"{v.base.median:.4g} -> {v.cand.median:.4g} {change}")
    return "\n".join(lines)


def _per_metric(items: list[str]) -> dict[str, float]:
    out = {}
    for item in items:
        name, sep, pct = item.partition("=")
        try:
            out[name] = float(pct) / 100
        except ValueError:
            raise errors.InputError(
                f"--metric-threshold {item}: expected NAME=PERCENT") from None
        if not sep or out[name] < 0:
            raise errors.InputError(
                f"--metric-threshold {item}: expected NAME=PERCENT >= 0")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="mntbench-gate", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("base", help="result set, optionally :VARIANT (a mode)")
    ap.add_argument("cand", help="result set, optionally :VARIANT")
    ap.add_argument("--threshold", type=float, default=2.0,
                    help="percent change that counts (default 2)")
    ap.add_argument("--metric-threshold", action="append", default=[],
                    metavar="NAME=PCT", help="override for one metric")
    ap.add_argument("--confidence", type=float, default=0.95)
    ap.add_argument("--metrics", metavar="REGEX",
                    help="only metrics whose name matches")
    ap.add_argument("--force", action="store_true",
                    help="compare sets from different hosts/accelerators")
    args = ap.parse_args(argv)
    try:
        if not 0 < args.confidence < 1:
            raise errors.InputError(
                f"--confidence={args.confidence}: must be in (0, 1)")
        if args.threshold < 0:
            raise errors.InputError(
                f"--threshold={args.threshold}: must be >= 0")
        (bp, bv), (cp, cv) = _split(args.base), _split(args.cand)
        base, cand = resultset.load(bp), resultset.load(cp)
        for rs in (base, cand):
            if rs.status != "complete":
                print(f"mntbench-gate: result set {rs.path} is {rs.status}",
                      file=sys.stderr)
                return SET_MISSING
        _check_comparable(base, cand, args.force)
        vs = gate(base, cand, bv, cv, args.threshold / 100,
                  _per_metric(args.metric_threshold), args.confidence,
                  args.metrics)
        if not vs:
            raise errors.InputError("no metric in common to compare")
    except errors.MntbenchError as e:
        print(f"mntbench-gate: error: {e}", file=sys.stderr)
        return 2
    print(format_verdicts(vs))
    bad = [v for v in vs if v.regressed]
    print(f"gate: {len(vs)} compared, {len(bad)} regressed "
          f"(threshold {args.threshold:g}%, confidence {args.confidence:g})")
    return REGRESSION if bad else PASS


if __name__ == "__main__":
    sys.exit(main())
