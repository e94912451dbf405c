"""Dropout whose mask uses the Philox generator, for models trained with XLA.

`keras.layers.Dropout` draws its mask with ``tf.nn.experimental.stateless_dropout`` without choosing a
random-number algorithm. Compiled with XLA on a CPU that leaves the slow ThreeFry generator: on a
[256, 50, 128] tensor about 35 times slower than the same call with ``rng_alg="philox"``
(`benchmarks/dropout.py` measures both, and each model family trained with either). `PhiloxDropout`
is `keras.layers.Dropout` with the same arguments, seed state and config, whose mask on the TensorFlow
backend comes from Philox; on another backend it is Keras' own dropout.
"""

from typing import Any

import keras


@keras.saving.register_keras_serializable(package="seqrec")
class PhiloxDropout(keras.layers.Dropout):
    """`keras.layers.Dropout` (inverted dropout: kept units scaled by ``1 / (1 - rate)``, identity outside
    training) whose mask uses the Philox generator on TensorFlow.

    Args:
        rate: float in [0, 1). Fraction of the input units to drop.
        noise_shape: the shape of the binary mask, broadcast against the input (``None`` entries take the
            input's size).
        seed: int. Seeds the layer's `keras.random.SeedGenerator`, advanced at every training call.

    Call arguments:
        inputs: a tensor of any shape.
        training: drop units only when True.

    Returns:
        A tensor of the input's shape.

    Example:

    >>> import numpy as np
    >>> from seqrec.models.dropout import PhiloxDropout
    >>> out = PhiloxDropout(0.5, seed=1)(np.ones((2, 4), "float32"), training=True)
    >>> sorted(set(np.asarray(out).ravel().tolist())) in ([0.0, 2.0], [0.0], [2.0])
    True
    """

    def call(self, inputs: Any, training: bool = False) -> Any:
        if not training or self.rate == 0 or self.rate >= 1 or keras.backend.backend() != "tensorflow":
            return super().call(inputs, training=training)
        import tensorflow as tf

        seed = tf.cast(tf.math.floormod(self.seed_generator.next(), tf.int32.max - 1), tf.int32)
        noise_shape = None
        if self.noise_shape is not None:
            shape = tf.shape(inputs)
            noise_shape = tf.stack([shape[i] if d is None else d for i, d in enumerate(self.noise_shape)])
        return tf.nn.experimental.stateless_dropout(inputs, rate=self.rate, seed=seed, rng_alg="philox",
                                                    noise_shape=noise_shape)
