"""Statistics for result sets, from scipy: medians with bootstrap CIs,
ratios of medians with their CI, Mann-Whitney U, noise floor, power."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy import stats

CONFIDENCE = 0.95
RESAMPLES = 2000


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
    p_value: float      # two-sided Mann-Whitney U
    n_base: int
    n_cand: int

    @property
    def change(self) -> float:
        """Relative change of the median, cand vs base (0.05 = +5%)."""
        return self.ratio - 1.0


def _rng(seed: int | None) -> np.random.Generator:
    return np.random.default_rng(seed)


def estimate(samples, confidence: float = CONFIDENCE,
             seed: int | None = 0) -> Estimate:
    """Median and its bootstrap CI (BCa where it is defined)."""
    x = np.asarray(samples, dtype=float)
    if x.size == 0:
        raise ValueError("no samples")
    med = float(np.median(x))
    sd = float(np.std(x, ddof=1)) if x.size > 1 else 0.0
    if x.size < 2 or np.ptp(x) == 0:
        return Estimate(med, med, med, int(x.size), sd)
    res = stats.bootstrap((x,), np.median, confidence_level=confidence,
                          n_resamples=RESAMPLES, method="percentile",
                          random_state=_rng(seed))
    ci = res.confidence_interval
    return Estimate(med, float(ci.low), float(ci.high), int(x.size), sd)


def _median_ratio(b, c, axis=-1):
    return np.median(c, axis=axis) / np.median(b, axis=axis)


def compare(base, cand, confidence: float = CONFIDENCE,
            seed: int | None = 0) -> Comparison:
    """Ratio of medians cand/base with its bootstrap CI, and the
    Mann-Whitney U p-value."""
    b = np.asarray(base, dtype=float)
    c = np.asarray(cand, dtype=float)
    if b.size == 0 or c.size == 0:
        raise ValueError("no samples")
    if np.median(b) == 0:
        raise ValueError("base median is zero: ratio undefined")
    ratio = float(np.median(c) / np.median(b))
    if b.size < 2 or c.size < 2 or (np.ptp(b) == 0 and np.ptp(c) == 0):
        lo = hi = ratio
    else:
        res = stats.bootstrap((b, c), _median_ratio, vectorized=True,
                              paired=False, confidence_level=confidence,
                              n_resamples=RESAMPLES, method="percentile",
                              random_state=_rng(seed))
        lo = float(res.confidence_interval.low)
        hi = float(res.confidence_interval.high)
    return Comparison(ratio, lo, hi, p_value(b, c), int(b.size),
                      int(c.size))


def p_value(base, cand) -> float:
    """Two-sided Mann-Whitney U p-value (1.0 when all samples are equal)."""
    b = np.asarray(base, dtype=float)
    c = np.asarray(cand, dtype=float)
    if np.ptp(np.concatenate([b, c])) == 0:
        return 1.0
    return float(stats.mannwhitneyu(b, c, alternative="two-sided").pvalue)


def holm(pvalues) -> list[float]:
    """Holm-Bonferroni adjusted p-values (step-down, family-wise error):
    a gate that calls a regression when any of m metrics moves must not
    take m chances at alpha.  (scipy 1.10 has no multiple-testing
    correction; false_discovery_control, from 1.11, controls the FDR.)"""
    p = np.asarray(pvalues, dtype=float)
    m = len(p)
    order = np.argsort(p)
    steps = np.minimum(1.0, (m - np.arange(m)) * p[order])
    adj = np.empty(m)
    adj[order] = np.maximum.accumulate(steps)
    return adj.tolist()


def noise_floor(groups) -> float:
    """Relative noise of a metric from A/A repetitions: the median absolute
    deviation of all groups' samples around their own medians, scaled to a
    standard deviation and divided by the overall median."""
    devs, meds = [], []
    for g in groups:
        x = np.asarray(g, dtype=float)
        if x.size:
            devs.append(x - np.median(x))
            meds.append(np.median(x))
    if not devs or np.median(meds) == 0:
        return 0.0
    mad = stats.median_abs_deviation(np.concatenate(devs), scale="normal")
    return float(mad / abs(np.median(meds)))


def reps_needed(rel_noise: float, rel_change: float, alpha: float = 0.05,
                power: float = 0.8, max_n: int = 10000) -> int:
    """Repetitions per side for a two-sided two-sample t-test to resolve
    rel_change at this relative noise, from the noncentral t distribution."""
    if rel_change <= 0:
        raise ValueError("rel_change must be > 0")
    if rel_noise <= 0:
        return 2
    d = rel_change / rel_noise
    for n in range(2, max_n + 1):
        df = 2 * n - 2
        tcrit = stats.t.ppf(1 - alpha / 2, df)
        nc = d * np.sqrt(n / 2)
        with warnings.catch_warnings():
            # Boost's nct warns on far tails; those terms are ~0 anyway.
            warnings.simplefilter("ignore", RuntimeWarning)
            achieved = np.nan_to_num(stats.nct.sf(tcrit, df, nc)) + \
                np.nan_to_num(stats.nct.cdf(-tcrit, df, nc))
        if achieved >= power:
            return n
    return max_n
