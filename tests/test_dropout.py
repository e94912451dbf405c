"""PhiloxDropout: Keras' dropout semantics (identity outside training, inverted scaling, rate, noise
shape, seeded state), with or without XLA."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from seqrec.models.dropout import PhiloxDropout


def test_identity_outside_training_and_inverted_scaling_in_training():
    x = np.ones((64, 50, 32), "float32")
    layer = PhiloxDropout(0.25, seed=3)
    np.testing.assert_array_equal(layer(x, training=False), x)
    out = np.asarray(layer(x, training=True))
    assert set(np.unique(out).tolist()) == {0.0, float(np.float32(1 / 0.75))}
    assert abs((out == 0).mean() - 0.25) < 0.01  # 102,400 draws: the standard error is 0.0014
    np.testing.assert_array_equal(PhiloxDropout(0.0)(x, training=True), x)


@pytest.mark.parametrize("jit", [False, True])
def test_a_seed_repeats_its_masks_and_the_state_advances(jit):
    """With or without XLA (whose Philox stream differs from the kernel's), one seed gives one sequence
    of masks, and each call draws a new mask at the rate asked."""
    x = tf.ones((16, 40))
    runs = []
    for _ in range(2):
        layer = PhiloxDropout(0.5, seed=7)
        step = tf.function(lambda v, layer=layer: layer(v, training=True), jit_compile=jit)
        runs.append([step(x).numpy() for _ in range(2)])
    np.testing.assert_array_equal(runs[0][0], runs[1][0])
    np.testing.assert_array_equal(runs[0][1], runs[1][1])
    assert not np.array_equal(runs[0][0], runs[0][1])
    assert 0.4 < (runs[0][0] == 0).mean() < 0.6


def test_noise_shape_broadcasts_one_mask_over_an_axis():
    x = np.ones((8, 30, 16), "float32")
    out = np.asarray(PhiloxDropout(0.5, noise_shape=(None, 1, 16), seed=1)(x, training=True))
    assert (out == out[:, :1, :]).all()  # the same units dropped at every step
    assert 0 < (out == 0).mean() < 1


def test_config_round_trip_and_reload(tmp_path):
    layer = PhiloxDropout(0.3, noise_shape=(None, 1), seed=5, name="drop")
    clone = PhiloxDropout.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    model = keras.Sequential([keras.Input((4,)), PhiloxDropout(0.3, seed=5), keras.layers.Dense(2)])
    model.save(tmp_path / "m.keras")
    reloaded = keras.models.load_model(tmp_path / "m.keras")
    x = np.ones((3, 4), "float32")
    np.testing.assert_allclose(reloaded(x), model(x), rtol=1e-6)
    assert isinstance(reloaded.layers[0], PhiloxDropout)


@pytest.mark.parametrize("rate", [1.0])
def test_rate_one_drops_everything(rate):
    assert not np.asarray(PhiloxDropout(rate)(np.ones((2, 3), "float32"), training=True)).any()
