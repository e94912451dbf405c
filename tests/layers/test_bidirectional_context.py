"""IARN's bidirectional context (Eq. 7/9): a hand recurrence, padding, shapes, finite differences,
serialisation and .keras reload."""

import keras
import numpy as np
import pytest
from layer_checks import numeric_gradient_check, output_shape_check, relu, roundtrip

from seqrec.layers import BidirectionalContext

RNG = np.random.default_rng(0)


def test_bidirectional_context_matches_a_hand_recurrence():
    layer = BidirectionalContext(3)
    x = RNG.normal(size=(1, 4, 2)).astype("float32")
    forward, backward, last, first = (t.numpy() for t in layer(x))
    fw, bw = layer.forward.cell, layer.backward.cell
    h = np.zeros(3)
    for t in range(4):
        h = relu(x[0, t] @ fw.kernel.numpy() + h @ fw.recurrent_kernel.numpy() + fw.bias.numpy())
        np.testing.assert_allclose(forward[0, t], h, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(last[0], h, rtol=1e-5, atol=1e-6)
    h = np.zeros(3)
    for t in reversed(range(4)):
        h = relu(x[0, t] @ bw.kernel.numpy() + h @ bw.recurrent_kernel.numpy() + bw.bias.numpy())
        np.testing.assert_allclose(backward[0, t], h, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(first[0], h, rtol=1e-5, atol=1e-6)


def test_bidirectional_context_ignores_padding(tmp_path):
    layer = BidirectionalContext(4)
    x = RNG.normal(size=(1, 3, 2)).astype("float32")
    padded = np.concatenate([RNG.normal(size=(1, 2, 2)).astype("float32"), x], 1)  # junk in padding
    mask = np.array([[False, False, True, True, True]])
    a = [t.numpy() for t in layer(x)]
    b = [t.numpy() for t in layer(padded, mask=mask)]
    np.testing.assert_allclose(a[2], b[2], rtol=1e-5, atol=1e-6)  # ->h_T
    np.testing.assert_allclose(a[3], b[3], rtol=1e-5, atol=1e-6)  # <-h_1
    np.testing.assert_allclose(a[0], b[0][:, 2:], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(a[1], b[1][:, 2:], rtol=1e-5, atol=1e-6)
    roundtrip(BidirectionalContext(4), x, tmp_path)


def test_context_gradients():
    context = BidirectionalContext(3, dtype="float64")
    x = RNG.normal(size=(2, 4, 2))
    context(x)
    for weight in (context.forward.cell.kernel, context.backward.cell.recurrent_kernel):
        numeric_gradient_check(context, x, weight)


def test_compute_output_shape_matches_a_call():
    layer = BidirectionalContext(3)
    x = RNG.normal(size=(2, 5, 4)).astype("float32")
    output_shape_check(layer, x)
    output_shape_check(layer, x, mask=np.array([[False, True, True, True, True], [True] * 5]))
    assert layer.compute_output_shape((2, 5, 4)) == ((2, 5, 3), (2, 5, 3), (2, 3), (2, 3))
    assert layer.compute_mask(x, np.ones((2, 5), bool)) is None


@pytest.mark.parametrize("layer", [BidirectionalContext(2)])
def test_layers_registered_for_serialisation(layer):
    config = keras.saving.serialize_keras_object(layer)
    assert config["module"] is None or "seqrec" in str(config)
    assert type(keras.saving.deserialize_keras_object(config)) is type(layer)
