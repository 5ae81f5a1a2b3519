"""Change points in a series by E-divisive means (Matteson and James, "A
nonparametric approach for multiple change point analysis of multivariate
data", JASA 2014), the method Apache Otava (formerly Hunter) uses, here
in numpy: Debian packages no change-point library.

For a split of x[0:n] at tau the statistic is

    Q(tau) = tau (n - tau) / n * (2 mean|X - Y|^a - mean|X - X'|^a
                                  - mean|Y - Y'|^a)

with X = x[:tau], Y = x[tau:], pairs within a side distinct, and a the
exponent (0 < a < 2; 1 by default). It is large where the two sides'
distributions differ, in location above all. Every tau with at least
min_size points on each side is tried (2-D prefix sums of the distance
matrix: O(n) per try after O(n^2) set-up).

Significance: the best split's Q against the best Q of the same segment
with its points permuted (they are exchangeable when nothing changed);
p = (1 + #{permuted >= observed}) / (1 + permutations), an exact test,
so the smallest p is 1/(permutations + 1). Hierarchical: the best split
of the whole series is tested; if p <= alpha it is a change point and
both halves are searched the same way, else the search stops there. On
a series with no change the first test is the only one, so the chance
of any false change point is at most alpha.

Parameters (detect()): alpha 0.05, min_size 3 points a side, 199
permutations, seed 0 (numpy's default_rng: the same input gives the same
answer), exponent 1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

ALPHA = 0.05
MIN_SIZE = 3
PERMUTATIONS = 199
SEED = 0
EXPONENT = 1.0
# permuted matrices per batch: bounds memory at about 32 MB of float64
_BATCH_ELEMENTS = 4_000_000


@dataclass(frozen=True)
class ChangePoint:
    index: int      # the first point after the change
    p: float        # permutation p-value of the split
    q: float        # its statistic


def _q_all(d: np.ndarray, min_size: int) -> tuple[np.ndarray, np.ndarray]:
    """Q(tau) of every allowed tau for each distance matrix in d (shape
    (..., n, n)): (taus, Q with shape (..., len(taus)))."""
    n = d.shape[-1]
    p = np.zeros(d.shape[:-2] + (n + 1, n + 1))
    p[..., 1:, 1:] = d.cumsum(-1).cumsum(-2)
    t = np.arange(min_size, n - min_size + 1)
    left = p[..., t, t]
    right = p[..., n, n][..., None] - p[..., t, n] - p[..., n, t] + left
    between = p[..., t, n] - left
    m = n - t
    e = (2 * between / (t * m) - left / (t * (t - 1))
         - right / (m * (m - 1)))
    return t, e * t * m / n


def _distances(x: np.ndarray, exponent: float) -> np.ndarray:
    return np.abs(x[:, None] - x[None, :]) ** exponent


def best_split(x, min_size: int = MIN_SIZE,
               exponent: float = EXPONENT) -> tuple[int, float] | None:
    """(tau, Q) of the best split of x, None if x is too short."""
    x = np.asarray(x, dtype=float)
    if x.size < 2 * min_size:
        return None
    t, q = _q_all(_distances(x, exponent), min_size)
    i = int(np.argmax(q))
    return int(t[i]), float(q[i])


def permutation_p(x, q_obs: float, rng: np.random.Generator,
                  min_size: int = MIN_SIZE,
                  permutations: int = PERMUTATIONS,
                  exponent: float = EXPONENT) -> float:
    """How often a permuted x splits at least as well as x did."""
    x = np.asarray(x, dtype=float)
    d = _distances(x, exponent)
    n = x.size
    # Q of a permutation that reproduces the split is q_obs up to
    # rounding: count it as a tie
    bar = q_obs - 1e-9 * abs(q_obs)
    hits, done = 0, 0
    batch = max(1, _BATCH_ELEMENTS // (n * n))
    while done < permutations:
        k = min(batch, permutations - done)
        perms = np.array([rng.permutation(n) for _ in range(k)])
        dp = d[perms[:, :, None], perms[:, None, :]]
        _, q = _q_all(dp, min_size)
        hits += int(np.sum(q.max(axis=-1) >= bar))
        done += k
    return (1 + hits) / (1 + permutations)


def detect(x, alpha: float = ALPHA, min_size: int = MIN_SIZE,
           permutations: int = PERMUTATIONS, seed: int | None = SEED,
           exponent: float = EXPONENT) -> list[ChangePoint]:
    """The change points of x, by index, hierarchically (module doc)."""
    if not 0 < alpha < 1:
        raise ValueError(f"alpha={alpha}: allowed: 0 < alpha < 1")
    if min_size < 2:
        raise ValueError(f"min_size={min_size}: allowed: >= 2")
    if not 0 < exponent < 2:
        raise ValueError(f"exponent={exponent}: allowed: 0 < a < 2")
    x = np.asarray(x, dtype=float)
    rng = np.random.default_rng(seed)
    found: list[ChangePoint] = []

    def search(a: int, b: int) -> None:
        split = best_split(x[a:b], min_size, exponent)
        if split is None or split[1] <= 0:
            return
        tau, q = split
        p = permutation_p(x[a:b], q, rng, min_size, permutations, exponent)
        if p > alpha:
            return
        found.append(ChangePoint(a + tau, p, q))
        search(a, a + tau)
        search(a + tau, b)

    search(0, x.size)
    return sorted(found, key=lambda c: c.index)
