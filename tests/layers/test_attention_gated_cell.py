"""IARN's attention-gated cell (Eq. 3-5): hand-computed steps, masking, shapes, finite differences,
serialisation and .keras reload."""

import keras
import numpy as np
from layer_checks import cell_output_shape_check, numeric_gradient_check, relu, roundtrip

from seqrec.layers import AttentionGatedCell

RNG = np.random.default_rng(0)


def gated_rnn(units=3, dtype="float32"):
    return keras.layers.RNN(AttentionGatedCell(units, dtype=dtype), return_sequences=True, dtype=dtype)


def test_gate_zero_copies_the_state_and_one_takes_the_candidate():
    rnn = gated_rnn()
    x = RNG.normal(size=(1, 2, 4)).astype("float32")
    gates = np.array([[[1.0], [0.0]]], "float32")
    out = rnn(np.concatenate([x, gates], -1)).numpy()
    cell = rnn.cell
    W, H, b = cell.recurrent_kernel.numpy(), cell.kernel.numpy(), cell.bias.numpy()
    h1 = relu(x[0, 0] @ H + np.zeros(3) @ W + b)  # gate 1: the candidate
    np.testing.assert_allclose(out[0, 0], h1, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out[0, 1], out[0, 0], rtol=1e-6)  # gate 0: the state is copied
    half = rnn(np.concatenate([x, np.full_like(gates, 0.5)], -1)).numpy()
    h1 = 0.5 * relu(x[0, 0] @ H + b)
    h2 = 0.5 * h1 + 0.5 * relu(x[0, 1] @ H + h1 @ W + b)
    np.testing.assert_allclose(half[0, 1], h2, rtol=1e-5, atol=1e-6)


def test_gated_cell_masked_steps_keep_the_state():
    rnn = keras.layers.RNN(AttentionGatedCell(4))
    x = np.concatenate([RNG.normal(size=(2, 5, 3)), RNG.uniform(size=(2, 5, 1))], -1).astype("float32")
    mask = np.array([[False, False, True, True, True], [True, True, True, True, True]])
    padded = rnn(x, mask=mask).numpy()
    alone = rnn(x[:1, 2:]).numpy()
    np.testing.assert_allclose(padded[0], alone[0], rtol=1e-5, atol=1e-6)


def test_gated_cell_gradients_and_serialisation(tmp_path):
    rnn = gated_rnn(dtype="float64")
    x = np.concatenate([RNG.normal(size=(2, 4, 3)), RNG.uniform(size=(2, 4, 1))], -1)
    rnn(x)
    for weight in (rnn.cell.kernel, rnn.cell.recurrent_kernel, rnn.cell.bias):
        numeric_gradient_check(rnn, x, weight)
    roundtrip(keras.layers.RNN(AttentionGatedCell(3)), x.astype("float32"), tmp_path)


def test_shapes_and_compute_output_shape():
    cell = AttentionGatedCell(3)
    step = np.concatenate([RNG.normal(size=(2, 4)), RNG.uniform(size=(2, 1))], -1).astype("float32")
    cell_output_shape_check(cell, step)
    assert cell.compute_output_shape((2, 5)) == (2, 3)
    assert cell.kernel.shape == (4, 3) and cell.recurrent_kernel.shape == (3, 3) and cell.bias.shape == (3,)
    sequence, state = keras.layers.RNN(AttentionGatedCell(3), return_sequences=True, return_state=True)(
        np.repeat(step[:, None], 6, axis=1))
    assert sequence.shape == (2, 6, 3) and state.shape == (2, 3)


def test_registered_for_serialisation():
    assert keras.saving.get_registered_name(AttentionGatedCell) == "seqrec>AttentionGatedCell"
