"""Ante-RNN's topical attention (Eq. 8-10): a hand value, equal scores average the words, masks, leading
axes, shapes, finite differences, serialisation and .keras reload."""

import numpy as np
import pytest
from layer_checks import numeric_gradient_check, output_shape_check, roundtrip

from seqrec.layers import TopicalAttention

RNG = np.random.default_rng(22)


def test_hand_value_and_mask():
    layer = TopicalAttention()
    words = RNG.normal(size=(2, 5, 4)).astype("float32")
    topics = RNG.dirichlet(np.ones(3), size=2).astype("float32")
    mask = np.array([[True] * 3 + [False] * 2, [True] * 5])
    x, a = (np.asarray(t) for t in layer([words, topics], mask=mask, return_attention=True))
    w_a, u_a, q_a = (w.numpy() for w in (layer.w_a, layer.u_a, layer.q_a))
    for b, n in ((0, 3), (1, 5)):
        g = np.tanh(topics[b] @ w_a + words[b, :n] @ u_a) @ q_a  # Eq. 9
        weights = np.exp(g - g.max()) / np.exp(g - g.max()).sum()  # Eq. 10
        np.testing.assert_allclose(a[b, :n], weights, rtol=1e-5)
        np.testing.assert_allclose(x[b], weights @ words[b, :n], rtol=1e-5, atol=1e-6)  # Eq. 8
    assert (a[0, 3:] == 0).all()
    assert [w.shape for w in layer.weights] == [(3, 4), (4, 4), (4,)]  # W^a, U^a, q_a of the paper


def test_equal_scores_average_the_real_words():
    layer = TopicalAttention()
    words = RNG.normal(size=(1, 4, 4)).astype("float32")
    layer([words, np.ones((1, 3), "float32")])
    layer.q_a.assign(np.zeros(4, "float32"))  # every g_j = 0
    mask = np.array([[True, True, True, False]])
    x = np.asarray(layer([words, np.ones((1, 3), "float32")], mask=mask))
    np.testing.assert_allclose(x[0], words[0, :3].mean(0), rtol=1e-5)


def test_leading_axes_and_topics_change_the_weights():
    layer = TopicalAttention(units=6)
    words = RNG.normal(size=(2, 3, 5, 4)).astype("float32")  # [B, L, N, D]
    topics = RNG.dirichlet(np.ones(3), size=(2, 3)).astype("float32")
    x, a = layer([words, topics], return_attention=True)
    assert tuple(x.shape) == (2, 3, 4) and tuple(a.shape) == (2, 3, 5)
    single = np.asarray(layer([words[:, 1], topics[:, 1]]))
    np.testing.assert_allclose(single, np.asarray(x)[:, 1], rtol=1e-5, atol=1e-6)
    other = np.asarray(layer([words, topics[:, ::-1]], return_attention=True)[1])
    assert not np.allclose(other, np.asarray(a))


@pytest.mark.parametrize("return_attention", [False, True])
def test_shapes(return_attention):
    inputs = [RNG.normal(size=(2, 5, 4)).astype("float32"), RNG.normal(size=(2, 3)).astype("float32")]
    output_shape_check(TopicalAttention(), inputs, return_attention=return_attention)


def test_gradients_and_reload(tmp_path):
    layer = TopicalAttention(dtype="float64")
    inputs = [RNG.normal(size=(2, 5, 4)), RNG.normal(size=(2, 3))]
    layer(inputs)
    for weight in (layer.w_a, layer.u_a, layer.q_a):
        numeric_gradient_check(layer, inputs, weight)
    roundtrip(TopicalAttention(), [t.astype("float32") for t in inputs], tmp_path)
