"""DMRAN's feature-level self-attention (Eq. 9-13): a hand value against a loop over pairs, the softmax
over rows per dimension, masks, shapes, finite differences, serialisation and .keras reload."""

import numpy as np
import pytest
from layer_checks import numeric_gradient_check, output_shape_check, roundtrip

from seqrec.layers import FeatureSelfAttention

RNG = np.random.default_rng(5)


def test_hand_value_against_a_loop_over_pairs():
    layer = FeatureSelfAttention()
    m = RNG.normal(size=(2, 3, 4)).astype("float32")
    layer(m)
    for bias in (layer.b_s1, layer.b_s2):  # not their initial zeros, so a mis-wiring shows
        bias.assign(RNG.normal(size=4).astype("float32"))
    rows, beta = layer(m, return_attention=True)
    w3, w4, w5, b1, b2 = (w.numpy() for w in (layer.w_s3, layer.w_s4, layer.w_s5, layer.b_s1, layer.b_s2))
    for b in range(2):
        f = np.array([[np.tanh(m[b, i] @ w4 + m[b, j] @ w3 + b2) @ w5 + b1 for j in range(3)]
                      for i in range(3)])  # Eq. 9, [i, j, k]
        expected_beta = np.exp(f) / np.exp(f).sum(1, keepdims=True)  # Eq. 10, over j for every k
        np.testing.assert_allclose(np.asarray(beta)[b], expected_beta, rtol=1e-5, atol=1e-6)
        expected = (expected_beta * m[b][None]).sum(1)  # Eq. 12
        np.testing.assert_allclose(rows.numpy()[b], expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.asarray(beta).sum(2), 1.0, rtol=1e-6)


def test_mask_on_rows():
    layer = FeatureSelfAttention()
    m = RNG.normal(size=(2, 5, 4)).astype("float32")
    mask = np.array([[True] * 3 + [False] * 2, [True] * 5])
    rows, beta = layer(m, mask=mask, return_attention=True)
    beta = np.asarray(beta)
    assert (beta[0][:, 3:] == 0).all()
    np.testing.assert_allclose(beta[0].sum(1), 1.0, rtol=1e-6)
    alone = layer(m[:1, :3]).numpy()
    np.testing.assert_allclose(rows.numpy()[0, :3], alone[0], rtol=1e-5, atol=1e-6)
    assert np.array_equal(np.asarray(layer.compute_mask(m, mask)), mask)


@pytest.mark.parametrize("return_attention", [False, True])
def test_shapes(return_attention):
    output_shape_check(FeatureSelfAttention(), RNG.normal(size=(2, 3, 4)).astype("float32"),
                       return_attention=return_attention)


def test_gradients_and_reload(tmp_path):
    layer = FeatureSelfAttention(dtype="float64")
    m = RNG.normal(size=(2, 3, 4))
    layer(m)
    for weight in (layer.w_s3, layer.w_s4, layer.w_s5, layer.b_s1):
        numeric_gradient_check(layer, m, weight)
    roundtrip(FeatureSelfAttention(), m.astype("float32"), tmp_path)
