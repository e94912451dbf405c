"""The chunked evaluator: chunk size does not change results, exclusion of seen items."""

import numpy as np
import pytest

from seqrec.datasets import protocols
from seqrec.datasets.pipelines import SequenceData
from seqrec.evaluation import ranking
from seqrec.evaluation.tasks import NextItemTask
from seqrec.experiments.pipeline import fit
from seqrec.models import TopPop
from seqrec.training import FactorAdapter


@pytest.fixture(scope="module")
def data(ml_small):
    return SequenceData.encode(protocols.mtam(ml_small.events))


@pytest.fixture(scope="module")
def popularity(data):
    method = FactorAdapter("Top Pop", TopPop)
    fit(method, data, NextItemTask())
    return method


def test_items_mask():
    mask = ranking.items_mask([[0, 2, 2, 4], [1, 0, 0, 0]], 5).numpy()
    assert mask.tolist() == [[False, False, True, False, True], [False, True, False, False, False]]


def test_chunk_size_does_not_change_results(data, popularity):
    small = NextItemTask(batch_size=7, ks=(5, 10)).evaluate(popularity, data, "test")
    large = NextItemTask(batch_size=1000, ks=(5, 10)).evaluate(popularity, data, "test")
    assert small.rows.equals(large.rows)
    assert "full ranking" in small.protocol


def test_exclude_seen_ranks_only_unseen_items(data, popularity):
    task = NextItemTask(batch_size=256, ks=(10,), exclude_seen=True)
    result = task.evaluate(popularity, data, "test")
    counts = popularity.model.counts
    order = np.argsort(-counts[1:], kind="stable") + 1  # popularity ranking (ties do not matter here)
    t = data.by_user
    for position in data.targets("test")[:40]:
        user = t.group_of([position])[0]
        seen = set(t.values[t.offsets[user]:position]) - {t.values[position]}
        target = t.values[position]
        ranked = [i for i in order if i not in seen]
        better = sum(counts[i] > counts[target] for i in ranked)
        tied = sum(counts[i] == counts[target] for i in ranked) - 1
        rank = 1 + better + tied  # pessimistic
        row = result.rows[result.rows["user"] == user]
        assert row["hr@10"].iloc[0] == float(rank <= 10)
    assert "seen items excluded" in result.protocol


def test_exclude_seen_crops_every_step_input_to_max_len(data):
    """The model reads the latest max_len events, every per-step input alike (``seen`` keeps them all)."""
    batch = next(iter(NextItemTask(batch_size=16, exclude_seen=True).eval_dataset(data, "test", max_len=3)))
    steps = {k: v.shape[1] for k, v in batch.items() if len(v.shape) == 2 and k != "seen"}
    assert steps == dict.fromkeys(("items", "mask", "gaps", "ages", "times"), 3), steps
    assert batch["seen"].shape[1] > 3
    np.testing.assert_array_equal(batch["times"].numpy(), np.where(batch["mask"], batch["times"], 0))


def test_dmran_auc_columns_against_scikit_learn(data, popularity):
    from sklearn.metrics import roc_auc_score

    task = NextItemTask(batch_size=100, ks=(10,), exclude_seen=True, with_auc=True, sampled_auc=True, seed=3)
    result = task.evaluate(popularity, data, "test")
    negatives = task.sampled_negatives(data, "test")
    np.testing.assert_array_equal(negatives, task.sampled_negatives(data, "test"))  # frozen by the seed
    users = data.by_user.group_of(data.targets("test"))
    assert not data.negative_sampler().is_positive(users, negatives).any()
    counts = popularity.model.counts.astype(float)
    t = data.by_user
    for row, position in enumerate(data.targets("test")[:30]):
        user, target = t.group_of([position])[0], t.values[position]
        seen = set(t.values[t.offsets[user]:position]) - {target}
        ranked = [i for i in range(1, data.items.size) if i not in seen]  # every item the user never had
        expected = roc_auc_score([i == target for i in ranked], counts[ranked])  # ties count one half
        assert np.isclose(result.rows["auc"].iloc[row], expected)
        pair = roc_auc_score([1, 0], [counts[target], counts[negatives[row]]])
        assert result.rows["sampled_auc"].iloc[row] == pair
    assert set(result.rows["sampled_auc"]) <= {0.0, 0.5, 1.0} and "sampled negative" in result.protocol


def test_sampled_candidates_rank_the_target_among_frozen_negatives(data, popularity):
    task = NextItemTask(ks=(5,), with_auc=True, candidates=20, seed=4, batch_size=64)
    result = task.evaluate(popularity, data, "valid")
    negatives = task.sampled_negatives(data, "valid", 20)
    counts = popularity.model.counts.astype(float)
    targets = data.by_user.values[data.targets("valid")]
    above = (counts[negatives] > counts[targets][:, None]).sum(1)
    tied = (counts[negatives] == counts[targets][:, None]).sum(1)
    np.testing.assert_allclose(result.rows["auc"], 1 - (above + 0.5 * tied) / 20)
    np.testing.assert_array_equal(result.rows["hr@5"], (above + tied < 5).astype(float))  # pessimistic

    class CandidateScorer:  # a method that scores the candidates alone gives the same rows
        max_len, padding, name = popularity.max_len, popularity.padding, "stub"

        def candidate_scores(self, batch, candidates):
            return np.take_along_axis(popularity.scores(batch).numpy(), np.asarray(candidates), axis=1)

    assert task.evaluate(CandidateScorer(), data, "valid").rows.equals(result.rows)
    assert "20 sampled items" in result.protocol and "not full ranking" in result.protocol
    with pytest.raises(ValueError, match="sampled_auc"):
        NextItemTask(candidates=5, sampled_auc=True)
