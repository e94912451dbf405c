"""The neural baselines of DMRAN's Table 2: ATRank, Bi-LSTM, Bi-LSTM + attention and CNN + pooling.

Each is a `seqrec.models.candidate.CandidateModel`: the same item (and category) embeddings, the same
candidate score ``h_c . i_c`` (DMRAN Eq. 17) and the same sampled sigmoid loss and L2 (Eq. 20-22) as
DMRAN, so that Table 2 compares encoders. Their forms follow the baselines in ATRank's repository
(jinze1994/ATRank: ``atrank/``, ``rnn/``, ``rnn_att/``, ``cnn/``), which DMRAN compares against on the
same data:

* **ATRank** (Zhou et al., AAAI 2018): behaviours encoded with time buckets (DMRAN Eq. 1-2, which
  DMRAN took from ATRank), one block of multi-head self-attention (8 heads, ReLU projections, residual
  connection and layer normalisation) and a feed-forward network, then the candidate's vanilla
  attention over the block's output with its own residual, normalisation and feed-forward network.
  Both attentions are `seqrec.layers.CandidateAttention` (a self-attention is a candidate attention
  whose candidates are the behaviours) followed by `seqrec.layers.AddNormFeedForward`.
* **Bi-LSTM** (Zhang et al., AAAI 2014, as ATRank's ``rnn`` baseline): a bidirectional LSTM of
  ``dim`` units each way over the behaviours; the last state of each direction, concatenated, through
  a dense layer is the user vector (the same for every candidate).
* **Bi-LSTM + Attention** (ATRank's ``rnn_att``): the candidate attends over the LSTM's outputs
  (both directions, [B, L, 2 dim]) with plain scaled dot-product attention (the query is the candidate
  repeated twice, no projections), then a dense layer.
* **CNN + Pooling** (Caser's horizontal convolutions, Tang and Wang, WSDM 2018, as ATRank's ``cnn``):
  32 filters of each height 1..10 over the behaviours, ReLU, max-pooling over time, the 320 features
  through a dense layer. Only windows that lie entirely on real behaviours are pooled (ATRank's code
  pads with zeros and pools over the padding too); a history shorter than a filter gives that filter 0.

**Time.** Every encoder reads the behaviours through the same `seqrec.layers.TimeBucketEmbedding` as
DMRAN (``use_time=True``), so that all methods of the table see the same information; ATRank's own
``rnn`` and ``rnn_att`` baselines read no time (``use_time=False`` gives that form).
"""

import math

import keras
from keras import ops

from seqrec.layers import AddNormFeedForward, CandidateAttention, TimeBucketEmbedding

from .candidate import CandidateModel


class _BehaviourEncoder(CandidateModel):
    """A `CandidateModel` whose behaviours pass through a `TimeBucketEmbedding` first."""

    def __init__(self, n_items: int, n_categories: int = 0, item_dim: int = 64, category_dim: int = 64,
                 l2: float = 5e-5, n_buckets: int = 12, use_time: bool = True, **kwargs):
        super().__init__(n_items, n_categories, item_dim, category_dim, l2, **kwargs)
        self.encoder_config = {"n_buckets": n_buckets, "use_time": use_time}
        self.behaviours = TimeBucketEmbedding(self.dim, n_buckets, use_time=use_time,
                                              kernel_regularizer=self.regularizer,
                                              embeddings_regularizer=self.regularizer, name="behaviours")

    def encoded(self, inputs, behaviours):
        """H [B, L, dim] (DMRAN Eq. 1-2)."""
        return self.behaviours([behaviours, inputs["buckets"]])

    def get_config(self):
        return {**super().get_config(), **self.encoder_config}


@keras.saving.register_keras_serializable(package="seqrec")
class ATRank(_BehaviourEncoder):
    """ATRank: one self-attention block over the time-encoded behaviours, then the candidate's vanilla
    attention (see the module docstring). ``heads``: 8 in ATRank's code."""

    def __init__(self, n_items: int, n_categories: int = 0, heads: int = 8, **kwargs):
        super().__init__(n_items, n_categories, **kwargs)
        self.heads = heads
        reg = self.regularizer
        self.self_attention = CandidateAttention(heads, kernel_regularizer=reg, name="self_attention")
        self.self_block = AddNormFeedForward(kernel_regularizer=reg, name="self_block")
        self.attend = CandidateAttention(heads, kernel_regularizer=reg, name="attend")
        self.attend_block = AddNormFeedForward(kernel_regularizer=reg, name="attend_block")

    def encode(self, inputs, behaviours, candidates, training=False):
        h, mask = self.encoded(inputs, behaviours), inputs["mask"]
        s = self.self_block([h, self.self_attention([h, h], mask=mask)])
        return self.attend_block([candidates, self.attend([candidates, s], mask=mask)])

    def attention(self, inputs) -> dict:
        """Maps [B, L] over the behaviours, per head: the self-attention of the latest behaviour
        (``self_head_1``, ...) and the vanilla attention of the first candidate of ``inputs`` over the
        self-attention block's outputs (``candidate_head_1``, ...)."""
        h, mask = self.encoded(inputs, self.embed(inputs["items"])), inputs["mask"]
        attended, own = self.self_attention([h, h], mask=mask, return_attention=True)  # own [B, L, heads, L]
        s = self.self_block([h, attended])
        candidate = self.embed(inputs["candidates"][:, 0])
        read = self.attend([candidate, s], mask=mask, return_attention=True)[1]  # [B, heads, L]
        maps = {f"self_head_{k + 1}": own[:, -1, k] for k in range(self.heads)}
        return maps | {f"candidate_head_{k + 1}": read[:, k] for k in range(self.heads)}

    def get_config(self):
        return {**super().get_config(), "heads": self.heads}


@keras.saving.register_keras_serializable(package="seqrec")
class BiLSTM(_BehaviourEncoder):
    """Bi-LSTM (``attention=False``) or Bi-LSTM + Attention (``attention=True``) over the behaviours (see
    the module docstring)."""

    def __init__(self, n_items: int, n_categories: int = 0, attention: bool = False, **kwargs):
        super().__init__(n_items, n_categories, **kwargs)
        self.use_attention = attention
        reg = self.regularizer
        self.lstms = [keras.layers.LSTM(self.dim, return_sequences=attention, go_backwards=backwards,
                                        zero_output_for_mask=attention, kernel_regularizer=reg,
                                        recurrent_regularizer=reg, name=name)
                      for backwards, name in ((False, "lstm_forward"), (True, "lstm_backward"))]
        self.project = keras.layers.Dense(self.dim, kernel_regularizer=reg, name="project")

    def encode(self, inputs, behaviours, candidates, training=False):
        mask = ops.cast(inputs["mask"], "bool")
        x = self.encoded(inputs, behaviours)
        forward, backward = (lstm(x, mask=mask, training=training) for lstm in self.lstms)
        if self.use_attention:  # the backward states back in time order
            backward = ops.flip(backward, axis=1)
        states = ops.concatenate([forward, backward], axis=-1)
        if not self.use_attention:  # [B, 2 dim]: the same user vector for every candidate
            return ops.broadcast_to(ops.expand_dims(self.project(states), 1), ops.shape(candidates))
        query = ops.concatenate([candidates, candidates], axis=-1)  # [B, C, 2 dim]
        logits = ops.einsum("bcd,bld->bcl", query, states) / math.sqrt(2 * self.dim)
        allowed = ops.expand_dims(mask, 1)
        weights = ops.softmax(ops.where(allowed, logits, ops.full_like(logits, -1e9)), axis=-1)
        weights = weights * ops.cast(allowed, weights.dtype)
        return self.project(ops.einsum("bcl,bld->bcd", weights, states))

    def get_config(self):
        return {**super().get_config(), "attention": self.use_attention}


@keras.saving.register_keras_serializable(package="seqrec")
class CNNPooling(_BehaviourEncoder):
    """CNN + Pooling: horizontal convolutions of heights 1..``max_height``, ``filters`` each, max-pooled
    over the windows that lie on real behaviours (see the module docstring)."""

    def __init__(self, n_items: int, n_categories: int = 0, max_height: int = 10, filters: int = 32,
                 **kwargs):
        super().__init__(n_items, n_categories, **kwargs)
        self.max_height, self.filters = max_height, filters
        reg = self.regularizer
        self.convolutions = [keras.layers.Conv1D(filters, height, activation="relu", kernel_regularizer=reg,
                                                 name=f"conv_{height}")
                             for height in range(1, max_height + 1)]
        self.project = keras.layers.Dense(self.dim, kernel_regularizer=reg, name="project")

    def encode(self, inputs, behaviours, candidates, training=False):
        h = self.encoded(inputs, behaviours)
        length = ops.shape(h)[1]
        if h.shape[1] is not None and h.shape[1] < self.max_height:
            raise ValueError(f"CNNPooling needs histories padded to at least {self.max_height} events "
                             f"(its highest filter), got {h.shape[1]}")
        valid = ops.cast(inputs["mask"], "float32")
        counts = ops.pad(ops.cumsum(valid, axis=1), ((0, 0), (1, 0)))  # [B, L + 1]
        pooled = []
        for height, convolution in enumerate(self.convolutions, start=1):
            windows = convolution(h)  # [B, L - height + 1, filters]
            inside = (counts[:, height:] - counts[:, :length - height + 1]) == height  # window on real events
            # the ReLU outputs are >= 0, so zeroing the other windows keeps the maximum (0 without any)
            pooled.append(ops.max(windows * ops.expand_dims(ops.cast(inside, windows.dtype), -1), axis=1))
        user = self.project(ops.concatenate(pooled, axis=-1))
        return ops.broadcast_to(ops.expand_dims(user, 1), ops.shape(candidates))

    def get_config(self):
        return {**super().get_config(), "max_height": self.max_height, "filters": self.filters}
