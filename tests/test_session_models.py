"""NARM, NARM+, NARM++ and STAMP: one pass equals per prefix, causality, padding, hand-computed values,
time-awareness, reload and training."""

import keras
import numpy as np
import pytest
from next_item_checks import short_sequences, whole_windows

from seqrec.datasets.pipelines import next_item_dataset
from seqrec.models.session import NARM, STAMP

L = 12

MODELS = {
    "narm": lambda n, **kw: NARM(n, 5, **kw),
    "narm-softmax": lambda n, **kw: NARM(n, 5, attention_softmax=True, **kw),
    "narm-tgru": lambda n, **kw: NARM(n, 5, unit="tgru", **kw),
    "narm+": lambda n, **kw: NARM(n, 5, **{"time_aware": True, **kw}),
    "narm++": lambda n, **kw: NARM(n, 5, **{"unit": "tgru", "time_aware": True, **kw}),
    "stamp": lambda n, **kw: STAMP(n, 5, **kw),
}
MAIN = ["narm", "narm+", "narm++", "stamp"]


@pytest.fixture(scope="module")
def data():
    return short_sequences(L)


@pytest.fixture(scope="module")
def table(data):
    return whole_windows(data, L)[0]


@pytest.fixture(scope="module")
def windows(data):
    """One window per user: every user has at most L + 1 events."""
    return whole_windows(data, L)[1]


@pytest.fixture(scope="module")
def prefixes(data):
    ds = next_item_dataset(data.by_user, data.targets("test"), max_len=L, batch_size=32)
    return {k: v.numpy() for k, v in next(iter(ds)).items()}


def with_categories(model, n=5):
    """Give item i the category i % n (0, "none", for the padding item)."""
    ids = np.arange(model.n_items)
    model.set_item_categories((ids % n) * (ids > 0))
    return model


def make(name, data, **kwargs):
    return with_categories(MODELS[name](data.items.size, dim=8, **kwargs))


def inputs_of(batch, window: bool):
    keys = ("items", "mask", "gaps", "target_gaps" if window else "ages")
    return {k: batch[k] for k in keys}


@pytest.mark.parametrize("name", list(MODELS))
def test_one_pass_equals_per_prefix_within_the_maximum_length(data, table, windows, name):
    """The window-mode logits after position j equal the prefix-mode logits for the prefix ending at j."""
    keras.utils.set_random_seed(1)
    one_pass = unit_scale_embeddings(make(name, data, all_positions=True), windows)
    all_logits = one_pass(windows).numpy()
    rows, cols = np.nonzero(windows["mask"])
    targets = table.offsets[windows["user"][rows]] + cols + 1  # the event after position j
    batch = next(iter(next_item_dataset(table, targets, max_len=L, batch_size=len(targets))))
    batch = {k: v.numpy() for k, v in batch.items()}
    prefix_model = one_pass.with_mode(False, batch["items"].shape[1])
    assert len(targets) > 50
    np.testing.assert_allclose(prefix_model(batch).numpy(), all_logits[rows, cols], rtol=2e-4, atol=2e-5)


@pytest.mark.parametrize("name", MAIN)
def test_causal_in_window_mode(data, windows, name):
    """Changing the events from position p on leaves the logits before p unchanged, and changes p's."""
    keras.utils.set_random_seed(2)
    model = unit_scale_embeddings(make(name, data, all_positions=True), windows)
    p = 4
    rows = np.flatnonzero(windows["mask"][:, p])
    changed = {k: v.copy() for k, v in windows.items()}
    rng = np.random.default_rng(0)
    shift = rng.integers(1, data.items.size - 1, (1, L - p))  # another item in 1..n_items - 1
    changed["items"][:, p:] = (changed["items"][:, p:] - 1 + shift) % (data.items.size - 1) + 1
    changed["gaps"][:, p:] *= rng.uniform(0.1, 10.0, (len(changed["gaps"]), L - p))
    changed["target_gaps"][:, p:] *= 3.0
    before, after = model(windows).numpy(), model(changed).numpy()
    np.testing.assert_allclose(after[:, :p], before[:, :p], rtol=1e-6, atol=1e-7)
    assert np.abs(after[rows, p] - before[rows, p]).max(-1).min() > 1e-6


def garbage(batch, rng, n_items):
    """``batch`` with random items and times in its padded slots."""
    out = {k: v.copy() for k, v in batch.items()}
    pad = ~out["mask"]
    out["items"] = np.where(pad, rng.integers(1, n_items, pad.shape), out["items"]).astype(np.int32)
    for key in ("gaps", "ages", "target_gaps"):
        if key in out:
            out[key] = np.where(pad, rng.uniform(0, 1e6, pad.shape), out[key]).astype(np.float32)
    return out


def pad(batch, n, side, rng, n_items):
    """``batch`` with ``n`` more padded slots (holding random items and times) on ``side``."""
    out = {}
    for key, v in batch.items():
        if v.ndim < 2:
            out[key] = v
            continue
        if key == "mask":
            extra = np.zeros((len(v), n), bool)
        elif key == "items":
            extra = rng.integers(1, n_items, (len(v), n)).astype(v.dtype)
        else:
            extra = rng.uniform(0, 1e6, (len(v), n)).astype(v.dtype)
        out[key] = np.concatenate([extra, v] if side == "left" else [v, extra], axis=1)
    return out


@pytest.mark.parametrize("name", MAIN)
def test_padding_does_not_change_the_results(data, windows, prefixes, name):
    """Neither the padded slots' contents nor their number change the valid positions' logits."""
    keras.utils.set_random_seed(3)
    rng = np.random.default_rng(1)
    n = data.items.size
    x = inputs_of(prefixes, window=False)
    assert (~x["mask"]).any()  # some prefixes are padded
    model = unit_scale_embeddings(make(name, data), x)
    expected = model(x).numpy()
    np.testing.assert_allclose(model(garbage(x, rng, n)).numpy(), expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model(pad(garbage(x, rng, n), 5, "left", rng, n)).numpy(), expected,
                               rtol=1e-5, atol=1e-6)
    w = inputs_of(windows, window=True)
    one_pass = model.with_mode(True, w["items"].shape[1])
    valid = w["mask"]
    expected = one_pass(w).numpy()[valid]
    got = one_pass(pad(garbage(w, rng, n), 5, "right", rng, n)).numpy()[:, :L]
    # a longer row changes the float32 reduction order of some kernels: seen 2.4e-6 apart on a logit of 0.05
    np.testing.assert_allclose(got[valid], expected, rtol=1e-5, atol=1e-5)


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def test_stamp_by_hand():
    """STAMP on one left-padded prefix of three items, with set weights."""
    rng = np.random.default_rng(4)
    n_items, d = 6, 3
    model = STAMP(n_items, dim=d, dropout=0.0, l2=0.0)
    x = {"items": np.array([[0, 2, 5, 1]], np.int32), "mask": np.array([[False, True, True, True]]),
         "gaps": np.array([[0, 0, 60, 120]], np.float32), "ages": np.array([[0, 900, 300, 60]], np.float32)}
    model(x)
    for w in model.weights:
        w.assign(rng.normal(size=w.shape).astype("float32"))
    e = model.item_embedding.embeddings.numpy()
    k = {layer.name: [w.numpy() for w in layer.weights] for layer in model.layers}
    xs = e[[2, 5, 1]]
    m_s, m_t = xs.mean(0), xs[-1]
    (w1, b_a), (w2,), (w3,), (w0,) = (k["attention_items"], k["attention_last"], k["attention_session"],
                                      k["attention_vector"])
    alpha = sigmoid(xs @ w1 + b_a + m_t @ w2 + m_s @ w3) @ w0[:, 0]
    m_a = alpha @ xs
    (w_s, b_s), (w_t, b_t) = k["mlp_session"], k["mlp_last"]
    user = np.tanh(m_a @ w_s + b_s) * np.tanh(m_t @ w_t + b_t)
    np.testing.assert_allclose(model(x).numpy()[0], user @ e.T, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(model.attention(x).numpy()[0, 0], [0.0, *alpha], rtol=1e-5, atol=1e-6)


def masked_softmax(scores, mask):
    s = np.where(mask, scores, -np.inf)
    s = np.exp(s - s.max(-1, keepdims=True))
    return s / s.sum(-1, keepdims=True)


def reference(model, x):
    """The model's states, then its local encoder and bilinear decoder in numpy (prefix mode): NARM's
    additive attention, or MTAM's time-aware attention (Eq. 16-20, scalar gate parameters)."""
    h = np.asarray(model.states(x, model.embed(x))[0])
    last, mask = h[:, -1], x["mask"]
    if model.time_aware:
        att = model.time_attention
        w = {name: getattr(att, name).numpy() for name in
             ("w_delta", "b_delta", "b_tau", "w_g_delta", "w_g_tau", "b_g", "w_tau")}
        gap = np.abs(0.0 - (-x["ages"] / 3600.0))  # the target at time 0, events at minus their ages
        delta = np.tanh(np.log(gap + 1.0) * w["w_delta"] + w["b_delta"])
        tau = np.tanh(np.einsum("bd,de,bke->bk", last, w["w_tau"], h) + w["b_tau"])
        gate = sigmoid(delta * w["w_g_delta"] + tau * w["w_g_tau"] + w["b_g"])
        weights = masked_softmax(np.einsum("bd,bkd->bk", last, h) * gate / np.sqrt(h.shape[-1]), mask)
    else:
        a1, a2, v = (layer.kernel.numpy() for layer in (model.a1, model.a2, model.v))
        scores = sigmoid((last @ a1)[:, None] + h @ a2) @ v[:, 0]
        weights = masked_softmax(scores, mask) if model.attention_softmax else scores * mask
    c = np.concatenate([last, np.einsum("bk,bkd->bd", weights, h)], -1)
    return c @ model.decoder.kernel.numpy() @ model.item_embedding.embeddings.numpy().T


@pytest.mark.parametrize("name", ["narm", "narm-softmax", "narm+", "narm++"])
def test_local_encoder_and_bilinear_decoder_by_hand(data, prefixes, name):
    """NARM's additive attention (raw or softmax-normalised) and NARM+/NARM++'s time-aware attention
    with the target's time, each followed by NARM's bilinear decoder."""
    keras.utils.set_random_seed(5)
    x = inputs_of(prefixes, window=False)
    model = unit_scale_embeddings(make(name, data, dropout=0.0), x)
    if model.time_aware:  # gate parameters away from their initial values, so that each one counts
        for weight in model.time_attention.weights:
            if weight.shape == (1, 1):
                weight.assign(np.random.default_rng(5).normal(size=(1, 1)).astype("float32"))
    np.testing.assert_allclose(model(x).numpy(), reference(model, x), rtol=1e-4, atol=1e-5)


def unit_scale_embeddings(model, x, seed=0):
    """Build ``model`` on ``x`` and give it N(0, 1) embeddings: with the default small initial
    embeddings the states are so small that every attention is nearly uniform whatever the gate."""
    model(x)
    rng = np.random.default_rng(seed)
    for layer in (model.item_embedding, model.category_embedding):
        layer.embeddings.assign(rng.normal(size=layer.embeddings.shape).astype("float32"))
    return model


def changes(model, x, factor):
    """How much scaling every time difference by ``factor`` moves the logits, relative to their size."""
    before = model(x).numpy()
    return np.abs(model(retimed(x, factor)).numpy() - before).max() / np.abs(before).max()


def retimed(x, factor):
    """The same events with every time difference scaled (1e-3: from hours to seconds-sized gaps,
    where the temporal gates are not saturated)."""
    return {**x, "gaps": x["gaps"] * factor, "ages": x["ages"] * factor}


@pytest.mark.parametrize(("name", "reads_time"), [("narm", False), ("narm-softmax", False), ("stamp", False),
                                                  ("narm-tgru", True), ("narm+", True), ("narm++", True)])
def test_only_the_time_aware_variants_read_time(data, prefixes, name, reads_time):
    """NARM and STAMP ignore the times; the time-aware attention and the T-GRU read them."""
    keras.utils.set_random_seed(6)
    x = inputs_of(prefixes, window=False)
    model = unit_scale_embeddings(make(name, data), x)
    diff = changes(model, x, 1e-3)
    assert (diff > 1e-3) if reads_time else (diff < 1e-7)


def test_narm_plus_without_its_time_aware_attention_is_narm(data, prefixes):
    """NARM+ without its time-aware attention is NARM itself (same weights, same logits)."""
    keras.utils.set_random_seed(7)
    x = inputs_of(prefixes, window=False)
    a = unit_scale_embeddings(make("narm+", data, time_aware=False, attention_softmax=True), x)
    b = make("narm-softmax", data)
    b(x)
    b.set_weights(a.get_weights())
    np.testing.assert_allclose(b(x).numpy(), a(x).numpy(), rtol=1e-6)
    with pytest.raises(ValueError, match="unit"):
        NARM(10, unit="lstm")
    with pytest.raises(ValueError, match="attention_softmax"):
        NARM(10, time_aware=True, attention_softmax=True)


@pytest.mark.parametrize("name", [*MAIN, "narm-softmax"])
def test_save_and_reload(data, prefixes, name, tmp_path):
    keras.utils.set_random_seed(8)
    model = make(name, data)
    x = inputs_of(prefixes, window=False)
    expected = model(x).numpy()
    model.save(tmp_path / "model.keras")
    loaded = keras.models.load_model(tmp_path / "model.keras")
    assert type(loaded) is type(model) and loaded.get_config() == model.get_config()
    np.testing.assert_allclose(loaded(x).numpy(), expected, rtol=1e-5, atol=1e-6)
    weights = np.asarray(loaded.attention(x))
    assert weights.shape == (len(x["items"]), 1, L)
    assert np.all(weights[~np.broadcast_to(x["mask"][:, None], weights.shape)] == 0)


@pytest.mark.parametrize("name", MAIN)
def test_trains(data, name):
    keras.utils.set_random_seed(0)
    ds = next_item_dataset(data.by_user, data.targets("train"), max_len=L, batch_size=64, label="target")
    ds = ds.map(lambda x, y: ({k: x[k] for k in ("items", "mask", "gaps", "ages")}, y))
    model = with_categories(MODELS[name](data.items.size, dim=16, dropout=0.0))
    model.compile(optimizer=keras.optimizers.Adam(1e-2),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    history = model.fit(ds, epochs=8, verbose=0, shuffle=False)
    loss = history.history["loss"]
    assert loss[-1] < 0.97 * loss[0] and loss[-1] < min(loss[:-1])

