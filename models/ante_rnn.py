"""Ante-RNN (Liu, Zhang and Gulla, "Dynamic attention-based explainable recommendation with textual and
visual fusion", IP&M 2020): items as the fusion of their aligned image and topic-attended text, a
contextual attention over the latest items with their times, a GRU and a softmax over all items.

Per behaviour j of a user's sequence (section 3)::

    E_j = BiGRU(word embeddings of item j's text)                    [N, D]   section 3.2
    F_j = Dense(item j's image regions)                              [M, D]   section 3.2
    v_j = TextImageAlignment(E_j, F_j)                                         Eq. 1-5
    x_j = TopicalAttention(E_j, eta_j^u)                                       Eq. 7-10
    i_j = ModalityFusion(v_j, x_j)                                             Eq. 11-14
    r~_t = ContextualAttention(i_{t-w_c+1..t}, T_w, dt)                        Eq. 15-20
    h_t = GRU(r~_1..r~_t)                                                      Eq. 21
    P(next item | ...) = softmax(W_s h_t)                                      Eq. 23

trained on Eq. 24: the cross-entropy of every next item (Eq. 22), ``triplet_weight`` (lambda_1) times
the hardest-negative triplet loss of the image-text alignment (Eq. 6), and L2 (lambda_2) on every kernel.

**Readings** (the paper is silent):

* **Topics per behaviour.** eta_j^u is the user's topic mixture at behaviour j's time (Figure 2: the
  text of "item at timestamp t" is read with the topics at t); `seqrec.datasets.user_topics` computes
  it from the windows before j's. The input ``topics`` holds one mixture per behaviour.
* **The current time** of the contextual attention at step t is the time of behaviour t, the latest
  known: dt_j is the whole hours from behaviour j to behaviour t, T_w,j the hour of the week of
  behaviour j, and both are 168 ("older than a week") when dt_j > 168 hours. The next behaviour's time
  is not read, so nothing about the target reaches the inputs.
* **The triplet term** sums over image-text pairs; each training batch draws ``triplet_items`` distinct
  items at random (a stochastic estimate of the sum over all items) and takes the hardest negative
  text among them (Eq. 6).
* **Without topical attention** (Table 6's None and C), the text vector is the mean of the word
  vectors; **without contextual attention** (None and T) the GRU reads the plain average of the window
  (Eq. 15, the baseline the paper sets contextual attention against).
* Words are embedded in D dimensions and read by a bidirectional GRU of D/2 units each way, so that E
  and the regions share the width D (section 3.2: "map language to the same dimensional semantic
  vector space as image regions").

**Variants** (`VARIANTS`): Ante-RNN (attention fusion), Ante-RNN-D (direct), Ante-RNN-N (neural),
t-Ante-RNN (text only: i = x), v-Ante-RNN (image only: i = v); Table 6's settings are the switches
``topical``, ``context``, ``use_week`` and ``use_interval`` (`ATTENTION_SETTINGS`).

**Item content** is held in the model, non-trainable: each item's word ids [n_items, N] (0: padding) and
its image region features [n_items, M, F] (`set_item_content`; item 0, the padding, has none).

**Inputs** (dict): ``items`` int [B, L]; ``mask`` bool [B, L]; ``topics`` float [B, L, psi];
``hours`` float [B, L], each behaviour's time in hours (any per-row origin); ``week_hour`` int [B, L],
each behaviour's hour of the week (0-167). Right padding (a window of consecutive behaviours) or left
padding (a prefix, the latest last) both work: every step reads only itself and earlier steps.
**Output**: logits [B, L, n_items], the next item after every position (``all_positions=True``), or
[B, n_items] after the last position.
"""

import keras
import tensorflow as tf
from keras import ops

from seqrec.layers import (
    ContextualAttention,
    HardestNegativeTripletLoss,
    ModalityFusion,
    TextImageAlignment,
    TopicalAttention,
)

from .next_item import copy_in_mode

VARIANTS = {"Ante-RNN": {}, "Ante-RNN-D": {"fusion": "direct"}, "Ante-RNN-N": {"fusion": "neural"},
            "t-Ante-RNN": {"modality": "text"}, "v-Ante-RNN": {"modality": "image"}}
ATTENTION_SETTINGS = {  # Table 6
    "None": {"topical": False, "context": "average"},
    "T": {"topical": True, "context": "average"},
    "C-T_w": {"topical": False, "context": "attention", "use_week": False},
    "C-dt": {"topical": False, "context": "attention", "use_interval": False},
    "C": {"topical": False, "context": "attention"},
    "T+C-T_w": {"topical": True, "context": "attention", "use_week": False},
    "T+C-dt": {"topical": True, "context": "attention", "use_interval": False},
    "T+C": {"topical": True, "context": "attention"},
}
MODALITIES = ("both", "text", "image")
WEEK_HOURS = 168


@keras.saving.register_keras_serializable(package="seqrec")
class AnteRNN(keras.Model):
    """Ante-RNN and its variants (see the module docstring).

    Args:
      n_items: items including the padding index 0.
      n_words: word vocabulary including the padding index 0.
      n_topics: psi (section 4.4: 70 on MovieLens, 100 on Pinterest).
      words_per_item, regions_per_item, region_width: N, M and F of the item content tables.
      dim: D (section 4.4: 128).
      window: w_c (section 4.4: 5 on MovieLens, 3 on Pinterest).
      fusion: ``"attention"``, ``"neural"`` or ``"direct"`` (Eq. 11-14).
      modality: ``"both"``, ``"text"`` (t-Ante-RNN) or ``"image"`` (v-Ante-RNN).
      topical: topical attention (Eq. 8-10) or the mean of the words.
      context: ``"attention"`` (Eq. 16-20) or ``"average"`` (Eq. 15).
      use_week, use_interval, transform: `seqrec.layers.ContextualAttention`'s switches.
      triplet_weight: lambda_1 (section 4.4: 0.2); margin: alpha_1 (0.3).
      triplet_items: distinct items per batch for the triplet term.
      l2: lambda_2 (section 4.4: 1e-4) on every kernel and embedding.
      all_positions: logits after every position, or after the last only.
    """

    def __init__(self, n_items: int, n_words: int, n_topics: int, words_per_item: int, regions_per_item: int,
                 region_width: int, dim: int = 128, window: int = 5, fusion: str = "attention",
                 modality: str = "both", topical: bool = True, context: str = "attention",
                 use_week: bool = True, use_interval: bool = True, transform: str = "linear",
                 triplet_weight: float = 0.2, margin: float = 0.3, triplet_items: int = 32, l2: float = 1e-4,
                 all_positions: bool = True, **kwargs):
        super().__init__(**kwargs)
        if modality not in MODALITIES:
            raise ValueError(f"modality must be one of {MODALITIES}, got {modality!r}")
        if context not in ("attention", "average"):
            raise ValueError(f"context must be 'attention' or 'average', got {context!r}")
        self.config_ = {"n_items": n_items, "n_words": n_words, "n_topics": n_topics,
                        "words_per_item": words_per_item, "regions_per_item": regions_per_item,
                        "region_width": region_width, "dim": dim, "window": window, "fusion": fusion,
                        "modality": modality, "topical": topical, "context": context, "use_week": use_week,
                        "use_interval": use_interval, "transform": transform,
                        "triplet_weight": triplet_weight, "margin": margin, "triplet_items": triplet_items,
                        "l2": l2, "all_positions": all_positions}
        self.n_items, self.window, self.modality, self.topical = n_items, window, modality, topical
        self.all_positions = all_positions
        self.triplet_weight, self.triplet_items = triplet_weight, triplet_items
        reg = keras.regularizers.L2(l2) if l2 else None
        self.item_words = self.add_weight(shape=(n_items, words_per_item), dtype="int32", trainable=False,
                                          initializer="zeros", name="item_words")
        self.item_regions = self.add_weight(shape=(n_items, regions_per_item, region_width), trainable=False,
                                            initializer="zeros", name="item_regions")
        self.word_embedding = keras.layers.Embedding(n_words, dim, embeddings_regularizer=reg,
                                                     name="word_embedding")
        self.word_grus = [keras.layers.GRU(dim // 2, return_sequences=True, go_backwards=backwards,
                                           zero_output_for_mask=True, kernel_regularizer=reg, name=name)
                          for backwards, name in ((False, "word_gru_forward"), (True, "word_gru_backward"))]
        self.region_projection = keras.layers.Dense(dim, kernel_regularizer=reg, name="region_projection")
        self.alignment = TextImageAlignment(kernel_regularizer=reg, name="alignment")
        self.topical_attention = TopicalAttention(kernel_regularizer=reg, name="topical_attention")
        self.fusion = ModalityFusion(fusion, kernel_regularizer=reg, name="fusion")
        self.contextual_attention = ContextualAttention(context == "attention", transform, use_week,
                                                        use_interval, kernel_regularizer=reg,
                                                        name="contextual_attention")
        self.gru = keras.layers.GRU(dim, return_sequences=True, kernel_regularizer=reg, name="gru")
        self.output_layer = keras.layers.Dense(n_items, kernel_regularizer=reg, name="w_s",
                                               dtype="float32")  # float32 logits under mixed precision
        self.triplet = HardestNegativeTripletLoss(margin)
        self.seeds = keras.random.SeedGenerator(0)

    input_keys = ("items", "mask", "topics", "hours", "week_hour")

    def set_item_content(self, words, regions) -> None:
        """Each item's word ids [n_items, N] and image region features [n_items, M, F]."""
        self.item_words.assign(ops.cast(words, "int32"))
        self.item_regions.assign(ops.cast(regions, "float32"))

    def content(self, items, training=False):
        """``(E, word mask, F)`` of items [...]: [..., N, D], [..., N], [..., M, D].

        Outside training each distinct item of the call is encoded once and its encoding gathered for
        every behaviour (a batch of prefixes repeats items many times: validation on latest-small with
        posters, 4,535 prefixes of 50, took 28.5 s instead of 41.4, the same numbers); training encodes
        each behaviour (the XLA-compiled step needs static shapes, and gathering saved nothing there:
        benchmarks/ante_rnn_throughput.py)."""
        if training:
            return self._encoded(items, training)
        distinct, index = tf.unique(ops.reshape(items, (-1,)))
        shape = ops.shape(items)
        return tuple(ops.reshape(ops.take(x, index, axis=0), (*shape, *x.shape[1:]))
                     for x in self._encoded(distinct))

    def _encoded(self, items, training=False):
        """`content` of every behaviour in ``items``, each encoded on its own."""
        words = ops.take(self.item_words, items, axis=0)
        shape = ops.shape(words)
        flat = ops.reshape(words, (-1, shape[-1]))
        word_mask = flat > 0
        embedded = self.word_embedding(flat)
        forward, backward = (gru(embedded, mask=word_mask, training=training) for gru in self.word_grus)
        encoded = ops.concatenate([forward, ops.flip(backward, axis=1)], axis=-1)
        encoded = encoded * ops.cast(word_mask, encoded.dtype)[..., None]
        regions = self.region_projection(ops.take(self.item_regions, items, axis=0))
        return (ops.reshape(encoded, (*shape, encoded.shape[-1])), ops.reshape(word_mask, shape), regions)

    def item_vectors(self, items, topics, training=False):
        """i_j [B, L, D] (Eq. 11-14) for behaviours [B, L] with their topic mixtures [B, L, psi]."""
        words, word_mask, regions = self.content(items, training)
        batch, length = ops.shape(items)[0], ops.shape(items)[1]
        flat_words = ops.reshape(words, (batch * length, *words.shape[2:]))
        flat_mask = ops.reshape(word_mask, (batch * length, -1))
        flat_regions = ops.reshape(regions, (batch * length, *regions.shape[2:]))
        if self.topical:
            flat_topics = ops.reshape(topics, (batch * length, -1))
            x = self.topical_attention([flat_words, flat_topics], mask=flat_mask)
        else:
            real = ops.cast(flat_mask, flat_words.dtype)
            x = ops.sum(flat_words * real[..., None], 1) / ops.maximum(ops.sum(real, 1, keepdims=True), 1.0)
        if self.modality == "text":
            fused = x
        else:
            v = self.alignment([flat_words, flat_regions], mask=[flat_mask, None])
            fused = v if self.modality == "image" else self.fusion([v, x])
        return ops.reshape(fused, (batch, length, fused.shape[-1]))

    def windows(self, inputs, vectors):
        """The contextual window of every step: items [B, L, w, D], T_w and dt [B, L, w], mask [B, L, w];
        slot w-1 is the step itself, slot w-1-k the step k behaviours earlier."""
        mask = ops.cast(inputs["mask"], "bool")
        hours = ops.cast(inputs["hours"], "float32")
        week_hour = ops.cast(inputs["week_hour"], "int32")
        length = ops.shape(mask)[1]

        def lag(x, k):  # the value k steps earlier in the row (zeros / False before the start)
            if k == 0:
                return x
            pad = [(0, 0), (k, 0)] + [(0, 0)] * (len(x.shape) - 2)
            return ops.pad(x, pad)[:, :length]

        items, weeks, intervals, masks = [], [], [], []
        for k in range(self.window - 1, -1, -1):
            elapsed = hours - lag(hours, k)
            interval = ops.cast(ops.clip(ops.floor(elapsed), 0, WEEK_HOURS), "int32")
            items.append(lag(vectors, k))
            intervals.append(interval)
            weeks.append(ops.where(interval >= WEEK_HOURS, WEEK_HOURS, lag(week_hour, k)))
            masks.append(lag(mask, k) & mask)
        return (ops.stack(items, 2), ops.stack(weeks, 2), ops.stack(intervals, 2), ops.stack(masks, 2))

    def states(self, inputs, training=False, return_attention=False):
        """GRU states h_t [B, L, D] (and the contextual weights [B, L, w] on request)."""
        vectors = self.item_vectors(inputs["items"], inputs["topics"], training)
        items, weeks, intervals, masks = self.windows(inputs, vectors)
        context, weights = self.contextual_attention([items, weeks, intervals], mask=masks,
                                                     return_attention=True)
        h = self.gru(context, mask=ops.cast(inputs["mask"], "bool"), training=training)
        return (h, weights) if return_attention else h

    def triplet_loss(self):
        """Eq. 6 over ``triplet_items`` distinct random items (the items' own texts and images)."""
        count = min(self.triplet_items, self.n_items - 1)
        items = keras.random.shuffle(ops.arange(1, self.n_items), seed=self.seeds)[:count]
        words, word_mask, regions = self.content(items, training=True)
        similarity = self.alignment.pairwise_similarity(words, regions, word_mask)
        return self.triplet(ops.zeros((count,)), similarity)

    def call(self, inputs, training=False):
        h = self.states(inputs, training)
        if training and self.triplet_weight and self.modality != "text":
            self.add_loss(ops.cast(self.triplet_weight * self.triplet_loss(), "float32"))
        logits = self.output_layer(h if self.all_positions else h[:, -1])
        return logits

    def attention(self, inputs):
        """The contextual attention over each step's window, [B, L, w], slot w-1 the step itself
        (Figure 9's weights)."""
        return self.states(inputs, return_attention=True)[1]

    def item_explanation(self, items, topics) -> dict:
        """For items [K] read with topic mixtures [K, psi]: ``words`` the topical attention over each
        item's words [K, N] (Eq. 10), ``alignment`` the word weights of every region [K, N, M] (Eq. 2) and
        ``relevance`` each region's R [K, M] (Eq. 3): the explanation of Figure 9."""
        words, word_mask, regions = self.content(ops.convert_to_tensor(items, "int32"))
        topics = ops.convert_to_tensor(topics, "float32")
        _, attention = self.topical_attention([words, topics], mask=word_mask, return_attention=True)
        _, _, alignment, relevance = self.alignment([words, regions], mask=[word_mask, None],
                                                    return_alignment=True)
        return {"words": attention, "alignment": alignment, "relevance": relevance}

    def dummy_batch(self, length: int) -> dict:
        return {"items": ops.ones((1, length), "int32"), "mask": ops.ones((1, length), "bool"),
                "topics": ops.ones((1, length, self.config_["n_topics"])) / self.config_["n_topics"],
                "hours": ops.zeros((1, length)), "week_hour": ops.zeros((1, length), "int32")}

    def build(self, input_shape):
        self.call(self.dummy_batch(input_shape["items"][1] or 1))
        self.built = True

    def with_mode(self, all_positions: bool, length: int) -> "AnteRNN":
        """A copy predicting after every position or after the last, with equal weights (content too)."""
        return copy_in_mode(self, all_positions, length)

    def get_config(self):
        return {**super().get_config(), **self.config_}


def variant(name: str, setting: str = "T+C", **kwargs) -> AnteRNN:
    """Ante-RNN or a variant by its Table 4 name (`VARIANTS`) with one of Table 6's attention settings
    (`ATTENTION_SETTINGS`, default both attentions); ``kwargs`` go to `AnteRNN`."""
    if name not in VARIANTS:
        raise ValueError(f"unknown Ante-RNN variant {name!r}; choose from {sorted(VARIANTS)}")
    if setting not in ATTENTION_SETTINGS:
        raise ValueError(f"unknown attention setting {setting!r}; choose from {list(ATTENTION_SETTINGS)}")
    return AnteRNN(**{**kwargs, **ATTENTION_SETTINGS[setting], **VARIANTS[name]})
