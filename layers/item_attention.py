"""DMRAN's item-level attention with r rows (Eq. 3-8) and its redundancy penalty (Eq. 22)."""

from typing import Any

import keras
from keras import ops

Tensor = Any  # a backend tensor, a NumPy array or a symbolic `keras.KerasTensor`
Shape = tuple[int | None, ...]


@keras.saving.register_keras_serializable(package="seqrec")
class MultiRowItemAttention(keras.layers.Layer):
    """DMRAN's item-level attention: r rows of attention over the user's behaviours, each a weighted
    sum of them (Eq. 3-8, Lin et al.'s structured self-attention with a ReLU)::

        A = softmax(W_s2 ReLU(W_s1 H^T))          softmax over the n behaviours     (7)
        M = A H = (m_1, ..., m_r)^T                                                  (8)

    with ``W_s1`` [d_a, d_e] (DMRAN: ``d_a = d_e``) and ``W_s2`` [r, d_a]; with ``rows=1`` it is the
    one-row attention of Eq. 3-6. Neither matrix has a bias (the paper writes none). Padded behaviours
    (mask False) get weight 0; a row without any behaviour gives ``M = 0``.

    **Redundancy penalty** (Eq. 22's last term, from Lin et al.): with ``penalty > 0`` the layer adds
    ``penalty * mean_batch ||A A^T - I||_F^2`` to its losses (`keras.layers.Layer.add_loss`), so a
    model that trains with ``model.losses`` (every Keras ``fit``) pushes the rows to read different
    behaviours. It is 0 when the rows are one-hot on distinct behaviours. DMRAN gives no value for its
    weight (lambda_3); the model chooses it.

    Weights, in creation order: ``w_s1`` [d_e, d_a], ``w_s2`` [d_a, rows] (stored transposed, applied to
    H from the right).

    Args:
        rows: int. r, the number of rows (DMRAN searches {2, 5, 8, 10, 15, 20}).
        units: int. d_a, the hidden width of the attention (default: the input width d_e).
        penalty: float. Weight of the redundancy penalty (0: none).
        kernel_regularizer: regularizer of both matrices.
        **kwargs: other arguments of `keras.layers.Layer` (``name``, ``dtype``, ...).

    Call arguments:
        inputs: the encoded behaviours H, [B, L, d_e].
        mask: optional boolean mask [B, L], True on real behaviours.
        return_attention: bool. Also return A.

    Returns:
        M, [B, rows, d_e]; with ``return_attention=True`` the tuple ``(M, A)``, A [B, rows, L] (0 on padded
        behaviours).

    Example:

    >>> import numpy as np
    >>> from seqrec.layers import MultiRowItemAttention
    >>> rows, weights = MultiRowItemAttention(3)(np.ones((2, 5, 4)), return_attention=True)
    >>> tuple(rows.shape), tuple(weights.shape)
    ((2, 3, 4), (2, 3, 5))

    References:
        - Wang, Liu, Liu, Li and Zheng, "DMRAN: A Hierarchical Fine-Grained Attention-Based Network
          for Recommendation", IJCAI 2019, section 4.2, Eq. 3-8, and section 4.5, Eq. 22.
        - Lin et al., "A Structured Self-attentive Sentence Embedding", ICLR 2017.
    """

    def __init__(self, rows: int, units: int | None = None, penalty: float = 0.0,
                 kernel_regularizer: str | keras.regularizers.Regularizer | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rows, self.units, self.penalty = rows, units, penalty
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)

    def build(self, input_shape: Shape) -> None:
        dim = input_shape[-1]
        hidden = self.units or dim
        self.w_s1 = self.add_weight(shape=(dim, hidden), name="w_s1", initializer="glorot_uniform",
                                    regularizer=self.kernel_regularizer)
        self.w_s2 = self.add_weight(shape=(hidden, self.rows), name="w_s2", initializer="glorot_uniform",
                                    regularizer=self.kernel_regularizer)

    def call(self, inputs: Tensor, mask: Tensor | None = None, return_attention: bool = False
             ) -> Tensor | tuple[Tensor, Tensor]:
        logits = ops.transpose(ops.matmul(ops.relu(ops.matmul(inputs, self.w_s1)), self.w_s2), (0, 2, 1))
        if mask is not None:
            allowed = ops.expand_dims(ops.cast(mask, "bool"), 1)  # [B, 1, L]
            logits = ops.where(allowed, logits, ops.full_like(logits, -1e9))
            weights = ops.softmax(logits, axis=-1) * ops.cast(allowed, logits.dtype)
        else:
            weights = ops.softmax(logits, axis=-1)
        if self.penalty:
            self.add_loss(ops.cast(self.penalty * ops.mean(redundancy(weights)), "float32"))
        rows = ops.matmul(weights, inputs)
        return (rows, weights) if return_attention else rows

    def compute_mask(self, inputs: Tensor, mask: Any = None) -> None:
        return None

    def compute_output_shape(self, input_shape: Shape, return_attention: bool = False
                             ) -> Shape | tuple[Shape, Shape]:
        """[B, rows, d_e]; with ``return_attention`` also A's shape [B, rows, L]."""
        rows = (input_shape[0], self.rows, input_shape[-1])
        return (rows, (input_shape[0], self.rows, input_shape[1])) if return_attention else rows

    def compute_output_spec(self, inputs: Tensor, mask: Any = None, return_attention: bool = False
                            ) -> keras.KerasTensor | tuple[keras.KerasTensor, keras.KerasTensor]:
        """Symbolic outputs from `compute_output_shape`, which also knows ``return_attention``."""
        shapes = self.compute_output_shape(tuple(inputs.shape), return_attention)
        if not return_attention:
            return keras.KerasTensor(shapes, dtype=self.compute_dtype)
        return tuple(keras.KerasTensor(shape, dtype=self.compute_dtype) for shape in shapes)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "rows": self.rows, "units": self.units, "penalty": self.penalty,
                "kernel_regularizer": keras.regularizers.serialize(self.kernel_regularizer)}


def redundancy(weights: Tensor) -> Tensor:
    """``||A A^T - I||_F^2`` of every example's attention rows A [B, r, L]: [B]."""
    gram = ops.matmul(weights, ops.transpose(weights, (0, 2, 1)))
    return ops.sum(ops.square(gram - ops.eye(ops.shape(weights)[1], dtype=weights.dtype)), axis=(1, 2))
