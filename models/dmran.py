"""DMRAN (Wang et al., IJCAI 2019) and its variants DMRAN_No_Time, DMRAN_Item and DMRAN_Feature.

For a user's behaviours and a candidate item c (`seqrec.models.candidate.CandidateModel`)::

    H   = TimeBucketEmbedding(items, buckets)                     Eq. 1-2
    M   = MultiRowItemAttention(H)                                 Eq. 3-8, r rows
    M^  = AddNormFeedForward(M, FeatureSelfAttention(M))           Eq. 9-13
    h   = AddNormFeedForward(i_c, CandidateAttention(i_c, M))      Eq. 14
    h^  = AddNormFeedForward(i_c, CandidateAttention(i_c, M^))     Eq. 15
    h_c = FusionGate(h, h^)                                         Eq. 16
    score_c = h_c . i_c                                             Eq. 17

trained with the sampled sigmoid loss of Eq. 20-21, L2 (Eq. 22, `CandidateModel`) and the redundancy
penalty of the item-level attention (Eq. 22's last term, weight ``penalty``).

**Readings** (the paper is silent; each choice follows ATRank's code, which DMRAN builds on):

* The residual connections, layer normalisation and feed-forward network "adopted for robustness"
  (section 5.1) sit where ATRank has them: after the feature-level self-attention (ATRank: after its
  self-attention) and after each candidate attention (ATRank: after its vanilla attention); not after
  the item-level attention, whose r output rows cannot be added to the n behaviours. ``robust=False``
  drops all three (`AddNormFeedForward`'s switches).
* Eq. 14 and 15 are two vanilla attentions with their own weights; each has ATRank's 8 heads
  (``heads``) and ReLU projections. ``pooling="mean"`` replaces both by the mean of the rows (DMRAN's
  alternative "in some scenarios").
* The two uses of the same symbol ``f_vanilla`` could share weights; we do not tie them, since h and h^
  read different matrices (M and M^) that the fusion gate must be able to weigh apart.

**Variants** (section 5.1): ``use_time=False`` is DMRAN_No_Time (Eq. 1 without T), ``feature_level=False``
is DMRAN_Item (no feature-level self-attention: h_c = h, no fusion), ``item_level=False`` is
DMRAN_Feature (no item-level attention: the feature-level self-attention reads H itself, with its
padding mask, and both candidate attentions read over the behaviours). `variant` builds each by name.
"""

import keras

from seqrec.layers import (
    AddNormFeedForward,
    CandidateAttention,
    FeatureSelfAttention,
    FusionGate,
    MultiRowItemAttention,
    TimeBucketEmbedding,
)

from .candidate import CandidateModel

VARIANTS = {"DMRAN": {}, "DMRAN_No_Time": {"use_time": False}, "DMRAN_Item": {"feature_level": False},
            "DMRAN_Feature": {"item_level": False}}


@keras.saving.register_keras_serializable(package="seqrec")
class DMRAN(CandidateModel):
    """DMRAN: item-level attention, feature-level self-attention, candidate attention and fusion gate.

    Args:
      n_items, n_categories, item_dim, category_dim, l2: see `CandidateModel`.
      rows: r, the rows of the item-level attention (DMRAN searches {2, 5, 8, 10, 15, 20}).
      n_buckets: time buckets (ATRank: 12).
      heads: heads of each candidate attention (ATRank: 8).
      penalty: weight lambda_3 of the redundancy penalty (the paper gives none; 0 drops it).
      use_time, item_level, feature_level: the variants (see the module docstring).
      robust: residual connections, layer normalisation and feed-forward networks (section 5.1).
      pooling: ``"attention"`` (Eq. 14-15) or ``"mean"``.
    """

    def __init__(self, n_items: int, n_categories: int = 0, item_dim: int = 64, category_dim: int = 64,
                 l2: float = 5e-5, rows: int = 10, n_buckets: int = 12, heads: int = 8, penalty: float = 0.0,
                 use_time: bool = True, item_level: bool = True, feature_level: bool = True,
                 robust: bool = True, pooling: str = "attention", **kwargs):
        super().__init__(n_items, n_categories, item_dim, category_dim, l2, **kwargs)
        self.dmran_config = {"rows": rows, "n_buckets": n_buckets, "heads": heads, "penalty": penalty,
                       "use_time": use_time, "item_level": item_level, "feature_level": feature_level,
                       "robust": robust, "pooling": pooling}
        self.item_level, self.feature_level = item_level, feature_level
        reg = self.regularizer

        def block(name):
            return AddNormFeedForward(robust, robust, robust, kernel_regularizer=reg, name=name)

        self.behaviours = TimeBucketEmbedding(self.dim, n_buckets, use_time=use_time, kernel_regularizer=reg,
                                              embeddings_regularizer=reg, name="behaviours")
        self.item_attention = (MultiRowItemAttention(rows, penalty=penalty, kernel_regularizer=reg,
                                                     name="item_attention") if item_level else None)
        self.attend = CandidateAttention(heads, pooling=pooling, kernel_regularizer=reg, name="attend")
        self.attend_block = block("attend_block")
        if feature_level:
            self.feature_attention = FeatureSelfAttention(kernel_regularizer=reg, name="feature_attention")
            self.feature_block = block("feature_block")
            self.attend_features = CandidateAttention(heads, pooling=pooling, kernel_regularizer=reg,
                                                      name="attend_features")
            self.attend_features_block = block("attend_features_block")
            self.fusion = FusionGate(kernel_regularizer=reg, name="fusion")

    def rows(self, inputs, behaviours):
        """``(M, row mask, A)``: the item-level attention's rows [B, r, dim] (no mask) and weights
        [B, r, L], or, without item-level attention, the encoded behaviours H with their mask (A None)."""
        h = self.behaviours([behaviours, inputs["buckets"]])
        if not self.item_level:
            return h, inputs["mask"], None
        m, weights = self.item_attention(h, mask=inputs["mask"], return_attention=True)
        return m, None, weights

    def encode(self, inputs, behaviours, candidates, training=False):
        m, mask, _ = self.rows(inputs, behaviours)
        h = self.attend_block([candidates, self.attend([candidates, m], mask=mask)])
        if not self.feature_level:
            return h
        m_hat = self.feature_block([m, self.feature_attention(m, mask=mask)])
        h_hat = self.attend_features_block([candidates, self.attend_features([candidates, m_hat], mask=mask)])
        return self.fusion([h, h_hat])

    def attention(self, inputs) -> dict:
        """The item-level attention over the behaviours, one map [B, L] per row of A (``row_1``, ...;
        none for DMRAN_Feature), for TensorBoard and explanations."""
        weights = self.rows(inputs, self.embed(inputs["items"]))[2]
        if weights is None:
            return {}
        return {f"row_{k + 1}": weights[:, k] for k in range(weights.shape[1])}

    def get_config(self):
        return {**super().get_config(), **self.dmran_config}


def variant(name: str, n_items: int, n_categories: int = 0, **kwargs) -> DMRAN:
    """DMRAN or one of its variants by its Table 2 name (``DMRAN``, ``DMRAN_No_Time``, ``DMRAN_Item``,
    ``DMRAN_Feature``); ``kwargs`` go to `DMRAN`."""
    if name not in VARIANTS:
        raise ValueError(f"unknown DMRAN variant {name!r}; choose from {sorted(VARIANTS)}")
    return DMRAN(n_items, n_categories, **{**kwargs, **VARIANTS[name]}, name=name.lower())
