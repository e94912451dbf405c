"""The chunked evaluator: chunk size does not change results, exclusion of seen items, frozen negatives."""

import numpy as np
import pytest

from seqrec.datasets import protocols
from seqrec.datasets.pipelines import SequenceData
from seqrec.evaluation import ranking
from seqrec.evaluation.runner import Popularity, RunContext
from seqrec.evaluation.tasks import NextItemTask


@pytest.fixture(scope="module")
def data(ml_small):
    return SequenceData.encode(protocols.mtam(ml_small.events))


@pytest.fixture(scope="module")
def popularity(data):
    method = Popularity()
    method.fit(data, None, RunContext())
    return method


def test_items_mask():
    mask = ranking.items_mask([[0, 2, 2, 4], [1, 0, 0, 0]], 5).numpy()
    assert mask.tolist() == [[False, False, True, False, True], [False, True, False, False, False]]


def test_chunk_size_does_not_change_results(data, popularity):
    small = NextItemTask(max_len=10, batch_size=7, ks=(5, 10)).evaluate(popularity, data, "test")
    large = NextItemTask(max_len=10, batch_size=1000, ks=(5, 10)).evaluate(popularity, data, "test")
    assert small.rows.equals(large.rows)
    assert not small.sampled and "full ranking" in small.protocol


def test_exclude_seen_ranks_only_unseen_items(data, popularity):
    task = NextItemTask(max_len=10, batch_size=256, ks=(10,), exclude_seen=True)
    result = task.evaluate(popularity, data, "test")
    counts = popularity.counts.numpy()
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


def test_frozen_negatives_are_saved_seeded_and_never_positive(data, tmp_path):
    sampler = data.negative_sampler()
    users = np.arange(1, data.users.size)
    path = tmp_path / "negatives.npz"
    frozen = ranking.freeze_negatives(sampler, users, 100, seed=7, path=path)
    loaded_users, loaded = ranking.load_negatives(path)
    assert (loaded == frozen).all() and (loaded_users == users).all()
    assert (ranking.freeze_negatives(sampler, users, 100, seed=7) == frozen).all()
    assert not sampler.is_positive(np.repeat(users, 100), frozen.ravel()).any()


def test_evaluate_sampled_is_labelled_sampled():
    result = ranking.evaluate_sampled([1, 2], [0.9, 0.1], [[0.5, 0.2], [0.5, 0.2]], ks=(1,))
    assert result.sampled and "sampled" in result.protocol
    assert result.rows["auc"].tolist() == [1.0, 0.0]
    assert result.rows["hr@1"].tolist() == [1.0, 0.0]
