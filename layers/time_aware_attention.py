"""MTAM's time-aware attention (Eq. 16-20) and multi-hop time-aware memory reader (Eq. 23-25)."""

import math

import keras
from keras import ops

GATE_SHAPES = ("scalar", "position")


@keras.saving.register_keras_serializable(package="seqrec")
class TimeAwareAttention(keras.layers.Layer):
    """Scaled dot-product attention whose logits are gated by a pairwise temporal gate (Eq. 16-20)::

        delta = tanh(log(|t_x -^ t_y| + 1) * W_delta + b_delta)                 (16)
        tau   = tanh(x W_tau y^T + b_tau)                                          (17)
        g_xy  = sigmoid(delta * W_g_delta + tau * W_g_tau + b_g)                  (18)
        T-Score = softmax(x y^T * g_xy / sqrt(d))                                 (19)
        T-Attention = T-Score v                                                    (20)

    where ``-^`` is the pairwise difference of the two time vectors and ``*`` is element-wise. A gate
    of 1 everywhere gives plain scaled dot-product attention (Eq. 14-15).

    **Reading of Eq. 16-18.** The paper sizes ``W_delta``, ``W_g_delta``, ``W_g_tau`` and the three
    biases as l_x x l_y matrices, which ties the layer to fixed sequence lengths and gives every
    (query position, key position) pair its own parameters. ``gate_shape="scalar"`` (the default)
    learns one scalar for each of them, shared by every pair, so the layer works for any lengths and
    the gate depends only on the time gap and the pair's content; ``gate_shape="position"`` keeps the
    paper's sizing for sequences of at most ``max_query_len`` x ``max_key_len``. Eq. 17 writes
    ``y W_tau x^T``, which is l_y x l_x; we read it as its transpose ``x W_tau y^T`` (l_x x l_y), the
    shape of the other terms.

    ``time_aware=False`` drops the gate (g = 1): plain scaled dot-product attention, for MTAM's ablation
    "without time-aware attention" and for baselines with the traditional kernel.

    Inputs: ``[query, key, value, query_times, key_times]``: [B, Lq, d], [B, Lk, d], [B, Lk, dv],
    [B, Lq], [B, Lk]. Times are floats in any unit with a common origin per row (MTAM: hours, e.g.
    relative to the target time; unix seconds do not fit float32). ``mask``: [B, Lk] (padded memory
    slots) or [B, Lq, Lk] (e.g. a causal band); a query without any allowed key outputs zeros.
    Output [B, Lq, dv], and the attention weights [B, Lq, Lk] with ``return_attention=True``.
    """

    def __init__(self, gate_shape: str = "scalar", max_query_len: int | None = None,
                 max_key_len: int | None = None, kernel_regularizer=None, time_aware: bool = True,
                 **kwargs):
        super().__init__(**kwargs)
        self.time_aware = time_aware
        if gate_shape not in GATE_SHAPES:
            raise ValueError(f"gate_shape must be one of {GATE_SHAPES}, got {gate_shape!r}")
        if gate_shape == "position" and not (max_query_len and max_key_len):
            raise ValueError("gate_shape='position' needs max_query_len and max_key_len")
        self.gate_shape = gate_shape
        self.max_query_len, self.max_key_len = max_query_len, max_key_len
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)

    def build(self, input_shape):
        if not self.time_aware:
            return
        dim = input_shape[0][-1]
        shape = (1, 1) if self.gate_shape == "scalar" else (self.max_query_len, self.max_key_len)

        def pairwise(name, init):
            return self.add_weight(shape=shape, name=name, initializer=init)

        self.w_delta, self.b_delta = pairwise("w_delta", "ones"), pairwise("b_delta", "zeros")
        self.b_tau = pairwise("b_tau", "zeros")
        self.w_g_delta, self.w_g_tau = pairwise("w_g_delta", "ones"), pairwise("w_g_tau", "ones")
        self.b_g = pairwise("b_g", "zeros")
        self.w_tau = self.add_weight(shape=(dim, dim), name="w_tau", initializer="glorot_uniform",
                                     regularizer=self.kernel_regularizer)

    def _pairwise(self, weight, lq, lk):
        return weight if self.gate_shape == "scalar" else weight[:lq, :lk]

    def gate(self, query, key, query_times, key_times):
        """The temporal gate g_xy [B, Lq, Lk] (Eq. 16-18)."""
        lq, lk = ops.shape(query)[1], ops.shape(key)[1]
        gap = ops.abs(ops.expand_dims(query_times, -1) - ops.expand_dims(key_times, 1))
        delta = ops.tanh(ops.log(gap + 1.0) * self._pairwise(self.w_delta, lq, lk)
                         + self._pairwise(self.b_delta, lq, lk))
        bilinear = ops.einsum("bqd,de,bke->bqk", query, self.w_tau, key)
        tau = ops.tanh(bilinear + self._pairwise(self.b_tau, lq, lk))
        return ops.sigmoid(delta * self._pairwise(self.w_g_delta, lq, lk)
                           + tau * self._pairwise(self.w_g_tau, lq, lk) + self._pairwise(self.b_g, lq, lk))

    def call(self, inputs, mask=None, return_attention: bool = False):
        query, key, value, query_times, key_times = inputs
        if isinstance(mask, list | tuple):  # masks propagated by Keras are not attention masks
            mask = None
        logits = ops.einsum("bqd,bkd->bqk", query, key) / math.sqrt(query.shape[-1])
        if self.time_aware:
            logits = logits * self.gate(query, key, ops.cast(query_times, query.dtype),
                                        ops.cast(key_times, query.dtype))
        if mask is not None:
            allowed = ops.cast(mask, "bool")
            if len(allowed.shape) == 2:
                allowed = ops.expand_dims(allowed, 1)
            allowed = ops.broadcast_to(allowed, ops.shape(logits))
            logits = ops.where(allowed, logits, ops.full_like(logits, -1e9))
            weights = ops.softmax(logits, axis=-1) * ops.cast(allowed, logits.dtype)
        else:
            weights = ops.softmax(logits, axis=-1)
        output = ops.einsum("bqk,bkd->bqd", weights, value)
        return (output, weights) if return_attention else output

    def compute_mask(self, inputs, mask=None):
        return None

    def get_config(self):
        return {**super().get_config(), "gate_shape": self.gate_shape, "max_query_len": self.max_query_len,
                "max_key_len": self.max_key_len, "time_aware": self.time_aware,
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

    Inputs: ``[intent, memory, query_times, memory_times]``: intent [B, d] (one query per user) or
    [B, T, d] (one per position, for the one-pass mode), memory [B, L, d], query_times [B] or [B, T],
    memory_times [B, L]; ``mask`` [B, L] (padded slots) or [B, T, L] (a causal band over the
    sequence). Output: the user representation c^k, shaped like the intent; with
    ``return_attention=True`` also the list of each hop's weights.
    """

    def __init__(self, hops: int = 1, gate_shape: str = "scalar", max_query_len: int | None = None,
                 max_key_len: int | None = None, kernel_regularizer=None, time_aware: bool = True,
                 **kwargs):
        super().__init__(**kwargs)
        self.hops, self.gate_shape, self.time_aware = hops, gate_shape, time_aware
        self.max_query_len, self.max_key_len = max_query_len, max_key_len
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
        self.attentions = [
            TimeAwareAttention(gate_shape, max_query_len, max_key_len, time_aware=time_aware,
                               kernel_regularizer=self.kernel_regularizer, dtype=self.dtype_policy,
                               name=f"hop_{k}") for k in range(hops)]

    def build(self, input_shape):
        dim = input_shape[1][-1]
        if not self.hops:  # nothing to read with: no weights
            return

        def matrix(name):
            return self.add_weight(shape=(dim, dim), name=name, initializer="glorot_uniform",
                                   regularizer=self.kernel_regularizer)

        self.w_k, self.w_v = matrix("w_key"), matrix("w_value")
        self.w_q = [matrix(f"w_query_{k}") for k in range(self.hops)]
        for attention in self.attentions:
            attention.build([(None, None, dim)] * 3 + [(None, None)] * 2)

    def call(self, inputs, mask=None, return_attention: bool = False):
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

    def compute_mask(self, inputs, mask=None):
        return None

    def get_config(self):
        return {**super().get_config(), "hops": self.hops, "gate_shape": self.gate_shape,
                "time_aware": self.time_aware,
                "max_query_len": self.max_query_len, "max_key_len": self.max_key_len,
                "kernel_regularizer": keras.regularizers.serialize(self.kernel_regularizer)}
