"""DMRAN's feature-level (multi-dimensional) self-attention (Eq. 9-13)."""

from typing import Any

import keras
from keras import ops

Tensor = Any  # a backend tensor, a NumPy array or a symbolic `keras.KerasTensor`
Shape = tuple[int | None, ...]


@keras.saving.register_keras_serializable(package="seqrec")
class FeatureSelfAttention(keras.layers.Layer):
    """DMRAN's feature-level self-attention: every pair of rows gets an alignment *vector*, normalised
    over the rows separately for every feature dimension (Eq. 9-13, DiSAN's multi-dimensional
    attention)::

        f(m_i, m_j) = W_s5 tanh(W_s4 m_i + W_s3 m_j + b_s2) + b_s1              (9)
        [beta_ij]_k = exp([f(m_i, m_j)]_k) / sum_t exp([f(m_i, m_t)]_k)          (10-11)
        m^_i = sum_j beta_ij o m_j                                                (12-13)

    with ``W_s3, W_s4, W_s5`` [d, d] and ``b_s1, b_s2`` [d]; ``o`` is the element-wise product. The
    pairwise scores are one [B, r, r, d] tensor, computed at once (``W_s4 m_i`` and ``W_s3 m_j`` once
    per row, broadcast over the pairs). A row j with mask False is never attended to (every
    ``beta_ij = 0``); padded rows i still get an output, which the mask passed on marks. In DMRAN the
    rows are the r rows of the item-level attention (no padding); DMRAN_Feature applies it to the
    behaviours H themselves, with their padding mask.

    Weights, in creation order: ``w_s3``, ``w_s4``, ``w_s5`` (each [d, d], applied from the right),
    ``b_s1``, ``b_s2`` (each [d]).

    Args:
        kernel_regularizer: regularizer of the three matrices.
        **kwargs: other arguments of `keras.layers.Layer` (``name``, ``dtype``, ...).

    Call arguments:
        inputs: the rows M, [B, r, d].
        mask: optional boolean mask [B, r], True on rows that may be attended to.
        return_attention: bool. Also return the alignment vectors beta.

    Returns:
        M^, [B, r, d]; with ``return_attention=True`` the tuple ``(M^, beta)``, beta [B, r, r, d]
        (``beta[b, i, j, k]``: how much dimension k of row i reads from row j; sums to 1 over j).

    Example:

    >>> import numpy as np
    >>> from seqrec.layers import FeatureSelfAttention
    >>> rows, beta = FeatureSelfAttention()(np.ones((2, 3, 4)), return_attention=True)
    >>> tuple(rows.shape), tuple(beta.shape)
    ((2, 3, 4), (2, 3, 3, 4))

    References:
        - Wang, Liu, Liu, Li and Zheng, "DMRAN: A Hierarchical Fine-Grained Attention-Based Network
          for Recommendation", IJCAI 2019, section 4.3, Eq. 9-13.
        - Shen et al., "DiSAN: Directional Self-Attention Network for RNN/CNN-Free Language
          Understanding", AAAI 2018 (multi-dimensional attention).
    """

    def __init__(self, kernel_regularizer: str | keras.regularizers.Regularizer | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
        self.supports_masking = True

    def build(self, input_shape: Shape) -> None:
        dim = input_shape[-1]

        def matrix(name: str) -> keras.Variable:
            return self.add_weight(shape=(dim, dim), name=name, initializer="glorot_uniform",
                                   regularizer=self.kernel_regularizer)

        self.w_s3, self.w_s4, self.w_s5 = matrix("w_s3"), matrix("w_s4"), matrix("w_s5")
        self.b_s1 = self.add_weight(shape=(dim,), name="b_s1", initializer="zeros")
        self.b_s2 = self.add_weight(shape=(dim,), name="b_s2", initializer="zeros")

    def call(self, inputs: Tensor, mask: Tensor | None = None, return_attention: bool = False
             ) -> Tensor | tuple[Tensor, Tensor]:
        query = ops.expand_dims(ops.matmul(inputs, self.w_s4), 2)  # W_s4 m_i: [B, r, 1, d]
        key = ops.expand_dims(ops.matmul(inputs, self.w_s3), 1)  # W_s3 m_j: [B, 1, r, d]
        scores = ops.matmul(ops.tanh(query + key + self.b_s2), self.w_s5) + self.b_s1  # [B, r, r, d]
        if mask is not None:
            allowed = ops.reshape(ops.cast(mask, "bool"), (ops.shape(inputs)[0], 1, ops.shape(inputs)[1], 1))
            scores = ops.where(allowed, scores, ops.full_like(scores, -1e9))
            beta = ops.softmax(scores, axis=2) * ops.cast(allowed, scores.dtype)
        else:
            beta = ops.softmax(scores, axis=2)
        rows = ops.sum(beta * ops.expand_dims(inputs, 1), axis=2)
        return (rows, beta) if return_attention else rows

    def compute_mask(self, inputs: Tensor, mask: Any = None) -> Any:
        return mask

    def compute_output_shape(self, input_shape: Shape, return_attention: bool = False
                             ) -> Shape | tuple[Shape, Shape]:
        """[B, r, d]; with ``return_attention`` also beta's shape [B, r, r, d]."""
        shape = tuple(input_shape)
        return (shape, (shape[0], shape[1], shape[1], shape[2])) if return_attention else shape

    def compute_output_spec(self, inputs: Tensor, mask: Any = None, return_attention: bool = False
                            ) -> keras.KerasTensor | tuple[keras.KerasTensor, keras.KerasTensor]:
        """Symbolic outputs from `compute_output_shape`, which also knows ``return_attention``."""
        shapes = self.compute_output_shape(tuple(inputs.shape), return_attention)
        if not return_attention:
            return keras.KerasTensor(shapes, dtype=self.compute_dtype)
        return tuple(keras.KerasTensor(shape, dtype=self.compute_dtype) for shape in shapes)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(),
                "kernel_regularizer": keras.regularizers.serialize(self.kernel_regularizer)}
