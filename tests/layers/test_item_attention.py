"""DMRAN's multi-row item-level attention (Eq. 3-8) and its redundancy penalty (Eq. 22): hand values,
equal weights over identical behaviours, masks, the penalty, shapes, finite differences, serialisation
and .keras reload."""

import keras
import numpy as np
import pytest
from layer_checks import numeric_gradient_check, output_shape_check, relu, roundtrip

from seqrec.layers import MultiRowItemAttention
from seqrec.layers.item_attention import redundancy

RNG = np.random.default_rng(4)


def softmax(x, axis=-1):
    e = np.exp(x - x.max(axis, keepdims=True))
    return e / e.sum(axis, keepdims=True)


def test_hand_value_and_mask():
    layer = MultiRowItemAttention(3, units=5)
    h = RNG.normal(size=(2, 6, 4)).astype("float32")
    mask = np.array([[True] * 4 + [False] * 2, [True] * 6])
    rows, weights = layer(h, mask=mask, return_attention=True)
    logits = np.swapaxes(relu(h @ layer.w_s1.numpy()) @ layer.w_s2.numpy(), 1, 2)  # W_s2 ReLU(W_s1 H^T)
    expected = softmax(logits[0][:, :4])  # Eq. 7 over the real behaviours only
    np.testing.assert_allclose(np.asarray(weights)[0][:, :4], expected, rtol=1e-5, atol=1e-6)
    assert (np.asarray(weights)[0][:, 4:] == 0).all()
    np.testing.assert_allclose(rows.numpy()[0], expected @ h[0, :4], rtol=1e-5, atol=1e-6)  # Eq. 8
    np.testing.assert_allclose(rows.numpy()[1], softmax(logits[1]) @ h[1], rtol=1e-5, atol=1e-6)
    junk = h.copy()
    junk[0, 4:] = 100.0  # padded behaviours do not matter
    np.testing.assert_allclose(layer(junk, mask=mask).numpy()[0], rows.numpy()[0], rtol=1e-6)
    empty = layer(h, mask=np.zeros((2, 6), bool)).numpy()
    assert (empty == 0).all()


def test_one_row_over_identical_behaviours_gives_equal_weights():
    layer = MultiRowItemAttention(1)
    h = np.repeat(RNG.normal(size=(1, 1, 4)), 5, axis=1).astype("float32")
    _, weights = layer(h, return_attention=True)
    np.testing.assert_allclose(np.asarray(weights), np.full((1, 1, 5), 0.2), rtol=1e-6)


def test_redundancy_penalty():
    one_hot = np.eye(4, 6, dtype="float32")[None]  # four rows on four distinct behaviours: orthonormal
    assert float(redundancy(one_hot)[0]) == 0.0
    uniform = np.full((1, 2, 4), 0.25, "float32")  # A A^T = 0.25 everywhere: (0.75^2) * 2 + 0.25^2 * 2
    np.testing.assert_allclose(float(redundancy(uniform)[0]), 2 * 0.75 ** 2 + 2 * 0.25 ** 2, rtol=1e-6)
    h = RNG.normal(size=(2, 6, 4)).astype("float32")
    layer = MultiRowItemAttention(3, penalty=0.5)
    inputs = keras.Input((6, 4))
    model = keras.Model(inputs, layer(inputs))
    model(h)
    _, weights = layer(h, return_attention=True)
    assert len(model.losses) == 1
    np.testing.assert_allclose(float(model.losses[0]), 0.5 * np.mean(redundancy(np.asarray(weights))),
                               rtol=1e-5)
    free = MultiRowItemAttention(3)
    free(h)
    assert free.losses == []


@pytest.mark.parametrize("return_attention", [False, True])
def test_shapes(return_attention):
    output_shape_check(MultiRowItemAttention(3), RNG.normal(size=(2, 6, 4)).astype("float32"),
                       return_attention=return_attention)


def test_gradients_and_reload(tmp_path):
    layer = MultiRowItemAttention(2, dtype="float64")
    h = RNG.normal(size=(2, 5, 3))
    mask = np.array([[True] * 3 + [False] * 2, [True] * 5])
    layer(h)
    for weight in (layer.w_s1, layer.w_s2):
        numeric_gradient_check(lambda x: layer(x, mask=mask), h, weight)
    roundtrip(MultiRowItemAttention(2, units=3, penalty=0.1), h.astype("float32"), tmp_path)
