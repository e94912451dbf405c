"""The Time-LSTM cell of MTAM's T-SeqRec baseline: hand-computed steps, what each temporal gate reaches,
masking, shapes, finite differences, serialisation and .keras reload."""

import keras
import numpy as np
from layer_checks import cell_output_shape_check, numeric_gradient_check, roundtrip, sigmoid

from seqrec.layers import TimeLSTMCell

RNG = np.random.default_rng(7)


def step_input(batch=2, features=3, steps=None, dtype="float32"):
    shape = (batch,) if steps is None else (batch, steps)
    x = RNG.normal(size=(*shape, features))
    dt, span = RNG.uniform(0, 5, (*shape, 1)), RNG.uniform(0, 50, (*shape, 1))
    return np.concatenate([x, dt, span], -1).astype(dtype)


def time_lstm_by_hand(cell, inputs, h, c):
    """One step in numpy with the cell's weights: ``(h, carried c)``."""
    u = cell.units
    k, rk, tk, b = (w.numpy() for w in (cell.kernel, cell.recurrent_kernel, cell.time_kernel, cell.bias))
    x, dt, span = inputs[:, :-2], inputs[:, -2:-1], inputs[:, -1:]
    xw, hu = x @ k + b, h @ rk
    i = sigmoid(xw[:, :u] + hu[:, :u])
    f = sigmoid(xw[:, u:2 * u] + hu[:, u:2 * u])
    o = sigmoid(xw[:, 2 * u:3 * u] + hu[:, 2 * u:3 * u] + dt * tk[2])
    candidate = np.tanh(xw[:, 3 * u:4 * u] + hu[:, 3 * u:])
    interval = sigmoid(xw[:, 4 * u:5 * u] + sigmoid(dt * tk[0]))  # T1
    span_gate = sigmoid(xw[:, 5 * u:] + sigmoid(span * tk[1]))  # T2
    read = f * c + i * interval * candidate
    carried = f * c + i * span_gate * candidate
    return o * np.tanh(read), carried


def built_cell(units=3, features=3, dtype="float32"):
    cell = TimeLSTMCell(units, dtype=dtype)
    cell.build((None, features + 2))
    cell.bias.assign(RNG.uniform(-0.5, 0.5, cell.bias.shape).astype(dtype))  # non-zero biases matter
    return cell


def test_one_step_by_hand():
    cell = built_cell()
    x = step_input(batch=3)
    h, c = RNG.normal(size=(3, 3)).astype("float32"), RNG.normal(size=(3, 3)).astype("float32")
    out, (new_h, new_c) = cell(x, [h, c])
    expected_h, expected_c = time_lstm_by_hand(cell, x, h, c)
    np.testing.assert_allclose(out.numpy(), expected_h, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(new_h.numpy(), expected_h, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(new_c.numpy(), expected_c, rtol=1e-5, atol=1e-6)


def test_recurrence_inside_rnn_by_hand():
    rnn = keras.layers.RNN(TimeLSTMCell(3), return_sequences=True, return_state=True)
    x = step_input(steps=4)
    sequence, last_h, last_c = (t.numpy() for t in rnn(x))
    h = c = np.zeros((2, 3), "float32")
    for t in range(4):
        h, c = time_lstm_by_hand(rnn.cell, x[:, t], h, c)
        np.testing.assert_allclose(sequence[:, t], h, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(last_h, h, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(last_c, c, rtol=1e-5, atol=1e-6)


def test_interval_reaches_the_output_and_span_only_the_carried_cell():
    """T1 (interval) gates the cell read out now, T2 (span) the cell carried forward."""
    cell = built_cell()
    # time weights of a size that keeps sigmoid(span * w_2) off saturation, so a later span shows
    cell.time_kernel.assign(RNG.uniform(0.02, 0.05, (3, 3)).astype("float32"))
    x = step_input()
    h, c = RNG.normal(size=(2, 3)).astype("float32"), RNG.normal(size=(2, 3)).astype("float32")
    out, (_, carried) = cell(x, [h, c])
    other_span = x.copy()
    other_span[:, -1] += 30.0
    out_span, (_, carried_span) = cell(other_span, [h, c])
    np.testing.assert_array_equal(out_span.numpy(), out.numpy())
    assert not np.allclose(carried_span.numpy(), carried.numpy())
    other_dt = x.copy()
    other_dt[:, -2] += 3.0
    out_dt, (_, carried_dt) = cell(other_dt, [h, c])
    np.testing.assert_array_equal(carried_dt.numpy(), carried.numpy())
    assert not np.allclose(out_dt.numpy(), out.numpy())


def test_masked_steps_keep_the_state():
    rnn = keras.layers.RNN(TimeLSTMCell(4), return_sequences=True, return_state=True)
    x = step_input(steps=6)
    mask = np.array([[False, False, True, True, False, True], [True] * 6])
    sequence, h, c = (t.numpy() for t in rnn(x, mask=mask))
    alone_sequence, alone_h, alone_c = (t.numpy() for t in rnn(x[:1, [2, 3, 5]]))
    np.testing.assert_allclose(h[0], alone_h[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(c[0], alone_c[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(sequence[0, 4], sequence[0, 3], rtol=1e-6)  # masked step: output carried
    np.testing.assert_allclose(sequence[0, 3], alone_sequence[0, 1], rtol=1e-5, atol=1e-6)


def test_gradients_against_finite_differences():
    rnn = keras.layers.RNN(TimeLSTMCell(3, dtype="float64"), return_sequences=True, dtype="float64")
    x = step_input(steps=4, dtype="float64")
    rnn(x)
    rnn.cell.bias.assign(RNG.uniform(-0.5, 0.5, rnn.cell.bias.shape))
    for weight in (rnn.cell.kernel, rnn.cell.recurrent_kernel, rnn.cell.time_kernel, rnn.cell.bias):
        numeric_gradient_check(rnn, x, weight)


def test_config_round_trip_and_keras_reload(tmp_path):
    cell = TimeLSTMCell(5, kernel_regularizer=keras.regularizers.L2(0.1))
    config = cell.get_config()
    assert config["units"] == 5 and config["kernel_regularizer"] is not None
    assert TimeLSTMCell.from_config(config).get_config() == config
    roundtrip(keras.layers.RNN(TimeLSTMCell(3), return_sequences=True), step_input(steps=3), tmp_path)


def test_shapes_and_compute_output_shape():
    cell = TimeLSTMCell(3)
    step = step_input(batch=2, features=4)
    cell_output_shape_check(cell, step, n_states=2)
    assert cell.compute_output_shape((2, 6)) == (2, 3)
    assert cell.state_size == [3, 3] and cell.output_size == 3
    assert cell.kernel.shape == (4, 18) and cell.recurrent_kernel.shape == (3, 12)
    assert cell.time_kernel.shape == (3, 3) and cell.bias.shape == (18,)


def test_registered_for_serialisation():
    assert keras.saving.get_registered_name(TimeLSTMCell) == "seqrec>TimeLSTMCell"
