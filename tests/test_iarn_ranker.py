"""IARN as a ranking method (Ante-RNN's Table 4 baseline): BPR pairs whose negatives are items the user
never had, each with its own history before the pair's time; the pairwise score; and test examples
scored once per user, at the user's first test time."""

import numpy as np
import pytest

from seqrec.datasets import protocols
from seqrec.datasets.negatives import NegativeSampler
from seqrec.datasets.pipelines import SequenceData, rating_pairs_dataset
from seqrec.evaluation.tasks import NextItemTask
from seqrec.experiments.pipeline import RunOptions, fit
from seqrec.training import IARNRanker
from seqrec.training.iarn import NEGATIVE


@pytest.fixture(scope="module")
def data(synthetic_small):
    split = protocols.ante_rnn(synthetic_small.events, seeds=(0,), min_user=5)[0]
    return SequenceData.encode(split, synthetic_small)


def test_negatives_are_unseen_items_with_their_history_before_the_pair_time(data):
    train = data.pairs("train")
    n = len(train["user"])
    sampler = NegativeSampler(train["user"], train["item"], data.items.size)
    by_user, by_item = data.history_tables(("train",))

    def dataset(shuffle):
        return rating_pairs_dataset(by_user, by_item, train["user"], train["item"], np.zeros(n, np.float32),
                                    train["time"], user_len=5, item_len=8, batch_size=64, shuffle=shuffle,
                                    sampler=sampler)

    positives = set(zip(train["user"].tolist(), train["item"].tolist(), strict=True))
    for x in dataset(False).take(3):
        x = {k: v.numpy() for k, v in x.items()}
        for row, (user, item, time) in enumerate(zip(x["user"], x["negative_item"], x["time"], strict=True)):
            assert item > 0 and (user, item) not in positives
            start, end = by_item.offsets[item], by_item.offsets[item + 1]
            before = by_item.values[start:end][by_item.times[start:end] < time][-8:]
            mask = x["negative_item_mask"][row]
            np.testing.assert_array_equal(x["negative_item_users"][row][mask], before)
            assert (x["negative_item_ages"][row][mask] > 0).all()
    fixed, shuffled = dataset(False), dataset(True)
    assert all((a["negative_item"].numpy() == b["negative_item"].numpy()).all()
               for a, b in zip(fixed.take(2), fixed.take(2), strict=True))  # validation: the same each pass
    first, again = (sorted(zip(*(np.concatenate([b[k].numpy() for b in shuffled]) for k in
                                 ("user", "time", "item", "negative_item")), strict=True)) for _ in range(2))
    assert first != again  # training: redrawn every epoch


def test_ranker_scores_the_pair_difference_and_each_user_once_at_the_first_test_time(data, monkeypatch):
    method = IARNRanker("IARN-Plain", dim=4, hidden=4, max_history=5, batch_size=128, epochs=1,
                        jit_compile=False)
    info = fit(method, data, NextItemTask(ks=(10,)), RunOptions(profile="smoke"))
    assert info["epochs_run"] == 1
    train = data.pairs("train")
    sampler = NegativeSampler(train["user"], train["item"], data.items.size)
    x = next(iter(method.dataset({k: v[:16] for k, v in train.items()}, sampler=sampler)))
    positive = {k: v for k, v in x.items() if not k.startswith(NEGATIVE)}
    negative = {**positive, "item": x["negative_item"], "item_users": x["negative_item_users"],
                "item_mask": x["negative_item_mask"], "item_ages": x["negative_item_ages"],
                "item_ratings": x["negative_item_ratings"]}
    np.testing.assert_allclose(method.pairwise(x).numpy(),
                               method.model(positive).numpy() - method.model(negative).numpy(), rtol=1e-5)
    calls = []
    score_all = method.score_all
    monkeypatch.setattr(method, "score_all", lambda u, t: calls.append((u, t)) or score_all(u, t))
    result = NextItemTask(ks=(10,), exclude_seen=True).evaluate(method, data, "test")
    users = np.concatenate([u for u, _ in calls])
    times = np.concatenate([t for _, t in calls])
    tests = data.targets("test")
    first = {}
    for user, time in zip(data.by_user.group_of(tests), data.by_user.times[tests], strict=True):
        first[user] = min(first.get(user, time), time)
    assert sorted(users.tolist()) == sorted(first) and len(set(users.tolist())) == len(users)
    assert all(time == first[user] for user, time in zip(users, times, strict=True))
    assert 0 <= result.mean()["ndcg@10"] <= 1
