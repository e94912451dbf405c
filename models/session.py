"""The session-based attentive baselines of MTAM's Table 2: NARM, NARM+, NARM++ and STAMP.

All four are `seqrec.models.next_item.NextItemModel` s: behaviour embeddings in (item plus category,
`NextItemModel.embed`), a user vector ``p`` [B, Lq, dim] out, every item scored by ``p Q^T`` (MTAM
Eq. 2) and trained with the softmax cross-entropy (MTAM Eq. 3); the two modes (one prefix per example,
or one pass over a window with a prediction after every position) give equal logits.

=====================  ==============================================================================
NARM                   Li et al., CIKM 2017: a GRU; global encoder = its last state; local encoder =
                       additive attention from the last state over all states; the concatenation is
                       projected by a bilinear decoder B to the item space. ``NARM()``.
NARM+                  MTAM 6.2: NARM "equipped with our proposed time-aware attention": MTAM's
                       time-aware attention (Eq. 16-20) as the local encoder's kernel.
                       ``NARM(time_aware=True)``.
NARM++                 MTAM 6.2: "equipped with our proposed time-aware attention and T-GRU": NARM+
                       whose recurrent unit is the T-GRU (MTAM Eq. 10-13).
                       ``NARM(unit="tgru", time_aware=True)``.
STAMP                  Liu et al., KDD 2018: short-term attention/memory priority over the item
                       embeddings, no recurrence.
=====================  ==============================================================================

MTAM's section 6.2 settings (hidden and embedding size 128, dropout 0.5 in training, L2 1e-5) are
`NextItemModel`'s ``dim``, ``dropout`` and ``l2``; the L2 weight applies to the embeddings and to
every kernel here. The recurrent layers are MTAM's (`seqrec.models.mtam.recurrent`), so NARM's GRU
is the GRU of MTAM's GRU baseline and NARM++'s T-GRU is MTAM's.

**Time.** Only NARM+ and NARM++ read time, as MTAM's models do: in hours relative to a per-row
origin (`NextItemModel.times`). The time-aware attention's query is the last state at the target's
time, its keys and values are the states at their events' times (the form MTAM's memory reader uses,
Eq. 24, and the MTAM authors' NARM+ code: query time = target time, key times = event times); the
T-GRU reads the time since the previous event.

**One pass over a window.** In window mode query ``j`` is the state after event ``j`` (NARM) or the
embedding of event ``j`` (STAMP) and reads events ``0..j`` only (`NextItemModel.causal_mask`);
STAMP's session mean ``m_s`` is then the running mean of the embeddings up to ``j``. The attention
tensors are [B, Lq, L, dim] (additive attention has no cheaper form), i.e. Lq = L in window mode.
"""

import keras
from keras import ops

from seqrec.layers import TimeAwareAttention

from .mtam import recurrent, recurrent_inputs
from .next_item import NextItemModel


def _dense(units: int, name: str, regularizer, use_bias: bool = False, activation=None):
    return keras.layers.Dense(units, use_bias=use_bias, activation=activation, name=name,
                              kernel_regularizer=regularizer)


def _weighted_sum(scores, allowed, values, softmax: bool):
    """``sum_k a_qk values_k`` over the allowed keys, [B, Lq, d], and the weights a [B, Lq, L]: the raw
    scores (zero on keys a query may not read) or, with ``softmax``, their softmax over the allowed
    keys (a query without any allowed key gets zero weights)."""
    allowed_f = ops.cast(allowed, scores.dtype)
    if softmax:
        scores = ops.where(allowed, scores, ops.full_like(scores, -1e9))
        weights = ops.softmax(scores, axis=-1) * allowed_f
    else:
        weights = scores * allowed_f
    return ops.einsum("bqk,bkd->bqd", weights, values), weights


@keras.saving.register_keras_serializable(package="seqrec")
class NARM(NextItemModel):
    """NARM, the Neural Attentive Recommendation Machine (Li et al., CIKM 2017, Eq. 5-10), and MTAM's
    NARM+ and NARM++ (``time_aware=True``, with ``unit="gru"`` / ``"tgru"``)::

        h_j   = RNN(x_1..x_j)                                  hidden states [B, L, dim]
        c_g   = h_t                                            global encoder (NARM Eq. 5)
        c_l   = sum_{j <= t} a_tj h_j                          local encoder (NARM Eq. 6)
        a_tj  = v^T sigmoid(A_1 h_t + A_2 h_j)                 additive attention (NARM Eq. 7-8)
        c     = [c_g ; c_l]                                    (NARM Eq. 9)  [B, Lq, 2 dim]
        p     = B c                                            the user vector [B, Lq, dim]
        score = <p, q_i> = q_i^T B c                           bilinear decoder (NARM Eq. 10)

    with ``t`` the latest event (prefix mode) or every position (window mode), A_1, A_2 dim x dim, v of
    size dim, B dim x 2 dim, no biases. Inputs and outputs: `NextItemModel`.

    One recurrent network serves both encoders: NARM's global state h^g_t and local states h^l_j are
    the same GRU's (its combined model gives them different roles, not different networks; the NARM
    authors' code runs one GRU). Dropout (`NextItemModel`) applies to the embeddings and to the user
    vector ``B c``; the NARM authors' code drops out the embeddings (0.25) and ``c`` before ``B``
    (0.5), which the suite's common dropout (MTAM 6.2: 0.5) replaces.

    **Normalisation.** NARM's Eq. 6-8 use the raw scores a_tj as weights (no softmax), which is the
    default; the NARM authors' code normalises them with a softmax over the session (and uses a hard
    sigmoid): ``attention_softmax=True`` (keeping the paper's logistic sigmoid).

    **NARM+ and NARM++ (MTAM 6.2).** ``time_aware=True`` replaces the additive attention by MTAM's
    time-aware attention (`seqrec.layers.TimeAwareAttention`, Eq. 16-20) from the last state at the
    target's time over the states at their events' times::

        c_l = T-Attention((h_t, t_target), (h, t), (h, t))                         (MTAM Eq. 20)
            = softmax(h_t h^T * g(h_t, h, t_target, t) / sqrt(dim)) h              (MTAM Eq. 16-19)

    MTAM says only that NARM+ "is improved by equipping with our proposed time-aware attention" and
    NARM++ "with our proposed time-aware attention and T-GRU", and that time-aware attention is "a
    general update of attention mechanism" (of the scaled dot product, Eq. 14-15) that "can be applied
    in attentive RNNs". We read this as: NARM's attention kernel (Eq. 7-8) is replaced by Eq. 16-20 as
    written, query x = the last state at the target's time, key and value y = the hidden states at
    their times, with no extra projections (Eq. 20 reads out the keys themselves); the rest of NARM
    (global encoder, concatenation, bilinear decoder) is kept. The gate is `TimeAwareAttention`'s
    ``gate_shape="scalar"`` reading: the paper's l_x x l_y parameter matrices would index absolute
    (query, key) slots, which differ between a left-padded prefix and a right-padded window, so the
    two modes would disagree. NARM++ is the same with the T-GRU (`seqrec.layers.TGRUCell`, MTAM
    Eq. 10-13) as the recurrent unit. MTAM's Table 2 caption ("NARM+ and NARM+ is implemented with our
    proposed T-GRU and time-aware attention") is an evident typo; we follow section 6.2's list.

    **Not the MTAM authors' NARM.** The MTAM authors' code implements its NARM baseline differently
    (dot-product attention from the last state, layer normalisation of the last state and of c);
    MTAM's text only cites NARM [20], so we follow Li et al.'s equations.

    Args:
      unit: the recurrent unit, ``"gru"`` (NARM, NARM+), ``"tgru"`` (NARM++) or ``"tseqrec"``
        (`seqrec.models.mtam.recurrent`).
      time_aware: the local encoder is MTAM's time-aware attention instead of NARM's additive one.
      attention_softmax: normalise NARM's additive attention scores with a softmax over the readable
        states (only with ``time_aware=False``; the time-aware attention is a softmax already).
    """

    def __init__(self, n_items: int, n_categories: int = 0, dim: int = 128, unit: str = "gru",
                 time_aware: bool = False, attention_softmax: bool = False, **kwargs):
        super().__init__(n_items, n_categories, dim, **kwargs)
        if time_aware and attention_softmax:
            raise ValueError("attention_softmax applies to NARM's additive attention (time_aware=False)")
        self.unit, self.time_aware, self.attention_softmax = unit, time_aware, attention_softmax
        reg = self.regularizer
        self.rnn = recurrent(unit, dim, reg)
        if time_aware:
            self.time_attention = TimeAwareAttention(kernel_regularizer=reg, name="time_aware_attention")
        else:
            self.a1 = _dense(dim, "attention_query", reg)
            self.a2 = _dense(dim, "attention_key", reg)
            self.v = _dense(1, "attention_vector", reg)
        self.decoder = _dense(dim, "bilinear_decoder", reg)

    def states(self, inputs, x, training=False):
        """``(h [B, L, dim], event_times [B, L], query_times [B, Lq])``: the recurrent states after
        every event (the zero state carried through padding) and the times of `NextItemModel.times`."""
        event_times, query_times, gaps = self.times(inputs)
        mask = inputs["mask"]
        h = self.rnn(recurrent_inputs(self.unit, x, event_times, gaps, mask), mask=mask, training=training)
        return h, event_times, query_times

    def local(self, last, h, query_times, event_times, allowed):
        """The local encoder: ``(c_l [B, Lq, dim], weights [B, Lq, L])`` from the queries ``last``
        [B, Lq, dim] at ``query_times`` [B, Lq] over the states h [B, L, dim] at ``event_times``
        [B, L]; ``allowed`` [B, Lq, L] says which states each query may read."""
        if self.time_aware:
            return self.time_attention([last, h, h, query_times, event_times], mask=allowed,
                                       return_attention=True)
        hidden = ops.sigmoid(ops.expand_dims(self.a1(last), 2) + ops.expand_dims(self.a2(h), 1))
        scores = ops.squeeze(self.v(hidden), -1)  # [B, Lq, L]
        return _weighted_sum(scores, allowed, h, self.attention_softmax)

    def _encode(self, inputs, x, training=False):
        h, event_times, query_times = self.states(inputs, x, training)
        last = h if self.all_positions else h[:, -1:]
        c_l, weights = self.local(last, h, query_times, event_times, self.causal_mask(inputs["mask"]))
        return self.decoder(ops.concatenate([last, c_l], axis=-1)), weights

    def encode(self, inputs, x, training=False):
        return self._encode(inputs, x, training)[0]

    def attention(self, inputs):
        """The local encoder's weights over the states [B, Lq, L] (for inspection and TensorBoard)."""
        return self._encode(inputs, self.embed(inputs))[1]

    def get_config(self):
        return {**super().get_config(), "unit": self.unit, "time_aware": self.time_aware,
                "attention_softmax": self.attention_softmax}


@keras.saving.register_keras_serializable(package="seqrec")
class STAMP(NextItemModel):
    """STAMP, the Short-Term Attention/Memory Priority model (Liu et al., KDD 2018, section 3.3)::

        m_s   = (1/t) sum_{i <= t} x_i                         session memory (STAMP 3.2)
        m_t   = x_t                                            last click (3.2)
        a_i   = w_0^T sigmoid(W_1 x_i + W_2 x_t + W_3 m_s + b_a)   attention net (3.3)
        m_a   = sum_{i <= t} a_i x_i                           attended memory (3.3)
        h_s   = tanh(W_s m_a + b_s),  h_t = tanh(W_t m_t + b_t)    MLP cells A and B (3.2-3.3)
        p     = h_s * h_t                                      the user vector [B, Lq, dim]
        score = <p, q_i> = <h_s, h_t, q_i>                     trilinear composition (3.2)

    with x_i the behaviour embeddings [B, L, dim] (`NextItemModel.embed`: item plus category), W_1, W_2,
    W_3, W_s, W_t dim x dim, w_0 and the biases vectors of size dim, and ``t`` the latest event (prefix
    mode) or every position (window mode, where m_s is the causal running mean). Inputs and outputs:
    `NextItemModel`; STAMP reads no time.

    **Readings.** STAMP passes the trilinear score through a sigmoid before the softmax; the suite scores
    by the plain dot product (MTAM Eq. 2-3), which ranks items identically (the sigmoid is monotone).
    The attention weights a_i are STAMP's raw scores (no softmax), as STAMP writes them (3.3). Dropout
    (`NextItemModel`) applies to the embeddings and to ``p``.
    """

    def __init__(self, n_items: int, n_categories: int = 0, dim: int = 128, **kwargs):
        super().__init__(n_items, n_categories, dim, **kwargs)
        reg = self.regularizer
        self.w1 = _dense(dim, "attention_items", reg, use_bias=True)  # W_1 and b_a
        self.w2 = _dense(dim, "attention_last", reg)
        self.w3 = _dense(dim, "attention_session", reg)
        self.w0 = _dense(1, "attention_vector", reg)
        self.mlp_s = _dense(dim, "mlp_session", reg, use_bias=True, activation="tanh")
        self.mlp_t = _dense(dim, "mlp_last", reg, use_bias=True, activation="tanh")

    def _encode(self, inputs, x):
        allowed = self.causal_mask(inputs["mask"])  # [B, Lq, L]
        allowed_f = ops.cast(allowed, x.dtype)
        last = x if self.all_positions else x[:, -1:]  # m_t [B, Lq, dim]
        count = ops.maximum(ops.sum(allowed_f, axis=-1, keepdims=True), 1.0)
        session = ops.einsum("bqk,bkd->bqd", allowed_f, x) / count  # m_s [B, Lq, dim]
        hidden = ops.sigmoid(ops.expand_dims(self.w1(x), 1)
                             + ops.expand_dims(self.w2(last) + self.w3(session), 2))  # [B, Lq, L, dim]
        scores = ops.squeeze(self.w0(hidden), -1)
        m_a, weights = _weighted_sum(scores, allowed, x, softmax=False)
        return self.mlp_s(m_a) * self.mlp_t(last), weights

    def encode(self, inputs, x, training=False):
        return self._encode(inputs, x)[0]

    def attention(self, inputs):
        """The attention weights a_i over the events [B, Lq, L] (for inspection and TensorBoard)."""
        return self._encode(inputs, self.embed(inputs))[1]
