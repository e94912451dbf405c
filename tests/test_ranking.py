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
