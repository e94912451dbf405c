"""`seqrec.training.KerasCandidate`: the sampled training pairs (the positive first, a negative the user has
no training event with, the prefix's day buckets), validation-only fitting, and full-ranking scores equal
to scoring each item alone."""

import numpy as np
import pytest
from next_item_checks import short_sequences

from seqrec.datasets.pipelines import next_item_dataset
from seqrec.datasets.time_features import day_bucket
from seqrec.models import DMRAN
from seqrec.training import FitContext, KerasCandidate, next_item_model, set_seed


def method(epochs=1, **kwargs):
    def build(data):
        return next_item_model(DMRAN, data, rows=2, heads=2, item_dim=4, category_dim=4)

    return KerasCandidate("DMRAN", build, max_len=12, batch_size=16, epochs=epochs, item_chunk=16,
                          jit_compile=False, **kwargs)


def test_training_pairs():
    data = short_sequences(12)
    m = method()
    train, held_out = data.pairs("train"), data.pairs("test")
    sampler = m.negative_sampler(data)  # the user's training items only: held-out items stay eligible
    assert sampler.is_positive(train["user"], train["item"]).all()
    trained = set(zip(train["user"].tolist(), train["item"].tolist(), strict=True))
    only_held_out = [(u, i) not in trained for u, i in zip(held_out["user"], held_out["item"], strict=True)]
    assert any(only_held_out)
    positive = sampler.is_positive(held_out["user"], held_out["item"])
    np.testing.assert_array_equal(positive, ~np.array(only_held_out))
    rows = 0
    for inputs, labels in m.train_dataset(data, seed=1):
        items, candidates = inputs["items"].numpy(), inputs["candidates"].numpy()
        assert set(inputs) == {"items", "mask", "buckets", "candidates"}
        assert candidates.shape[1] == 2 and (labels.numpy() == [1.0, 0.0]).all()
        for history, (positive, negative) in zip(items, candidates, strict=True):
            assert negative != positive and negative not in history  # DMRAN: N(S_c) not in S_c
        buckets = inputs["buckets"].numpy()
        assert ((buckets >= 0) & (buckets < 12)).all()
        rows += len(items)
    assert rows == len(data.targets("train"))
    batch = next(iter(next_item_dataset(data.by_user, data.targets("train")[:8], max_len=12, batch_size=8)))
    np.testing.assert_array_equal(m.inputs(batch, batch["target"][:, None])["buckets"].numpy(),
                                  day_bucket(batch["ages"]).numpy())


def test_fit_and_full_ranking_scores():
    data = short_sequences(12)
    m = method()
    calls = []
    set_seed(0)
    info = m.fit(data, FitContext(0, validate=lambda: calls.append(1) or 0.5, monitor="score"))
    assert calls == [1] and info["epochs_run"] == 1
    batch = next(iter(next_item_dataset(data.by_user, data.targets("valid")[:5], max_len=12, batch_size=5)))
    scores = m.scores(batch).numpy()
    assert scores.shape == (5, data.items.size)
    for item in (1, 7, data.items.size - 1):
        alone = m.model(m.inputs(batch, np.full((5, 1), item, "int32"))).numpy()[:, 0]
        np.testing.assert_allclose(scores[:, item], alone, rtol=1e-5, atol=1e-6)


def test_learning_rate_drops_after_drop_patience_flat_epochs():
    data = short_sequences(12)
    rates = {}
    for patience in (1, 2):
        m = method(epochs=3, drop_patience=patience, patience=5)
        scores = iter([0.5, 0.4, 0.6])  # epoch 2 is flat, epoch 3 improves
        m.fit(data, FitContext(0, validate=lambda scores=scores: next(scores), monitor="score"))
        rates[patience] = float(np.asarray(m.model.optimizer.learning_rate))
    assert rates[1] == pytest.approx(0.1) and rates[2] == 1.0


def test_the_drop_restarts_the_early_stopping_count():
    """Best at epoch 1, flat after: the drop after 2 flat epochs (end of epoch 3) restarts the count, so
    3 more flat epochs run at the lower rate (without the restart training stopped at epoch 4)."""
    m = method(epochs=10, drop_patience=2, patience=3)
    scores = iter([0.6] + [0.5] * 9)
    info = m.fit(short_sequences(12), FitContext(0, validate=lambda: next(scores), monitor="score"))
    assert info["epochs_run"] == 6 and info["best_epoch"] == 1 and info["stopped_by"] == "early stopping"
    assert float(np.asarray(m.model.optimizer.learning_rate)) == pytest.approx(0.1)  # dropped once only
