"""Significance and summaries, reported the way the papers report them.

* `paired_ttest`: paired t-test over users between two methods (SciPy's ``ttest_rel``), as IARN and
  MTAM report p-values of their improvements;
* `relative_improvement`: ``(ours - base) / base`` (``(base - ours) / base`` when lower is better,
  e.g. RMSE), the "x % improvement" of the papers' text.
"""

import dataclasses

import pandas as pd
from scipy import stats


@dataclasses.dataclass(frozen=True)
class TTest:
    statistic: float
    p_value: float
    n: int

    def __str__(self) -> str:
        return f"t = {self.statistic:.3f}, p = {self.p_value:.3g} (paired, n = {self.n})"


def paired_ttest(ours: pd.Series, base: pd.Series) -> TTest:
    """Paired t-test of per-user values; users present in both series are paired by index."""
    joined = pd.concat([ours.rename("a"), base.rename("b")], axis=1, join="inner").dropna()
    if len(joined) < 2:
        return TTest(float("nan"), float("nan"), len(joined))
    result = stats.ttest_rel(joined["a"], joined["b"])
    return TTest(float(result.statistic), float(result.pvalue), len(joined))


def relative_improvement(ours: float, base: float, lower_is_better: bool = False) -> float:
    """Relative improvement of ``ours`` over ``base`` (positive = better)."""
    return (base - ours) / base if lower_is_better else (ours - base) / base
