"""DMRAN's input embedding with time signals (Eq. 1-2): hand values, the no-time variant, the mask passed
on, shapes, finite differences, serialisation and .keras reload."""

import numpy as np
from layer_checks import numeric_gradient_check, output_shape_check, roundtrip

from seqrec.layers import TimeBucketEmbedding

RNG = np.random.default_rng(3)


def inputs(b=2, length=5, d=6):
    return [RNG.normal(size=(b, length, d)).astype("float32"), RNG.integers(0, 12, (b, length))]


def test_hand_value_and_no_time_variant():
    layer = TimeBucketEmbedding(4, n_buckets=12, bucket_dim=3)
    behaviours, buckets = inputs()
    out = layer([behaviours, buckets]).numpy()
    table = layer.bucket_embeddings.numpy()
    kernel, bias = (w.numpy() for w in layer.dense.weights)
    expected = np.concatenate([behaviours, table[buckets]], -1) @ kernel + bias  # Eq. 1
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)
    # the bucket decides: another bucket, another encoding
    moved = buckets.copy()
    moved[0, 0] = (moved[0, 0] + 1) % 12
    assert not np.allclose(layer([behaviours, moved]).numpy()[0, 0], out[0, 0])
    plain = TimeBucketEmbedding(4, use_time=False)
    np.testing.assert_array_equal(plain([behaviours, buckets]).numpy(), plain([behaviours, moved]).numpy())
    assert [w.name for w in plain.weights] == ["kernel", "bias"]


def test_mask_is_passed_on_and_shapes(tmp_path):
    layer = TimeBucketEmbedding(4)
    data = inputs()
    mask = np.array([[True] * 3 + [False] * 2, [True] * 5])
    assert np.array_equal(np.asarray(layer.compute_mask(data, [mask, None])), mask)
    output_shape_check(layer, data)
    roundtrip(TimeBucketEmbedding(4, bucket_dim=2), data, tmp_path)


def test_gradients():
    layer = TimeBucketEmbedding(3, bucket_dim=2, dtype="float64")
    behaviours, buckets = inputs(d=4)
    data = [behaviours.astype("float64"), buckets]
    layer(data)
    for weight in (layer.bucket_embeddings, layer.dense.kernel):
        numeric_gradient_check(layer, data, weight)
