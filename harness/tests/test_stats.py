"""Statistics helpers (harness/analysis/stats.py): host only, seeded."""

from __future__ import annotations

import math
import unittest

import numpy as np

from harness.analysis import stats


class StatsTest(unittest.TestCase):
    def test_holm_adjustment(self):
        # sorted 0.01, 0.03, 0.04 -> 3x, 2x, 1x, then running maximum
        self.assertEqual([round(x, 6) for x in
                          stats.holm([0.01, 0.04, 0.03])],
                         [0.03, 0.06, 0.06])
        self.assertEqual(stats.holm([]), [])

    def test_ci_covers_true_ratio_at_nominal_rate(self):
        """The 95% CI of the ratio of medians contains the true ratio in
        about 95% of trials."""
        rng = np.random.default_rng(42)
        true_ratio, trials, hits = 0.95, 200, 0
        for i in range(trials):
            base = rng.lognormal(np.log(100.0), 0.05, 15)
            cand = rng.lognormal(np.log(100.0 * true_ratio), 0.05, 15)
            c = stats.compare(base, cand, seed=i)
            hits += c.lo <= true_ratio <= c.hi
        rate = hits / trials
        # Percentile bootstrap of a median with n=15 runs a little under
        # nominal; 200 trials give a binomial sd of about 1.5%.
        self.assertGreater(rate, 0.88)
        self.assertLessEqual(rate, 0.995)

    def test_difference_of_medians_takes_a_zero_base(self):
        d = stats.difference([0, 0, 0], [300, 300, 300])
        self.assertEqual((d.diff, d.lo, d.hi), (300, 300, 300))
        self.assertFalse(d.spans_zero)      # no spread: known
        d = stats.difference([0, 0, 0], [0, 0, 0])
        self.assertFalse(d.spans_zero)      # a known 0
        d = stats.difference([0, 100, 20], [50, 300, 10])
        self.assertEqual(d.diff, 30)
        self.assertTrue(d.lo < 0 < d.hi and d.spans_zero)
        d = stats.difference([1.0, 1.1, 0.9, 1.05], [5.0, 5.2, 4.9, 5.1])
        self.assertTrue(d.lo > 0 and not d.spans_zero)
        self.assertTrue(stats.difference([1.0], [2.0, 3.0]).spans_zero)

    def test_compare_refuses_a_base_with_zeros(self):
        with self.assertRaises(ValueError):
            stats.compare([0.0, 0.0, 1.0, 2.0], [1.0, 1.0, 1.0, 1.0])

    def test_t_interval_covers_true_ratio(self):
        """decide()'s CI of the log ratio (Welch) covers the truth at
        about the nominal rate with 5 runs a side."""
        rng = np.random.default_rng(7)
        hits = 0
        for _ in range(400):
            b = rng.lognormal(np.log(100.0), 0.05, 5)
            c = rng.lognormal(np.log(90.0), 0.05, 5)
            t = stats.decide(b, c, "higher", 0.02)
            hits += t.lo <= math.log(0.9) <= t.hi
        self.assertGreater(hits / 400, 0.91)
        self.assertLess(hits / 400, 0.985)

    def test_zero_base_uses_differences_and_absolute_margin(self):
        t = stats.decide([0.0, 0.0, 0.0], [0.013, 0.014, 0.012], "lower",
                         0.02, abs_=0.001)
        self.assertEqual(t.scale, "abs")
        self.assertEqual(stats.outcome(t, t.p_worse, t.p_better),
                         stats.REGRESSION)
        t = stats.decide([0.0] * 3, [0.0] * 3, "lower", 0.02, abs_=0.001)
        self.assertEqual(stats.outcome(t, t.p_worse, t.p_better),
                         stats.EQUIVALENT)

    def test_too_few_runs_are_not_gateable(self):
        t = stats.decide([1.0, 1.1], [1.0, 1.2, 1.3], "higher", 0.02)
        self.assertEqual(stats.outcome(t, None, None), stats.NOT_GATEABLE)

    def test_estimate_ci_brackets_median(self):
        x = np.random.default_rng(1).normal(10, 1, 50)
        e = stats.estimate(x)
        self.assertLess(e.lo, e.median)
        self.assertGreater(e.hi, e.median)

    def test_reps_needed_grows_with_noise(self):
        self.assertLess(stats.reps_needed(0.01, 0.02),
                        stats.reps_needed(0.04, 0.02))

    def test_noise_of_constant_is_zero(self):
        self.assertEqual(stats.noise([[5, 5, 5], [5, 5]]), 0.0)

    def test_noise_is_within_group_spread(self):
        # two groups 10% apart, no spread within: no noise
        self.assertEqual(stats.noise([[100, 100], [110, 110]]), 0.0)
        self.assertGreater(stats.noise([[100, 110], [100, 110]]), 0.05)


if __name__ == "__main__":
    unittest.main()
