"""Significance and uncertainty, reported the way a reviewer reads them.

* `paired_ttest`: paired t-test over users between two methods (SciPy's ``ttest_rel``, two-sided), as
  IARN and MTAM report p-values of their improvements; `TTest.describe` states its direction in words;
* `welch_ttest`: Welch's t-test between two groups of different users (SciPy's ``ttest_ind`` with
  unequal variances, two-sided), e.g. a method's per-user metric on short vs long histories;
* `standard_error`: the standard error of a table's number, by a bootstrap over users (every target of a
  resampled user counts, so several targets of one user are not taken as independent);
* `relative_improvement`: ``(ours - base) / base`` (``(base - ours) / base`` when lower is better,
  e.g. RMSE), the "x % improvement" of the papers' text.
"""

import dataclasses

import numpy as np
import pandas as pd
from scipy import stats


@dataclasses.dataclass(frozen=True)
class TTest:
    """A t-test: ``statistic`` and two-sided ``p_value`` over ``n`` users, and the difference of the means
    (first minus second); ``paired``: a paired test over ``n`` pairs, else Welch's over two groups of ``n``
    users in all."""

    statistic: float
    p_value: float
    n: int
    mean_difference: float = float("nan")
    paired: bool = True

    @property
    def kind(self) -> str:
        return "paired" if self.paired else "Welch"

    def __str__(self) -> str:
        return f"t = {self.statistic:.3f}, p = {self.p_value:.3g} ({self.kind}, two-sided, n = {self.n})"

    def describe(self, first: str, second: str, quantity: str) -> str:
        """The test in words: ``"IARN's squared error is larger than MF's by 0.12 on average (paired
        t-test over 595 users, two-sided: t = 8.1, p = 3e-16)"``."""
        if self.n < 2 or self.p_value != self.p_value:
            return f"{first} vs {second} on {quantity}: too few users to test (n = {self.n})"
        direction = ("larger than" if self.mean_difference > 0 else "smaller than" if self.mean_difference < 0
                     else "equal to")
        return (f"{first}'s {quantity} is {direction} {second}'s by {abs(self.mean_difference):.4g} on "
                f"average ({self.kind} t-test over {self.n} users, two-sided: t = {self.statistic:.3f}, "
                f"p = {self.p_value:.3g})")


def paired_ttest(ours: pd.Series, base: pd.Series) -> TTest:
    """Paired t-test of per-user values; users present in both series are paired by index."""
    joined = pd.concat([ours.rename("a"), base.rename("b")], axis=1, join="inner").dropna()
    if len(joined) < 2:
        return TTest(float("nan"), float("nan"), len(joined))
    result = stats.ttest_rel(joined["a"], joined["b"])
    return TTest(float(result.statistic), float(result.pvalue), len(joined),
                 float((joined["a"] - joined["b"]).mean()))


def welch_ttest(first: pd.Series, second: pd.Series) -> TTest:
    """Welch's t-test (unequal variances, two-sided) of two groups of per-user values (NaN left out)."""
    first, second = first.dropna(), second.dropna()
    if min(len(first), len(second)) < 2:
        return TTest(float("nan"), float("nan"), len(first) + len(second), paired=False)
    result = stats.ttest_ind(first, second, equal_var=False)
    return TTest(float(result.statistic), float(result.pvalue), len(first) + len(second),
                 float(first.mean() - second.mean()), paired=False)


def standard_error(users, values, root: bool = False, replicates: int = 1000, seed: int = 0) -> float:
    """Bootstrap standard error, over users, of a number that is the mean of ``values`` over rows (one
    row per target or rating, ``users`` [n] its user; NaN rows left out), or its square root with ``root``
    (RMSE from squared errors). Each replicate draws the users with replacement and keeps every row of a
    drawn user. Seeded."""
    frame = pd.DataFrame({"user": np.asarray(users), "value": np.asarray(values, np.float64)}).dropna()
    if frame.empty:
        return float("nan")
    grouped = frame.groupby("user")["value"].agg(["sum", "count"])
    sums, counts = grouped["sum"].to_numpy(), grouped["count"].to_numpy()
    rng = np.random.default_rng(seed)
    draws = rng.multinomial(len(sums), np.full(len(sums), 1 / len(sums)), size=replicates)  # [R, users]
    estimates = (draws @ sums) / (draws @ counts)
    if root:
        estimates = np.sqrt(estimates)
    return float(estimates.std(ddof=1))


def relative_improvement(ours: float, base: float, lower_is_better: bool = False) -> float:
    """Relative improvement of ``ours`` over ``base`` (positive = better)."""
    return (base - ours) / base if lower_is_better else (ours - base) / base
