"""IARN's bidirectional context of every step (Pei et al., CIKM 2017, Eq. 7 and 9)."""

from collections.abc import Callable
from typing import Any

import keras

Tensor = Any  # a backend tensor, a NumPy array or a symbolic `keras.KerasTensor`
Shape = tuple[int | None, ...]


@keras.saving.register_keras_serializable(package="seqrec")
class BidirectionalContext(keras.layers.Layer):
    """Forward and backward ReLU recurrences summarising the context around every step.

    IARN's context of a step, Eq. 7 (user side; Eq. 9 is the same for items)::

        ->h_t = g(->W x_t + ->H ->h_{t-1} + ->b)
        <-h_t = g(<-W x_t + <-H <-h_{t+1} + <-b)          g = ReLU

    ``->h_t`` summarises the sequence from its start to t, ``<-h_t`` from its end back to t. Two
    ``SimpleRNN`` layers, the second with ``go_backwards=True`` and its outputs flipped back into time
    order; both skip masked steps (left or right padding) and output zeros there. This is what
    ``keras.layers.Bidirectional`` computes, written out because Bidirectional's constructor
    serialises its template layer, and inside ``load_model``'s object-sharing scope a template that
    reuses the memory address of a freed one is swapped for an earlier layer (Keras 3.15), so
    reloading failed at random.

    Besides the per-step contexts the layer returns the forward summary of the whole sequence
    ``->h_T`` and the backward summary ``<-h_1``: the summaries IARN's interacting attention passes to
    the other side (Eq. 6 and 8). The layer propagates no mask.

    Args:
        units: int. Size of each direction's hidden state.
        activation: str or callable. g, ReLU in the paper.
        kernel_regularizer: regularizer of the input and recurrent kernels of both directions.
        **kwargs: other arguments of `keras.layers.Layer` (``name``, ``dtype``, ...).

    Call arguments:
        inputs: the sequence, [batch, steps, features].
        mask: optional boolean mask [batch, steps], True on real steps (left or right padding).

    Returns:
        A tuple of four tensors: forward ``->h_t`` [batch, steps, units], backward ``<-h_t``
        [batch, steps, units], the forward summary ``->h_T`` [batch, units] and the backward summary
        ``<-h_1`` [batch, units].

    Example:

    >>> import numpy as np
    >>> from seqrec.layers import BidirectionalContext
    >>> forward, backward, last, first = BidirectionalContext(4)(np.ones((2, 5, 3)))
    >>> tuple(forward.shape), tuple(backward.shape), tuple(last.shape), tuple(first.shape)
    ((2, 5, 4), (2, 5, 4), (2, 4), (2, 4))

    References:
        - Pei, Yang, Sun, Zhang, Bozzon and Tax, "Interacting Attention-gated Recurrent Networks for
          Recommendation", CIKM 2017, section 3.2, Eq. 7 and 9.
    """

    def __init__(self, units: int, activation: str | Callable = "relu",
                 kernel_regularizer: str | keras.regularizers.Regularizer | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.units = units
        self.activation = keras.activations.get(activation)
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
        self.forward, self.backward = (
            keras.layers.SimpleRNN(units, activation=self.activation, return_sequences=True,
                                   return_state=True, go_backwards=backwards, zero_output_for_mask=True,
                                   kernel_regularizer=self.kernel_regularizer,
                                   recurrent_regularizer=self.kernel_regularizer, dtype=self.dtype_policy,
                                   name=name)
            for backwards, name in ((False, "forward"), (True, "backward")))

    def build(self, input_shape: Shape) -> None:
        self.forward.build(input_shape)
        self.backward.build(input_shape)

    def call(self, inputs: Tensor, mask: Tensor | None = None) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        forward, last = self.forward(inputs, mask=mask)
        backward, first = self.backward(inputs, mask=mask)
        return forward, keras.ops.flip(backward, axis=1), last, first

    def compute_mask(self, inputs: Tensor, mask: Tensor | None = None) -> None:
        return None

    def compute_output_shape(self, input_shape: Shape) -> tuple[Shape, Shape, Shape, Shape]:
        """``(forward, backward, last, first)`` shapes: twice [batch, steps, units], twice [batch, units]."""
        sequence = (input_shape[0], input_shape[1], self.units)
        summary = (input_shape[0], self.units)
        return sequence, sequence, summary, summary

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "units": self.units,
                "activation": keras.activations.serialize(self.activation),
                "kernel_regularizer": keras.regularizers.serialize(self.kernel_regularizer)}
