"""DMRAN's dimension-wise fusion gate (Eq. 16): a hand value, the gate at 1 and 0, shapes, finite
differences, serialisation and .keras reload."""

import numpy as np
import pytest
from layer_checks import numeric_gradient_check, output_shape_check, roundtrip, sigmoid

from seqrec.layers import FusionGate

RNG = np.random.default_rng(7)


def test_hand_value_and_extreme_gates():
    layer = FusionGate()
    h, h_hat = RNG.normal(size=(2, 3, 4)).astype("float32"), RNG.normal(size=(2, 3, 4)).astype("float32")
    fused, gate = layer([h, h_hat], return_gate=True)
    f = sigmoid(h @ layer.w_1.numpy() + h_hat @ layer.w_2.numpy() + layer.bias.numpy())
    np.testing.assert_allclose(np.asarray(gate), f, rtol=1e-5)
    np.testing.assert_allclose(fused.numpy(), f * h + (1 - f) * h_hat, rtol=1e-5, atol=1e-6)
    layer.bias.assign(np.full(4, 1e4, "float32"))  # F = 1: h
    np.testing.assert_allclose(layer([h, h_hat]).numpy(), h, rtol=1e-6)
    layer.bias.assign(np.full(4, -1e4, "float32"))  # F = 0: h^
    np.testing.assert_allclose(layer([h, h_hat]).numpy(), h_hat, rtol=1e-6)


@pytest.mark.parametrize("return_gate", [False, True])
def test_shapes(return_gate):
    inputs = [RNG.normal(size=(2, 4)).astype("float32"), RNG.normal(size=(2, 4)).astype("float32")]
    output_shape_check(FusionGate(), inputs, return_gate=return_gate)


def test_gradients_and_reload(tmp_path):
    layer = FusionGate(dtype="float64")
    inputs = [RNG.normal(size=(2, 3)), RNG.normal(size=(2, 3))]
    layer(inputs)
    for weight in (layer.w_1, layer.w_2, layer.bias):
        numeric_gradient_check(layer, inputs, weight)
    roundtrip(FusionGate(), [t.astype("float32") for t in inputs], tmp_path)
