"""Ante-RNN's fusions of the image and text vectors (Eq. 11-14): direct product, the neural fusion's
stacked layers, the attention fusion by hand and with equal modality scores, shapes, finite differences,
serialisation and .keras reload."""

import numpy as np
import pytest
from layer_checks import numeric_gradient_check, output_shape_check, relu, roundtrip

from seqrec.layers import ModalityFusion

RNG = np.random.default_rng(23)


def dense(layer, x, activation=None):
    out = x @ layer.kernel.numpy() + layer.bias.numpy()
    return {None: out, "relu": relu(out), "tanh": np.tanh(out)}[activation]


def vx(shape=(2, 4)):
    return RNG.normal(size=shape).astype("float32"), RNG.normal(size=shape).astype("float32")


def test_direct_fusion_is_the_element_wise_product():
    v, x = vx()
    layer = ModalityFusion("direct")
    np.testing.assert_allclose(np.asarray(layer([v, x])), v * x, rtol=1e-6)
    assert layer.weights == []
    with pytest.raises(ValueError, match="one width"):
        ModalityFusion("direct")([v, np.ones((2, 3), "float32")])
    with pytest.raises(ValueError, match="mode='attention'"):
        layer([v, x], return_attention=True)
    with pytest.raises(ValueError, match="mode must be"):
        ModalityFusion("sum")


def test_neural_fusion_stacks_its_layers():
    v, x = vx()
    layer = ModalityFusion("neural", units=3, hidden=(5, 6))
    out = np.asarray(layer([v, x]))
    h = np.concatenate([v, x], -1)
    for sub in layer.layers_:
        h = dense(sub, h, "relu")
    np.testing.assert_allclose(out, h, rtol=1e-5, atol=1e-6)
    assert [sub.kernel.shape for sub in layer.layers_] == [(8, 5), (5, 6), (6, 3)]


def test_attention_fusion_by_hand_and_with_equal_scores():
    v, x = vx()
    layer = ModalityFusion("attention")
    i, s = (np.asarray(t) for t in layer([v, x], return_attention=True))
    h = np.concatenate([v, x], -1)
    for sub in layer.tower_[:-1]:
        h = dense(sub, h, "relu")
    logits = dense(layer.tower_[-1], h)
    expected_s = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)  # Eq. 13
    np.testing.assert_allclose(s, expected_s, rtol=1e-5)
    joined = np.concatenate([(1 + expected_s[:, :1]) * v, (1 + expected_s[:, 1:]) * x], -1)
    np.testing.assert_allclose(i, dense(layer.output_layer, joined, "tanh"), rtol=1e-5, atol=1e-6)  # Eq. 14
    assert [sub.kernel.shape for sub in layer.tower_] == [(8, 4), (4, 2), (2, 2)]  # a tower, then k = 2
    last = layer.tower_[-1]
    last.kernel.assign(np.zeros_like(last.kernel.numpy()))
    last.bias.assign(np.zeros(2, "float32"))  # equal scores s = (1/2, 1/2): a dense layer of 1.5 [v; x]
    np.testing.assert_allclose(np.asarray(layer([v, x])),
                               dense(layer.output_layer, 1.5 * np.concatenate([v, x], -1), "tanh"), rtol=1e-5)


@pytest.mark.parametrize("mode", ["direct", "neural", "attention"])
def test_shapes(mode):
    inputs = list(vx((2, 3, 4)))
    output_shape_check(ModalityFusion(mode), inputs)
    if mode == "attention":
        output_shape_check(ModalityFusion(mode), inputs, return_attention=True)


@pytest.mark.parametrize("mode", ["neural", "attention"])
def test_gradients_and_reload(mode, tmp_path):
    layer = ModalityFusion(mode, dtype="float64")
    inputs = [RNG.normal(size=(2, 4)), RNG.normal(size=(2, 4))]
    layer(inputs)
    for weight in layer.trainable_weights[::2]:
        numeric_gradient_check(layer, inputs, weight)
    fusion = ModalityFusion(mode, hidden=(5,), tower=(6, 3))
    roundtrip(fusion, [t.astype("float32") for t in inputs], tmp_path)
