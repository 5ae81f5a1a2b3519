"""Statistics for result sets, from statsmodels and scipy.

The unit of analysis is the run (one ovlbench invocation); with two or
more boots on each side of a comparison between result sets, it is the boot
mean (see compare_units). Nothing here treats the per-second or per-iteration
samples of one run as independent: harness/analysis/samples.py has already
reduced them to one value per run.

- decide(): the gate's test of one measure. Welch t-tests (statsmodels)
  on log values, i.e. on the ratio of geometric means, or on raw values
  where zeros occur: one-sided p that the candidate is worse, one-sided p
  that it is better, TOST p of equivalence within the margin, and the CI
  of the change. Exact counts are compared against a tolerance instead.
- holm(): family-wise adjustment (statsmodels multipletests).
- estimate(), compare(), difference(): medians, ratios and differences
  of medians with percentile bootstrap CIs (scipy) for tables and plots.
- noise(), reps_needed(): A/A spread and the power calculation
  (statsmodels TTestIndPower).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, replace

import numpy as np
from scipy import stats as sps
from statsmodels.stats import multitest, power, weightstats

CONFIDENCE = 0.95
RESAMPLES = 2000
# Fewer units than this on a side: a variance from 1 degree of freedom
# says nothing, so the measure is reported as not gateable.
MIN_UNITS = 3

REGRESSION, IMPROVED = "regression", "improved"
EQUIVALENT, INCONCLUSIVE = "equivalent", "inconclusive"
NOT_GATEABLE = "not gateable"


@dataclass(frozen=True)
class Estimate:
    median: float
    lo: float
    hi: float
    n: int
    stddev: float


@dataclass(frozen=True)
class Comparison:
    ratio: float        # median(cand) / median(base)
    lo: float
    hi: float
    n_base: int
    n_cand: int

    @property
    def change(self) -> float:
        """Relative change of the median, cand vs base (0.05 = +5%)."""
        return self.ratio - 1.0


@dataclass(frozen=True)
class Test:
    """One measure, base vs candidate, before family adjustment.

    scale 'log': diff, lo, hi are log(cand/base) (ratio of geometric
    means) and margin is log(1 + threshold); 'abs': differences in the
    metric's unit; 'exact': difference of the run medians."""
    scale: str
    unit: str           # 'run' or 'boot' (boot means)
    n_base: int
    n_cand: int
    base_center: float  # geometric mean, mean or median (exact)
    cand_center: float
    diff: float
    lo: float
    hi: float
    margin: float
    worse_sign: int     # +1: a rise is worse (lower is better)
    p_worse: float | None = None
    p_better: float | None = None
    p_equiv: float | None = None

    @property
    def worse(self) -> float:
        """The change in the bad direction (negative: better)."""
        return self.worse_sign * self.diff

    def relative(self, x: float) -> float | None:
        """A difference on this test's scale (diff, lo, hi) as a relative
        change of the base (0.05 = +5%)."""
        if self.scale == "log":
            return math.expm1(x)
        return x / self.base_center if self.base_center else None

    @property
    def gateable(self) -> bool:
        if self.scale == "exact":
            return self.n_base >= 1 and self.n_cand >= 1
        return self.n_base >= MIN_UNITS and self.n_cand >= MIN_UNITS


def _rng(seed: int | None) -> np.random.Generator:
    return np.random.default_rng(seed)


def estimate(samples, confidence: float = CONFIDENCE,
             seed: int | None = 0) -> Estimate:
    """Median and its percentile bootstrap CI."""
    x = np.asarray(samples, dtype=float)
    if x.size == 0:
        raise ValueError("no samples")
    med = float(np.median(x))
    sd = float(np.std(x, ddof=1)) if x.size > 1 else 0.0
    if x.size < 2 or np.ptp(x) == 0:
        return Estimate(med, med, med, int(x.size), sd)
    res = sps.bootstrap((x,), np.median, confidence_level=confidence,
                        n_resamples=RESAMPLES, method="percentile",
                        random_state=_rng(seed))
    ci = res.confidence_interval
    return Estimate(med, float(ci.low), float(ci.high), int(x.size), sd)


def _median_ratio(b, c, axis=-1):
    return np.median(c, axis=axis) / np.median(b, axis=axis)


def compare(base, cand, confidence: float = CONFIDENCE,
            seed: int | None = 0) -> Comparison:
    """Ratio of medians cand/base with its bootstrap CI. The base must be
    positive: a resampled base median of 0 has no ratio."""
    b = np.asarray(base, dtype=float)
    c = np.asarray(cand, dtype=float)
    if b.size == 0 or c.size == 0:
        raise ValueError("no samples")
    if np.min(b) <= 0:
        raise ValueError("ratio of medians needs positive base values")
    ratio = float(np.median(c) / np.median(b))
    if b.size < 2 or c.size < 2 or (np.ptp(b) == 0 and np.ptp(c) == 0):
        lo = hi = ratio
    else:
        res = sps.bootstrap((b, c), _median_ratio, vectorized=True,
                            paired=False, confidence_level=confidence,
                            n_resamples=RESAMPLES, method="percentile",
                            random_state=_rng(seed))
        lo = float(res.confidence_interval.low)
        hi = float(res.confidence_interval.high)
    return Comparison(ratio, lo, hi, int(b.size), int(c.size))


@dataclass(frozen=True)
class Difference:
    diff: float         # median(cand) - median(base)
    lo: float
    hi: float

    @property
    def spans_zero(self) -> bool:
        """The CI holds 0 and more: undecided (a CI that is the point 0,
        no spread on either side, is a known 0)."""
        return self.lo <= 0 <= self.hi and self.lo < self.hi


def _median_diff(b, c, axis=-1):
    return np.median(c, axis=axis) - np.median(b, axis=axis)


def difference(base, cand, confidence: float = CONFIDENCE,
               seed: int | None = 0) -> Difference:
    """Difference of medians cand - base with its percentile bootstrap
    CI, for quantities whose base may be 0 (no ratio)."""
    b = np.asarray(base, dtype=float)
    c = np.asarray(cand, dtype=float)
    if b.size == 0 or c.size == 0:
        raise ValueError("no samples")
    diff = float(np.median(c) - np.median(b))
    if np.ptp(b) == 0 and np.ptp(c) == 0:
        return Difference(diff, diff, diff)
    if b.size < 2 or c.size < 2:
        # one run on a side: no resample tells its spread
        return Difference(diff, -math.inf, math.inf)
    res = sps.bootstrap((b, c), _median_diff, vectorized=True,
                        paired=False, confidence_level=confidence,
                        n_resamples=RESAMPLES, method="percentile",
                        random_state=_rng(seed))
    return Difference(diff, float(res.confidence_interval.low),
                      float(res.confidence_interval.high))


def boot_means(values, boots) -> np.ndarray:
    """Mean of each boot's values, boots in order of first appearance."""
    v = np.asarray(values, dtype=float)
    b = np.asarray(boots)
    return np.array([v[b == k].mean() for k in dict.fromkeys(boots)])


def decide(base, cand, direction: str, rel: float, abs_: float = 0.0,
           exact: bool = False, base_boots=None, cand_boots=None,
           confidence: float = CONFIDENCE) -> Test:
    """The evidence on one measure (see Test); p-values are raw.

    base_boots/cand_boots, when given (two or more boots on each side of
    a comparison between different sets), make the unit the boot mean:
    runs of one boot share its state, so they are not independent
    replicates of a kernel."""
    b = np.asarray(base, dtype=float)
    c = np.asarray(cand, dtype=float)
    sign = 1 if direction == "lower" else -1
    if exact:
        bm, cm = float(np.median(b)), float(np.median(c))
        margin = max(rel * abs(bm), abs_)
        return Test("exact", "run", b.size, c.size, bm, cm, cm - bm,
                    cm - bm, cm - bm, margin, sign)
    log = bool(np.all(b > 0) and np.all(c > 0)) and (
        abs_ == 0 or rel * float(np.exp(np.mean(np.log(b)))) >= abs_)
    tb, tc = (np.log(b), np.log(c)) if log else (b, c)
    unit = "run"
    if base_boots is not None and cand_boots is not None:
        tb, tc = boot_means(tb, base_boots), boot_means(tc, cand_boots)
        unit = "boot"
    if log:
        center_b, center_c = math.exp(tb.mean()), math.exp(tc.mean())
        margin = math.log1p(rel)
    else:
        center_b, center_c = float(tb.mean()), float(tc.mean())
        margin = max(rel * abs(center_b), abs_)
    diff = float(tc.mean() - tb.mean())
    t = Test("log" if log else "abs", unit, tb.size, tc.size, center_b,
             center_c, diff, diff, diff, margin, sign)
    if not t.gateable:
        return t
    if np.ptp(tb) == 0 and np.ptp(tc) == 0:
        # No spread on either side: the difference is known exactly.
        w = sign * diff
        return replace(t, p_worse=float(w <= 0), p_better=float(w >= 0),
                       p_equiv=float(abs(diff) >= margin))
    alpha = 1 - confidence
    worse_alt = "larger" if sign > 0 else "smaller"
    better_alt = "smaller" if sign > 0 else "larger"
    p_worse = weightstats.ttest_ind(tc, tb, alternative=worse_alt,
                                    usevar="unequal")[1]
    p_better = weightstats.ttest_ind(tc, tb, alternative=better_alt,
                                     usevar="unequal")[1]
    p_equiv = weightstats.ttost_ind(tc, tb, -margin, margin,
                                    usevar="unequal")[0]
    lo, hi = weightstats.CompareMeans.from_data(tc, tb).tconfint_diff(
        alpha=alpha, usevar="unequal")
    return replace(t, lo=float(lo), hi=float(hi), p_worse=float(p_worse),
                   p_better=float(p_better), p_equiv=float(p_equiv))


def holm(pvalues) -> list[float]:
    """Holm-adjusted p-values (family-wise error rate)."""
    p = list(pvalues)
    if not p:
        return []
    return [float(x) for x in multitest.multipletests(p, method="holm")[1]]


def outcome(t: Test, p_worse_adj: float | None, p_better_adj: float | None,
            confidence: float = CONFIDENCE) -> str:
    """Regression: significantly worse than no change (one-sided,
    family-adjusted) and the estimate worse than the margin. Improved:
    the mirror image. Equivalent: TOST within the margin (each measure
    at alpha: all must hold for a pass, so no adjustment is needed).
    Inconclusive: anything else."""
    if not t.gateable:
        return NOT_GATEABLE
    if t.scale == "exact":
        if t.worse > t.margin:
            return REGRESSION
        if -t.worse > t.margin:
            return IMPROVED
        return EQUIVALENT
    alpha = 1 - confidence
    if p_worse_adj is not None and p_worse_adj < alpha \
            and t.worse > t.margin:
        return REGRESSION
    if p_better_adj is not None and p_better_adj < alpha \
            and -t.worse > t.margin:
        return IMPROVED
    if t.p_equiv is not None and t.p_equiv < alpha:
        return EQUIVALENT
    return INCONCLUSIVE


def noise(groups) -> float:
    """Relative run-to-run noise from A/A groups (a mode and its #aa
    copy): the pooled standard deviation of log values around each
    group's own mean. 0 when there is no spread or too few runs."""
    xs = [np.log(np.asarray(g, dtype=float)) for g in groups if len(g)]
    if not xs or any(np.any(~np.isfinite(x)) for x in xs):
        return 0.0
    dof = sum(x.size - 1 for x in xs)
    if dof <= 0:
        return 0.0
    ss = sum(float(np.sum((x - x.mean()) ** 2)) for x in xs)
    return math.sqrt(ss / dof)


def reps_needed(rel_noise: float, rel_change: float, alpha: float = 0.05,
                target_power: float = 0.8, max_n: int = 10000) -> int:
    """Runs per side for a one-sided two-sample t-test (the gate's test)
    to detect rel_change at this noise (a log-scale sd)."""
    if rel_change <= 0:
        raise ValueError("rel_change must be > 0")
    if rel_noise <= 0:
        return 2
    effect = math.log1p(rel_change) / rel_noise
    if effect > 8:
        # 2 runs a side already have power > 0.8 here; and Boost's
        # noncentral t aborts the process (not an exception) on far
        # larger noncentralities, as icount's 0.01% noise gives.
        return 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        n = power.TTestIndPower().solve_power(
            effect_size=effect, alpha=alpha, power=target_power,
            alternative="larger")
    n = float(np.ravel(n)[0])
    if not math.isfinite(n):
        return max_n
    return int(min(max_n, max(2, math.ceil(n))))
