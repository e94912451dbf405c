"""IARN's attention-gated recurrent cell (Pei et al., CIKM 2017, Eq. 3-5)."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="seqrec")
class AttentionGatedCell(keras.layers.Layer):
    """A recurrent cell whose update is gated by one scalar attention score per step.

    Eq. 3-4 (user side; Eq. 5 is the same on the item side)::

        h'_t = g(W h_{t-1} + H x_t + b)              g = ReLU
        h_t  = (1 - a_t) * h_{t-1} + a_t * h'_t        a_t in [0, 1]

    A score of 0 copies the previous state (the step is ignored); 1 takes the candidate.

    The per-step input is ``[x_t ; a_t]``: the features with the scalar gate appended as the last
    feature (a Keras RNN passes one tensor per step). Use it inside ``keras.layers.RNN``; masked steps
    keep the previous state, as the RNN wrapper does for any cell.

    Shapes: step input [batch, input_dim + 1], state and output [batch, units].

    Args:
      units: size of the hidden state (IARN: 64).
      activation: g, ReLU in the paper.
    """

    def __init__(self, units: int, activation="relu", kernel_initializer="glorot_uniform",
                 recurrent_initializer="orthogonal", bias_initializer="zeros",
                 kernel_regularizer=None, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.activation = keras.activations.get(activation)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.recurrent_initializer = keras.initializers.get(recurrent_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
        self.state_size = units
        self.output_size = units

    def build(self, input_shape):
        features = input_shape[-1] - 1
        self.kernel = self.add_weight(shape=(features, self.units), name="kernel",
                                      initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer)
        self.recurrent_kernel = self.add_weight(shape=(self.units, self.units), name="recurrent_kernel",
                                                initializer=self.recurrent_initializer,
                                                regularizer=self.kernel_regularizer)
        self.bias = self.add_weight(shape=(self.units,), name="bias", initializer=self.bias_initializer)

    def call(self, inputs, states):
        previous = states[0] if isinstance(states, list | tuple) else states
        x, gate = inputs[..., :-1], inputs[..., -1:]
        candidate = self.activation(ops.matmul(x, self.kernel)
                                    + ops.matmul(previous, self.recurrent_kernel) + self.bias)
        state = (1.0 - gate) * previous + gate * candidate
        return state, [state]

    def get_config(self):
        return {**super().get_config(), "units": self.units,
                "activation": keras.activations.serialize(self.activation),
                "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
                "recurrent_initializer": keras.initializers.serialize(self.recurrent_initializer),
                "bias_initializer": keras.initializers.serialize(self.bias_initializer),
                "kernel_regularizer": keras.regularizers.serialize(self.kernel_regularizer)}
