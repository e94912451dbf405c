"""Standard errors by a bootstrap over users, and t-tests stated in words."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from seqrec.evaluation import stats


def test_bootstrap_standard_error_of_a_mean_matches_the_formula():
    rng = np.random.default_rng(1)
    values = rng.binomial(1, 0.3, 2000).astype(float)
    se = stats.standard_error(np.arange(2000), values, replicates=2000)
    assert se == pytest.approx(values.std(ddof=1) / np.sqrt(2000), rel=0.08)
    assert stats.standard_error(np.arange(2000), values, seed=3) == stats.standard_error(
        np.arange(2000), values, seed=3)  # seeded


def test_bootstrap_resamples_users_not_rows():
    """Rows of one user move together: ten identical rows per user give the SE of 200 users, not 2,000."""
    rng = np.random.default_rng(2)
    per_user = rng.normal(size=200)
    users, values = np.repeat(np.arange(200), 10), np.repeat(per_user, 10)
    se = stats.standard_error(users, values, replicates=2000)
    assert se == pytest.approx(per_user.std(ddof=1) / np.sqrt(200), rel=0.1)
    squared = rng.uniform(0, 2, 300)
    assert stats.standard_error(np.arange(300), squared, root=True) == pytest.approx(
        squared.std(ddof=1) / np.sqrt(300) / (2 * np.sqrt(squared.mean())), rel=0.15)  # the delta method
    assert np.isnan(stats.standard_error([1, 2], [np.nan, np.nan]))


def test_t_tests_are_stated_in_words_with_their_direction():
    a = pd.Series([0.5, 0.6, 0.7, 0.9], index=[1, 2, 3, 4])
    b = pd.Series([0.4, 0.4, 0.6, 0.6, 0.1], index=[1, 2, 3, 4, 5])
    test = stats.paired_ttest(a, b)
    reference = sps.ttest_rel(a, b.loc[a.index])
    assert test.n == 4 and test.p_value == pytest.approx(reference.pvalue)
    difference = float((a - b.loc[a.index]).mean())
    assert difference > 0 and test.mean_difference == pytest.approx(difference)
    text = test.describe("IARN", "MF", "squared error")
    assert text.startswith(f"IARN's squared error is larger than MF's by {difference:.4g} on average")
    assert "two-sided" in text and f"p = {reference.pvalue:.3g}" in text
    assert "smaller than" in stats.paired_ttest(b.loc[a.index], a).describe("MF", "IARN", "squared error")
    assert "too few users" in stats.paired_ttest(a.iloc[:1], b).describe("a", "b", "x")


def test_welch_test_of_two_groups_matches_scipy_and_says_it_is_unpaired():
    short, long = pd.Series([0.1, 0.2, 0.0, 0.3]), pd.Series([0.5, 0.4, 0.9, np.nan, 0.6, 0.7])
    test = stats.welch_ttest(long, short)
    reference = sps.ttest_ind(long.dropna(), short, equal_var=False)
    assert test.n == 9 and test.p_value == pytest.approx(reference.pvalue)
    assert test.mean_difference == pytest.approx(long.mean() - short.mean()) and not test.paired
    text = test.describe("long", "short", "Recall@20")
    assert text.startswith("long's Recall@20 is larger than short's") and "(Welch t-test over 9 users" in text
