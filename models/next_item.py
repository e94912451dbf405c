"""The base of next-item models: embeddings in, a user vector out, every item scored by a dot product.

MTAM section 3.2 frames all of its models this way: items (and their category, a context feature
added to the item embedding) are embedded, an encoder turns the history into a user representation
``p``, and every item is scored by ``p Q^T`` with the item embedding matrix ``Q`` (Eq. 2), trained with
the softmax cross-entropy over all items (Eq. 3). Subclasses implement `NextItemModel.encode`.

**Two modes, one set of weights.** With ``all_positions=False`` a batch is a prefix per example
(`seqrec.datasets.pipelines.next_item_dataset`, left-padded: the latest event is last) and the model
returns logits [B, n_items] for the next item after it. With ``all_positions=True`` a batch is a window
of consecutive events (`sequence_dataset`, right-padded) and the model returns logits [B, L, n_items],
one prediction after every position, from one pass over the window (causal encoders only look back).
A model trained in one mode can be evaluated in the other by copying its weights (`with_mode`).

**Time.** Models read time differences in hours (the MTAM authors' unit), computed from the
pipeline's float32 second differences, never from raw unix times: ``gaps`` (since the previous event)
and ``ages`` (before the target) in prefix mode, ``gaps`` and ``target_gaps`` (each event to the next)
in window mode. `NextItemModel.times` turns either into times relative to a per-row origin.
"""

import keras
from keras import ops

from .dropout import PhiloxDropout
from .item_categories import ItemCategories

HOUR = 3600.0


def copy_in_mode(model: keras.Model, all_positions: bool, length: int) -> keras.Model:
    """A copy of ``model`` (with an ``all_positions`` setting and a ``dummy_batch(length)``) in the given
    mode, holding equal weights, built for inputs of ``length`` events."""
    if not model.built:
        model(model.dummy_batch(length))
    other = model.__class__.from_config({**model.get_config(), "all_positions": all_positions})
    other(other.dummy_batch(length))
    other.set_weights(model.get_weights())
    return other


@keras.saving.register_keras_serializable(package="seqrec")
class NextItemModel(ItemCategories, keras.Model):
    """Base class: embeddings, the output layer, the two modes and the time bookkeeping.

    Inputs (dict): ``items`` int [B, L], ``mask`` bool [B, L], ``gaps`` float [B, L] and either
    ``ages`` [B, L] (prefix mode) or ``target_gaps`` [B, L] (window mode).

    **Categories.** With ``n_categories > 0`` each item's category (one per item, MTAM 5.1: "the
    category of the item as context feature") is looked up in the non-trainable table
    ``item_category`` [n_items] (set it with `set_item_categories`; it is saved with the weights), and
    its embedding is added to the item's. `seqrec.training.next_item_model` sizes a model for a dataset
    and sets its categories.

    Args:
      n_items, n_categories: vocabulary sizes including the padding index 0 (0: no categories).
      dim: embedding and hidden size (MTAM 6.2: 128).
      dropout: on the embedded inputs and the user vector, training only (MTAM 6.2: 0.5).
      l2: L2 weight on the embeddings (MTAM 6.2: 1e-5).
      all_positions: window mode (see the module docstring).
    """

    def __init__(self, n_items: int, n_categories: int = 0, dim: int = 128, dropout: float = 0.5,
                 l2: float = 1e-5, all_positions: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.base_config = {"n_items": n_items, "n_categories": n_categories, "dim": dim,
                            "dropout": dropout, "l2": l2, "all_positions": all_positions}
        self.n_items, self.n_categories, self.dim = n_items, n_categories, dim
        self.all_positions = all_positions
        self.regularizer = keras.regularizers.L2(l2) if l2 else None
        self.item_embedding = keras.layers.Embedding(n_items, dim, embeddings_regularizer=self.regularizer,
                                                     name="item_embedding")
        self.category_embedding = (keras.layers.Embedding(n_categories, dim, name="category_embedding",
                                                          embeddings_regularizer=self.regularizer)
                                   if n_categories else None)
        self.add_category_table()
        self.dropout = PhiloxDropout(dropout)

    @property
    def input_keys(self) -> tuple[str, ...]:
        """The batch keys the model reads."""
        return ("items", "mask", "gaps", "target_gaps" if self.all_positions else "ages")

    def embed(self, inputs, training=False):
        """Behaviour embeddings b' [B, L, dim]: the item's plus, if any, its category's."""
        x = self.item_embedding(inputs["items"])
        if self.category_embedding is not None:
            x = x + self.category_embedding(ops.take(self.item_category, inputs["items"], axis=0))
        return self.dropout(x, training=training)

    def times(self, inputs):
        """``(event_times [B, L], query_times [B, Lq], gaps [B, L])`` in hours, relative to a per-row
        origin: each event's time, the time of the prediction made after it (Lq = L in window mode,
        one query at the target's time otherwise), and the time since the previous event."""
        gaps = ops.cast(inputs["gaps"], "float32") / HOUR
        if self.all_positions:
            mask = ops.cast(inputs["mask"], "float32")
            event = ops.cumsum(gaps * mask, axis=1) - gaps[:, :1] * mask[:, :1]
            query = event + ops.cast(inputs["target_gaps"], "float32") / HOUR
            return event, query, gaps
        event = -ops.cast(inputs["ages"], "float32") / HOUR  # the target is at time 0
        return event, ops.zeros_like(event[:, -1:]), gaps

    def causal_mask(self, mask, window: int | None = None):
        """Which events each query may read, [B, Lq, L]: the events up to the query's position (and at
        most ``window`` of the latest of them) in window mode; every valid event of the prefix (again
        at most the latest ``window``) otherwise."""
        mask = ops.cast(mask, "bool")
        length = ops.shape(mask)[1]
        positions = ops.arange(length)
        if self.all_positions:
            allowed = positions[None, :] <= positions[:, None]
            if window is not None:
                allowed = allowed & (positions[None, :] > positions[:, None] - window)
            return ops.expand_dims(allowed, 0) & ops.expand_dims(mask, 1)
        if window is not None:
            mask = mask & (positions >= length - window)[None, :]
        return ops.expand_dims(mask, 1)

    def encode(self, inputs, x, training=False):
        """User vectors [B, Lq, dim] (Lq = L in window mode, 1 otherwise) from embeddings x."""
        raise NotImplementedError

    def dummy_batch(self, length: int) -> dict:
        """A batch of one example of ``length`` events of this model's mode, to create its weights."""
        return {"items": ops.ones((1, length), "int32"), "mask": ops.ones((1, length), "bool"),
                "gaps": ops.zeros((1, length)),
                ("target_gaps" if self.all_positions else "ages"): ops.zeros((1, length))}

    def build(self, input_shape):
        """Create every weight by calling the model on a dummy batch of the input's length, so that a
        ``.keras`` file rebuilds the model before loading its weights."""
        self.call(self.dummy_batch(input_shape["items"][1] or 1))
        self.built = True

    def call(self, inputs, training=False):
        x = self.embed(inputs, training)
        users = self.dropout(self.encode(inputs, x, training), training=training)
        # float32 logits under mixed precision: no ties from (b)float16 rounding among the item scores
        logits = ops.einsum("bqd,nd->bqn", ops.cast(users, "float32"),
                            ops.cast(self.item_embedding.embeddings, "float32"))
        return logits if self.all_positions else logits[:, 0]

    def with_mode(self, all_positions: bool, length: int) -> "NextItemModel":
        """A copy in the other mode holding equal weights, built for inputs of ``length`` events."""
        return copy_in_mode(self, all_positions, length)

    def get_config(self):
        return {**super().get_config(), **self.base_config}
