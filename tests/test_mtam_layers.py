"""MTAM's layers: temporal gate, T-GRU, time-aware attention, multi-hop memory reader."""

import keras
import numpy as np
import pytest
from layer_checks import numeric_gradient_check, roundtrip, sigmoid

from seqrec.layers import MultiHopMemoryReader, TemporalGate, TGRUCell, TimeAwareAttention

RNG = np.random.default_rng(1)


def softmax(x, axis=-1):
    e = np.exp(x - x.max(axis, keepdims=True))
    return e / e.sum(axis, keepdims=True)


def test_temporal_gate_hand_value(tmp_path):
    gate = TemporalGate(4)
    x, h, gap = (RNG.normal(size=(3, 5)).astype("float32"), RNG.normal(size=(3, 4)).astype("float32"),
                 np.array([0.0, 2.0, 30.0], "float32"))
    g = gate([x, h, gap]).numpy()
    w = {v.name: v.numpy() for v in gate.weights}
    delta = np.tanh(np.log(gap[:, None] + 1) * w["w_delta"] + w["b_delta"])
    tau = np.tanh(np.concatenate([x, h], -1) @ w["w_tau"] + w["b_tau"])
    np.testing.assert_allclose(g, sigmoid(delta * w["w_g_delta"] + tau * w["w_g_tau"] + w["b_g"]), rtol=1e-5)
    roundtrip(TemporalGate(4), [x, h, gap], tmp_path)


def tgru_by_hand(cell, x, gap, previous):
    u = cell.units
    k, b = cell.kernel.numpy(), cell.bias.numpy()
    wx, wh = k[:-u], k[-u:]
    z = sigmoid(x @ wx[:, :u] + previous @ wh[:, :u] + b[:u])
    r = sigmoid(x @ wx[:, u:2 * u] + previous @ wh[:, u:2 * u] + b[u:2 * u])
    candidate = np.tanh(x @ wx[:, 2 * u:] + (previous * r) @ wh[:, 2 * u:] + b[2 * u:])
    g = cell.gate([x, previous, gap]).numpy()
    return z, g, candidate


@pytest.mark.parametrize("forced", [None, 0.0, 1.0])
def test_tgru_step_by_hand_and_forced_gates(forced):
    cell = TGRUCell(3)
    x = RNG.normal(size=(2, 4)).astype("float32")
    gap = np.array([1.0, 100.0], "float32")
    previous = RNG.normal(size=(2, 3)).astype("float32")
    cell.build((None, 5))
    if forced is not None:  # a gate bias of -/+ 1e4 saturates the sigmoid at exactly 0 or 1
        cell.gate.b_g.assign(np.full(3, 1e4 if forced else -1e4, "float32"))
    out, _ = cell(np.concatenate([x, gap[:, None]], -1), [previous])
    z, g, candidate = tgru_by_hand(cell, x, gap, previous)
    np.testing.assert_allclose(out.numpy(), z * g * previous + (1 - z) * candidate, rtol=1e-5, atol=1e-6)
    if forced == 0.0:  # the past state is dropped: only the candidate remains
        np.testing.assert_allclose(out.numpy(), (1 - z) * candidate, rtol=1e-5, atol=1e-6)
    if forced == 1.0:  # a plain GRU step (Eq. 9)
        np.testing.assert_allclose(out.numpy(), z * previous + (1 - z) * candidate, rtol=1e-5, atol=1e-6)


def test_tgru_masking_gradients_and_reload(tmp_path):
    rnn = keras.layers.RNN(TGRUCell(4))
    x = np.concatenate([RNG.normal(size=(2, 5, 3)), RNG.uniform(0, 50, (2, 5, 1))], -1).astype("float32")
    mask = np.array([[False, False, True, True, True], [True] * 5])
    np.testing.assert_allclose(rnn(x, mask=mask).numpy()[0], rnn(x[:1, 2:]).numpy()[0], rtol=1e-5)
    rnn64 = keras.layers.RNN(TGRUCell(3, dtype="float64"), dtype="float64")
    x64 = x[..., [0, 1, 2, 3]].astype("float64")
    rnn64(x64)
    for weight in (rnn64.cell.kernel, rnn64.cell.gate.w_tau, rnn64.cell.gate.w_delta):
        numeric_gradient_check(rnn64, x64, weight)
    roundtrip(keras.layers.RNN(TGRUCell(4)), x, tmp_path)


def attention_inputs(b=2, lq=3, lk=5, d=4):
    q, k, v = (RNG.normal(size=(b, n, d)).astype("float32") for n in (lq, lk, lk))
    tq = RNG.uniform(0, 10, (b, lq)).astype("float32")
    tk = RNG.uniform(-50, 0, (b, lk)).astype("float32")
    return [q, k, v, tq, tk]


def test_time_aware_attention_with_gate_one_is_scaled_dot_product():
    layer = TimeAwareAttention()
    inputs = attention_inputs()
    layer(inputs)
    layer.b_g.assign(np.full((1, 1), 1e4, "float32"))
    q, k, v = inputs[:3]
    expected = softmax(np.einsum("bqd,bkd->bqk", q, k) / np.sqrt(4)) @ v
    np.testing.assert_allclose(layer(inputs).numpy(), expected, rtol=1e-5, atol=1e-6)
    plain = TimeAwareAttention(time_aware=False)  # the ablation's kernel: no gate, no weights
    np.testing.assert_allclose(plain(inputs).numpy(), expected, rtol=1e-5, atol=1e-6)
    assert plain.weights == []


def test_time_aware_attention_hand_gate_masks_and_reload(tmp_path):
    layer = TimeAwareAttention()
    inputs = attention_inputs()
    mask = np.array([[True, True, False, True, False], [False] * 5])
    out, weights = layer(inputs, mask=mask, return_attention=True)
    q, k, v, tq, tk = inputs
    w = {name: getattr(layer, name).numpy() for name in
         ("w_delta", "b_delta", "w_tau", "b_tau", "w_g_delta", "w_g_tau", "b_g")}
    delta = np.tanh(np.log(np.abs(tq[:, :, None] - tk[:, None, :]) + 1) * w["w_delta"] + w["b_delta"])
    tau = np.tanh(np.einsum("bqd,de,bke->bqk", q, w["w_tau"], k) + w["b_tau"])
    g = sigmoid(delta * w["w_g_delta"] + tau * w["w_g_tau"] + w["b_g"])
    logits = np.einsum("bqd,bkd->bqk", q, k) * g / 2.0
    logits[0][:, ~mask[0]] = -np.inf
    expected = softmax(logits[0]) @ v[0]
    np.testing.assert_allclose(out.numpy()[0], expected, rtol=1e-5, atol=1e-6)
    assert (np.asarray(weights)[0][:, ~mask[0]] == 0).all()
    assert (out.numpy()[1] == 0).all()  # no key allowed: zeros
    roundtrip(TimeAwareAttention(), inputs, tmp_path)


def test_position_gate_option_and_gradients():
    layer = TimeAwareAttention("position", max_query_len=4, max_key_len=6)
    inputs = attention_inputs(lq=3, lk=5)
    assert layer(inputs).shape == (2, 3, 4) and layer.w_delta.shape == (4, 6)
    with pytest.raises(ValueError, match="max_query_len"):
        TimeAwareAttention("position")
    layer64 = TimeAwareAttention(dtype="float64")
    inputs64 = [t.astype("float64") for t in inputs]
    layer64(inputs64)
    for weight in (layer64.w_tau, layer64.w_delta, layer64.b_g):
        numeric_gradient_check(layer64, inputs64, weight)


def test_memory_reader_hops_residual_and_band_mask(tmp_path):
    intent = RNG.normal(size=(2, 4)).astype("float32")
    memory = RNG.normal(size=(2, 5, 4)).astype("float32")
    t_mem = -RNG.uniform(0, 100, (2, 5)).astype("float32")
    t_query = np.zeros(2, "float32")
    mask = np.array([[True] * 3 + [False] * 2, [True] * 5])
    assert np.array_equal(MultiHopMemoryReader(0)([intent, memory, t_query, t_mem], mask=mask), intent)
    reader = MultiHopMemoryReader(2)
    out, weights = reader([intent, memory, t_query, t_mem], mask=mask, return_attention=True)
    c = intent
    for w_q, att in zip(reader.w_q, reader.attentions, strict=True):
        read = att([np.asarray(c @ w_q.numpy())[:, None], memory @ reader.w_k.numpy(),
                    memory @ reader.w_v.numpy(), t_query[:, None], t_mem], mask=mask).numpy()[:, 0]
        c = c + read
    np.testing.assert_allclose(out.numpy(), c, rtol=1e-5, atol=1e-6)
    assert len(weights) == 2
    # one query per position under a band mask equals one call per position
    seq = RNG.normal(size=(1, 4, 4)).astype("float32")
    times = np.array([[0.0, 3.0, 7.0, 20.0]], "float32")
    band = np.tril(np.ones((4, 4), bool))[None]
    all_at_once = reader([seq, seq, times, times], mask=band).numpy()
    for j in range(4):
        alone = reader([seq[:, j], seq[:, :j + 1], times[:, j], times[:, :j + 1]]).numpy()
        np.testing.assert_allclose(all_at_once[:, j], alone, rtol=1e-5, atol=1e-6)
    roundtrip(MultiHopMemoryReader(2), [intent, memory, t_query, t_mem], tmp_path)
