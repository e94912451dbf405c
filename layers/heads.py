"""IARN's output: PReLU projection heads (Eq. 2) and the inner-product rating (Eq. 1)."""

from typing import Any

import keras
from keras import ops

Tensor = Any  # a backend tensor, a NumPy array or a symbolic `keras.KerasTensor`
Shape = tuple[int | None, ...]


@keras.saving.register_keras_serializable(package="seqrec")
class PReLUProjection(keras.layers.Layer):
    """IARN's projection head, Eq. 2: ``u~ = PReLU(W~ u_T + b~)``.

    The last hidden state is mapped to the representation used for prediction; PReLU lets it be
    negative ("a user could either like or dislike certain types"). The item side (``v~``) is the same.

    Sub-layers: ``dense`` (W~, b~) and ``prelu`` (its slopes, one per unit).

    Args:
        units: int. Size of the representation (IARN: the embedding size d).
        kernel_regularizer: regularizer of the dense kernel W~.
        **kwargs: other arguments of `keras.layers.Layer` (``name``, ``dtype``, ...).

    Call arguments:
        inputs: the last hidden state u_T, [batch, hidden].

    Returns:
        The representation ``u~``, [batch, units].

    Example:

    >>> import numpy as np
    >>> from seqrec.layers import PReLUProjection
    >>> tuple(PReLUProjection(3)(np.ones((2, 5))).shape)
    (2, 3)

    References:
        - Pei, Yang, Sun, Zhang, Bozzon and Tax, "Interacting Attention-gated Recurrent Networks for
          Recommendation", CIKM 2017, section 3.1, Eq. 2.
    """

    def __init__(self, units: int, kernel_regularizer: str | keras.regularizers.Regularizer | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.units = units
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
        self.dense = keras.layers.Dense(units, kernel_regularizer=self.kernel_regularizer,
                                        dtype=self.dtype_policy)
        self.prelu = keras.layers.PReLU(dtype=self.dtype_policy)

    def build(self, input_shape: Shape) -> None:
        self.dense.build(input_shape)
        self.prelu.build((*input_shape[:-1], self.units))

    def call(self, inputs: Tensor) -> Tensor:
        return self.prelu(self.dense(inputs))

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        """[batch, units]: the input's shape with its last axis of size ``units``."""
        return (*input_shape[:-1], self.units)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "units": self.units,
                "kernel_regularizer": keras.regularizers.serialize(self.kernel_regularizer)}


@keras.saving.register_keras_serializable(package="seqrec")
class InnerProductRating(keras.layers.Layer):
    """IARN's rating, Eq. 1: ``r~_ij = <u~_i, v~_j>``, the inner product of the two representations.

    The layer has no weights and no configuration of its own.

    Args:
        **kwargs: arguments of `keras.layers.Layer` (``name``, ``dtype``, ...).

    Call arguments:
        inputs: ``[u, v]``: the user's and the item's representations, [batch, units] each.

    Returns:
        The predicted ratings, [batch].

    Example:

    >>> import numpy as np
    >>> from seqrec.layers import InnerProductRating
    >>> rating = InnerProductRating()([np.ones((2, 3)), np.full((2, 3), 2.0)])
    >>> tuple(rating.shape), [float(r) for r in rating]
    ((2,), [6.0, 6.0])

    References:
        - Pei, Yang, Sun, Zhang, Bozzon and Tax, "Interacting Attention-gated Recurrent Networks for
          Recommendation", CIKM 2017, section 3, Eq. 1.
    """

    def call(self, inputs: list[Tensor]) -> Tensor:
        u, v = inputs
        return ops.sum(u * v, axis=-1)

    def compute_output_shape(self, input_shape: list[Shape]) -> Shape:
        """[batch]: the shape of ``u`` without its last axis."""
        return tuple(input_shape[0][:-1])
