"""The self-attention baselines of MTAM: SASRec, TiSASRec and "Time-Aware Self Attention".

* **SASRec** (Kang & McAuley, ICDM 2018; MTAM section 6.2): item embeddings plus learned absolute
  position embeddings, ``blocks`` causal self-attention blocks, a final layer norm; the output at the
  latest event is the user vector.
* **TiSASRec** (Li, Wang & McAuley, WSDM 2020; MTAM 6.2): no position embedding on the input; in every
  block the keys and values get absolute position embeddings and personalised, clipped relative time
  interval embeddings (`personal_intervals`).
* **Time-Aware Self Attention** (MTAM Table 3, section 6.5 (4)): SASRec whose attention kernel is
  MTAM's time-aware attention (Eq. 16-20, `seqrec.layers.TimeAwareAttention`).

All three score every item against the user vector and train with the softmax cross-entropy over all
items (MTAM Eq. 2-3, `seqrec.models.next_item.NextItemModel`), as MTAM trains every model; SASRec and
TiSASRec themselves use a binary cross-entropy with one sampled negative.

**One block** (SASRec section III-B/C, the same in TiSASRec 3.4-3.5), for an input X [B, L, d]::

    Y = LayerNorm(X)
    S = X + Dropout(Attention(Y W^Q, Y W^K, Y W^V))                 g(x) = x + Dropout(g(LayerNorm(x)))
    F = S + Dropout(ReLU(LayerNorm(S) W1 + b1) W2 + b2)             point-wise feed-forward network

with one head (SASRec's and TiSASRec's default; MTAM says nothing more), causal masking and padded
events masked; the output after the last block is ``LayerNorm(F)`` (as both authors' code; with the
pre-norm residuals of the paper the stack otherwise ends unnormalised). Dropout acts only in training.
Both papers write the residual around the layer-normed sublayer of *x*; their code normalises only the
queries and feeds the raw sequence to keys and values. We follow the papers (keys and values also read
LayerNorm(X)). SASRec's code multiplies the item embedding by sqrt(d) and drops out attention weights;
the papers do not, and neither do we.

**Positions.** SASRec's and TiSASRec's code left-pad a fixed window of ``max_len`` events, so an event's
position there is its index in that padded window and depends on the history's length. Here an event's
position is its index from the first event of the batch row (0 = the oldest event the row holds),
computed as ``cumsum(mask) - 1`` so that left padding (prefix mode) and right padding (window mode)
give every event the same position. This is the only absolute reading under which the two modes agree:
in window mode one causal pass computes every event's hidden state once for all later queries, so an
event's position cannot depend on which query reads it (which rules out "distance from the query's
latest event"), nor on how many events come after it (which rules out counting back from the end of a
left-padded window). For a history of ``max_len`` events or more (truncated to the latest ``max_len``)
it equals the original's reading: the latest event has position ``max_len - 1``. MTAM 6.1 names "the
position of a behavior in a sequence" as a context feature without saying more. Rows longer than
``max_len`` are refused: use the pipeline's ``max_len`` (MTAM 6.2: 50) for the model's.

**Modes.** In window mode (``all_positions=True``) every block runs over all positions and the model
returns a user vector after every event (``Lq = L``). In prefix mode all blocks but the last run over
all positions of the left-padded prefix and the last block only over the latest event (``Lq = 1``), which
reads every event of the prefix (`NextItemModel.causal_mask`). Both give equal logits for a sequence
within the maximum length.
"""

import math

import keras
from keras import ops

from seqrec.layers import TimeAwareAttention

from .dropout import PhiloxDropout
from .next_item import NextItemModel

KERNELS = ("dot", "time_aware", "interval")
LAYER_NORM_EPSILON = 1e-8  # SASRec's and TiSASRec's code


def event_positions(mask):
    """Each event's index from the first valid event of its row, int [B, L] (0 on leading padding),
    the same for a left- and a right-padded row (see the module docstring)."""
    return ops.maximum(ops.cumsum(ops.cast(mask, "int32"), axis=1) - 1, 0)


def causal_self_mask(mask):
    """Which events each event may attend to, bool [B, L, L]: itself and the valid events before it
    (the window-mode `NextItemModel.causal_mask`, needed by the inner blocks in both modes)."""
    mask = ops.cast(mask, "bool")
    positions = ops.arange(ops.shape(mask)[1])
    allowed = positions[None, :] <= positions[:, None]
    return ops.expand_dims(allowed, 0) & ops.expand_dims(mask, 1)


def personal_intervals(gaps, mask, time_span: int):
    """TiSASRec's personalised, clipped relative time intervals (TiSASRec section 3.2), int [B, L, L]::

        r_ij = min(k, round(|t_i - t_j| / r_min_i))

    ``gaps`` [B, L]: time since the previous event (any unit; the models pass hours, `NextItemModel.times`);
    ``mask`` [B, L]; ``time_span``: the clip k. Times are the cumulative sums of the row's gaps, so both
    paddings give bitwise-equal differences.

    **Personalisation.** TiSASRec divides by the user's minimum non-zero interval ``r_min^u`` over her
    whole sequence, which would read events after the prediction point (and change earlier predictions
    when a later event changes). Here row i (query event i) divides by the minimum non-zero gap among
    the valid events up to and including i (1 when there is none, where all those events share one time
    and every interval is 0): at the latest event it is the user's minimum over her visible history.
    The gap of a row's first event counts when a truncated history has an event before the window.

    **Rounding.** The paper floors the ratio; the authors' code rounds each rescaled timestamp. We round
    the ratio (half to even): an interval of exactly m minimum gaps is m despite floating-point error.
    """
    valid = ops.cast(mask, "bool")
    gaps = ops.where(valid, ops.cast(gaps, "float32"), 0.0)
    times = ops.cumsum(gaps, axis=1)
    positions = ops.arange(ops.shape(gaps)[1])
    upto = positions[None, :] <= positions[:, None]  # [L, L]: j <= i
    candidates = ops.expand_dims(upto, 0) & ops.expand_dims(valid & (gaps > 0), 1)
    large = ops.full_like(gaps, float("inf"))
    smallest = ops.min(ops.where(candidates, ops.expand_dims(gaps, 1), ops.expand_dims(large, 1)), axis=-1)
    scale = ops.where(smallest < float("inf"), smallest, ops.ones_like(smallest))
    ratio = ops.abs(ops.expand_dims(times, 2) - ops.expand_dims(times, 1)) / ops.expand_dims(scale, 2)
    return ops.cast(ops.minimum(ops.round(ratio), float(time_span)), "int32")


@keras.saving.register_keras_serializable(package="seqrec")
class SelfAttentionBlock(keras.layers.Layer):
    """One causal self-attention block with a point-wise feed-forward network (see the module docstring).

    Kernels: ``"dot"``, scaled dot-product attention (SASRec Eq. ``softmax(QK^T/sqrt(d))V``, MTAM
    Eq. 14-15); ``"time_aware"``, MTAM's time-aware attention (Eq. 16-20) with the layer's scalar gate
    parameters; ``"interval"``, TiSASRec's time interval aware attention (section 3.4)::

        e_ij = y_i W^Q (y_j W^K + r^K_ij + p^K_j)^T / sqrt(d)
        z_i  = sum_j softmax_j(e_ij) (y_j W^V + r^V_ij + p^V_j)

    Call: ``x`` [B, L, d]; ``allowed`` bool [B, Lq, L], the events each query reads; ``times`` [B, L]
    (event times, ``"time_aware"``); ``key_positions``, ``value_positions`` [B, L, d] and
    ``key_intervals``, ``value_intervals`` [B, L, L, d] (``"interval"``); ``last_only``: queries only
    at the last position (Lq = 1, prefix mode's last block), otherwise at every position (Lq = L).
    Returns [B, Lq, d].

    ``"time_aware"`` uses the scalar gate: a gate per (query slot, key slot), MTAM's l_x x l_y sizing
    (``gate_shape="position"``), would tie the parameters to padded slots, which differ between a
    left- and a right-padded batch.
    """

    def __init__(self, dim: int, kernel: str = "dot", dropout: float = 0.5, kernel_regularizer=None,
                 **kwargs):
        super().__init__(**kwargs)
        if kernel not in KERNELS:
            raise ValueError(f"kernel must be one of {KERNELS}, got {kernel!r}")
        self.dim, self.kernel, self.rate = dim, kernel, dropout
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)

        def dense(name, **options):
            return keras.layers.Dense(dim, kernel_regularizer=self.kernel_regularizer, name=name, **options)

        self.attention_norm = keras.layers.LayerNormalization(epsilon=LAYER_NORM_EPSILON,
                                                              name="attention_norm")
        self.query = dense("query", use_bias=False)
        self.key = dense("key", use_bias=False)
        self.value = dense("value", use_bias=False)
        self.attention = (None if kernel == "interval" else
                          TimeAwareAttention(time_aware=kernel == "time_aware", name="attention",
                                             kernel_regularizer=self.kernel_regularizer))
        self.ffn_norm = keras.layers.LayerNormalization(epsilon=LAYER_NORM_EPSILON, name="ffn_norm")
        self.ffn_hidden = dense("ffn_hidden", activation="relu")
        self.ffn_output = dense("ffn_output")
        self.dropout = PhiloxDropout(dropout)

    def _interval_attention(self, q, k, v, allowed, key_intervals, value_intervals):
        logits = (ops.einsum("bqd,bkd->bqk", q, k)
                  + ops.einsum("bqd,bqkd->bqk", q, key_intervals)) / math.sqrt(self.dim)
        allowed = ops.broadcast_to(allowed, ops.shape(logits))
        logits = ops.where(allowed, logits, ops.full_like(logits, -1e9))
        weights = ops.softmax(logits, axis=-1) * ops.cast(allowed, logits.dtype)  # no key: zeros
        return ops.einsum("bqk,bkd->bqd", weights, v) + ops.einsum("bqk,bqkd->bqd", weights, value_intervals)

    def call(self, x, allowed, times=None, key_positions=None, value_positions=None, key_intervals=None,
             value_intervals=None, last_only: bool = False, training=False):
        y = self.attention_norm(x)
        residual, y_query = (x[:, -1:], y[:, -1:]) if last_only else (x, y)
        q, k, v = self.query(y_query), self.key(y), self.value(y)
        if self.kernel == "interval":
            if last_only:
                key_intervals, value_intervals = key_intervals[:, -1:], value_intervals[:, -1:]
            attended = self._interval_attention(q, k + key_positions, v + value_positions, allowed,
                                                key_intervals, value_intervals)
        else:
            if times is None:
                times = ops.zeros(ops.shape(x)[:2], x.dtype)  # unused by the plain kernel
            query_times = times[:, -1:] if last_only else times
            attended = self.attention([q, k, v, query_times, times], mask=allowed)
        s = residual + self.dropout(attended, training=training)
        hidden = self.ffn_hidden(self.ffn_norm(s))
        return s + self.dropout(self.ffn_output(hidden), training=training)

    def compute_mask(self, inputs, mask=None):
        return None

    def get_config(self):
        return {**super().get_config(), "dim": self.dim, "kernel": self.kernel, "dropout": self.rate,
                "kernel_regularizer": keras.regularizers.serialize(self.kernel_regularizer)}


@keras.saving.register_keras_serializable(package="seqrec")
class SASRec(NextItemModel):
    """SASRec (see the module docstring). Inputs and outputs: `seqrec.models.next_item.NextItemModel`.

    Input (SASRec section III-A): ``E^ = b' + Dropout(P)`` [B, L, d], the behaviour embeddings b'
    (`NextItemModel.embed`, item plus category, already dropped out) plus the learned position
    embedding P [max_len, d] of each event's position.

    Args:
      n_items, n_categories, dim: as `NextItemModel` (MTAM 6.2: dim 128).
      blocks: self-attention blocks (SASRec's default: 2).
      max_len: the number of position embeddings, the longest row accepted (MTAM 6.2: 50).
      **kwargs: ``dropout`` (MTAM 6.2: 0.5; on the embeddings, in every block and on the user vector),
        ``l2`` (MTAM 6.2: 1e-5; on the embeddings and every kernel), ``all_positions``, Keras arguments.
    """

    kernel = "dot"

    def __init__(self, n_items: int, n_categories: int = 0, dim: int = 128, blocks: int = 2,
                 max_len: int = 50, **kwargs):
        super().__init__(n_items, n_categories, dim, **kwargs)
        self.self_attention_config = {"blocks": blocks, "max_len": max_len}
        self.max_len = max_len
        rate = self.base_config["dropout"]
        self.blocks = [SelfAttentionBlock(dim, self.kernel, rate, self.regularizer, name=f"block_{b}")
                       for b in range(blocks)]
        self.final_norm = keras.layers.LayerNormalization(epsilon=LAYER_NORM_EPSILON, name="final_norm")
        self.build_positions()

    def build_positions(self):
        self.position_embedding = keras.layers.Embedding(self.max_len, self.dim, name="position_embedding",
                                                         embeddings_regularizer=self.regularizer)

    def block_inputs(self, inputs, x, positions, training=False):
        """What the first block reads, [B, L, d]: E^ = b' + Dropout(P_position)."""
        return x + self.dropout(self.position_embedding(positions), training=training)

    def attention_inputs(self, inputs, positions, training=False) -> dict:
        """Extra inputs every block's kernel reads (keyword arguments of `SelfAttentionBlock`)."""
        return {}

    def encode(self, inputs, x, training=False):
        """User vectors [B, Lq, d]: LayerNorm of the last block's output at each query, 0 at a padded
        query (prefix mode: a prefix without events)."""
        mask = inputs["mask"]
        length = x.shape[1]
        if length is not None and length > self.max_len:
            raise ValueError(f"rows of {length} events exceed max_len={self.max_len}")
        positions = event_positions(mask)
        h = self.block_inputs(inputs, x, positions, training)
        extras = self.attention_inputs(inputs, positions, training)
        inner = causal_self_mask(mask)
        for b, block in enumerate(self.blocks):
            last = b == len(self.blocks) - 1
            allowed = self.causal_mask(mask) if last else inner
            h = block(h, allowed, last_only=last and not self.all_positions, training=training, **extras)
        if not self.blocks and not self.all_positions:
            h = h[:, -1:]
        query_mask = mask if self.all_positions else mask[:, -1:]
        return self.final_norm(h) * ops.expand_dims(ops.cast(query_mask, h.dtype), -1)

    def get_config(self):
        return {**super().get_config(), **self.self_attention_config}


@keras.saving.register_keras_serializable(package="seqrec")
class TimeAwareSelfAttention(SASRec):
    """MTAM Table 3's "Time-Aware Self Attention": SASRec whose attention kernel is MTAM's time-aware
    attention (Eq. 16-20), each block with its own temporal gate. Query and key are events of the
    history, so the gate reads the interval between the two events' times (`NextItemModel.times`,
    hours), t_x -^ t_y of Eq. 16; the target's time is not read (as in SASRec and TiSASRec).

    Args: as `SASRec`, plus ``time_aware``: False drops the gate (g = 1), which is SASRec.
    """

    def __init__(self, n_items: int, n_categories: int = 0, dim: int = 128, blocks: int = 2,
                 max_len: int = 50, time_aware: bool = True, **kwargs):
        self.time_aware = time_aware
        super().__init__(n_items, n_categories, dim, blocks, max_len, **kwargs)

    @property
    def kernel(self):
        return "time_aware" if self.time_aware else "dot"

    def attention_inputs(self, inputs, positions, training=False) -> dict:
        return {"times": self.times(inputs)[0]} if self.time_aware else {}

    def get_config(self):
        return {**super().get_config(), "time_aware": self.time_aware}


@keras.saving.register_keras_serializable(package="seqrec")
class TiSASRec(SASRec):
    """TiSASRec (see the module docstring). The first block reads the behaviour embeddings b' alone
    (TiSASRec 3.3: E^I); every block's keys and values add the absolute position embeddings
    p^K_j, p^V_j [max_len, d] of the key's position and the interval embeddings r^K_ij, r^V_ij
    [time_span + 1, d] of `personal_intervals` (3.2-3.4). The four embedding tables are shared by all
    blocks and dropped out in training, as in the authors' code.

    Args: as `SASRec`, plus ``time_span``: the clip k (TiSASRec's default 256; MTAM does not give one).
    Intervals are in units of the user's minimum gap, so the time unit of the data does not matter.
    """

    kernel = "interval"

    def __init__(self, n_items: int, n_categories: int = 0, dim: int = 128, blocks: int = 2,
                 max_len: int = 50, time_span: int = 256, **kwargs):
        self.time_span = time_span
        super().__init__(n_items, n_categories, dim, blocks, max_len, **kwargs)

    def build_positions(self):
        def table(size, name):
            return keras.layers.Embedding(size, self.dim, name=name, embeddings_regularizer=self.regularizer)

        self.position_key_embedding = table(self.max_len, "position_key_embedding")
        self.position_value_embedding = table(self.max_len, "position_value_embedding")
        self.interval_key_embedding = table(self.time_span + 1, "interval_key_embedding")
        self.interval_value_embedding = table(self.time_span + 1, "interval_value_embedding")

    def block_inputs(self, inputs, x, positions, training=False):
        return x

    def attention_inputs(self, inputs, positions, training=False) -> dict:
        intervals = personal_intervals(self.times(inputs)[2], inputs["mask"], self.time_span)

        def dropped(table, indices):
            return self.dropout(table(indices), training=training)

        return {"key_positions": dropped(self.position_key_embedding, positions),
                "value_positions": dropped(self.position_value_embedding, positions),
                "key_intervals": dropped(self.interval_key_embedding, intervals),
                "value_intervals": dropped(self.interval_value_embedding, intervals)}

    def get_config(self):
        return {**super().get_config(), "time_span": self.time_span}
