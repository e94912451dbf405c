"""MTAM's temporal gate (Eq. 10-12) and T-GRU cell (Eq. 6-9, 13): hand-computed values, forced gates,
masking, shapes, finite differences, serialisation and .keras reload."""

import keras
import numpy as np
import pytest
from layer_checks import (
    cell_output_shape_check,
    numeric_gradient_check,
    output_shape_check,
    roundtrip,
    sigmoid,
)

from seqrec.layers import TemporalGate, TGRUCell

RNG = np.random.default_rng(1)


def test_temporal_gate_hand_value(tmp_path):
    gate = TemporalGate(4)
    x, h, gap = (RNG.normal(size=(3, 5)).astype("float32"), RNG.normal(size=(3, 4)).astype("float32"),
                 np.array([0.0, 2.0, 30.0], "float32"))
    gate([x, h, gap])
    for bias in (gate.b_delta, gate.b_tau, gate.b_g):  # not their initial zeros, so a mis-wiring shows
        bias.assign(RNG.normal(size=bias.shape).astype("float32"))
    g = gate([x, h, gap]).numpy()
    w = {v.name: v.numpy() for v in gate.weights}
    delta = np.tanh(np.log(gap[:, None] + 1) * w["w_delta"] + w["b_delta"])
    tau = np.tanh(np.concatenate([x, h], -1) @ w["w_tau"] + w["b_tau"])
    expected = sigmoid(delta * w["w_g_delta"] + tau * w["w_g_tau"] + w["b_g"])
    np.testing.assert_allclose(g, expected, rtol=1e-5, atol=1e-6)
    roundtrip(TemporalGate(4), [x, h, gap], tmp_path)


def test_temporal_gate_takes_gaps_as_columns_and_clips_negative_gaps():
    gate = TemporalGate(4)
    x, h = RNG.normal(size=(3, 5)).astype("float32"), RNG.normal(size=(3, 4)).astype("float32")
    gap = np.array([0.0, 2.0, 30.0], "float32")
    np.testing.assert_array_equal(gate([x, h, gap[:, None]]).numpy(), gate([x, h, gap]).numpy())
    np.testing.assert_array_equal(gate([x, h, -gap]).numpy(), gate([x, h, np.zeros(3, "float32")]).numpy())


def test_temporal_gate_gradients():
    gate = TemporalGate(3, dtype="float64")
    inputs = [RNG.normal(size=(2, 4)), RNG.normal(size=(2, 3)), np.array([1.0, 20.0])]
    gate(inputs)
    for weight in (gate.w_delta, gate.w_tau, gate.w_g_delta, gate.w_g_tau, gate.b_g):
        numeric_gradient_check(gate, inputs, weight)


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
    np.testing.assert_allclose(rnn(x, mask=mask).numpy()[0], rnn(x[:1, 2:]).numpy()[0], rtol=1e-5, atol=1e-6)
    rnn64 = keras.layers.RNN(TGRUCell(3, dtype="float64"), dtype="float64")
    x64 = x[..., [0, 1, 2, 3]].astype("float64")
    rnn64(x64)
    for weight in (rnn64.cell.kernel, rnn64.cell.gate.w_tau, rnn64.cell.gate.w_delta):
        numeric_gradient_check(rnn64, x64, weight)
    roundtrip(keras.layers.RNN(TGRUCell(4)), x, tmp_path)


def test_compute_output_shape_matches_a_call():
    gate = TemporalGate(4)
    inputs = [RNG.normal(size=(3, 5)).astype("float32"), RNG.normal(size=(3, 4)).astype("float32"),
              np.array([0.0, 2.0, 30.0], "float32")]
    output_shape_check(gate, inputs)
    assert gate.compute_output_shape([(3, 5), (3, 4), (3,)]) == (3, 4)
    cell = TGRUCell(3)
    step = np.concatenate([RNG.normal(size=(2, 4)), RNG.uniform(0, 5, (2, 1))], -1).astype("float32")
    cell_output_shape_check(cell, step)
    assert cell.compute_output_shape((2, 5)) == (2, 3)
    assert cell.kernel.shape == (4 + 3, 9) and cell.bias.shape == (9,) and cell.gate.w_tau.shape == (7, 3)


@pytest.mark.parametrize("cls", [TemporalGate, TGRUCell])
def test_registered_for_serialisation(cls):
    assert keras.saving.get_registered_name(cls) == f"seqrec>{cls.__name__}"


def test_the_gate_starts_near_one_half():
    """What the docstrings state: at initialisation the gate is about 0.5 (the carried state halved)."""
    gate = TemporalGate(16)
    x, h = RNG.normal(size=(64, 8)).astype("float32"), RNG.normal(size=(64, 16)).astype("float32")
    g = gate([x, h, RNG.uniform(0, 100, 64).astype("float32")]).numpy()
    assert abs(g.mean() - 0.5) < 0.02 and g.std() < 0.05
