"""Keras layers and RNN cells of seqrec, one module per mechanism, each an equation group of a paper.

All are registered for serialisation under the package name ``seqrec`` and import nothing of the rest
of the suite, so that a module can be copied into another Keras model.

* IARN (Pei et al., CIKM 2017): `AttentionGatedCell`, `BidirectionalContext`, `InteractingAttention`,
  `TemporalAttentionGate` (TAGM, Pei et al., CVPR 2017), `FlatFeatureEncoder`,
  `HierarchicalFeatureEncoder`, `PReLUProjection`, `InnerProductRating`.
* User-based GRUs (Donkers, Loepp and Ziegler, RecSys 2017): `LinearUserGRUCell`,
  `RectifiedLinearUserGRUCell`, `AttentionalUserGRUCell`.
* MTAM (Ji et al., CIKM 2020): `TemporalGate`, `TGRUCell`, `TimeAwareAttention`, `MultiHopMemoryReader`,
  and `TimeLSTMCell` (Time-LSTM, Zhu et al., IJCAI 2017), the unit of its T-SeqRec baseline.
* DMRAN (Wang et al., IJCAI 2019): `TimeBucketEmbedding`, `MultiRowItemAttention`, `FeatureSelfAttention`,
  `CandidateAttention`, `FusionGate`, and `AddNormFeedForward` (ATRank's residual, normalisation and
  feed-forward sublayers, which DMRAN adopts).
* Ante-RNN (Liu, Zhang and Gulla, IP&M 2020): `TextImageAlignment` and `HardestNegativeTripletLoss`,
  `TopicalAttention`, `ModalityFusion`, `ContextualAttention`.

Every class documents, keras-hub style, what it computes with the paper's equation numbers, its
``Args:``, ``Call arguments:``, ``Returns:`` (with shapes), a runnable ``Example:`` and its
``References:``, and implements ``compute_output_shape``.

`ProjectedRNN` runs a cell that splits its step into ``project`` (what reads only the step's input) and
``step`` (the recurrence) with the projections of the whole sequence computed at once: `TGRUCell`,
`TimeLSTMCell` and the three user GRU cells support it, and the suite's models use it.
"""

from .add_norm_feed_forward import AddNormFeedForward
from .attention_gated_cell import AttentionGatedCell
from .bidirectional_context import BidirectionalContext
from .candidate_attention import CandidateAttention
from .contextual_attention import ContextualAttention
from .feature_attention import FeatureSelfAttention
from .feature_encoders import FlatFeatureEncoder, HierarchicalFeatureEncoder
from .fusion_gate import FusionGate
from .heads import InnerProductRating, PReLUProjection
from .interacting_attention import InteractingAttention, TemporalAttentionGate
from .item_attention import MultiRowItemAttention
from .modality_fusion import ModalityFusion
from .projected_rnn import ProjectedRNN
from .temporal_gate import TemporalGate, TGRUCell
from .text_image_alignment import HardestNegativeTripletLoss, TextImageAlignment
from .time_aware_attention import MultiHopMemoryReader, TimeAwareAttention
from .time_bucket_embedding import TimeBucketEmbedding
from .time_lstm import TimeLSTMCell
from .topical_attention import TopicalAttention
from .user_gru import AttentionalUserGRUCell, LinearUserGRUCell, RectifiedLinearUserGRUCell

__all__ = [
    "AddNormFeedForward",
    "AttentionGatedCell",
    "AttentionalUserGRUCell",
    "BidirectionalContext",
    "CandidateAttention",
    "ContextualAttention",
    "FeatureSelfAttention",
    "FlatFeatureEncoder",
    "FusionGate",
    "HardestNegativeTripletLoss",
    "HierarchicalFeatureEncoder",
    "InnerProductRating",
    "InteractingAttention",
    "LinearUserGRUCell",
    "ModalityFusion",
    "MultiHopMemoryReader",
    "MultiRowItemAttention",
    "PReLUProjection",
    "ProjectedRNN",
    "RectifiedLinearUserGRUCell",
    "TGRUCell",
    "TemporalAttentionGate",
    "TemporalGate",
    "TextImageAlignment",
    "TimeAwareAttention",
    "TimeBucketEmbedding",
    "TimeLSTMCell",
    "TopicalAttention",
]
