"""MLAM, the multi-level attraction model (Hu, Cao, Xu and Wang, "Interpretable Recommendation via
Attraction Modeling: Learning Multilevel Attractiveness over Multimodal Movie Contents", IJCAI 2018), as
Ante-RNN adapts it for its Table 4 (section 4.3): "we apply image features instead of the cast level
module and then build attractions over them"."""

import numpy as np
import tensorflow as tf
from keras import layers, ops

from .base import LossNetwork, embedding, sq
from .mf import BPR

EPSILON = 1e-32  # the authors' guard against an all-masked sum


def isr_attention(scores, mask, alpha: float):
    """Attention weights over the last axis: ``exp(isr(e)) / sum exp(isr(e))`` over the unmasked
    entries, with the inverse square root unit ``isr(e) = e / sqrt(1 + alpha e^2)`` bounding each score
    (the authors' attention layers); all-masked rows get zero weights."""
    bounded = scores / ops.sqrt(1.0 + alpha * ops.square(scores))
    weights = ops.exp(bounded) * ops.cast(mask, scores.dtype)
    return weights / (ops.sum(weights, axis=-1, keepdims=True) + EPSILON)


class _Level(layers.Layer):
    """One level of attraction: a user-specific attention (score ``x . u``) and a user-independent one
    (score ``x . w + b``) over the same elements, their two weighted sums joined and passed through
    ``tanh(W [.;.] + b)`` (the authors' ``BatchAttention`` + ``Attention`` + ``Dense``)."""

    def __init__(self, width: int, units: int, alpha: float, regularizer, **kwargs):
        super().__init__(**kwargs)
        self.alpha = alpha
        self.w = self.add_weight(shape=(width,), initializer="glorot_uniform", name="global_query")
        self.b = self.add_weight(shape=(), initializer="zeros", name="global_bias")
        self.out = layers.Dense(units, activation="tanh", kernel_regularizer=regularizer, name="dense")

    def call(self, x, mask, user):
        """x [..., K, width], mask [..., K], user [..., width] (broadcast) -> [..., units]."""
        personal = isr_attention(ops.sum(x * ops.expand_dims(user, -2), axis=-1), mask, self.alpha)
        common = isr_attention(ops.sum(x * self.w, axis=-1) + self.b, mask, self.alpha)
        joined = ops.concatenate([ops.einsum("...k,...kd->...d", personal, x),
                                  ops.einsum("...k,...kd->...d", common, x)], axis=-1)
        return self.out(joined)


class _MLAMNet(LossNetwork):
    def __init__(self, n_users, sentences, regions, n_words, dim, alphas, reg):
        super().__init__()
        half = dim // 2
        self.sentences = self.add_weight(shape=sentences.shape, dtype="int32", initializer="zeros",
                                         trainable=False, name="item_sentences")
        self.sentences.assign(sentences)
        self.regions = self.add_weight(shape=regions.shape, initializer="zeros", trainable=False,
                                       name="item_regions")
        self.regions.assign(regions)
        self.words = layers.Embedding(n_words, dim, name="word_embedding")
        self.project = layers.Dense(dim, name="region_projection")
        self.word_level = _Level(dim, dim, alphas["word"], None, name="word_level")
        self.sentence_level = _Level(dim, half, alphas["sentence"], None, name="sentence_level")
        self.image_level = _Level(dim, half, alphas["image"], None, name="image_level")
        self.user_word = embedding(n_users, dim, "user_word")
        self.user_sentence = embedding(n_users, dim, "user_sentence")
        self.user_image = embedding(n_users, dim, "user_image")
        self.user_score = embedding(n_users, 2 * half, "user_score")
        self.reg = float(reg)

    def score(self, users, items):
        """The attraction score of each (user, item) [P] (users [P], items [P])."""
        words = ops.take(self.sentences, items, axis=0)  # [P, S, W]
        word_mask = words > 0
        uw = self.user_word(users)[:, None, :]  # one user vector per sentence
        sentences = self.word_level(self.words(words), word_mask, uw)  # [P, S, dim]
        document = self.sentence_level(sentences, ops.any(word_mask, axis=-1), self.user_sentence(users))
        regions = ops.take(self.regions, items, axis=0)  # [P, M, F]
        region_mask = ops.any(regions != 0, axis=-1)
        image = self.image_level(self.project(regions), region_mask, self.user_image(users))
        return ops.sum(ops.concatenate([document, image], axis=-1) * self.user_score(users), axis=-1)

    def call(self, x):
        users = x["user"]
        penalty = (sq(self.user_word(users)) + sq(self.user_sentence(users)) + sq(self.user_image(users))
                   + sq(self.user_score(users)))
        return {"x_uij": self.score(users, x["item"]) - self.score(users, x["negative"]), "penalty": penalty}

    def objective(self, x, y, out):
        return -ops.mean(ops.log_sigmoid(out["x_uij"])) + self.reg * ops.mean(out["penalty"])


class MLAM(BPR):
    """MLAM with an image level in place of the cast level::

        sentence  s = tanh(W_s [sum_w a_w e_w ; sum_w b_w e_w] + c_s)     a: user attention (u^word),
        document  d = tanh(W_d [sum_s a_s s ; sum_s b_s s] + c_d)           b: user-independent (w, c)
        image     v = tanh(W_v [sum_m a_m r_m ; sum_m b_m r_m] + c_v)       r_m = W_r f_m + c_r, regions
        score     x_ui = u^score . [d ; v]

    Every attention is the ISR softmax of `isr_attention` with its level's alpha (Ante-RNN 4.4: 1 for the
    image level, 4 for the word level, 2 for the sentence level). The item enters only through its
    content, so an unseen item with text or image gets a meaningful score. Trained with BPR's pairwise
    loss (the authors' contrastive model; Ante-RNN: every model-based baseline), `seqrec.models.BPR`'s
    loop: one negative per positive pair and epoch, early stopping on the sampled validation AUC.

    **Readings.** Sizes: the authors use 100-dim words, 200-dim sentences, 400-dim documents; Ante-RNN
    sets 128 for every baseline, so words, sentences and regions are ``dim`` wide and the document and
    image vectors ``dim / 2`` each (their join, the user's score vector, is ``dim``). The L2 penalty
    ``reg`` is on the user vectors of the batch (the authors regularise user embeddings only).

    Shapes: ``sentences`` int [n_items, S, W] (word ids, 0 padding; an item's text cut into S sentences of
    at most W words, `seqrec.training.ante_rnn.sentence_words`), ``regions`` [n_items, M, F] (all zero: no
    image); ``score_all(users [B]) -> [B, n_items]``. The user attention makes every (user, item) pair its
    own encoding, so scores are computed ``pair_chunk`` pairs at a time (memory ~ pairs x S x W x dim).
    """

    name = "MLAM"
    ALPHAS = {"image": 1.0, "word": 4.0, "sentence": 2.0}  # Ante-RNN section 4.4

    def __init__(self, n_users, n_items, sentences, regions, n_words, dim=128, learning_rate=1e-3, reg=1e-4,
                 epochs=30, batch_size=256, patience=3, seed=0, pair_chunk=4096):
        super().__init__(n_users, n_items, dim=dim, learning_rate=learning_rate, reg=reg, epochs=epochs,
                         batch_size=batch_size, patience=patience, seed=seed)
        self.sentences = np.asarray(sentences, np.int32)
        self.regions = np.asarray(regions, np.float32)
        for label, table, rank in (("sentences", self.sentences, 3), ("regions", self.regions, 3)):
            if table.ndim != rank or table.shape[0] != self.n_items:
                raise ValueError(f"{label} must be [n_items={self.n_items}, ., .]; got shape {table.shape}")
        if self.sentences.max(initial=0) >= n_words:
            raise ValueError(f"sentences hold word ids up to {self.sentences.max()}, but n_words={n_words}")
        self.n_words, self.pair_chunk = int(n_words), int(pair_chunk)
        self._hyper |= {"alphas": dict(self.ALPHAS), "sentences": list(self.sentences.shape[1:]),
                        "regions": list(self.regions.shape[1:])}
        self._hyper.pop("item_bias")

    def _network(self):
        network = _MLAMNet(self.n_users, self.sentences, self.regions, self.n_words, self.dim, self.ALPHAS,
                           self.reg)
        self._score = tf.function(network.score, reduce_retracing=True)  # reads the variables as they change
        return network

    def _predict_block(self, users, items, times):
        score = self._score
        return np.concatenate([np.asarray(score(users[k:k + self.pair_chunk], items[k:k + self.pair_chunk]))
                               for k in range(0, len(users), self.pair_chunk)] or [np.zeros(0, np.float32)])

    def _score_block(self, users, times):
        users = np.asarray(users, np.int32)
        pairs_u = np.repeat(users, self.n_items)
        pairs_i = np.tile(np.arange(self.n_items, dtype=np.int32), len(users))
        return self._predict_block(pairs_u, pairs_i, times).reshape(len(users), self.n_items)
