"""IARN's feature encoders (Eq. 10-12): hand values, featureless items and padded paths, shapes, finite
differences, serialisation and .keras reload."""

import keras
import numpy as np
import pytest
from layer_checks import numeric_gradient_check, output_shape_check, roundtrip

from seqrec.layers import FlatFeatureEncoder, HierarchicalFeatureEncoder

RNG = np.random.default_rng(0)


def test_flat_encoder_sums_feature_maps_and_handles_featureless_items(tmp_path):
    layer = FlatFeatureEncoder(4)
    x = RNG.normal(size=(2, 3, 5)).astype("float32")
    features = np.array([[0, 1, 0, 1], [0, 0, 0, 0]], "float32")  # item 2 has no feature
    out = layer([x, features]).numpy()
    M = layer.matrices.numpy()
    np.testing.assert_allclose(out[0], x[0] @ (M[1] + M[3]), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out[1], x[1] @ M[0], rtol=1e-5, atol=1e-6)
    roundtrip(FlatFeatureEncoder(4), [x, features], tmp_path)


def test_flat_encoder_starts_near_the_identity_over_init_count():
    x = RNG.uniform(-1, 1, size=(2, 3, 4)).astype("float32")  # the noise (stddev 0.01) stays below 0.1
    features = np.array([[0, 1, 1, 0], [0, 0, 0, 1]], "float32")  # two features, and one
    out = FlatFeatureEncoder(4, init_count=2.0)([x, features]).numpy()
    np.testing.assert_allclose(out[0], x[0], atol=0.1)
    np.testing.assert_allclose(out[1], x[1] / 2.0, atol=0.1)


def test_hierarchical_encoder_applies_root_first_then_leaf(tmp_path):
    layer = HierarchicalFeatureEncoder(5)
    x = RNG.normal(size=(2, 3, 4)).astype("float32")
    layer([x, np.zeros((2, 3), "int32")])
    layer.matrices.assign(RNG.normal(size=(5, 4, 4)).astype("float32"))  # non-commuting maps
    M = layer.matrices.numpy()
    path = np.array([[1, 3, 4], [2, 0, 0]], "int32")  # root -> leaf; item 2 has a one-level path
    out = layer([x, path]).numpy()
    np.testing.assert_allclose(out[0], x[0] @ M[1] @ M[3] @ M[4], rtol=1e-4)
    np.testing.assert_allclose(out[1], x[1] @ M[2], rtol=1e-5, atol=1e-6)
    reversed_path = np.array([[4, 3, 1], [2, 0, 0]], "int32")
    assert not np.allclose(layer([x, reversed_path]).numpy()[0], out[0])
    # at initialisation the maps are close to the identity, so deep paths keep the scale of x
    keras.utils.set_random_seed(0)  # the near-identity bound holds for most, not all, initialisations
    fresh = HierarchicalFeatureEncoder(5)
    np.testing.assert_allclose(fresh([x, path]).numpy(), x, atol=0.1)
    roundtrip(HierarchicalFeatureEncoder(5), [x, path], tmp_path)


def test_encoder_gradients():
    layer = HierarchicalFeatureEncoder(4, dtype="float64")
    inputs = [RNG.normal(size=(2, 3, 3)), np.array([[1, 2], [3, 0]])]
    layer(inputs)
    numeric_gradient_check(layer, inputs, layer.matrices)


def test_flat_encoder_gradients():
    layer = FlatFeatureEncoder(4, dtype="float64")
    inputs = [RNG.normal(size=(2, 3, 3)), np.array([[0, 1, 0, 1], [0, 0, 0, 0]], "float64")]
    layer(inputs)
    numeric_gradient_check(layer, inputs, layer.matrices, entries=8)


@pytest.mark.parametrize(("layer", "side"), [
    (FlatFeatureEncoder(4), np.array([[0, 1, 0, 1], [0, 0, 0, 0]], "float32")),
    (HierarchicalFeatureEncoder(5), np.array([[1, 3, 4], [2, 0, 0]], "int32")),
])
def test_compute_output_shape_matches_a_call(layer, side):
    x = RNG.normal(size=(2, 3, 5)).astype("float32")
    output_shape_check(layer, [x, side])
    assert layer.compute_output_shape([(2, 3, 5), side.shape]) == (2, 3, 5)


@pytest.mark.parametrize("cls", [FlatFeatureEncoder, HierarchicalFeatureEncoder])
def test_registered_for_serialisation(cls):
    assert keras.saving.get_registered_name(cls) == f"seqrec>{cls.__name__}"
