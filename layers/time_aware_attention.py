"""MTAM's time-aware attention (Eq. 16-20) and multi-hop time-aware memory reader (Eq. 23-25)."""

import math
from collections.abc import Sequence
from typing import Any

import keras
from keras import ops

Tensor = Any  # a backend tensor, a NumPy array or a symbolic `keras.KerasTensor`
Shape = tuple[int | None, ...]

GATE_SHAPES = ("scalar", "position")


@keras.saving.register_keras_serializable(package="seqrec")
class TimeAwareAttention(keras.layers.Layer):
    """MTAM's time-aware attention: scaled dot-product attention whose logits are gated by a pairwise
    temporal gate (Eq. 16-20)::

        delta = tanh(log(|t_x -^ t_y| + 1) * W_delta + b_delta)                 (16)
        tau   = tanh(x W_tau y^T + b_tau)                                          (17)
        g_xy  = sigmoid(delta * W_g_delta + tau * W_g_tau + b_g)                  (18)
        T-Score = softmax(x y^T * g_xy / sqrt(d))                                 (19)
        T-Attention = T-Score v                                                    (20)

    where ``-^`` is the pairwise difference of the two time vectors and ``*`` is element-wise. A gate
    of 1 everywhere gives plain scaled dot-product attention (Eq. 14-15).

    **Reading of Eq. 16-18.** The paper sizes ``W_delta``, ``W_g_delta``, ``W_g_tau`` and the three
    biases as l_x x l_y matrices, which ties the layer to fixed sequence lengths and gives every
    (query, key) pair its own parameters. ``gate_shape="scalar"`` (the default) learns one scalar for
    each of them, shared by every pair, so the layer works for any lengths and the gate depends only on
    the time gap and the pair's content. ``gate_shape="position"`` keeps per-pair parameters, indexed by
    the key's **recency** for its query: 0 for the latest key the query may read, 1 for the one before,
    up to ``max_key_len - 1`` (Eq. 22's memory is latest-first, and MTAM reads it with one query per
    prediction, l_x = 1). Recency is counted over the keys the mask allows, so a left-padded prefix and a
    right-padded window with a causal band give every (query, key) pair the same parameters; indexing
    by padded slot would not. Eq. 17 writes ``y W_tau x^T``, which is l_y x l_x; we read it as its
    transpose ``x W_tau y^T`` (l_x x l_y), the shape of the other terms.

    ``time_aware=False`` drops the gate (g = 1): plain scaled dot-product attention, for MTAM's ablation
    "without time-aware attention" and for baselines with the traditional kernel.

    Times are floats in any unit with a common origin per row (MTAM: hours, e.g. relative to the target
    time; unix seconds do not fit float32). A query without any allowed key outputs zeros. The layer
    propagates no mask.

    Weights (with ``time_aware=True``), in creation order: ``w_delta``, ``b_delta``, ``b_tau``,
    ``w_g_delta``, ``w_g_tau``, ``b_g`` (each [1, 1], or [max_key_len], one per recency, with
    ``gate_shape="position"``), then ``w_tau`` [d, d]. With ``time_aware=False`` the layer has none.

    Args:
        gate_shape: str. ``"scalar"`` (default) or ``"position"``, see the reading of Eq. 16-18 above.
        max_key_len: int. The keys of a query a position gate tells apart by recency (older keys share
            the last parameters); required with ``gate_shape="position"``.
        kernel_regularizer: regularizer of ``w_tau``.
        time_aware: bool. False drops the gate (plain scaled dot-product attention, no weights).
        **kwargs: other arguments of `keras.layers.Layer` (``name``, ``dtype``, ...).

    Call arguments:
        inputs: ``[query, key, value, query_times, key_times]``: [B, Lq, d], [B, Lk, d], [B, Lk, dv],
            [B, Lq], [B, Lk].
        mask: optional boolean mask, True where a key may be attended: [B, Lk] (padded memory slots)
            or [B, Lq, Lk] (e.g. a causal band). A list of masks (what Keras propagates) is ignored.
            A position gate counts recency over the keys the mask allows (all, without a mask).
        return_attention: bool. Also return the attention weights.

    Returns:
        The attended values [B, Lq, dv]; with ``return_attention=True`` the tuple ``(values,
        weights)``, the weights (T-Score, Eq. 19) [B, Lq, Lk], 0 on keys the mask forbids.

    Example:

    >>> import numpy as np
    >>> from seqrec.layers import TimeAwareAttention
    >>> query, key, value = np.ones((2, 3, 4)), np.ones((2, 5, 4)), np.ones((2, 5, 6))
    >>> query_times, key_times = np.zeros((2, 3)), -np.arange(10.0).reshape(2, 5)
    >>> output, weights = TimeAwareAttention()([query, key, value, query_times, key_times],
    ...                                        return_attention=True)
    >>> tuple(output.shape), tuple(weights.shape)
    ((2, 3, 6), (2, 3, 5))

    References:
        - Ji, Wang, Wang, Chen and Cristea, "Sequential Recommender via Time-aware Attentive Memory
          Network", CIKM 2020 (MTAM), section 4.3, Eq. 14-20.
    """

    def __init__(self, gate_shape: str = "scalar", max_key_len: int | None = None,
                 kernel_regularizer: str | keras.regularizers.Regularizer | None = None,
                 time_aware: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.time_aware = time_aware
        if gate_shape not in GATE_SHAPES:
            raise ValueError(f"gate_shape must be one of {GATE_SHAPES}, got {gate_shape!r}")
        if gate_shape == "position" and not max_key_len:
            raise ValueError("gate_shape='position' needs max_key_len")
        self.gate_shape = gate_shape
        self.max_key_len = max_key_len
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)

    def build(self, input_shape: Sequence[Shape]) -> None:
        if not self.time_aware:
            return
        dim = input_shape[0][-1]
        shape = (1, 1) if self.gate_shape == "scalar" else (self.max_key_len,)

        def pairwise(name: str, init: str) -> keras.Variable:
            return self.add_weight(shape=shape, name=name, initializer=init)

        self.w_delta, self.b_delta = pairwise("w_delta", "ones"), pairwise("b_delta", "zeros")
        self.b_tau = pairwise("b_tau", "zeros")
        self.w_g_delta, self.w_g_tau = pairwise("w_g_delta", "ones"), pairwise("w_g_tau", "ones")
        self.b_g = pairwise("b_g", "zeros")
        self.w_tau = self.add_weight(shape=(dim, dim), name="w_tau", initializer="glorot_uniform",
                                     regularizer=self.kernel_regularizer)

    def recency(self, allowed: Tensor) -> Tensor:
        """For each (query, key) of ``allowed`` [B, Lq, Lk], the number of allowed keys after the key
        (0: the query's latest readable key), capped at ``max_key_len - 1``: int32 [B, Lq, Lk]."""
        count = ops.cast(allowed, "int32")
        after = ops.flip(ops.cumsum(ops.flip(count, axis=-1), axis=-1), axis=-1) - count
        return ops.minimum(after, self.max_key_len - 1)

    def gate(self, query: Tensor, key: Tensor, query_times: Tensor, key_times: Tensor,
             recency: Tensor | None = None) -> Tensor:
        """The temporal gate g_xy [B, Lq, Lk] (Eq. 16-18); ``recency`` [B, Lq, Lk] (`recency`) selects
        the position gate's parameters of each pair."""
        def pairwise(weight):
            return weight if self.gate_shape == "scalar" else ops.take(weight, recency, axis=0)

        gap = ops.abs(ops.expand_dims(query_times, -1) - ops.expand_dims(key_times, 1))
        delta = ops.tanh(ops.log(gap + 1.0) * pairwise(self.w_delta) + pairwise(self.b_delta))
        bilinear = ops.einsum("bqd,de,bke->bqk", query, self.w_tau, key)
        tau = ops.tanh(bilinear + pairwise(self.b_tau))
        return ops.sigmoid(delta * pairwise(self.w_g_delta) + tau * pairwise(self.w_g_tau)
                           + pairwise(self.b_g))

    def call(self, inputs: Sequence[Tensor], mask: Tensor | Sequence[Tensor | None] | None = None,
             return_attention: bool = False) -> Tensor | tuple[Tensor, Tensor]:
        query, key, value, query_times, key_times = inputs
        if isinstance(mask, list | tuple):  # masks propagated by Keras are not attention masks
            mask = None
        logits = ops.einsum("bqd,bkd->bqk", query, key) / math.sqrt(query.shape[-1])
        allowed = None
        if mask is not None:
            allowed = ops.cast(mask, "bool")
            if len(allowed.shape) == 2:
                allowed = ops.expand_dims(allowed, 1)
            allowed = ops.broadcast_to(allowed, ops.shape(logits))
        if self.time_aware:
            recency = None
            if self.gate_shape == "position":
                recency = self.recency(allowed if allowed is not None else ops.ones_like(logits, "bool"))
            logits = logits * self.gate(query, key, ops.cast(query_times, query.dtype),
                                        ops.cast(key_times, query.dtype), recency)
        if allowed is not None:
            logits = ops.where(allowed, logits, ops.full_like(logits, -1e9))
            weights = ops.softmax(logits, axis=-1) * ops.cast(allowed, logits.dtype)
        else:
            weights = ops.softmax(logits, axis=-1)
        output = ops.einsum("bqk,bkd->bqd", weights, value)
        return (output, weights) if return_attention else output

    def compute_mask(self, inputs: Sequence[Tensor], mask: Any = None) -> None:
        return None

    def compute_output_shape(self, input_shape: Sequence[Shape], return_attention: bool = False
                             ) -> Shape | tuple[Shape, Shape]:
        """[B, Lq, dv]; with ``return_attention`` also the weights' shape [B, Lq, Lk]."""
        query, key, value = input_shape[:3]
        output = (query[0], query[1], value[-1])
        return (output, (query[0], query[1], key[1])) if return_attention else output

    def compute_output_spec(self, inputs: Sequence[Tensor], mask: Any = None, return_attention: bool = False
                            ) -> keras.KerasTensor | tuple[keras.KerasTensor, keras.KerasTensor]:
        """Symbolic outputs from `compute_output_shape`, which also knows ``return_attention``."""
        shapes = self.compute_output_shape([tuple(t.shape) for t in inputs], return_attention)
        if not return_attention:
            return keras.KerasTensor(shapes, dtype=self.compute_dtype)
        return tuple(keras.KerasTensor(shape, dtype=self.compute_dtype) for shape in shapes)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "gate_shape": self.gate_shape, "max_key_len": self.max_key_len,
                "time_aware": self.time_aware,
                "kernel_regularizer": keras.regularizers.serialize(self.kernel_regularizer)}


@keras.saving.register_keras_serializable(package="seqrec")
class MultiHopMemoryReader(keras.layers.Layer):
    """MTAM's memory reader: ``hops`` rounds of time-aware attention from the user's short-term intent
    into the memory of her latest behaviours, each adding its read-out to the query (Eq. 23-25)::

        o^k = T-Attention((c^{k-1} W_Q^k, t_target), (m W_K, t_m), (m W_V, t_m))       (24)
        c^k = c^{k-1} + o^k                                                             (25)

    ``W_K`` and ``W_V`` are shared by all hops (Eq. 24 writes them without k); every hop has its own
    ``W_Q^k`` and its own temporal gate (the paper does not say whether the gate is shared; per-hop
    gates let hops weigh time differently). ``hops=0`` returns the intent unchanged, i.e. MTAM with
    0 hops is the T-GRU.

    The intent is one query per user [B, d], or one per position [B, T, d] for the one-pass mode, where
    a causal band mask [B, T, L] lets each position read only its own past. The layer propagates no
    mask.

    Weights (none with ``hops=0``), in creation order: ``w_key`` (W_K), ``w_value`` (W_V),
    ``w_query_0`` ... ``w_query_{hops-1}`` (W_Q^k), each [d, d]; then the `TimeAwareAttention` of each
    hop (``hop_0``, ...).

    Args:
        hops: int. Number of reading rounds (the authors' presets: 6-8; 0 returns the intent).
        gate_shape: str. The temporal gates' parameter shape, see `TimeAwareAttention`.
        max_key_len: int. With ``gate_shape="position"``, see `TimeAwareAttention`.
        kernel_regularizer: regularizer of every matrix (W_K, W_V, W_Q^k and the gates' W_tau).
        time_aware: bool. False uses plain scaled dot-product attention in every hop.
        **kwargs: other arguments of `keras.layers.Layer` (``name``, ``dtype``, ...).

    Call arguments:
        inputs: ``[intent, memory, query_times, memory_times]``: intent [B, d] (one query per user) or
            [B, T, d] (one per position, for the one-pass mode), memory [B, L, d], query_times [B] or
            [B, T], memory_times [B, L].
        mask: optional boolean mask [B, L] (padded slots) or [B, T, L] (a causal band over the
            sequence), True where a slot may be read. A list of masks (what Keras propagates) is ignored.
        return_attention: bool. Also return each hop's attention weights.

    Returns:
        The user representation c^k, shaped like the intent ([B, d] or [B, T, d]); with
        ``return_attention=True`` the tuple ``(c^k, weights)``, weights the list of each hop's
        attention weights, [B, 1, L] (one query per user) or [B, T, L] each.

    Example:

    >>> import numpy as np
    >>> from seqrec.layers import MultiHopMemoryReader
    >>> reader = MultiHopMemoryReader(hops=2)
    >>> intent, memory = np.ones((2, 4)), np.ones((2, 5, 4))
    >>> query_times, memory_times = np.zeros(2), -np.arange(10.0).reshape(2, 5)
    >>> user, weights = reader([intent, memory, query_times, memory_times], return_attention=True)
    >>> tuple(user.shape), [tuple(w.shape) for w in weights]
    ((2, 4), [(2, 1, 5), (2, 1, 5)])

    References:
        - Ji, Wang, Wang, Chen and Cristea, "Sequential Recommender via Time-aware Attentive Memory
          Network", CIKM 2020 (MTAM), section 5.2, Eq. 23-25.
    """

    def __init__(self, hops: int = 1, gate_shape: str = "scalar", max_key_len: int | None = None,
                 kernel_regularizer: str | keras.regularizers.Regularizer | None = None,
                 time_aware: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.hops, self.gate_shape, self.time_aware = hops, gate_shape, time_aware
        self.max_key_len = max_key_len
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
        self.attentions = [
            TimeAwareAttention(gate_shape, max_key_len, time_aware=time_aware,
                               kernel_regularizer=self.kernel_regularizer, dtype=self.dtype_policy,
                               name=f"hop_{k}") for k in range(hops)]

    def build(self, input_shape: Sequence[Shape]) -> None:
        dim = input_shape[1][-1]
        if not self.hops:  # nothing to read with: no weights
            return

        def matrix(name: str) -> keras.Variable:
            return self.add_weight(shape=(dim, dim), name=name, initializer="glorot_uniform",
                                   regularizer=self.kernel_regularizer)

        self.w_k, self.w_v = matrix("w_key"), matrix("w_value")
        self.w_q = [matrix(f"w_query_{k}") for k in range(self.hops)]
        for attention in self.attentions:
            attention.build([(None, None, dim)] * 3 + [(None, None)] * 2)

    def call(self, inputs: Sequence[Tensor], mask: Tensor | Sequence[Tensor | None] | None = None,
             return_attention: bool = False) -> Tensor | tuple[Tensor, list[Tensor]]:
        intent, memory, query_times, memory_times = inputs
        if isinstance(mask, list | tuple):
            mask = None
        single = len(intent.shape) == 2
        if not self.hops:
            return (intent, []) if return_attention else intent
        c = ops.expand_dims(intent, 1) if single else intent
        query_times = ops.expand_dims(query_times, 1) if single else query_times
        keys, values = ops.matmul(memory, self.w_k), ops.matmul(memory, self.w_v)
        weights = []
        for w_q, attention in zip(self.w_q, self.attentions, strict=True):
            read, w = attention([ops.matmul(c, w_q), keys, values, query_times, memory_times], mask=mask,
                                return_attention=True)
            c = c + read
            weights.append(w)
        c = ops.squeeze(c, 1) if single else c
        return (c, weights) if return_attention else c

    def compute_mask(self, inputs: Sequence[Tensor], mask: Any = None) -> None:
        return None

    def compute_output_shape(self, input_shape: Sequence[Shape], return_attention: bool = False
                             ) -> Shape | tuple[Shape, list[Shape]]:
        """The intent's shape; with ``return_attention`` also the list of each hop's weights' shape,
        [B, 1, L] (intent [B, d]) or [B, T, L] (intent [B, T, d])."""
        intent, memory = tuple(input_shape[0]), input_shape[1]
        if not return_attention:
            return intent
        queries = 1 if len(intent) == 2 else intent[1]
        return intent, [(intent[0], queries, memory[1]) for _ in range(self.hops)]

    def compute_output_spec(self, inputs: Sequence[Tensor], mask: Any = None, return_attention: bool = False
                            ) -> keras.KerasTensor | tuple[keras.KerasTensor, list[keras.KerasTensor]]:
        """Symbolic outputs from `compute_output_shape`, which also knows ``return_attention``."""
        shapes = self.compute_output_shape([tuple(t.shape) for t in inputs], return_attention)
        if not return_attention:
            return keras.KerasTensor(shapes, dtype=self.compute_dtype)
        output, weights = shapes
        return (keras.KerasTensor(output, dtype=self.compute_dtype),
                [keras.KerasTensor(shape, dtype=self.compute_dtype) for shape in weights])

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "hops": self.hops, "gate_shape": self.gate_shape,
                "time_aware": self.time_aware,
                "max_key_len": self.max_key_len,
                "kernel_regularizer": keras.regularizers.serialize(self.kernel_regularizer)}
