"""Next-item methods (`seqrec.training`): window-mode training, P-Pop, a factor model, item categories;
and on synthetic data whose next item depends on the time gap, T-GRU beats GRU."""

import numpy as np
import pandas as pd
import pytest
import tensorflow as tf

from seqrec.datasets import Interactions, protocols
from seqrec.datasets.features import item_categories
from seqrec.datasets.pipelines import SequenceData
from seqrec.datasets.sequences import Vocabulary
from seqrec.datasets.synthetic import SyntheticSpec, generate
from seqrec.evaluation.tasks import NextItemTask
from seqrec.experiments.pipeline import RunOptions, fit
from seqrec.models import BPR, MTAM, VBPR, PersonalPop, TopPop
from seqrec.training import FactorAdapter, KerasNextItem, PersonalPopAdapter, next_item_model

MAX_LEN = 30


@pytest.fixture(scope="module")
def gap_data():
    """Binges (short previous gap: the next item is the previous one's successor) and favourites
    (long gap) in equal shares, little noise."""
    events, items, _ = generate(SyntheticSpec(n_users=400, n_items=120, n_clusters=6, min_length=20,
                                              max_length=30, p_short=0.5, noise=0.02, seed=7))
    interactions = Interactions("synthetic", events, items, "flat")
    return SequenceData.encode(protocols.leave_last_out(interactions.events), interactions)


def recurrent(unit, windows=True, epochs=6):
    def build(data):
        return next_item_model(MTAM, data, dim=32, hops=0, unit=unit, memory_len=MAX_LEN, dropout=0.0,
                               l2=0.0, all_positions=windows)

    return KerasNextItem(unit, build, max_len=MAX_LEN, batch_size=256, epochs=epochs, learning_rate=1e-2,
                         patience=2, windows=windows)


def fit_and_test(method, data, seed=0):
    task = NextItemTask(ks=(10,), batch_size=256)
    info = fit(method, data, task, RunOptions(seed=seed))
    return task.evaluate(method, data, "test"), info


def test_t_gru_beats_gru_when_the_next_item_depends_on_the_time_gap(gap_data):
    """After a short gap the next item is the previous one's successor; after a long one a favourite.
    Both usually sit in the top 10 of either model, so the gap shows in the probability of the target
    (cross-entropy) more than in the ranking; T-GRU must win on both."""
    task = NextItemTask(ks=(10,), batch_size=256)
    out = {}
    for unit in ("gru", "tgru"):
        method = recurrent(unit, epochs=8)
        result, _ = fit_and_test(method, gap_data)
        losses = [tf.nn.sparse_softmax_cross_entropy_with_logits(b["target"], method.scores(b)).numpy()
                  for b in task.eval_dataset(gap_data, "test", MAX_LEN)]
        out[unit] = (float(np.concatenate(losses).mean()), result.mean()["ndcg@10"])
    assert out["tgru"][0] < out["gru"][0] - 0.05, out
    assert out["tgru"][1] > out["gru"][1], out


def test_window_training_selects_on_validation_and_evaluates_per_prefix(gap_data):
    method = recurrent("tgru", epochs=2)
    result, info = fit_and_test(method, gap_data)
    assert info["epochs_run"] == 2 and len(info["train_loss"]) == 2
    assert method.eval_model is not method.model
    assert not method.eval_model.all_positions and method.model.all_positions
    for a, b in zip(method.eval_model.get_weights(), method.model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    assert len(result.rows) == len(gap_data.targets("test"))
    assert "window mode" in method.hyperparameters["training"]
    assert method.hyperparameters["window_batch"] == 256 // MAX_LEN


def test_p_pop_ranks_the_users_own_items_first_then_top_pop(gap_data):
    task = NextItemTask()
    method = PersonalPopAdapter(max_len=MAX_LEN)
    fit(method, gap_data, task)
    assert isinstance(method.model, PersonalPop)
    batch = next(iter(task.eval_dataset(gap_data, "test", method.max_len)))
    scores = method.scores(batch).numpy()
    items, mask = batch["items"].numpy(), batch["mask"].numpy()
    counts = np.bincount(gap_data.by_user.values[gap_data.parts == 0], minlength=gap_data.items.size)
    for row in range(5):
        own = np.bincount(items[row][mask[row]], minlength=gap_data.items.size)
        expected = np.lexsort((-counts, -own))  # by own count, then by training popularity
        ranked = np.argsort(-scores[row], kind="stable")
        assert list(ranked[: own.astype(bool).sum()]) == list(expected[: own.astype(bool).sum()])
        unseen = ranked[own[ranked] == 0][:10]
        assert (np.diff(counts[unseen]) <= 0).all()
    # P-Pop and TopPop differ exactly by the personal counts
    top = FactorAdapter("Top Pop", TopPop)
    fit(top, gap_data, task)
    assert not np.allclose(np.argsort(-top.scores(batch).numpy()[0]), np.argsort(-scores[0]))


def test_factor_model_scores_every_item_from_the_users_factors(gap_data):
    method = FactorAdapter("BPR-MF", BPR, dim=8, epochs=2)
    result, info = fit_and_test(method, gap_data)
    assert "best_valid" in info and np.isfinite(result.mean()["hr@10"])
    batch = next(iter(NextItemTask().eval_dataset(gap_data, "test", MAX_LEN)))
    np.testing.assert_allclose(method.scores(batch).numpy(), method.model.score_all(batch["user"].numpy()))
    repeated = np.array([3, 1, 3, 0, 1], np.int32)  # a user's prefixes share one scored row
    np.testing.assert_allclose(method.scores({"user": repeated}).numpy(), method.model.score_all(repeated),
                               rtol=1e-5, atol=1e-7)


def test_factor_adapter_passes_arguments_computed_from_the_data(gap_data):
    seen = []

    def visual(data):
        seen.append(data.items.size)
        return {"visual": np.eye(data.items.size, 3, dtype="float32")}

    method = FactorAdapter("VBPR", VBPR, inputs=visual, dim=4, visual_dim=2, epochs=1)
    fit_and_test(method, gap_data)
    assert seen == [gap_data.items.size] and method.model.visual.shape == (gap_data.items.size, 3)


def test_item_categories_first_flat_feature_or_hierarchy_leaf():
    vocab = Vocabulary.fit(pd.Series(["a", "b", "c"]))
    items = pd.DataFrame({"features": [("Drama", "Comedy"), (), ("Action",)]}, index=["a", "b", "c"])
    ids, names = item_categories(items, vocab, "flat")
    assert [names[i] for i in ids[vocab.encode(pd.Series(["a", "b", "c"]))]] == ["Drama", "<none>", "Action"]
    assert ids[0] == 0
    paths = pd.DataFrame({"features": [("Electronics", "Audio"), ("Electronics",), ("Books", "Audio")]},
                         index=["a", "b", "c"])
    ids, names = item_categories(paths, vocab, "hierarchy")
    got = [names[i] for i in ids[vocab.encode(pd.Series(["a", "b", "c"]))]]
    assert got == ["Electronics>Audio", "Electronics", "Books>Audio"]  # leaves named by their path
    ids, names = item_categories(None, vocab, "none")
    assert (ids == 0).all() and list(names) == ["<none>"]


def test_models_built_for_data_carry_each_items_category(gap_data):
    model = next_item_model(MTAM, gap_data, dim=8, hops=1)
    ids, names = item_categories(gap_data.item_info, gap_data.items, "flat")
    assert model.n_categories == len(names) > 1
    np.testing.assert_array_equal(model.item_category.numpy(), ids)
    assert next_item_model(MTAM, gap_data, categories=False, dim=8).n_categories == 0
    with pytest.raises(ValueError, match="item categories"):
        model.set_item_categories(np.full(model.n_items, model.n_categories))


def test_window_loss_is_the_mean_over_real_targets(gap_data):
    """Padded positions weigh 0 and do not count in the mean: a chunk with more padding gets the same
    per-target weight as a full one."""
    method = recurrent("gru", epochs=1)
    fit_and_test(method, gap_data)
    x, y, w = next(iter(method.train_dataset(gap_data, seed=0)))
    assert 0 < float(tf.reduce_mean(w)) < 1  # the batch has padding
    logits = method.model(x)
    per_target = tf.nn.sparse_softmax_cross_entropy_with_logits(y, logits).numpy()
    expected = (per_target * w.numpy()).sum() / w.numpy().sum()
    assert float(method.model.loss(y, logits, w)) == pytest.approx(expected, rel=1e-5)
