"""Vanilla attention with the candidate item as the query (DMRAN Eq. 14-15, ATRank's form), or its mean
pooling alternative."""

import math
from collections.abc import Sequence
from typing import Any

import keras
from keras import ops

Tensor = Any  # a backend tensor, a NumPy array or a symbolic `keras.KerasTensor`
Shape = tuple[int | None, ...]

POOLINGS = ("attention", "mean")


@keras.saving.register_keras_serializable(package="seqrec")
class CandidateAttention(keras.layers.Layer):
    """The candidate item reads the user's rows with multi-head scaled dot-product attention (DMRAN
    Eq. 14-15, ``h = f_vanilla(M, i_c)``), in the form of ATRank's code::

        Q = ReLU(i_c W_Q + b_Q),  K = ReLU(M W_K + b_K),  V = ReLU(M W_V + b_V)
        head_j = softmax(Q_j K_j^T / sqrt(d / heads)) V_j          over the rows of M
        h = concat(head_1, ..., head_heads)

    ATRank's projections have a ReLU and there is no output projection; DMRAN writes f_vanilla without
    details and follows ATRank, so we do. The residual connection to ``i_c``, the layer normalisation
    and the feed-forward network that ATRank adds after this attention are `AddNormFeedForward`.

    ``pooling="mean"`` is DMRAN's alternative "for flexibility and simplicity": ``h`` is the mean of the
    (unmasked) rows of M, the same for every candidate (no weights).

    One user can score several candidates at once: the query is [B, d] (one candidate per user) or
    [B, C, d] (C candidates per user, e.g. a positive and a negative, or every item for full ranking);
    the keys' projections are computed once per user. A user without any unmasked row gets ``h = 0``.

    Weights (``pooling="attention"``), in creation order: the dense layers ``query``, ``key``, ``value``
    (each a kernel [d_in, units] and a bias [units]).

    Args:
        heads: int. Number of heads (ATRank: 8); ``units`` must be divisible by it.
        units: int. Width of the projections and of h (default: the rows' width).
        pooling: str. ``"attention"`` (default) or ``"mean"``.
        kernel_regularizer: regularizer of the three kernels.
        **kwargs: other arguments of `keras.layers.Layer` (``name``, ``dtype``, ...).

    Call arguments:
        inputs: ``[candidates, rows]``: the candidates' embeddings i_c [B, d_q] or [B, C, d_q] and the
            user's rows M [B, r, d] (DMRAN: the item-level attention's rows; ATRank: the behaviours).
        mask: optional boolean mask [B, r], True on rows that may be read. A list of masks (what Keras
            propagates) uses its second entry, the rows' mask.
        return_attention: bool. Also return the attention weights.

    Returns:
        h, [B, units] or [B, C, units] (like the candidates); with ``return_attention=True`` the tuple
        ``(h, weights)``, weights [B, heads, r] or [B, C, heads, r] (all ``1 / r`` over the unmasked rows
        with ``pooling="mean"``).

    Example:

    >>> import numpy as np
    >>> from seqrec.layers import CandidateAttention
    >>> h, weights = CandidateAttention(heads=2)([np.ones((2, 7, 4)), np.ones((2, 5, 4))],
    ...                                          return_attention=True)
    >>> tuple(h.shape), tuple(weights.shape)
    ((2, 7, 4), (2, 7, 2, 5))

    References:
        - Wang, Liu, Liu, Li and Zheng, "DMRAN: A Hierarchical Fine-Grained Attention-Based Network
          for Recommendation", IJCAI 2019, section 4.4, Eq. 14-15.
        - Zhou et al., "ATRank: An Attention-Based User Behavior Modeling Framework for
          Recommendation", AAAI 2018, section 3 (vanilla attention).
    """

    def __init__(self, heads: int = 1, units: int | None = None, pooling: str = "attention",
                 kernel_regularizer: str | keras.regularizers.Regularizer | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if pooling not in POOLINGS:
            raise ValueError(f"pooling must be one of {POOLINGS}, got {pooling!r}")
        self.heads, self.units, self.pooling = heads, units, pooling
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)

    def build(self, input_shape: Sequence[Shape]) -> None:
        candidates, rows = (tuple(s) for s in input_shape)
        self.width = self.units or rows[-1]
        if self.pooling == "mean":
            if self.width != rows[-1]:
                raise ValueError(f"pooling='mean' keeps the rows' width {rows[-1]}; units={self.units}")
            return
        if self.width % self.heads:
            raise ValueError(f"units ({self.width}) must be divisible by heads ({self.heads})")

        def dense(name: str, shape: Shape) -> keras.layers.Dense:
            layer = keras.layers.Dense(self.width, activation="relu", name=name, dtype=self.dtype_policy,
                                       kernel_regularizer=self.kernel_regularizer)
            layer.build(shape)
            return layer

        self.query = dense("query", candidates)
        self.key, self.value = dense("key", rows), dense("value", rows)

    def call(self, inputs: Sequence[Tensor], mask: Any = None, return_attention: bool = False
             ) -> Tensor | tuple[Tensor, Tensor]:
        candidates, rows = inputs
        if isinstance(mask, list | tuple):
            mask = mask[1]
        single = len(candidates.shape) == 2
        if single:
            candidates = ops.expand_dims(candidates, 1)
        batch, count, length = ops.shape(candidates)[0], ops.shape(candidates)[1], ops.shape(rows)[1]
        allowed = None if mask is None else ops.reshape(ops.cast(mask, "bool"), (batch, 1, 1, length))
        if self.pooling == "mean":
            weights = ops.ones((batch, 1, 1, length), rows.dtype)
            if allowed is not None:
                weights = weights * ops.cast(allowed, rows.dtype)
            weights = weights / ops.maximum(ops.sum(weights, axis=-1, keepdims=True), 1.0)
            weights = ops.broadcast_to(weights, (batch, count, self.heads, length))
            output = ops.einsum("bchl,bld->bcd", weights[:, :, :1], rows)
        else:
            size = self.width // self.heads
            query = ops.reshape(self.query(candidates), (batch, count, self.heads, size))
            key = ops.reshape(self.key(rows), (batch, length, self.heads, size))
            value = ops.reshape(self.value(rows), (batch, length, self.heads, size))
            logits = ops.einsum("bchk,blhk->bchl", query, key) / math.sqrt(size)
            if allowed is not None:
                logits = ops.where(allowed, logits, ops.full_like(logits, -1e9))
                weights = ops.softmax(logits, axis=-1) * ops.cast(allowed, logits.dtype)
            else:
                weights = ops.softmax(logits, axis=-1)
            output = ops.reshape(ops.einsum("bchl,blhk->bchk", weights, value), (batch, count, self.width))
        if single:
            output, weights = ops.squeeze(output, 1), ops.squeeze(weights, 1)
        return (output, weights) if return_attention else output

    def compute_mask(self, inputs: Sequence[Tensor], mask: Any = None) -> None:
        return None

    def compute_output_shape(self, input_shape: Sequence[Shape], return_attention: bool = False
                             ) -> Shape | tuple[Shape, Shape]:
        """Like the candidates with the last axis ``units``; with ``return_attention`` also the weights'
        shape [B, (C,) heads, r]."""
        candidates, rows = (tuple(s) for s in input_shape)
        output = (*candidates[:-1], self.units or rows[-1])
        return (output, (*candidates[:-1], self.heads, rows[1])) if return_attention else output

    def compute_output_spec(self, inputs: Sequence[Tensor], mask: Any = None, return_attention: bool = False
                            ) -> keras.KerasTensor | tuple[keras.KerasTensor, keras.KerasTensor]:
        """Symbolic outputs from `compute_output_shape`, which also knows ``return_attention``."""
        shapes = self.compute_output_shape([tuple(t.shape) for t in inputs], return_attention)
        if not return_attention:
            return keras.KerasTensor(shapes, dtype=self.compute_dtype)
        return tuple(keras.KerasTensor(shape, dtype=self.compute_dtype) for shape in shapes)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "heads": self.heads, "units": self.units, "pooling": self.pooling,
                "kernel_regularizer": keras.regularizers.serialize(self.kernel_regularizer)}
