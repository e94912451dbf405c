"""IARN's heads: the PReLU projection (Eq. 2) and the inner-product rating (Eq. 1): hand values, shapes,
finite differences, serialisation and .keras reload."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from layer_checks import numeric_gradient_check, output_shape_check, roundtrip

from seqrec.layers import InnerProductRating, PReLUProjection

RNG = np.random.default_rng(0)


def test_prelu_head_and_inner_product(tmp_path):
    head = PReLUProjection(3)
    h = RNG.normal(size=(4, 5)).astype("float32")
    head(h)
    head.prelu.alpha.assign(RNG.uniform(0.1, 0.5, size=head.prelu.alpha.shape))  # not 0: the slope shows
    head.dense.bias.assign(RNG.normal(size=3).astype("float32"))
    out = head(h).numpy()
    z = h @ head.dense.kernel.numpy() + head.dense.bias.numpy()
    alpha = head.prelu.alpha.numpy()
    assert (z < 0).any() and (z > 0).any()
    np.testing.assert_allclose(out, np.where(z > 0, z, alpha * z), rtol=1e-5, atol=1e-6)
    u, v = RNG.normal(size=(4, 3)).astype("float32"), RNG.normal(size=(4, 3)).astype("float32")
    np.testing.assert_allclose(InnerProductRating()([u, v]).numpy(), (u * v).sum(1), rtol=1e-5, atol=1e-6)
    roundtrip(PReLUProjection(3), h, tmp_path)


def test_head_gradients():
    head = PReLUProjection(2, dtype="float64")
    h = RNG.normal(size=(3, 4))
    head(h)
    numeric_gradient_check(head, h, head.dense.kernel)
    head.prelu.alpha.assign(RNG.uniform(0.1, 0.5, size=head.prelu.alpha.shape))  # negative side matters
    numeric_gradient_check(head, h, head.prelu.alpha)


def test_inner_product_gradient_reload_and_config(tmp_path):
    """No weights: the gradient is checked in the inputs, and the config is the base layer's."""
    layer = InnerProductRating(dtype="float64")
    u = tf.Variable(RNG.normal(size=(3, 4)))
    v = RNG.normal(size=(3, 4))
    numeric_gradient_check(layer, [u, v], u)
    assert layer.weights == []
    assert set(layer.get_config()) == set(keras.layers.Layer(dtype="float64").get_config())
    roundtrip(InnerProductRating(), [RNG.normal(size=(3, 4)).astype("float32"),
                                     RNG.normal(size=(3, 4)).astype("float32")], tmp_path)


def test_compute_output_shape_matches_a_call():
    output_shape_check(PReLUProjection(3), RNG.normal(size=(4, 5)).astype("float32"))
    output_shape_check(PReLUProjection(3), RNG.normal(size=(2, 6, 5)).astype("float32"))
    output_shape_check(InnerProductRating(), [RNG.normal(size=(4, 3)).astype("float32"),
                                              RNG.normal(size=(4, 3)).astype("float32")])
    assert PReLUProjection(3).compute_output_shape((4, 5)) == (4, 3)
    assert InnerProductRating().compute_output_shape([(4, 3), (4, 3)]) == (4,)


@pytest.mark.parametrize("layer", [PReLUProjection(2), InnerProductRating()])
def test_layers_registered_for_serialisation(layer):
    config = keras.saving.serialize_keras_object(layer)
    assert config["module"] is None or "seqrec" in str(config)
    assert type(keras.saving.deserialize_keras_object(config)) is type(layer)
