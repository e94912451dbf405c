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


def sentence_words(data: SequenceData, texts: pd.Series, vocabulary: list[str], sentences: int = 5,
                   words: int = 20) -> np.ndarray:
    """Each item's text as word ids per sentence, int32 [n_items, sentences, words] (MLAM's input): the
    text split after ``.``, ``!`` or ``?``, its first ``sentences`` sentences each cut to ``words`` words,
    ids of ``vocabulary`` (an `ItemContent`'s: 0 padding, 1 out of vocabulary); zeros for no text."""
    vectorizer = keras.layers.TextVectorization(vocabulary=vocabulary[2:], output_sequence_length=words)
    item_texts = texts.reindex(data.items.tokens[1:]).fillna("").astype(str)
    out = np.zeros((data.items.size, sentences, words), np.int32)
    split = item_texts.str.split(r"(?<=[.!?])\s+", regex=True)
    rows, slots, parts = [], [], []
    for row, pieces in enumerate(split, start=1):
        kept = [p for p in pieces if p.strip()][:sentences]
        rows += [row] * len(kept)
        slots += list(range(len(kept)))
        parts += kept
    if parts:
        out[rows, slots] = np.asarray(vectorizer(np.array(parts)))
    return out


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


@dataclasses.dataclass(frozen=True)
class Explanation:
    """Why Ante-RNN recommends an item to a user at a time (what the paper's Figure 9 shows).

    Attributes:
      user, time: the user id and the time (unix seconds) of the recommendation.
      recent: ``(item id, contextual weight)`` of the latest behaviours up to ``time``, oldest first (the
        contextual attention of Eq. 19 over the window; w_c behaviours at most).
      recommended: the item ranked first among those the user has not interacted with.
      words: ``(word, weight)`` of the recommended item's text read with the user's topics at ``time``
        (the topical attention of Eq. 10), highest first: distinct words of the topic model's vocabulary
        (stop words out).
      regions: ``(word, region, weight)``: for each of ``words``, the image region whose alignment gives
        that word the most weight (Eq. 2: alpha, a softmax over the words for each region).
    """

    user: str
    time: int
    recent: list[tuple[str, float]]
    recommended: str
    words: list[tuple[str, float]]
    regions: list[tuple[str, int, float]]

    def describe(self, titles=None) -> str:
        """The explanation as text, items named by ``titles`` (item id -> title) where given."""
        def name(item):
            return f"{titles.get(item, item)} ({item})" if titles is not None else item

        when = pd.Timestamp(self.time, unit="s")
        lines = [f"user {self.user} at {when}: recommended {name(self.recommended)}",
                 "latest behaviours (contextual weight):"]
        lines += [f"  {weight:.3f}  {name(item)}" for item, weight in self.recent]
        lines.append("topic words of the recommended item's text: " +
                     ", ".join(f"{word} {weight:.3f}" for word, weight in self.words))
        lines.append("image regions aligned to them: " + ", ".join(
            f"{word} -> region {region} ({weight:.3f})" for word, region, weight in self.regions))
        return "\n".join(lines)


def explain(method: KerasNextItem, data: SequenceData, content: ItemContent, topics: UserTopics, user: str,
            time: int, n_words: int = 4) -> Explanation:
    """The `Explanation` of the trained Ante-RNN ``method`` for ``user`` at ``time``: its history is
    every behaviour of the user up to ``time`` (any part), the latest ``method.max_len`` of them."""
    table = data.by_user
    code = int(data.users.encode([user])[0])
    start, end = table.offsets[code], table.offsets[code + 1]
    positions = start + np.flatnonzero(table.times[start:end] <= time)
    if not len(positions):
        raise ValueError(f"user {user} has no behaviour at or before {time}; pick a later time")
    positions = positions[-method.max_len:]
    pad = method.max_len - len(positions)
    items = np.concatenate([np.zeros(pad, np.int32), table.values[positions]])[None]
    batch = {"items": items, "mask": items > 0, "user": np.array([code], np.int32),
             "times": np.concatenate([np.zeros(pad, np.int64), table.times[positions]])[None]}
    inputs = {k: tf.convert_to_tensor(v) for k, v in method.select(batch, method.eval_keys).items()}
    scores = np.array(method.eval_model(inputs))[0]
    scores[0] = -np.inf
    scores[table.values[start:positions[-1] + 1]] = -np.inf  # items the user has interacted with
    recommended = int(np.argmax(scores))
    weights = np.asarray(method.eval_model.attention(inputs))[0, -1]  # [w], slot w-1 the latest
    shown = min(len(positions), len(weights))
    recent = [(str(data.items.decode(i)), float(w)) for i, w in
              zip(items[0, -shown:], weights[-shown:], strict=True)]
    eta = topics.eta([user], [time])
    detail = {k: np.asarray(v)[0] for k, v in method.eval_model.item_explanation([recommended], eta).items()}
    ids, known, order = content.words[recommended], topics.vectorizer.vocabulary_, []
    for i in np.argsort(-detail["words"]):  # distinct words the topic model knows (no stop words)
        if ids[i] > 1 and content.vocabulary[ids[i]] in known and ids[i] not in ids[order]:
            order.append(i)
    order = order[:n_words]
    words = [(content.vocabulary[ids[i]], float(detail["words"][i])) for i in order]
    regions = [(content.vocabulary[ids[i]], int(np.argmax(detail["alignment"][i])),
                float(np.max(detail["alignment"][i]))) for i in order]
    return Explanation(user, int(time), recent, str(data.items.decode(recommended)), words, regions)
