"""MTAM, the Multi-hop Time-aware Attentive Memory network, and the ablations of its Table 3.

The user's short-term intent is the last state of a recurrent network over her behaviours (section
5.1.1, T-GRU); her long-term preference is a first-in-first-out memory of her latest ``memory_len``
behaviour embeddings with their times (5.1.2, Eq. 22); a multi-hop time-aware memory reader queries
the memory with the intent at the target's time (5.2, Eq. 23-25), and the result is scored against
every item embedding (Eq. 2-3, `seqrec.models.next_item`).

Table 3's variants are options of the same model:

=========================================  ====================================================
MTAM                                       ``unit="tgru", time_aware=True, memory="behaviours"``
MTAM with T-SeqRec                         ``unit="tseqrec"``
MTAM without time-aware RNN                ``unit="gru"``
MTAM without time-aware attention          ``time_aware=False`` (plain scaled dot product)
MTAM via T-GRU / via GRU                   ``memory="states"`` with ``unit="tgru"`` / ``"gru"``
=========================================  ====================================================

``hops=0`` is the T-GRU alone (Figure 5's first point). The memory stores behaviour embeddings
right-padded in the paper; padding is masked, and the position gate (``gate_shape="position"``) indexes
its parameters by each slot's recency among the slots a query may read, so the padding side does not change
the result: a left-padded prefix and a right-padded window give equal logits (tested).
"""

import keras
from keras import ops

from seqrec.layers import MultiHopMemoryReader, ProjectedRNN, TGRUCell, TimeLSTMCell

from .next_item import NextItemModel

UNITS = ("tgru", "gru", "tseqrec")
MEMORIES = ("behaviours", "states")


def recurrent(unit: str, dim: int, regularizer=None) -> keras.layers.Layer:
    """The recurrent layer of a unit, returning the state after every step (the time-aware cells in
    `ProjectedRNN`, which projects every step's input at once)."""
    if unit == "tgru":
        return ProjectedRNN(TGRUCell(dim, kernel_regularizer=regularizer), return_sequences=True,
                            name="t_gru")
    if unit == "tseqrec":
        return ProjectedRNN(TimeLSTMCell(dim, kernel_regularizer=regularizer), return_sequences=True,
                            name="t_seqrec")
    if unit == "gru":
        return keras.layers.GRU(dim, return_sequences=True, kernel_regularizer=regularizer, name="gru")
    raise ValueError(f"unit must be one of {UNITS}, got {unit!r}")


def recurrent_inputs(unit: str, x, event_times, gaps, mask):
    """Per-step inputs of a unit: the embeddings, plus the time since the previous event (T-GRU) or
    the time since the previous event and since the first event of the history (T-SeqRec's interval
    and span)."""
    if unit == "gru":
        return x
    gap = ops.expand_dims(gaps, -1)
    if unit == "tgru":
        return ops.concatenate([x, gap], axis=-1)
    valid = ops.cast(mask, event_times.dtype)
    first = ops.min(ops.where(valid > 0, event_times, 1e9), axis=1, keepdims=True)
    span = ops.expand_dims(ops.maximum(event_times - first, 0.0) * valid, -1)
    return ops.concatenate([x, gap, span], axis=-1)


@keras.saving.register_keras_serializable(package="seqrec")
class MTAM(NextItemModel):
    """MTAM (see the module docstring). Inputs and outputs: `seqrec.models.next_item.NextItemModel`.

    Args:
      hops: memory-reader hops (the authors' presets: 6-8; 0 = T-GRU).
      memory_len: memory slots L (MTAM: 50, the maximum history length).
      unit, time_aware, memory: Table 3's variants.
      gate_shape: the time-aware attention's gate parameters (`seqrec.layers.TimeAwareAttention`).
    """

    def __init__(self, n_items: int, n_categories: int = 0, dim: int = 128, hops: int = 6,
                 memory_len: int = 50, unit: str = "tgru", time_aware: bool = True,
                 memory: str = "behaviours", gate_shape: str = "scalar", **kwargs):
        super().__init__(n_items, n_categories, dim, **kwargs)
        if memory not in MEMORIES:
            raise ValueError(f"memory must be one of {MEMORIES}, got {memory!r}")
        self.mtam_config = {"hops": hops, "memory_len": memory_len, "unit": unit, "time_aware": time_aware,
                            "memory": memory, "gate_shape": gate_shape}
        self.unit, self.memory, self.memory_len = unit, memory, memory_len
        self.rnn = recurrent(unit, dim, self.regularizer)
        self.reader = MultiHopMemoryReader(hops, gate_shape, memory_len if gate_shape == "position" else None,
                                           kernel_regularizer=self.regularizer, time_aware=time_aware,
                                           name="memory_reader")

    def _read(self, inputs, x, training=False, return_attention=False):
        event_times, query_times, gaps = self.times(inputs)
        mask = inputs["mask"]
        states = self.rnn(recurrent_inputs(self.unit, x, event_times, gaps, mask), mask=mask,
                          training=training)
        intent = states if self.all_positions else states[:, -1:]
        memory = x if self.memory == "behaviours" else states
        return self.reader([intent, memory, query_times, event_times],
                           mask=self.causal_mask(mask, self.memory_len), return_attention=return_attention)

    def encode(self, inputs, x, training=False):
        return self._read(inputs, x, training)

    def attention(self, inputs) -> list:
        """Each hop's attention weights over the memory [B, Lq, L] (for inspection and TensorBoard)."""
        return self._read(inputs, self.embed(inputs), return_attention=True)[1]

    def get_config(self):
        return {**super().get_config(), **self.mtam_config}
