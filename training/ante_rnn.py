"""Training of Ante-RNN (`seqrec.models.AnteRNN`) on the shared pipeline: each item's content (word ids
from its text, region features of its image), each behaviour's inputs (topic mixture, time, hour of the
week) added to the pipeline's batches, and the method: window-mode training with the softmax over all
items (Eq. 22-23) and the model's triplet and L2 terms (Eq. 24), Adam at 1e-3 (section 4.4),
early stopping on validation, evaluation of every prefix by a prefix-mode copy
(`seqrec.training.KerasNextItem`)."""

import dataclasses

import keras
import numpy as np
import pandas as pd
import tensorflow as tf

from seqrec.datasets.pipelines import SequenceData
from seqrec.datasets.time_features import hour_of_week
from seqrec.datasets.user_topics import UserTopics
from seqrec.models.ante_rnn import variant

from .next_item import KerasNextItem

STRIDE = 1 << 32  # (user, window) keys: user * STRIDE + window + OFFSET
OFFSET = 1 << 31
HOUR = 3600


@dataclasses.dataclass(frozen=True)
class ItemContent:
    """Each item of a vocabulary's text as word ids and its image as region features.

    Attributes:
      words: int32 [n_items, N], word ids (0: padding), by Keras `TextVectorization`.
      vocabulary: the words, ``vocabulary[k]`` for id k (ids 0 and 1: padding and out-of-vocabulary).
      regions: float32 [n_items, M, F]; all zero for an item without an image.
      counts: items with a text and with an image, for the manifest.
    """

    words: np.ndarray
    vocabulary: list[str]
    regions: np.ndarray
    counts: dict[str, int]

    @classmethod
    def build(cls, data: SequenceData, texts: pd.Series, image_ids, image_features, words_per_item: int = 60,
              max_words: int = 20000) -> "ItemContent":
        """``texts`` by item id; ``image_ids`` [n] with ``image_features`` [n, M, F] (a
        `seqrec.datasets.image_features` cache). Words: the ``max_words`` most frequent of the texts,
        each text cut to its first ``words_per_item``."""
        ids = data.items.tokens[1:]
        item_texts = texts.reindex(ids).fillna("").astype(str).to_numpy()
        vectorizer = keras.layers.TextVectorization(max_tokens=max_words,
                                                    output_sequence_length=words_per_item)
        vectorizer.adapt(item_texts[item_texts != ""])
        words = np.zeros((len(ids) + 1, words_per_item), np.int32)
        words[1:] = np.asarray(vectorizer(item_texts))
        position = pd.Series(np.arange(len(image_ids)), index=np.asarray(image_ids, dtype=str))
        rows = position.reindex(ids).to_numpy()
        regions = np.zeros((len(ids) + 1, *image_features.shape[1:]), np.float32)
        found = ~np.isnan(rows)
        regions[1:][found] = image_features[rows[found].astype(int)]
        counts = {"items": len(ids), "with text": int((item_texts != "").sum()),
                  "with image": int(found.sum())}
        return cls(words, list(vectorizer.get_vocabulary()), regions, counts)


class BehaviourInputs:
    """``(batch) -> {"topics", "hours", "week_hour"}`` for AnteRNN from a pipeline batch (``user``,
    ``times``, ``mask``): each behaviour's topic mixture eta (Eq. 7: `UserTopics.eta` at the behaviour's
    window, looked up in a table computed once for every (user, window) of ``data``), its time in
    hours since the row's first behaviour, and its hour of the week."""

    def __init__(self, topics: UserTopics, data: SequenceData):
        table = data.by_user
        users = table.group_of(np.arange(len(table))).astype(np.int64)
        keys = np.unique(users * STRIDE + topics.window(table.times) + OFFSET)
        key_users, windows = keys // STRIDE, keys % STRIDE - OFFSET
        etas = topics.eta(data.users.decode(key_users), topics.origin + windows * topics.window_seconds)
        uniform = np.full((1, topics.n_topics), 1.0 / topics.n_topics, np.float32)
        self.etas = tf.constant(np.concatenate([etas, uniform]))
        self.table = tf.lookup.StaticHashTable(
            tf.lookup.KeyValueTensorInitializer(tf.constant(keys), tf.range(len(keys), dtype=tf.int64)),
            default_value=len(keys))
        self.origin, self.window_seconds = topics.origin, topics.window_seconds

    def __call__(self, batch: dict) -> dict:
        times, mask = tf.cast(batch["times"], tf.int64), tf.cast(batch["mask"], tf.bool)
        users = tf.cast(batch["user"], tf.int64)[:, None]
        windows = tf.math.floordiv(times - self.origin, self.window_seconds)
        topics = tf.gather(self.etas, self.table.lookup(users * STRIDE + windows + OFFSET))
        first = tf.reduce_min(tf.where(mask, times, tf.int64.max), axis=1, keepdims=True)
        hours = tf.where(mask, tf.cast(times - first, tf.float32) / HOUR, 0.0)
        return {"topics": topics, "hours": hours, "week_hour": tf.where(mask, hour_of_week(times), 0)}


def ante_rnn_method(name: str, content: ItemContent, topics: UserTopics, data: SequenceData, *,
                    setting: str = "T+C", dim: int = 128, window: int = 5, max_len: int = 50,
                    batch_size: int = 256, epochs: int = 20, patience: int = 3, learning_rate: float = 1e-3,
                    jit_compile: bool = False, **model_kwargs) -> KerasNextItem:
    """Ante-RNN or a variant (`seqrec.models.ante_rnn.VARIANTS`) with an attention setting of Table 6,
    trained in window mode on ``data`` (section 4.4's settings as defaults: D = 128, w_c = 5 on
    MovieLens, learning rate 1e-3; lambda_1, lambda_2 and alpha_1 are `AnteRNN`'s defaults)."""

    def build(data: SequenceData):
        model = variant(name, setting, n_items=data.items.size, n_words=len(content.vocabulary),
                        n_topics=topics.n_topics, words_per_item=content.words.shape[1],
                        regions_per_item=content.regions.shape[1], region_width=content.regions.shape[2],
                        dim=dim, window=window, **model_kwargs)
        model.set_item_content(content.words, content.regions)
        return model

    settings = {"model": name, "attention": setting, "dim": dim, "window": window,
                "n_topics": topics.n_topics, "topic_decay": topics.decay,
                "topic_window_seconds": topics.window_seconds,
                "content": content.counts, **model_kwargs}
    return KerasNextItem(name, build, max_len=max_len, batch_size=batch_size, epochs=epochs,
                         learning_rate=learning_rate, patience=patience, jit_compile=jit_compile,
                         windows=True, extra=BehaviourInputs(topics, data), hyperparameters=settings)
