"""ATRank's residual, normalisation and feed-forward sublayers: hand values, each switch, shapes, finite
differences, serialisation and .keras reload."""

import numpy as np
from layer_checks import numeric_gradient_check, output_shape_check, relu, roundtrip

from seqrec.layers import AddNormFeedForward

RNG = np.random.default_rng(8)


def norm(x, eps=1e-8):
    return (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + eps)


def test_hand_value_and_switches():
    x, attended = RNG.normal(size=(2, 3, 8)).astype("float32"), RNG.normal(size=(2, 3, 8)).astype("float32")
    layer = AddNormFeedForward()
    out = layer([x, attended]).numpy()
    y = norm(x + attended)  # the norms' initial gamma 1 and beta 0
    w1, b1 = layer.inner.kernel.numpy(), layer.inner.bias.numpy()
    w2, b2 = layer.outer.kernel.numpy(), layer.outer.bias.numpy()
    assert w1.shape == (8, 2)  # ATRank's inner width d / 4
    np.testing.assert_allclose(out, norm(y + relu(y @ w1 + b1) @ w2 + b2), rtol=1e-4, atol=1e-5)
    off = AddNormFeedForward(residual=False, layer_norm=False, feed_forward=False)
    np.testing.assert_array_equal(off([x, attended]).numpy(), attended)
    assert off.weights == []
    np.testing.assert_allclose(AddNormFeedForward(feed_forward=False)([x, attended]).numpy(),
                               norm(x + attended), rtol=1e-4, atol=1e-5)
    plain = AddNormFeedForward(residual=False, layer_norm=False)
    z = plain([x, attended]).numpy()
    inner = relu(attended @ plain.inner.kernel.numpy() + plain.inner.bias.numpy())
    expected = inner @ plain.outer.kernel.numpy() + plain.outer.bias.numpy()
    np.testing.assert_allclose(z, expected, rtol=1e-4, atol=1e-5)


def test_shapes_gradients_and_reload(tmp_path):
    inputs = [RNG.normal(size=(2, 3, 8)), RNG.normal(size=(2, 3, 8))]
    output_shape_check(AddNormFeedForward(), [t.astype("float32") for t in inputs])
    layer = AddNormFeedForward(dtype="float64")
    layer(inputs)
    for weight in (layer.inner.kernel, layer.outer.kernel, layer.norm.gamma):
        numeric_gradient_check(layer, inputs, weight)
    roundtrip(AddNormFeedForward(inner_units=3), [t.astype("float32") for t in inputs], tmp_path)
