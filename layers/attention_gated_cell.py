"""IARN's attention-gated recurrent cell (Pei et al., CIKM 2017, Eq. 3-5)."""

from collections.abc import Callable, Sequence
from typing import Any

import keras
from keras import ops

Tensor = Any  # a backend tensor, a NumPy array or a symbolic `keras.KerasTensor`
Shape = tuple[int | None, ...]


@keras.saving.register_keras_serializable(package="seqrec")
class AttentionGatedCell(keras.layers.Layer):
    """A recurrent cell whose update is gated by one scalar attention score per step.

    IARN's attention-gated recurrence, Eq. 3-4 (user side; Eq. 5 is the same on the item side)::

        h'_t = g(W h_{t-1} + H x_t + b)              g = ReLU
        h_t  = (1 - a_t) * h_{t-1} + a_t * h'_t        a_t in [0, 1]

    A score of 0 copies the previous state (the step is ignored); 1 takes the candidate.

    The per-step input is ``[x_t ; a_t]``: the features with the scalar gate appended as the last
    feature (a Keras RNN passes one tensor per step). Use it inside ``keras.layers.RNN``; masked steps
    keep the previous state, as the RNN wrapper does for any cell.

    Weights: ``kernel`` H [input_dim, units], ``recurrent_kernel`` W [units, units] and ``bias`` b
    [units], created in that order.

    Args:
        units: int. Size of the hidden state (IARN: 64).
        activation: str or callable. g, ReLU in the paper.
        kernel_initializer: initializer of ``kernel`` (H).
        recurrent_initializer: initializer of ``recurrent_kernel`` (W).
        bias_initializer: initializer of ``bias`` (b).
        kernel_regularizer: regularizer of ``kernel`` and ``recurrent_kernel``.
        **kwargs: other arguments of `keras.layers.Layer` (``name``, ``dtype``, ...).

    Call arguments:
        inputs: the step input ``[x_t ; a_t]``, shape [batch, input_dim + 1]; the last feature is the
            attention score a_t.
        states: the previous state h_{t-1}, [batch, units], or a one-element list of it.

    Returns:
        ``(h_t, [h_t])``: the output and the new state, each of shape [batch, units]. Inside
        ``keras.layers.RNN`` the layer returns [batch, units] (or [batch, steps, units] with
        ``return_sequences=True``).

    Example:

    >>> import numpy as np
    >>> import keras
    >>> from seqrec.layers import AttentionGatedCell
    >>> rnn = keras.layers.RNN(AttentionGatedCell(4), return_sequences=True)
    >>> steps = np.ones((2, 5, 3 + 1))  # 3 features and the gate a_t
    >>> tuple(rnn(steps).shape)
    (2, 5, 4)

    References:
        - Pei, Yang, Sun, Zhang, Bozzon and Tax, "Interacting Attention-gated Recurrent Networks for
          Recommendation", CIKM 2017, section 3.1, Eq. 3-5.
    """

    def __init__(self, units: int, activation: str | Callable = "relu",
                 kernel_initializer: str | keras.initializers.Initializer = "glorot_uniform",
                 recurrent_initializer: str | keras.initializers.Initializer = "orthogonal",
                 bias_initializer: str | keras.initializers.Initializer = "zeros",
                 kernel_regularizer: str | keras.regularizers.Regularizer | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.units = units
        self.activation = keras.activations.get(activation)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.recurrent_initializer = keras.initializers.get(recurrent_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
        self.state_size = units
        self.output_size = units

    def build(self, input_shape: Shape) -> None:
        features = input_shape[-1] - 1
        self.kernel = self.add_weight(shape=(features, self.units), name="kernel",
                                      initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer)
        self.recurrent_kernel = self.add_weight(shape=(self.units, self.units), name="recurrent_kernel",
                                                initializer=self.recurrent_initializer,
                                                regularizer=self.kernel_regularizer)
        self.bias = self.add_weight(shape=(self.units,), name="bias", initializer=self.bias_initializer)

    def call(self, inputs: Tensor, states: Tensor | Sequence[Tensor]) -> tuple[Tensor, list[Tensor]]:
        previous = states[0] if isinstance(states, list | tuple) else states
        x, gate = inputs[..., :-1], inputs[..., -1:]
        candidate = self.activation(ops.matmul(x, self.kernel)
                                    + ops.matmul(previous, self.recurrent_kernel) + self.bias)
        state = (1.0 - gate) * previous + gate * candidate
        return state, [state]

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        """The per-step output shape [batch, units]."""
        return (input_shape[0], self.units)

    def compute_output_spec(self, inputs: Tensor, states: Tensor | Sequence[Tensor]
                            ) -> tuple[keras.KerasTensor, list[keras.KerasTensor]]:
        """Symbolic ``(output, [state])``, the structure `call` returns."""
        output = keras.KerasTensor(self.compute_output_shape(tuple(inputs.shape)), dtype=self.compute_dtype)
        return output, [keras.KerasTensor(output.shape, dtype=self.compute_dtype)]

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "units": self.units,
                "activation": keras.activations.serialize(self.activation),
                "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
                "recurrent_initializer": keras.initializers.serialize(self.recurrent_initializer),
                "bias_initializer": keras.initializers.serialize(self.bias_initializer),
                "kernel_regularizer": keras.regularizers.serialize(self.kernel_regularizer)}
