"""Ante-RNN's topical attention over an item's words, guided by the user's interest topics (Eq. 8-10)."""

from collections.abc import Sequence
from typing import Any

import keras
from keras import ops

Tensor = Any  # a backend tensor, a NumPy array or a symbolic `keras.KerasTensor`
Shape = tuple[int | None, ...]


@keras.saving.register_keras_serializable(package="seqrec")
class TopicalAttention(keras.layers.Layer):
    """The text vector of an item as the user's topics read it (Ante-RNN section 3.3, Eq. 8-10)::

        g_j = q_a^T tanh(W^a eta + U^a e_j)       Eq. 9
        a   = softmax_j(g)                         Eq. 10, over the item's real words
        x   = sum_j a_j e_j                        Eq. 8

    eta is the user's interest-topic mixture at the time (Eq. 7, psi topics) and e_j the item's word
    vectors (Ante-RNN: a bidirectional GRU's outputs, width D). W^a is [D x psi], U^a [D x D] and q_a
    [D], as the paper states: no biases, the hidden width equal to the word width (``units`` may
    change it). Padded words get weight 0; a text without real words gives x = 0.

    Any leading axes are allowed: words [..., N, D] with topics [..., psi] (e.g. [B, L, N, D] and
    [B, L, psi] for every behaviour of a sequence at its own time).

    Weights, in creation order: ``w_a`` [psi, units], ``u_a`` [D, units], ``q_a`` [units].

    Args:
        units: the width of the hidden tanh layer (default: D, the paper's).
        kernel_regularizer: regularizer of the three weights.
        **kwargs: other arguments of `keras.layers.Layer` (``name``, ``dtype``, ...).

    Call arguments:
        inputs: ``[words, topics]``: e [..., N, D] and eta [..., psi].
        mask: optional bool [..., N], True on real words. A list of masks (what Keras propagates) uses
            its first entry.
        return_attention: bool. Also return the word weights.

    Returns:
        x, [..., D]; with ``return_attention=True`` the tuple ``(x, a)``, a [..., N].

    Example:

    >>> import numpy as np
    >>> from seqrec.layers import TopicalAttention
    >>> x, a = TopicalAttention()([np.ones((2, 6, 4)), np.ones((2, 3))], return_attention=True)
    >>> tuple(x.shape), tuple(a.shape)
    ((2, 4), (2, 6))

    References:
        - Liu, Zhang and Gulla, "Dynamic attention-based explainable recommendation with textual and
          visual fusion", Information Processing & Management 2020, section 3.3, Eq. 8-10.
    """

    def __init__(self, units: int | None = None,
                 kernel_regularizer: str | keras.regularizers.Regularizer | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.units = units
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)

    def build(self, input_shape: Sequence[Shape]) -> None:
        words, topics = input_shape
        units = self.units or words[-1]

        def weight(name: str, shape: Shape) -> keras.Variable:
            return self.add_weight(shape=shape, name=name, initializer="glorot_uniform",
                                   regularizer=self.kernel_regularizer)

        self.w_a = weight("w_a", (topics[-1], units))
        self.u_a = weight("u_a", (words[-1], units))
        self.q_a = weight("q_a", (units,))

    def call(self, inputs: Sequence[Tensor], mask: Any = None, return_attention: bool = False
             ) -> Tensor | tuple[Tensor, Tensor]:
        words, topics = inputs
        if isinstance(mask, list | tuple):
            mask = mask[0]
        hidden = ops.tanh(ops.expand_dims(ops.matmul(topics, self.w_a), -2) + ops.matmul(words, self.u_a))
        scores = ops.einsum("...nu,u->...n", hidden, self.q_a)  # g_j, Eq. 9
        if mask is None:
            weights = ops.softmax(scores, axis=-1)
        else:
            allowed = ops.cast(mask, "bool")
            weights = ops.softmax(ops.where(allowed, scores, ops.full_like(scores, -1e9)), axis=-1)
            weights = weights * ops.cast(allowed, weights.dtype)
        x = ops.einsum("...n,...nd->...d", weights, words)
        return (x, weights) if return_attention else x

    def compute_mask(self, inputs: Sequence[Tensor], mask: Any = None) -> None:
        return None

    def compute_output_shape(self, input_shape: Sequence[Shape], return_attention: bool = False
                             ) -> Shape | tuple[Shape, Shape]:
        """x [..., D]; with ``return_attention`` also a [..., N]."""
        words = tuple(input_shape[0])
        x = (*words[:-2], words[-1])
        return (x, words[:-1]) if return_attention else x

    def compute_output_spec(self, inputs: Sequence[Tensor], mask: Any = None, return_attention: bool = False
                            ) -> keras.KerasTensor | tuple[keras.KerasTensor, keras.KerasTensor]:
        """Symbolic outputs from `compute_output_shape`, which also knows ``return_attention``."""
        shapes = self.compute_output_shape([tuple(t.shape) for t in inputs], return_attention)
        if not return_attention:
            return keras.KerasTensor(shapes, dtype=self.compute_dtype)
        return tuple(keras.KerasTensor(shape, dtype=self.compute_dtype) for shape in shapes)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "units": self.units,
                "kernel_regularizer": keras.regularizers.serialize(self.kernel_regularizer)}
