"""The regression gate: compare two result sets measure by measure.

    python3 -m harness.analysis.gate BASE[:VARIANT] CAND[:VARIANT] [options]

The unit is the run (a run's value; for latency, each run's median and,
separately, its p90: measures METRIC:median and METRIC:p90). When both
sides come from different sets with two or more boots each, the unit is
the boot mean instead (runs of one boot are not independent replicates).

The family is the plan's [gate] metrics (regexes; --metrics overrides).
The patterns (these, --metrics, --allow-missing) are regular expressions
in re's syntax, matched as re.search would, but never by re: a plan comes
from the set's manifest, which may be hostile. They are held to a subset
(literals, ., [classes], \\d \\w \\s, groups, |, ? * + {n,m}, ^ $) and
matched in time linear in the name (harness/pattern.py); anything else is
refused in one line (exit 2).
Per measure in it, with threshold T (plan [gate] threshold, default 2%):
  regression    worse than no change, one-sided Welch t-test,
                Holm-adjusted over the family, p < 1 - confidence, and
                the estimate worse than T;
  improved      the same in the good direction;
  equivalent    TOST: the change is within +-T;
  inconclusive  anything else (too noisy to tell);
  not gateable  fewer than 3 units on a side.
A measure with a run the host disturbed (harness/run/monitor.py) is never
called a regression or equivalent: it is inconclusive.
Exact counts (probe hits per op) have no sampling error: their change is
compared with max(rel x base, abs), declared per quantity
(harness/metrics.py).

Exit: 0 pass (every measure equivalent or improved), 1 regression and
nothing else, 2 bad input (missing or corrupt set, bad values, plans or
metrics that do not match, different hosts or accelerators without
--force, any internal error), 3 inconclusive (no regression, but some
measure could not be decided), 125 a set could not be produced (failed or
incomplete run; `git bisect run` skips).
"""

from __future__ import annotations

import argparse
import math
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path

from harness import errors, kparams, metrics, pattern, setcheck
from harness.analysis import resultset, samples, stats
from harness.run import plan

PASS, REGRESSION, BAD_INPUT, INCONCLUSIVE = 0, 1, 2, 3
SET_MISSING = 125
DEFAULT_THRESHOLD = 2.0     # percent


@dataclass
class Verdict:
    measure: metrics.Measure
    base_variant: str
    cand_variant: str
    base: samples.Series
    cand: samples.Series
    test: stats.Test
    outcome: str
    p_worse_adj: float | None = None
    p_better_adj: float | None = None

    @property
    def variant(self) -> str:
        b, c = self.base_variant, self.cand_variant
        return b if b == c else f"{b}->{c}"


@dataclass
class Options:
    threshold: float | None = None          # fraction; None: the plan's
    per_metric: dict[str, float] | None = None
    confidence: float = stats.CONFIDENCE
    select: str | None = None               # regex overriding the plan
    allow_missing: list[str] | None = None  # regexes


def _split(arg: str) -> tuple[Path, str | None]:
    """'path:variant' -> (path, variant); a bare path has no variant."""
    if ":" in arg and not Path(arg).exists():
        path, variant = arg.rsplit(":", 1)
        return Path(path), variant or None
    return Path(arg), None


def check_comparable(base: resultset.ResultSet, cand: resultset.ResultSet,
                     force: bool) -> None:
    if base.path.resolve() == cand.path.resolve():
        return
    for key in ("host_cpu", "accel", "vcpus"):
        b, c = base.manifest.get(key), cand.manifest.get(key)
        if b != c and not force:
            raise errors.InputError(
                f"{key} differs: base {b!r}, candidate {c!r} "
                "(use --force to compare anyway)")
    bh, ch = (plan.doc_hash(rs.manifest.get("plan")) for rs in (base, cand))
    bp, cp = (rs.manifest.get("points_hash") for rs in (base, cand))
    if bh != ch or bp != cp:
        raise errors.InputError(
            f"plans do not match: base {base.manifest.get('plan_name')!r} "
            f"(plan {bh}, points {bp}), candidate "
            f"{cand.manifest.get('plan_name')!r} (plan {ch}, points {cp})")


def _check_meta(base: resultset.ResultSet,
                cand: resultset.ResultSet) -> None:
    """A metric means the same on both sides: unit, direction, exact."""
    if base is cand:    # the report's pairs of modes: nothing to compare
        return
    def meta(rs):
        return {r.metric: (r.unit, r.direction, r.exact) for r in rs.records}
    bm, cm = meta(base), meta(cand)
    for name in sorted(bm.keys() & cm.keys()):
        if bm[name] != cm[name]:
            b, c = bm[name], cm[name]
            raise errors.InputError(
                f"metric {name}: base has unit {b[0]!r}, direction {b[1]}, "
                f"exact {b[2]}; candidate has {c[0]!r}, {c[1]}, {c[2]}")


def _declared(rs: resultset.ResultSet):
    """The plan's [gate] metrics as the set's manifest has them
    (untrusted: any value), or None."""
    sec = rs.manifest.get("plan")
    sec = sec.get("gate") if isinstance(sec, dict) else None
    return sec.get("metrics") if isinstance(sec, dict) else None


def declares(rs: resultset.ResultSet) -> bool:
    """Whether the set's plan names gated measures at all."""
    return bool(_declared(rs))


def family(base: resultset.ResultSet,
           opts: Options) -> list[pattern.Matcher]:
    """The gated measures: --metrics, else the plan's [gate] metrics
    (the set's manifest: untrusted)."""
    if opts.select is not None:
        return [pattern.compile(opts.select, "--metrics")]
    where = f"{base.path}: manifest.json: plan.gate.metrics"
    declared = _declared(base)
    if not declared:
        raise errors.InputError(
            f"{base.path}: the plan declares no [gate] metrics; name the "
            "measures to gate with --metrics REGEX")
    if not isinstance(declared, list) or \
            len(declared) > pattern.MAX_PATTERNS:
        raise errors.InputError(
            f"{where}={setcheck.show(declared)}; allowed: a list of at "
            f"most {pattern.MAX_PATTERNS} regular expressions")
    return [pattern.compile(p, f"{where}: pattern") for p in declared]


def _pairs(base: resultset.ResultSet, cand: resultset.ResultSet,
           bv: str | None, cv: str | None, fam: list[pattern.Matcher],
           allow: list[pattern.Matcher]) -> list[tuple]:
    """(measure, base variant, cand variant) of every gated comparison."""
    same = base.path.resolve() == cand.path.resolve()
    for rs, v, side in ((base, bv, "base"), (cand, cv, "candidate")):
        if v is not None and v not in rs.variants:
            raise errors.InputError(
                f"{side} {rs.path}: no variant {v!r} (has: "
                f"{', '.join(rs.variants)})")
    def keys(rs, v):
        return {(m, w) for m, w in rs.series if v is None or w == v}
    keys_b, keys_c = keys(base, bv), keys(cand, cv)
    # measure -> (base variant, candidate variant): each variant with
    # itself, or the two named ones
    wanted = sorted({(m, w if bv is None else bv, w if bv is None else cv)
                     for m, w in keys_b | keys_c})
    out = []
    for m, vb, vc in wanted:
        if not any(p.search(str(m)) for p in fam):
            continue
        in_b, in_c = (m, vb) in keys_b, (m, vc) in keys_c
        if in_b and in_c:
            out.append((m, vb, vc))
        elif same and bv is not None:
            continue    # the plan ran this measure in one mode only
        elif not any(p.search(str(m)) for p in allow):
            side, rs, v = (("candidate", cand, vc) if in_b
                           else ("base", base, vb))
            raise errors.InputError(
                f"{m} [{v}]: missing in the {side} set ({rs.path}); name "
                "it with --allow-missing REGEX to compare without it")
    return out


def threshold_of(m: metrics.Measure, s: samples.Series, base_plan: dict,
                 opts: Options) -> tuple[float, float]:
    """(relative, absolute) margin of a measure."""
    per = opts.per_metric or {}
    q = metrics.QUANTITIES.get(s.quantity)
    for key in (str(m), m.metric):
        if key in per:
            return per[key], q.abs if q else 0.0
    if q is not None and q.rel is not None:
        return q.rel, q.abs
    if opts.threshold is not None:
        th = opts.threshold
    else:
        th = base_plan.get("gate", {}).get("threshold",
                                           DEFAULT_THRESHOLD) / 100
    return th, q.abs if q else 0.0


class NothingInCommon(errors.InputError):
    """The pair shares no gated measure (the report prints no marks)."""


def evaluate(base: resultset.ResultSet, cand: resultset.ResultSet,
             bv: str | None, cv: str | None, opts: Options) -> list[Verdict]:
    """Every gated measure's verdict, Holm-adjusted over the family."""
    _check_meta(base, cand)
    fam = family(base, opts)
    allow = [pattern.compile(p, "--allow-missing")
             for p in opts.allow_missing or []]
    pairs = _pairs(base, cand, bv, cv if cv is not None else bv, fam, allow)
    if not pairs:
        raise NothingInCommon(
            "no gated measure in common to compare (patterns: "
            f"{', '.join(p.pattern for p in fam)})")
    same = base.path.resolve() == cand.path.resolve()
    bplan = base.manifest.get("plan") or {}
    tests = []
    for m, vb, vc in pairs:
        sb, sc = base.series[(m, vb)], cand.series[(m, vc)]
        rel, abs_ = threshold_of(m, sb, bplan, opts)
        by_boot = (not same and len(set(sb.boots)) >= 2
                   and len(set(sc.boots)) >= 2)
        tests.append(stats.decide(
            sb.values, sc.values, sb.direction, rel, abs_, sb.exact,
            sb.boots if by_boot else None, sc.boots if by_boot else None,
            opts.confidence))
    # One family: the gated measures with a test (exact counts have none)
    tested = [i for i, t in enumerate(tests)
              if t.gateable and t.p_worse is not None]
    worse = dict(zip(tested, stats.holm([tests[i].p_worse
                                         for i in tested])))
    better = dict(zip(tested, stats.holm([tests[i].p_better
                                          for i in tested])))
    out = []
    for i, ((m, vb, vc), t) in enumerate(zip(pairs, tests)):
        sb, sc = base.series[(m, vb)], cand.series[(m, vc)]
        o = stats.outcome(t, worse.get(i), better.get(i), opts.confidence)
        if (sb.disturbed or sc.disturbed) and o != stats.NOT_GATEABLE:
            # the host, not the kernel, may have made the difference
            o = stats.INCONCLUSIVE
        out.append(Verdict(m, vb, vc, sb, sc, t, o, worse.get(i),
                           better.get(i)))
    return out


def fmt_num(x: float) -> str:
    if x == 0:
        return "0"
    if abs(x) >= 1e5 or abs(x) < 1e-2:
        return f"{x:.3g}"
    return f"{x:.4g}" if abs(x) < 100 else f"{x:.0f}"


def fmt_ratio(r: float) -> str:
    """A relative change; beyond x10 either way as a ratio."""
    if not math.isfinite(r) or r <= 0:
        return "n/a"
    if r >= 10 or r <= 0.1:
        return f"x{r:.3g}"
    return f"{100 * (r - 1):+.1f}%"


def fmt_change(t: stats.Test, unit: str) -> str:
    """The estimated change as text: a percentage, a ratio (x2078) where
    it is large, or an absolute difference where the base is 0."""
    if t.scale == "log":
        return fmt_ratio(math.exp(t.diff))
    if t.scale == "exact" and t.base_center > 0 and t.cand_center > 0:
        return fmt_ratio(t.cand_center / t.base_center)
    return f"{t.diff:+.3g} {unit}"


def _ci(t: stats.Test, unit: str) -> str:
    if t.scale == "log":
        return f"[{fmt_ratio(math.exp(t.lo))}, {fmt_ratio(math.exp(t.hi))}]"
    return f"[{t.lo:+.3g}, {t.hi:+.3g}] {unit}"


def why(v: Verdict) -> str:
    t = v.test
    n = f"{t.n_base}+{t.n_cand} {'boots' if t.unit == 'boot' else 'runs'}"
    nd = len(v.base.disturbed) + len(v.cand.disturbed)
    if nd:
        n += f", {nd} disturbed by the host: not decided"
    if v.outcome == stats.NOT_GATEABLE:
        return f"n={n}, needs {stats.MIN_UNITS} per side"
    if t.scale == "exact":
        return (f"exact count, tolerance {fmt_num(t.margin)} "
                f"{v.base.unit}, {n}")
    margin = (f"+-{100 * math.expm1(t.margin):.3g}%" if t.scale == "log"
              else f"+-{fmt_num(t.margin)} {v.base.unit}")
    # the p-value of the direction the estimate went
    p = v.p_worse_adj if t.worse > 0 else v.p_better_adj
    return (f"{_ci(t, v.base.unit)} p={p:.2g} (Holm, one-sided), TOST p="
            f"{t.p_equiv:.2g} for {margin}, {n}")


def format_verdicts(vs: list[Verdict]) -> str:
    lines = []
    for v in vs:
        tag = {stats.REGRESSION: "REGRESSION"}.get(v.outcome, v.outcome)
        lines.append(
            f"{tag:12} {v.measure} [{v.variant}] "
            f"{fmt_num(v.test.base_center)} -> "
            f"{fmt_num(v.test.cand_center)} {v.base.unit} "
            f"{fmt_change(v.test, v.base.unit)} {why(v)}")
    return "\n".join(lines)


def exit_status(vs: list[Verdict]) -> int:
    outcomes = {v.outcome for v in vs}
    if stats.REGRESSION in outcomes:
        return REGRESSION
    if outcomes & {stats.INCONCLUSIVE, stats.NOT_GATEABLE}:
        return INCONCLUSIVE
    return PASS


def _per_metric(items: list[str]) -> dict[str, float]:
    out = {}
    for item in items:
        name, sep, pct = item.partition("=")
        try:
            value = float(pct) / 100
        except ValueError:
            value = float("nan")
        if not sep or not name or not math.isfinite(value) or value < 0:
            raise errors.InputError(
                f"--metric-threshold {item}: expected NAME=PERCENT with "
                "PERCENT >= 0")
        out[name] = value
    return out


def _summary(vs: list[Verdict], opts: Options) -> list[str]:
    count = {o: sum(v.outcome == o for v in vs) for o in (
        stats.REGRESSION, stats.IMPROVED, stats.EQUIVALENT,
        stats.INCONCLUSIVE, stats.NOT_GATEABLE)}
    units = sorted({v.test.unit for v in vs if v.test.scale != "exact"})
    lines = [f"gate: {len(vs)} gated: " + ", ".join(
        f"{n} {o}" for o, n in count.items()) +
        f" (confidence {opts.confidence:g}, unit: "
        f"{'/'.join(units) or 'run'})"]
    undecided = [v for v in vs if v.outcome in (stats.INCONCLUSIVE,
                                                 stats.NOT_GATEABLE)]
    if undecided and not count[stats.REGRESSION]:
        lines.append("gate: inconclusive: " + "; ".join(
            f"{v.measure} [{v.variant}] ({v.outcome})" for v in undecided))
    return lines


def check_threshold(pct: float | None) -> None:
    """--threshold PCT, as the gate and `make ab` take it."""
    if pct is not None and not (math.isfinite(pct) and pct >= 0):
        raise errors.InputError(
            f"--threshold={pct}: allowed: a percentage >= 0")


def kernel_name(manifest: dict) -> str:
    """'Linux 6.1.192+ from linux-source-6.1.tar.xz, series-6.1': which
    kernel a set measured, for the gate's header."""
    k = manifest.get("kernel") or {}
    src = Path(str(k.get("ksrc") or "?")).name
    series = Path(str(k.get("patches"))).name if k.get("patches") \
        else "no patches"
    knobs = manifest.get("knobs") or {}
    extra = f", knobs {kparams.format_knobs(knobs)}" if knobs else ""
    return (f"Linux {k.get('release', '?')} from {src}, {series}, source "
            f"{str(k.get('source_id') or '?')[:12]}{extra}")


def _line(release: str) -> str:
    """'6.12' of '6.12.118+': the kernel line (series) of a release."""
    return ".".join(release.split(".")[:2])


def kernel_difference(base: dict, cand: dict) -> str | None:
    """One line when the two sets' kernels differ beyond the patch under
    test (a point release, another line, another config), else None.
    Not a failure: an A/B across kernels is asked for on purpose too."""
    bk, ck = (m.get("kernel") or {} for m in (base, cand))
    br, cr = str(bk.get("release", "?")), str(ck.get("release", "?"))
    what = []
    if br != cr:
        kind = "a point release" if _line(br) == _line(cr) \
            else "another kernel line"
        what.append(f"{kind}: {br} -> {cr}")
    bc, cc = bk.get("config_hash"), ck.get("config_hash")
    if bc and cc and bc != cc:
        what.append(f"config {bc[:12]} -> {cc[:12]}")
    if not what:
        return None
    return ("gate: warning: the kernels differ beyond the patch ("
            + "; ".join(what) + "): a change may be the kernel's")


def run(args) -> int:
    if not 0 < args.confidence < 1:
        raise errors.InputError(
            f"--confidence={args.confidence}: allowed: a number in (0, 1)")
    check_threshold(args.threshold)
    opts = Options(
        None if args.threshold is None else args.threshold / 100,
        _per_metric(args.metric_threshold), args.confidence, args.metrics,
        args.allow_missing)
    (bp, bv), (cp, cv) = _split(args.base), _split(args.cand)
    base, cand = resultset.load(bp), resultset.load(cp)
    for rs in (base, cand):
        if rs.status != "complete":
            print(f"mntbench-gate: result set {rs.path} is {rs.status}",
                  file=sys.stderr)
            return SET_MISSING
    check_comparable(base, cand, args.force)
    vs = evaluate(base, cand, bv, cv, opts)
    for side, rs in (("base", base), ("cand", cand)):
        print(f"gate: {side} {kernel_name(rs.manifest)}  ({rs.path})")
    warning = kernel_difference(base.manifest, cand.manifest)
    if warning:
        print(warning)
    print(format_verdicts(vs))
    print("\n".join(_summary(vs, opts)))
    if base.path.resolve() != cand.path.resolve() and any(
            v.test.unit == "run" and v.test.scale != "exact" for v in vs):
        print("gate: fewer than 2 boots on a side: runs are the unit, and "
              "boot-to-boot variation is not in the error bars")
    return exit_status(vs)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        prog="mntbench-gate", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("base", help="result set, optionally :VARIANT (a mode)")
    ap.add_argument("cand", help="result set, optionally :VARIANT")
    ap.add_argument("--threshold", type=float, metavar="PCT",
                    help="percent change that counts (default: the plan's "
                    "[gate] threshold, else 2)")
    ap.add_argument("--metric-threshold", action="append", default=[],
                    metavar="NAME=PCT", help="override for one measure")
    ap.add_argument("--confidence", type=float, default=stats.CONFIDENCE)
    ap.add_argument("--metrics", metavar="REGEX",
                    help="gate the measures matching REGEX instead of the "
                    "plan's [gate] metrics")
    ap.add_argument("--allow-missing", action="append", default=[],
                    metavar="REGEX", help="measures that may be missing "
                    "on one side")
    ap.add_argument("--force", action="store_true",
                    help="compare sets from different hosts/accelerators")
    ap.add_argument("--debug", action="store_true",
                    help="print the traceback of an internal error")
    args = ap.parse_args(argv)
    try:
        return run(args)
    except errors.MntbenchError as e:
        print(f"mntbench-gate: error: {e}", file=sys.stderr)
        return BAD_INPUT
    except Exception as e:  # never exit 1 ("regression") on a crash
        if args.debug:
            traceback.print_exc()
        print(f"mntbench-gate: error: internal: {type(e).__name__}: {e} "
              "(run with --debug for the traceback)", file=sys.stderr)
        return BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
