"""The base of DMRAN's models: a user's behaviours and a candidate item in, one preference score out.

DMRAN (section 4.4-4.5) and ATRank score a candidate item ``c`` for a user by an inner product with a
user representation that may depend on the candidate (``score_c = h_c . i_c``, DMRAN Eq. 17), and train
with one sampled negative per positive and a sigmoid loss (Eq. 20-21) instead of a softmax over all
items. Every method of DMRAN's Table 2 except BPR-MF is such a model here, so that the comparison
isolates the encoder: subclasses implement only `CandidateModel.encode`.

**Items.** An item is its item embedding concatenated with its category's (ATRank's code: 64 + 64, the
category being one per item, set with `set_item_categories`); without categories, the item embedding
alone, of the full width. The same vector is a behaviour (before its encoding) and a candidate ``i_c``.

**Inputs** (dict): ``items`` int [B, L] (the history, padded with 0), ``mask`` bool [B, L], ``buckets``
int [B, L] (each behaviour's power-of-two day bucket before the prediction time,
`seqrec.datasets.time_features.day_bucket`) and ``candidates`` int [B, C]. Output: scores [B, C].

**Regularisation** (Eq. 22). ``||Theta_uv||^2``: as in ATRank's code, the embeddings that a batch uses
are penalised, not the whole tables: ``l2 * 0.5 * sum over the batch's scored pairs of (||h_c||^2 +
||i_c||^2)`` (TensorFlow's ``l2_loss``), added with `add_loss`. ``||Theta_a||^2``: every kernel of the
encoder carries an L2 regulariser of weight ``l2``. DMRAN: 5e-5 or 1e-4 (section 5.1).
"""

import keras
from keras import ops

from .item_categories import ItemCategories


@keras.saving.register_keras_serializable(package="seqrec")
class CandidateModel(ItemCategories, keras.Model):
    """Base class: item and category embeddings, candidate scoring (Eq. 17) and the L2 of Eq. 22.

    Args:
      n_items, n_categories: vocabulary sizes including the padding index 0 (0: no categories).
      item_dim, category_dim: embedding widths (ATRank and DMRAN: 64 + 64 = the hidden size 128);
        without categories the item embedding is ``item_dim + category_dim`` wide.
      l2: weight of the L2 terms of Eq. 22 (see the module docstring).
    """

    def __init__(self, n_items: int, n_categories: int = 0, item_dim: int = 64, category_dim: int = 64,
                 l2: float = 5e-5, **kwargs):
        super().__init__(**kwargs)
        self.base_config = {"n_items": n_items, "n_categories": n_categories, "item_dim": item_dim,
                            "category_dim": category_dim, "l2": l2}
        self.n_items, self.n_categories, self.l2 = n_items, n_categories, l2
        self.dim = item_dim + category_dim
        self.regularizer = keras.regularizers.L2(l2) if l2 else None
        self.item_embedding = keras.layers.Embedding(n_items, item_dim if n_categories else self.dim,
                                                     name="item_embedding")
        self.category_embedding = None
        if n_categories:
            self.category_embedding = keras.layers.Embedding(n_categories, category_dim,
                                                             name="category_embedding")
        self.add_category_table()

    input_keys = ("items", "mask", "buckets", "candidates")

    def embed(self, items):
        """Item vectors [..., dim]: the item embedding, with its category's concatenated."""
        x = self.item_embedding(items)
        if self.category_embedding is None:
            return x
        return ops.concatenate([x, self.category_embedding(ops.take(self.item_category, items, axis=0))], -1)

    def encode(self, inputs, behaviours, candidates, training=False):
        """The user's representation for each candidate, h_c [B, C, dim], from the embedded behaviours
        [B, L, dim] and candidates [B, C, dim] (and ``inputs``' mask and buckets)."""
        raise NotImplementedError

    def build(self, input_shape):
        """Create every weight by calling the model on a dummy batch (of at least 16 events), so that a
        ``.keras`` file rebuilds the model before loading its weights."""
        length = max(input_shape["items"][1] or 0, 16)
        self.call({"items": ops.ones((1, length), "int32"), "mask": ops.ones((1, length), "bool"),
                   "buckets": ops.zeros((1, length), "int32"), "candidates": ops.ones((1, 1), "int32")})
        self.built = True

    def call(self, inputs, training=False):
        candidates = self.embed(inputs["candidates"])
        h = self.encode(inputs, self.embed(inputs["items"]), candidates, training=training)
        if self.l2:
            self.add_loss(ops.cast(self.l2 * 0.5 * (ops.sum(ops.square(h)) + ops.sum(ops.square(candidates))),
                                  "float32"))
        return ops.sum(h * candidates, axis=-1)

    def get_config(self):
        return {**super().get_config(), **self.base_config}
