"""Sequential A/B: when `make ab` may stop adding boots, and at what alpha.

The run looks at the data after each round (a boot of each kernel) from
`first` boots per kernel on, and stops when every gated measure is
decided or a regression is called, or at `most` boots (the budget).

Error control: alpha spending (Lan & DeMets 1983) with the Pocock-type
function alpha(t) = alpha * ln(1 + (e - 1) t), where t = boots / most is
the information fraction. A look at t_j tests at the increment
alpha(t_j) - alpha(t_{j-1}) (the first look at alpha(t_1)). The looks'
statistics are correlated, which the exact boundaries of group-sequential
designs exploit; we do not, and bound the error over all looks by the sum
of the increments (Bonferroni), which is alpha(1) = alpha. That is
conservative but needs no joint distribution, and holds for Welch's t on
a few boot means, where the normal-theory boundaries do not. Pocock-type
spending spends early, so an effect far beyond the threshold stops at
the first look; O'Brien-Fleming-type spending would keep the first looks
nearly closed, which on 3 boot means is a waste of boots.

Both the gate's one-sided tests and TOST run at the look's alpha, so a
false regression and a false equivalence are each bounded by alpha.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from harness.analysis import stats

ALPHA = 1 - stats.CONFIDENCE
DECIDED = (stats.REGRESSION, stats.IMPROVED, stats.EQUIVALENT)


def spent(alpha: float, t: float) -> float:
    """Alpha spent by information fraction t (Pocock-type)."""
    t = min(max(t, 0.0), 1.0)
    return alpha * math.log1p((math.e - 1) * t)


@dataclass(frozen=True)
class Design:
    first: int              # boots per kernel at the first look
    most: int               # boots per kernel at the last
    alpha: float = ALPHA

    def __post_init__(self):
        if not 1 <= self.first <= self.most:
            raise ValueError(f"need 1 <= first ({self.first}) <= most "
                             f"({self.most})")

    def alpha_at(self, boots: int) -> float:
        """The alpha of the look after `boots` boots per kernel."""
        if not self.first <= boots <= self.most:
            raise ValueError(f"no look at {boots} boots "
                             f"({self.first}..{self.most})")
        prev = 0.0 if boots == self.first else spent(
            self.alpha, (boots - 1) / self.most)
        return spent(self.alpha, boots / self.most) - prev

    def confidence_at(self, boots: int) -> float:
        return 1 - self.alpha_at(boots)


def settled(outcomes: list[str]) -> str | None:
    """Why the run may stop now: 'regression' (the exit status can no
    longer change), 'decided' (every measure is), else None."""
    if stats.REGRESSION in outcomes:
        return "regression"
    if outcomes and all(o in DECIDED for o in outcomes):
        return "decided"
    return None
