"""Checks shared by the layer tests: finite-difference gradients, serialisation and .keras reload."""

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
