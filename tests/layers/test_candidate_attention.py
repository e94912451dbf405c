"""Vanilla attention with the candidate as query (DMRAN Eq. 14-15, ATRank's form) and its mean pooling:
hand values with two heads, one candidate against many, masks, shapes, finite differences,
serialisation and .keras reload."""

import numpy as np
import pytest
from layer_checks import numeric_gradient_check, output_shape_check, relu, roundtrip

from seqrec.layers import CandidateAttention

RNG = np.random.default_rng(6)


def softmax(x, axis=-1):
    e = np.exp(x - x.max(axis, keepdims=True))
    return e / e.sum(axis, keepdims=True)


def dense(layer, x):
    kernel, bias = (w.numpy() for w in layer.weights)
    return relu(x @ kernel + bias)


def test_hand_value_two_heads_and_mask():
    layer = CandidateAttention(heads=2)
    candidates = RNG.normal(size=(2, 3, 4)).astype("float32")
    rows = RNG.normal(size=(2, 5, 4)).astype("float32")
    mask = np.array([[True] * 3 + [False] * 2, [True] * 5])
    h, weights = layer([candidates, rows], mask=mask, return_attention=True)
    q, k, v = dense(layer.query, candidates), dense(layer.key, rows), dense(layer.value, rows)
    for b, n in ((0, 3), (1, 5)):
        for head in range(2):
            part = slice(2 * head, 2 * head + 2)
            w = softmax(q[b][:, part] @ k[b, :n, part].T / np.sqrt(2))
            np.testing.assert_allclose(np.asarray(weights)[b, :, head, :n], w, rtol=1e-5, atol=1e-6)
            np.testing.assert_allclose(h.numpy()[b][:, part], w @ v[b, :n, part], rtol=1e-5, atol=1e-6)
    assert (np.asarray(weights)[0, :, :, 3:] == 0).all()
    # one candidate per user equals the same candidate among several
    single = layer([candidates[:, 1], rows], mask=mask).numpy()
    np.testing.assert_allclose(single, h.numpy()[:, 1], rtol=1e-5, atol=1e-6)
    # Keras' propagated list of masks: the rows' mask is used
    np.testing.assert_allclose(layer([candidates, rows], mask=[None, mask]).numpy(), h.numpy(), rtol=1e-6)


def test_mean_pooling():
    layer = CandidateAttention(pooling="mean")
    candidates = RNG.normal(size=(2, 3, 4)).astype("float32")
    rows = RNG.normal(size=(2, 5, 4)).astype("float32")
    mask = np.array([[True] * 2 + [False] * 3, [True] * 5])
    h, weights = layer([candidates, rows], mask=mask, return_attention=True)
    np.testing.assert_allclose(h.numpy()[0], np.repeat(rows[0, :2].mean(0)[None], 3, 0), rtol=1e-5)
    np.testing.assert_allclose(h.numpy()[1], np.repeat(rows[1].mean(0)[None], 3, 0), rtol=1e-5)
    np.testing.assert_allclose(np.asarray(weights)[0, 0, 0], [0.5, 0.5, 0, 0, 0])
    assert layer.weights == []
    with pytest.raises(ValueError, match="pooling"):
        CandidateAttention(pooling="max")
    with pytest.raises(ValueError, match="divisible"):
        CandidateAttention(heads=3)([candidates, rows])


@pytest.mark.parametrize("return_attention", [False, True])
@pytest.mark.parametrize("candidates", [(2, 4), (2, 3, 4)])
def test_shapes(return_attention, candidates):
    inputs = [RNG.normal(size=candidates).astype("float32"), RNG.normal(size=(2, 5, 4)).astype("float32")]
    output_shape_check(CandidateAttention(heads=2), inputs, return_attention=return_attention)


def test_gradients_and_reload(tmp_path):
    layer = CandidateAttention(heads=2, dtype="float64")
    inputs = [RNG.normal(size=(2, 3, 4)), RNG.normal(size=(2, 5, 4))]
    layer(inputs)
    for weight in (layer.query.kernel, layer.key.kernel, layer.value.bias):
        numeric_gradient_check(layer, inputs, weight)
    roundtrip(CandidateAttention(heads=2), [t.astype("float32") for t in inputs], tmp_path)
