"""Checks shared by the layer tests: finite-difference gradients, serialisation and .keras reload, and
output shapes against `compute_output_shape`."""

import keras
import numpy as np
import tensorflow as tf

RNG = np.random.default_rng(0)


def relu(x):
    return np.maximum(x, 0)


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def squared(outputs):
    return sum(tf.reduce_sum(tf.square(o)) for o in keras.tree.flatten(outputs))


def numeric_gradient_check(layer, inputs, weight, entries=5, eps=1e-4):
    """d sum(layer(inputs)^2) / d weight by GradientTape against central differences (float64)."""
    with tf.GradientTape() as tape:
        loss = squared(layer(inputs))
    grad = tf.convert_to_tensor(tape.gradient(loss, weight)).numpy()
    flat = weight.numpy().ravel()
    for index in RNG.choice(flat.size, min(entries, flat.size), replace=False):
        values = []
        for sign in (1, -1):
            shifted = flat.copy()
            shifted[index] += sign * eps
            weight.assign(shifted.reshape(weight.shape))
            values.append(float(squared(layer(inputs))))
        weight.assign(flat.reshape(weight.shape))
        assert np.isclose((values[0] - values[1]) / (2 * eps), grad.ravel()[index], rtol=1e-4, atol=1e-6)


def roundtrip(layer, inputs, tmp_path):
    """Config round trip, then a .keras save/reload of a model around the layer with equal outputs."""
    clone = layer.__class__.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    tensors = inputs if isinstance(inputs, list) else [inputs]
    symbolic = [keras.Input(t.shape[1:], dtype=t.dtype) for t in tensors]
    model = keras.Model(symbolic, layer(symbolic if isinstance(inputs, list) else symbolic[0]))
    path = tmp_path / "m.keras"
    model.save(path)
    reloaded = keras.models.load_model(path)
    for a, b in zip(keras.tree.flatten(model(tensors)), keras.tree.flatten(reloaded(tensors)), strict=True):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-6)


def _assert_shapes(actual, expected):
    """``actual`` (tensors, possibly nested in lists or tuples) has the nested ``expected`` shapes."""
    if isinstance(expected, tuple) and all(d is None or isinstance(d, int) for d in expected):
        assert tuple(actual.shape) == expected, (tuple(actual.shape), expected)
        return
    assert isinstance(actual, list | tuple) and len(actual) == len(expected), (actual, expected)
    for a, e in zip(actual, expected, strict=True):
        _assert_shapes(a, e)


def output_shape_check(layer, inputs, **call_kwargs):
    """``compute_output_shape`` against the shapes of a real call, and a symbolic call (a functional
    graph) against both: the same structure and shapes, with the batch size unknown."""
    options = {k: v for k, v in call_kwargs.items() if k != "mask"}  # a mask is no shape option
    shapes = keras.tree.map_structure(lambda t: tuple(t.shape), inputs)
    _assert_shapes(layer(inputs, **call_kwargs), layer.compute_output_shape(shapes, **options))
    symbolic = keras.tree.map_structure(lambda t: keras.Input(t.shape[1:], dtype=t.dtype), inputs)
    unknown_batch = keras.tree.map_structure(lambda t: (None, *t.shape[1:]), inputs)
    _assert_shapes(layer(symbolic, **options), layer.compute_output_shape(unknown_batch, **options))


def cell_output_shape_check(cell, step, n_states=1):
    """An RNN cell's ``compute_output_shape`` (the per-step output) against a real step and a symbolic
    one; both return ``(output, [states])`` with every state [batch, units]."""
    batch = step.shape[0]
    states = [np.zeros((batch, cell.units), step.dtype) for _ in range(n_states)]
    if not cell.built:
        cell.build(step.shape)
    output, new_states = cell(step, states)
    assert tuple(output.shape) == cell.compute_output_shape(step.shape)
    assert [tuple(s.shape) for s in new_states] == [(batch, cell.units)] * n_states
    symbolic_output, symbolic_states = cell(keras.Input(step.shape[1:], dtype=step.dtype),
                                            [keras.Input((cell.units,), dtype=step.dtype)] * n_states)
    assert tuple(symbolic_output.shape) == cell.compute_output_shape((None, *step.shape[1:]))
    assert [tuple(s.shape) for s in symbolic_states] == [(None, cell.units)] * n_states
    rnn = keras.layers.RNN(cell, return_sequences=True)
    sequence = rnn(np.repeat(step[:, None], 3, axis=1))
    assert tuple(sequence.shape) == (batch, 3, *cell.compute_output_shape(step.shape)[1:])
