"""Metrics against scikit-learn and hand-computed values (ties, K beyond the catalogue, empty rows)."""

import numpy as np
import pytest
from sklearn.metrics import mean_absolute_error, mean_squared_error, ndcg_score, roc_auc_score

from seqrec.evaluation import metrics
from seqrec.evaluation.ranking import ScoreError, evaluate_ranking


def counts_of(scores, targets, exclude=None):
    return metrics.target_counts(np.asarray(scores, np.float32), np.asarray(targets, np.int32), exclude)


def test_rmse_mae_match_sklearn_and_clip():
    rng = np.random.default_rng(0)
    y, p = rng.uniform(1, 5, 100), rng.uniform(0, 6, 100)
    assert np.isclose(metrics.rmse(y, p), np.sqrt(mean_squared_error(y, p)))
    assert np.isclose(metrics.mae(y, p), mean_absolute_error(y, p))
    assert np.isclose(metrics.rmse(y, p, clip=(1, 5)), np.sqrt(mean_squared_error(y, np.clip(p, 1, 5))))
    assert metrics.rmse([1, 5], [0, 7], clip=(1, 5)) == 0.0


def test_single_target_ndcg_and_auc_match_sklearn_without_ties():
    rng = np.random.default_rng(1)
    scores = rng.normal(size=(50, 40)).astype(np.float32)
    targets = rng.integers(1, 40, (50, 1))
    counts = counts_of(scores, targets)
    r = metrics.ranks(counts)
    got = metrics.at_k(r, counts["valid"], [5, 10])
    aucs = metrics.auc(counts)
    for row in range(50):
        truth = np.zeros(39)
        truth[targets[row, 0] - 1] = 1
        ranked = scores[row, 1:]
        assert np.isclose(got["ndcg@10"][row], ndcg_score([truth], [ranked], k=10))
        assert np.isclose(aucs[row], roc_auc_score(truth, ranked))
        assert r[row, 0] == 1 + (ranked > scores[row, targets[row, 0]]).sum()
    assert np.allclose(got["hr@5"], got["recall@5"])
    assert np.allclose(got["precision@5"], got["hr@5"] / 5)


def test_multi_target_metrics_match_sklearn_and_top_k_sets():
    rng = np.random.default_rng(2)
    n, items = 30, 25
    scores = rng.normal(size=(n, items)).astype(np.float32)
    targets = np.zeros((n, 6), int)
    for row in range(n):
        k = rng.integers(0, 7)
        targets[row, :k] = rng.choice(np.arange(1, items), k, replace=False)
    counts = counts_of(scores, targets)
    got = metrics.at_k(metrics.ranks(counts), counts["valid"], [3, 10])
    aucs = metrics.auc(counts)
    for row in range(n):
        t = targets[row][targets[row] > 0]
        if not len(t):
            assert np.isnan(got["ndcg@10"][row]) and np.isnan(aucs[row])
            continue
        truth = np.isin(np.arange(1, items), t).astype(float)
        ranked = scores[row, 1:]
        top3 = set(np.argsort(-ranked)[:3] + 1)
        assert got["recall@3"][row] == len(top3 & set(t)) / len(t)
        assert got["precision@3"][row] == len(top3 & set(t)) / 3
        assert got["hr@3"][row] == float(bool(top3 & set(t)))
        assert np.isclose(got["ndcg@10"][row], ndcg_score([truth], [ranked], k=10))
        if len(t) < items - 1:
            assert np.isclose(aucs[row], roc_auc_score(truth, ranked))
        best = 1 + np.flatnonzero(np.isin(np.argsort(-ranked) + 1, t))[0]
        assert np.isclose(got["mrr@10"][row], 1 / best if best <= 10 else 0.0)


def test_average_ties_auc_matches_sklearn():
    rng = np.random.default_rng(3)
    scores = rng.integers(0, 4, (40, 30)).astype(np.float32)  # many ties
    targets = np.stack([rng.choice(np.arange(1, 30), 3, replace=False) for _ in range(40)])
    counts = counts_of(scores, targets)
    aucs = metrics.auc(counts)  # ties count one half by default
    for row in range(40):
        truth = np.isin(np.arange(1, 30), targets[row]).astype(int)
        assert np.isclose(aucs[row], roc_auc_score(truth, scores[row, 1:]))
    assert (metrics.auc(counts, "pessimistic") <= aucs + 1e-12).all()
    assert (metrics.auc(counts, "optimistic") >= aucs - 1e-12).all()


def test_hand_case_ties_padding_and_exclusion():
    # item: 0(pad) 1   2    3    4
    scores = [[9.0, 0.1, 0.9, 0.5, 0.5]]
    counts = counts_of(scores, [[3]])
    assert metrics.ranks(counts)[0, 0] == 3  # after item 2 and its tie, item 4; padding never ranked
    assert metrics.ranks(counts, "average")[0, 0] == 2.5 and metrics.ranks(counts, "optimistic")[0, 0] == 2
    assert counts["negatives"][0] == 3
    excluded = counts_of(scores, [[3]], exclude=np.array([[False, False, True, True, False]]))
    assert metrics.ranks(excluded)[0, 0] == 2  # item 2 excluded; the target itself is never excluded
    assert excluded["negatives"][0] == 2
    assert np.isclose(metrics.auc(counts, "pessimistic")[0], 1 / 3)
    assert np.isclose(metrics.auc(counts)[0], 0.5)


def test_all_equal_scores_rank_last_pessimistically():
    counts = counts_of(np.ones((1, 6)), [[2]])
    got = metrics.at_k(metrics.ranks(counts), counts["valid"], [4, 5])
    assert metrics.ranks(counts)[0, 0] == 5 and got["hr@4"][0] == 0 and got["hr@5"][0] == 1
    assert metrics.auc(counts, "pessimistic")[0] == 0.0 and metrics.auc(counts)[0] == 0.5  # constant: 1/2


def test_k_larger_than_catalogue_and_rows_without_targets():
    counts = counts_of([[0, 3.0, 2.0, 1.0], [0, 1, 2, 3]], [[3, 2], [0, 0]])
    got = metrics.at_k(metrics.ranks(counts), counts["valid"], [100])
    assert got["hr@100"][0] == 1 and got["recall@100"][0] == 1
    # the targets sit at ranks 2 and 3 behind item 1
    assert np.isclose(got["ndcg@100"][0], (1 / np.log2(3) + 1 / np.log2(4)) / (1 + 1 / np.log2(3)))
    assert got["precision@100"][0] == 2 / 100
    assert all(np.isnan(v[1]) for v in got.values())


def test_ndcg_ideal_uses_min_of_targets_and_k():
    # two targets ranked 1 and 3 with K = 1: dcg 1, ideal 1 -> 1.0; K = 3: (1 + 1/2) / (1 + 1/log2 3)
    counts = counts_of([[0, 5, 4, 3, 2]], [[1, 3]])
    got = metrics.at_k(metrics.ranks(counts), counts["valid"], [1, 3])
    assert got["ndcg@1"][0] == 1.0
    assert np.isclose(got["ndcg@3"][0], (1 + 0.5) / (1 + 1 / np.log2(3)))
    assert got["mrr@3"][0] == 1.0


def test_auc_against_unobserved_excludes_observed_items():
    # items 1..5; user interacted with 1 (observed) and holds out 4; 1 scores highest
    scores = np.array([[0, 9.0, 1.0, 2.0, 3.0, 0.5]], np.float32)
    observed = np.array([[False, True, False, False, False, False]])
    assert metrics.auc(metrics.target_counts(scores, [[4]], observed))[0] == 1.0
    assert metrics.auc(metrics.target_counts(scores, [[4]]))[0] == 0.75


def test_counting_and_sorting_paths_agree(monkeypatch):
    rng = np.random.default_rng(5)
    scores = rng.integers(0, 6, (20, 50)).astype(np.float32)
    targets = np.stack([np.r_[rng.choice(np.arange(1, 50), 4, replace=False), 0] for _ in range(20)])
    exclude = rng.random((20, 50)) < 0.2
    counting = counts_of(scores, targets, exclude)
    monkeypatch.setattr(metrics, "COUNT_MAX_TARGETS", 0)
    sorting = counts_of(scores, targets, exclude)
    for key in counting:
        assert (counting[key] == sorting[key]).all(), key


def test_evaluated_auc_counts_ties_as_one_half_and_top_k_pessimistically():
    """The evaluator's AUC is scikit-learn's (a constant scorer gets 0.5); its ranks stay pessimistic."""
    rng = np.random.default_rng(5)
    scores = rng.integers(0, 3, (6, 12)).astype(np.float32)
    scores[0] = 1.0  # a constant scorer
    targets = np.stack([rng.choice(np.arange(1, 12), 2, replace=False) for _ in range(6)])
    result = evaluate_ranking([{"scores": scores, "targets": targets, "user": np.arange(6)}], ks=(3,),
                              with_auc=True)
    for row in range(6):
        truth = np.isin(np.arange(1, 12), targets[row]).astype(int)
        assert np.isclose(result.rows["auc"][row], roc_auc_score(truth, scores[row, 1:]))
    assert result.rows["auc"][0] == 0.5 and result.rows["hr@3"][0] == 0.0  # last among its ties


def test_evaluator_refuses_nan_or_infinite_scores_naming_method_rows_and_users():
    """A NaN compares false with everything, so all-NaN scores (a diverged model) ranked every target
    first: HR, NDCG, MRR and AUC of 1.0. The padding column 0 is never ranked and may hold anything."""
    scores = np.random.default_rng(0).random((5, 8)).astype(np.float32)
    scores[:, 0] = np.nan
    batch = {"scores": scores, "targets": np.array([1, 2, 3, 4, 5]), "user": np.array([7, 8, 9, 10, 11])}
    assert len(evaluate_ranking([batch], ks=(3,)).rows) == 5
    diverged = dict(batch, scores=np.full((5, 8), np.nan, np.float32))
    with pytest.raises(ScoreError, match=r"GRU: NaN or infinite scores in 5 of 5 .*users 7, 8"):
        evaluate_ranking([diverged], ks=(3,), with_auc=True, method="GRU")
    scores[3, 6] = np.inf
    second = dict(batch, user=np.array([1, 2, 3, 4, 5]))
    with pytest.raises(ScoreError, match=r"in 2 of 10 evaluation rows \(rows 3, 8; users 10, 4\)"):
        evaluate_ranking([dict(batch, scores=scores.copy()), dict(second, scores=scores.copy())], ks=(3,))


def test_evaluator_refuses_a_target_listed_twice():
    """precision@5 was 0.4 from one item listed twice."""
    scores = np.linspace(1, 0, 8, dtype=np.float32)[None].repeat(2, 0)
    targets = np.array([[1, 2, 0], [3, 3, 0]])
    with pytest.raises(ScoreError, match=r"1 evaluation row\(s\) list a target item twice \(rows 1, users 6"):
        evaluate_ranking([{"scores": scores, "targets": targets, "user": np.array([5, 6])}], ks=(5,))
    targets[1, 1] = 0
    assert evaluate_ranking([{"scores": scores, "targets": targets, "user": np.array([5, 6])}],
                            ks=(5,)).rows["precision@5"].tolist() == [0.4, 0.2]
