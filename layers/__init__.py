"""Keras layers and RNN cells of seqrec, one module per mechanism, each an equation group of a paper.

All are registered for serialisation under the package name ``seqrec`` and import nothing of the rest
of the suite, so that a module can be copied into another Keras model.
"""

from .attention_gated_cell import AttentionGatedCell
from .bidirectional_context import BidirectionalContext
from .feature_encoders import FlatFeatureEncoder, HierarchicalFeatureEncoder
from .heads import InnerProductRating, PReLUProjection
from .interacting_attention import InteractingAttention, TemporalAttentionGate
from .temporal_gate import TemporalGate, TGRUCell
from .time_aware_attention import MultiHopMemoryReader, TimeAwareAttention
from .time_lstm import TimeLSTMCell
from .user_gru import AttentionalUserGRUCell, LinearUserGRUCell, RectifiedLinearUserGRUCell

__all__ = [
    "AttentionGatedCell",
    "AttentionalUserGRUCell",
    "BidirectionalContext",
    "FlatFeatureEncoder",
    "HierarchicalFeatureEncoder",
    "InnerProductRating",
    "InteractingAttention",
    "LinearUserGRUCell",
    "MultiHopMemoryReader",
    "PReLUProjection",
    "RectifiedLinearUserGRUCell",
    "TGRUCell",
    "TemporalAttentionGate",
    "TemporalGate",
    "TimeAwareAttention",
    "TimeLSTMCell",
]
