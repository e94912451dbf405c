"""IARN's output: PReLU projection heads (Eq. 2) and the inner-product rating (Eq. 1)."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="seqrec")
class PReLUProjection(keras.layers.Layer):
    """Eq. 2: ``u~ = PReLU(W~ u_T + b~)``: the last hidden state mapped to the representation used for
    prediction; PReLU lets it be negative ("a user could either like or dislike certain types").

    Input [batch, hidden]; output [batch, units].
    """

    def __init__(self, units: int, kernel_regularizer=None, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
        self.dense = keras.layers.Dense(units, kernel_regularizer=self.kernel_regularizer,
                                        dtype=self.dtype_policy)
        self.prelu = keras.layers.PReLU(dtype=self.dtype_policy)

    def build(self, input_shape):
        self.dense.build(input_shape)
        self.prelu.build((*input_shape[:-1], self.units))

    def call(self, inputs):
        return self.prelu(self.dense(inputs))

    def get_config(self):
        return {**super().get_config(), "units": self.units,
                "kernel_regularizer": keras.regularizers.serialize(self.kernel_regularizer)}


@keras.saving.register_keras_serializable(package="seqrec")
class InnerProductRating(keras.layers.Layer):
    """Eq. 1: ``r~_ij = <u~_i, v~_j>``. Inputs ``[u, v]`` [batch, units] each; output [batch]."""

    def call(self, inputs):
        u, v = inputs
        return ops.sum(u * v, axis=-1)
