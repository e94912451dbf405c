"""MTAM: one pass over a window equals the per-prefix computation; variants, reload, training."""

import keras
import numpy as np
import pytest
from next_item_checks import short_sequences

from seqrec.datasets.pipelines import next_item_dataset, sequence_dataset
from seqrec.models.mtam import MTAM

L = 12


@pytest.fixture(scope="module")
def data():
    return short_sequences(L)


def with_categories(model, n=5):
    """Give item i the category i % n (0, "none", for the padding item)."""
    ids = np.arange(model.n_items)
    model.set_item_categories((ids % n) * (ids > 0))
    return model


VARIANTS = [("tgru", "behaviours", True, "scalar"), ("gru", "states", False, "scalar"),
            ("tseqrec", "behaviours", True, "scalar"), ("tgru", "behaviours", True, "position")]


@pytest.mark.parametrize(("unit", "memory", "time_aware", "gate_shape"), VARIANTS)
def test_one_pass_equals_per_prefix_within_the_maximum_length(data, unit, memory, time_aware, gate_shape):
    """Every user has at most L + 1 events, so one window covers the whole sequence. The position gate
    gets different parameters for every recency, so that indexing them by padded slot (which differs
    between a left-padded prefix and a right-padded window) would show."""
    table = data.history_tables(("train", "valid", "test"))[0]
    windows = next(iter(sequence_dataset(table, max_len=L, batch_size=100)))
    windows = {k: v.numpy() for k, v in windows.items()}
    one_pass = with_categories(MTAM(data.items.size, 5, dim=8, hops=2, memory_len=L, unit=unit,
                                    memory=memory, time_aware=time_aware, gate_shape=gate_shape,
                                    all_positions=True))
    one_pass(windows)
    rng = np.random.default_rng(0)  # unit-scale embeddings, so that logits are far from 0
    if gate_shape == "position":
        for attention in one_pass.reader.attentions:
            for weight in (attention.w_delta, attention.b_delta, attention.w_g_delta, attention.w_g_tau,
                           attention.b_g):
                weight.assign(rng.normal(size=weight.shape).astype("float32"))
    for embedding in (one_pass.item_embedding, one_pass.category_embedding):
        embedding.embeddings.assign(rng.normal(size=embedding.embeddings.shape).astype("float32"))
    all_logits = one_pass(windows).numpy()
    assert np.abs(all_logits).mean() > 0.1
    prefix_model = None
    for k in np.flatnonzero(windows["mask"].sum(1) > 0)[:8]:
        user = windows["user"][k]
        start = table.offsets[user]
        for j in np.flatnonzero(windows["mask"][k]):
            target = start + j + 1  # the event after position j
            batch = next(iter(next_item_dataset(table, np.array([target]), max_len=L, batch_size=1)))
            batch = {key: v.numpy() for key, v in batch.items()}
            if prefix_model is None:
                prefix_model = one_pass.with_mode(False, batch["items"].shape[1])
            np.testing.assert_allclose(prefix_model(batch).numpy()[0], all_logits[k, j], rtol=2e-4,
                                       atol=2e-5)


def test_mtam_trains_and_reloads(data, tmp_path):
    keras.utils.set_random_seed(0)
    ds = next_item_dataset(data.by_user, data.targets("train"), max_len=L, batch_size=64, label="target")
    ds = ds.map(lambda x, y: ({k: x[k] for k in ("items", "mask", "gaps", "ages")}, y))
    model = with_categories(MTAM(data.items.size, 5, dim=16, hops=2, memory_len=L, dropout=0.0))
    model.compile(optimizer=keras.optimizers.Adam(1e-2),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    history = model.fit(ds, epochs=3, verbose=0, shuffle=False)
    assert history.history["loss"][-1] < history.history["loss"][0]
    x, _ = next(iter(ds))
    model.save(tmp_path / "mtam.keras")
    np.testing.assert_allclose(keras.models.load_model(tmp_path / "mtam.keras")(x).numpy(), model(x).numpy(),
                               rtol=1e-5)
    weights = model.attention(x)
    assert len(weights) == 2 and weights[0].shape == (x["items"].shape[0], 1, L)
    assert np.allclose(np.asarray(weights[0]).sum(-1)[x["mask"].numpy().any(1)], 1.0, atol=1e-5)


def test_zero_hops_is_the_t_gru_alone(data):
    ds = next_item_dataset(data.by_user, data.targets("test"), max_len=L, batch_size=16)
    x = {k: v.numpy() for k, v in next(iter(ds)).items()}
    model = with_categories(MTAM(data.items.size, 5, dim=8, hops=0))
    x_emb = model.embed(x)
    event_times, _, gaps = model.times(x)
    from seqrec.models.mtam import recurrent_inputs

    states = model.rnn(recurrent_inputs("tgru", x_emb, event_times, gaps, x["mask"]), mask=x["mask"])
    expected = np.asarray(states[:, -1]) @ model.item_embedding.embeddings.numpy().T
    np.testing.assert_allclose(model(x).numpy(), expected, rtol=1e-5, atol=1e-6)
