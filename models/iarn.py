"""IARN (Pei et al., CIKM 2017) and its variants: IARN-Plain and the RNN-, LSTM- and TAGM-backbones.

Two recurrent networks, one over the user's history (the items she rated, in time order) and one over
the item's history (the users who rated it), each made of (section 3):

* a feature encoder (section 3.3; item side only, see `seqrec.layers.feature_encoders`);
* the interacting attention module (section 3.2): a bidirectional context (Eq. 7/9) and a scalar
  attention score per step that also reads the other side's summary (Eq. 6/8);
* the attention-gated recurrent module (section 3.1, Eq. 3-5) and its PReLU head (Eq. 2);

and the rating is the inner product of the two heads (Eq. 1), trained with the mean squared error
(Eq. 13). The variants (section 4.1, 3.5) swap the recurrent module:

================  ==========================================================================
``iarn``          attention-gated cells, gates from the interacting attention (IARN / IARN-Plain)
``tagm``          attention-gated cells, gates from the own side only (TAGM-backbone)
``rnn``           a ReLU RNN, no gate (RNN-backbone)
``lstm``          an LSTM (LSTM-backbone)
================  ==========================================================================

IARN is ``backbone="iarn"`` with a feature encoder; IARN-Plain is the same without one. The inputs of
each side are embeddings: a user's history is a sequence of item embeddings, an item's history a
sequence of user embeddings (section 3: "the representations (e.g. the embeddings)"), so no rating
value is an input. ``rating_inputs=True`` (off by default: our option, not the paper's text, which is
silent) appends to every step the rating given at that earlier event, which lets the model see a
user's and an item's rating level as matrix factorisation's biases do. Embeddings have size ``dim``
(IARN 4.1: d = 25 on Netflix and MovieLens, 50 on Amazon), as are the heads; recurrent and attention
layers have ``hidden`` = 64 units. Dropout (validated in {0, 0.25, 0.5}) drops input embeddings and the
last hidden state of each side; ``l2`` regularises every weight.
"""

import keras
from keras import ops

from seqrec.layers import (
    AttentionGatedCell,
    BidirectionalContext,
    FlatFeatureEncoder,
    HierarchicalFeatureEncoder,
    InnerProductRating,
    InteractingAttention,
    PReLUProjection,
    TemporalAttentionGate,
)

from .dropout import PhiloxDropout

BACKBONES = ("iarn", "tagm", "rnn", "lstm")
GATED = ("iarn", "tagm")  # the backbones with attention gates (`IARN.attention`)
VARIANTS = {  # the names of IARN's section 4.1 -> (backbone, uses item features)
    "IARN": ("iarn", True),
    "IARN-Plain": ("iarn", False),
    "RNN-backbone": ("rnn", False),
    "LSTM-backbone": ("lstm", False),
    "TAGM-backbone": ("tagm", False),
}


@keras.saving.register_keras_serializable(package="seqrec")
class IARN(keras.Model):
    """IARN and its backbone variants; predicts a rating for a (user history, item history) pair.

    Inputs (a dict, as `seqrec.datasets.pipelines.rating_pairs_dataset` yields plus the target item's
    features): ``user_items`` int [B, Lu] and ``user_mask`` bool [B, Lu]: the items the user rated
    before the rating's time; ``item_users`` int [B, Li] and ``item_mask`` [B, Li]: the users who rated
    the item before it; with ``feature_structure="flat"`` also ``item_features`` [B, n_features]
    (multi-hot), with ``"hierarchy"`` ``item_path`` int [B, depth] (root -> leaf node indices); with
    ``rating_inputs`` also ``user_ratings`` [B, Lu] and ``item_ratings`` [B, Li].
    Output: the predicted rating [B].

    Args:
      n_users, n_items: vocabulary sizes including the padding index 0.
      dim: embedding and head size d. hidden: recurrent units. attention_units: fusion layer size.
      backbone: one of `BACKBONES`.
      feature_structure: ``None``, ``"flat"`` or ``"hierarchy"``; n_features: features or nodes.
      dropout, l2: regularisation.
      rating_inputs: append the rating of every history event to its step's input (our option).
    """

    def __init__(self, n_users: int, n_items: int, dim: int = 25, hidden: int = 64,
                 attention_units: int = 64, backbone: str = "iarn", feature_structure: str | None = None,
                 n_features: int = 0, dropout: float = 0.0, l2: float = 0.0, rating_inputs: bool = False,
                 **kwargs):
        super().__init__(**kwargs)
        if backbone not in BACKBONES:
            raise ValueError(f"backbone must be one of {BACKBONES}, got {backbone!r}")
        if feature_structure not in (None, "flat", "hierarchy"):
            raise ValueError(f"feature_structure must be None, 'flat' or 'hierarchy', got "
                             f"{feature_structure!r}")
        self.config = {"n_users": n_users, "n_items": n_items, "dim": dim, "hidden": hidden,
                       "attention_units": attention_units, "backbone": backbone,
                       "feature_structure": feature_structure, "n_features": n_features,
                       "dropout": dropout, "l2": l2, "rating_inputs": rating_inputs}
        self.backbone, self.feature_structure = backbone, feature_structure
        self.rating_inputs = rating_inputs
        reg = keras.regularizers.L2(l2) if l2 else None
        self.item_embedding = keras.layers.Embedding(n_items, dim, embeddings_regularizer=reg,
                                                     name="item_embedding")
        self.user_embedding = keras.layers.Embedding(n_users, dim, embeddings_regularizer=reg,
                                                     name="user_embedding")
        self.encoder = None
        if feature_structure == "flat":
            self.encoder = FlatFeatureEncoder(n_features, kernel_regularizer=reg, name="feature_encoder")
        elif feature_structure == "hierarchy":
            self.encoder = HierarchicalFeatureEncoder(n_features, kernel_regularizer=reg,
                                                      name="feature_encoder")
        self.dropout = PhiloxDropout(dropout)
        self.sides = {}
        for side in ("user", "item"):
            layers = {}
            if backbone in GATED:
                layers["context"] = BidirectionalContext(hidden, kernel_regularizer=reg,
                                                         name=f"{side}_context")
                gate = InteractingAttention if backbone == "iarn" else TemporalAttentionGate
                layers["gate"] = gate(attention_units, kernel_regularizer=reg, name=f"{side}_attention")
                layers["rnn"] = keras.layers.RNN(AttentionGatedCell(hidden, kernel_regularizer=reg),
                                                 name=f"{side}_gated_rnn")
            elif backbone == "rnn":
                layers["rnn"] = keras.layers.SimpleRNN(hidden, activation="relu", kernel_regularizer=reg,
                                                       recurrent_regularizer=reg, name=f"{side}_rnn")
            else:
                layers["rnn"] = keras.layers.LSTM(hidden, kernel_regularizer=reg,
                                                  recurrent_regularizer=reg, name=f"{side}_lstm")
            layers["head"] = PReLUProjection(dim, kernel_regularizer=reg, name=f"{side}_head")
            self.sides[side] = layers
            for name, layer in layers.items():  # track the layers as attributes
                setattr(self, f"{side}_{name}", layer)
        self.rating = InnerProductRating(name="rating")

    def _encode(self, inputs, training=False):
        """Embedded (and, on the item side, feature-encoded) sequences and their masks."""
        x_user = self.item_embedding(inputs["user_items"])
        x_item = self.user_embedding(inputs["item_users"])
        if self.feature_structure == "flat":
            x_item = self.encoder([x_item, inputs["item_features"]])
        elif self.feature_structure == "hierarchy":
            x_item = self.encoder([x_item, inputs["item_path"]])
        if self.rating_inputs:  # centred and scaled to about [-1, 1] on a 0.5-5 scale, 0 on padding
            for side, x in (("user", x_user), ("item", x_item)):
                mask = ops.cast(inputs[f"{side}_mask"], x.dtype)
                rating = ops.expand_dims((inputs[f"{side}_ratings"] - 3.0) / 2.0 * mask, -1)
                if side == "user":
                    x_user = ops.concatenate([x, rating], axis=-1)
                else:
                    x_item = ops.concatenate([x, rating], axis=-1)
        return ({"user": self.dropout(x_user, training=training),
                 "item": self.dropout(x_item, training=training)},
                {"user": inputs["user_mask"], "item": inputs["item_mask"]})

    def _gates(self, x, masks):
        """Attention scores [B, L, 1] of both sides (gated backbones only)."""
        ctx = {s: self.sides[s]["context"](x[s], mask=masks[s]) for s in ("user", "item")}
        if self.backbone == "iarn":
            other = {"user": "item", "item": "user"}
            return {s: self.sides[s]["gate"]([ctx[s][0], ctx[s][1], ctx[other[s]][2], ctx[other[s]][3]],
                                             mask=masks[s]) for s in ("user", "item")}
        return {s: self.sides[s]["gate"]([ctx[s][0], ctx[s][1]], mask=masks[s]) for s in ("user", "item")}

    def call(self, inputs, training=False):
        x, masks = self._encode(inputs, training)
        gates = self._gates(x, masks) if self.backbone in GATED else None
        heads = {}
        for side in ("user", "item"):
            seq = x[side] if gates is None else ops.concatenate([x[side], gates[side]], axis=-1)
            last = self.sides[side]["rnn"](seq, mask=masks[side])
            heads[side] = self.sides[side]["head"](self.dropout(last, training=training))
        return self.rating([heads["user"], heads["item"]])

    def attention(self, inputs) -> dict:
        """The attention scores of every step: ``user`` [B, Lu] over the user's history and ``item``
        [B, Li] over the item's history (0 on padding). Only the gated backbones have them."""
        if self.backbone not in GATED:
            raise ValueError(f"the {self.backbone} backbone has no attention scores")
        x, masks = self._encode(inputs)
        gates = self._gates(x, masks)
        return {side: ops.squeeze(gates[side], -1) for side in ("user", "item")}

    def get_config(self):
        return {**super().get_config(), **self.config}


def variant(name: str, n_users: int, n_items: int, features=None, **kwargs) -> IARN:
    """One of the paper's variants by name (`VARIANTS`). ``features`` (an `ItemFeatures`-like object
    with ``structure`` and ``size``) is required by IARN and ignored by the others."""
    backbone, uses_features = VARIANTS[name]
    structure, n_features = None, 0
    if uses_features:
        if features is None or features.structure not in ("flat", "hierarchy"):
            raise ValueError(f"{name} needs item features (flat or hierarchy)")
        structure, n_features = features.structure, features.size
    return IARN(n_users, n_items, backbone=backbone, feature_structure=structure,
                n_features=n_features, name=name.replace("+", "p"), **kwargs)
