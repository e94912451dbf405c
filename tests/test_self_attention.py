"""SASRec, TiSASRec and time-aware self-attention: one pass equals per prefix, causality, padding,
the time-aware kernel's reduction to SASRec, personalised intervals, training and reloading."""

import keras
import numpy as np
import pytest
from next_item_checks import short_sequences, whole_windows

from seqrec.datasets.pipelines import next_item_dataset, sequence_dataset
from seqrec.models.self_attention import SASRec, TimeAwareSelfAttention, TiSASRec, personal_intervals

L = 12
MODELS = [SASRec, TimeAwareSelfAttention, TiSASRec]
GATE = ("w_delta", "b_delta", "b_tau", "w_g_delta", "w_g_tau", "b_g", "w_tau")


@pytest.fixture(scope="module")
def data():
    return short_sequences(L)


@pytest.fixture(scope="module")
def table(data):
    return whole_windows(data, L)[0]


@pytest.fixture(scope="module")
def windows(data):
    """Every user's whole sequence in one right-padded window (at most L + 1 events each)."""
    return whole_windows(data, L)[1]


def build(cls, data, **kwargs):
    keras.utils.set_random_seed(1)
    return cls(data.items.size, dim=8, max_len=L, **kwargs)


@pytest.mark.parametrize("cls", MODELS)
def test_one_pass_equals_per_prefix_within_the_maximum_length(data, table, windows, cls):
    """Window mode's logits after position j equal prefix mode's for the target after j, for every
    position of every user, with one set of weights (`with_mode`)."""
    one_pass = build(cls, data, all_positions=True)
    all_logits = one_pass(windows).numpy()
    pairs = [(k, j) for k in range(len(windows["user"])) for j in np.flatnonzero(windows["mask"][k])]
    targets = np.array([table.offsets[windows["user"][k]] + j + 1 for k, j in pairs])
    prefixes = next(iter(next_item_dataset(table, targets, max_len=L, batch_size=len(targets))))
    prefixes = {k: v.numpy() for k, v in prefixes.items()}
    assert (prefixes["mask"].sum(1) == [j + 1 for _, j in pairs]).all()
    per_prefix = one_pass.with_mode(False, prefixes["items"].shape[1])(prefixes).numpy()
    np.testing.assert_allclose(per_prefix, np.stack([all_logits[k, j] for k, j in pairs]), rtol=2e-4,
                               atol=2e-5)


@pytest.mark.parametrize("cls", MODELS)
def test_a_later_event_does_not_change_earlier_positions(data, windows, cls):
    model = build(cls, data, all_positions=True)
    before = model(windows).numpy()
    rng = np.random.default_rng(0)
    cut = 4
    changed = {k: v.copy() for k, v in windows.items()}
    later = changed["mask"][:, cut:]
    changed["items"][:, cut:] = np.where(later, rng.integers(1, data.items.size, later.shape), 0)
    changed["gaps"][:, cut:] = np.where(later, rng.uniform(1.0, 1e6, later.shape), 0.0).astype("float32")
    after = model(changed).numpy()
    np.testing.assert_allclose(after[:, :cut], before[:, :cut], rtol=1e-5, atol=1e-6)
    valid = windows["mask"][:, cut:]
    assert np.abs(after[:, cut:] - before[:, cut:]).max(-1)[valid].min() > 1e-4


def pad(batch, extra, side, rng, n_items):
    """``extra`` more padded slots on ``side``, holding random items and times (still masked)."""
    out = {}
    for key, value in batch.items():
        if value.ndim != 2:
            out[key] = value
            continue
        filler = (np.zeros((len(value), extra), bool) if key == "mask" else
                  rng.integers(1, n_items, (len(value), extra)).astype(value.dtype) if key == "items" else
                  rng.uniform(0.0, 1e6, (len(value), extra)).astype(value.dtype))
        out[key] = np.concatenate([filler, value] if side == "left" else [value, filler], axis=1)
    return out


@pytest.mark.parametrize("cls", MODELS)
def test_padding_does_not_change_results(data, table, windows, cls):
    """More padding, holding arbitrary items and times, changes nothing in either mode."""
    rng = np.random.default_rng(1)
    keras.utils.set_random_seed(1)
    one_pass = cls(data.items.size, dim=8, max_len=L + 3, all_positions=True)
    expected = one_pass(windows).numpy()
    padded = one_pass(pad(windows, 3, "right", rng, data.items.size)).numpy()[:, :L]
    valid = windows["mask"]
    np.testing.assert_allclose(padded[valid], expected[valid], rtol=1e-5, atol=1e-6)

    last = (table.offsets[1:] - 1)[np.diff(table.offsets) > 0]  # every user's latest event
    prefixes = next(iter(next_item_dataset(table, last, max_len=L - 4, batch_size=100)))
    prefixes = {k: v.numpy() for k, v in prefixes.items()}
    assert not prefixes["mask"][:, 0].all()  # some rows are already padded
    prefix_model = one_pass.with_mode(False, prefixes["items"].shape[1])
    np.testing.assert_allclose(prefix_model(pad(prefixes, 7, "left", rng, data.items.size)).numpy(),
                               prefix_model(prefixes).numpy(), rtol=1e-5, atol=1e-6)


def test_time_aware_attention_with_a_gate_of_one_is_sasrec(data, windows):
    """With every temporal gate at 1 (b_g large) the time-aware variant is SASRec with the same
    weights; ``time_aware=False`` is SASRec outright."""
    sasrec = build(SASRec, data, all_positions=True)
    expected = sasrec(windows).numpy()
    time_aware = build(TimeAwareSelfAttention, data, all_positions=True)
    time_aware(windows)
    shared = [w for w in time_aware.weights if w.name not in GATE]
    assert [w.shape for w in shared] == [w.shape for w in sasrec.weights]
    for target, source in zip(shared, sasrec.weights, strict=True):
        target.assign(source)
    assert np.abs(time_aware(windows).numpy() - expected).max() > 1e-3  # the gate matters
    gates = [w for w in time_aware.weights if w.name == "b_g"]
    assert len(gates) == 2
    for b_g in gates:
        b_g.assign(np.full(b_g.shape, 30.0))  # sigmoid(>= 28) is 1 in float32
    np.testing.assert_allclose(time_aware(windows).numpy(), expected, rtol=1e-5, atol=1e-6)

    plain = build(TimeAwareSelfAttention, data, all_positions=True, time_aware=False)
    plain(windows)
    plain.set_weights(sasrec.get_weights())
    np.testing.assert_allclose(plain(windows).numpy(), expected, rtol=1e-6, atol=1e-7)


def test_times_reach_only_the_time_aware_models(data, windows):
    """Changing the gaps changes the time-aware models but not SASRec; doubling every gap leaves
    TiSASRec's intervals, counted in the user's minimum gap, unchanged."""
    rng = np.random.default_rng(2)
    stretched = {**windows, "gaps": (windows["gaps"] * rng.uniform(0.1, 10.0, windows["gaps"].shape))
                 .astype("float32")}
    doubled = {**windows, "gaps": windows["gaps"] * np.float32(2.0)}
    valid = windows["mask"]
    for cls in MODELS:
        model = build(cls, data, all_positions=True)
        base = model(windows).numpy()
        change = np.abs(model(stretched).numpy() - base)[valid].max()
        assert (change < 1e-6) if cls is SASRec else (change > 1e-4), cls.__name__
    tisasrec = build(TiSASRec, data, all_positions=True)
    np.testing.assert_array_equal(tisasrec(doubled).numpy(), tisasrec(windows).numpy())


def test_personal_intervals_by_hand():
    """Gaps 0, 2, 0, 4, 1 hours: times 0, 2, 2, 6, 7; the minimum non-zero gap so far is none, 2, 2, 2,
    1; r_ij = min(k, round(|t_i - t_j| / r_min_i)) with k = 6, for j <= i."""
    gaps = np.array([[0.0, 2.0, 0.0, 4.0, 1.0]], "float32")
    expected = np.array([[0, 0, 0, 0, 0],
                         [1, 0, 0, 0, 0],
                         [1, 0, 0, 0, 0],
                         [3, 2, 2, 0, 0],
                         [6, 5, 5, 1, 0]])
    r = np.asarray(personal_intervals(gaps, np.ones_like(gaps, bool), 6))[0]
    np.testing.assert_array_equal(np.tril(r), expected)
    # left padding (with arbitrary gaps in the padded slots) gives the same matrix
    padded = np.concatenate([[[5.0, 0.5]], gaps], axis=1).astype("float32")
    mask = np.array([[False, False, True, True, True, True, True]])
    np.testing.assert_array_equal(np.tril(np.asarray(personal_intervals(padded, mask, 6))[0, 2:, 2:]),
                                  expected)


@pytest.mark.parametrize("cls", MODELS)
def test_trains_and_reloads(data, tmp_path, cls):
    keras.utils.set_random_seed(0)
    ds = next_item_dataset(data.by_user, data.targets("train"), max_len=L, batch_size=64, label="target")
    ds = ds.map(lambda x, y: ({k: x[k] for k in ("items", "mask", "gaps", "ages")}, y))
    extra = {"time_span": 64} if cls is TiSASRec else {}
    model = cls(data.items.size, dim=16, blocks=2, max_len=L + 2, dropout=0.2, **extra)
    model.compile(optimizer=keras.optimizers.Adam(1e-2),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    history = model.fit(ds, epochs=4, verbose=0, shuffle=False)
    assert history.history["loss"][-1] < history.history["loss"][0] - 0.1
    x, _ = next(iter(ds))
    config = model.get_config()
    assert config["max_len"] == L + 2 and config["blocks"] == 2 and config["dropout"] == 0.2
    model.save(tmp_path / "model.keras")
    reloaded = keras.models.load_model(tmp_path / "model.keras")
    assert type(reloaded) is cls and reloaded.get_config() == config
    np.testing.assert_allclose(reloaded(x).numpy(), model(x).numpy(), rtol=1e-5, atol=1e-6)


def test_window_mode_trains(data, table):
    """Loss at every position of right-padded windows, padding weighted 0."""
    keras.utils.set_random_seed(0)
    ds = sequence_dataset(table, max_len=L, batch_size=8, label="targets")
    ds = ds.map(lambda x, y: ({k: x[k] for k in ("items", "mask", "gaps", "target_gaps")}, y, x["mask"]))
    model = TiSASRec(data.items.size, dim=16, max_len=L, dropout=0.2, all_positions=True)
    model.compile(optimizer=keras.optimizers.Adam(1e-2),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    history = model.fit(ds, epochs=4, verbose=0, shuffle=False)
    assert history.history["loss"][-1] < history.history["loss"][0] - 0.1


def test_rows_longer_than_max_len_are_refused(data, windows):
    with pytest.raises(ValueError, match="max_len"):
        SASRec(data.items.size, dim=8, max_len=L - 1, all_positions=True)(windows)
