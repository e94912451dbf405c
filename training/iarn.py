"""Training of IARN and its variants (`seqrec.models.iarn`) on rating pairs with their histories: a
`RatingMethod` (`IARNMethod`), and a ranking one trained on BPR's pairwise loss (`IARNRanker`)."""

import dataclasses

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from seqrec.datasets.negatives import NegativeSampler
from seqrec.datasets.pipelines import EpochClock, SequenceData, rating_pairs_dataset
from seqrec.models import iarn

from . import distribute
from .callbacks import selection_callbacks, selection_info
from .checkpoints import fit_epochs
from .contracts import FitContext
from .tensorboard import AttentionImages, item_names

PREDICT_BATCH = 4096  # pairs per compiled prediction step
NEGATIVE = "negative_"  # the prefix of a sampled negative's inputs (`rating_pairs_dataset`)
HISTORIES = {"batch": ("train",), "online": ("train", "valid", "test")}  # the parts a history may hold


def squared_error(ratings, predicted):
    """Each rating's squared error [B] (Keras averages it over the batch). Not Keras' ``"mse"``: on rank-1
    ratings it averages over the batch axis itself, which a distribution strategy then weights wrongly
    (twice the loss over two replicas)."""
    return ops.square(ops.cast(ratings, predicted.dtype) - predicted)


def logistic_loss(labels, logits):
    """Each pair's binary cross-entropy from its logit [B] (as `squared_error`, per example)."""
    return ops.binary_crossentropy(ops.cast(labels, logits.dtype), logits, from_logits=True)


class IARNMethod:
    """IARN or one of its variants, trained as sections 3.4 and 4.1 say: MSE, RMSprop, mini-batches of
    50, gradients clipped to [-10, 10]; early stopping restores the epoch with the lowest validation MSE
    (Keras' ``val_loss`` on the validation ratings).

    **What a prediction may read.** Histories hold events strictly before the predicted rating's time
    (`rating_pairs_dataset`), of the parts ``history`` names:

    * ``"batch"`` (the default; the paper's time split as a batch evaluation): training events only, so
      that IARN sees what every other method of the table sees, the training period. A validation or
      test rating's user and item histories (and, with ``rating_inputs``, their ratings) are training
      events; a user or an item without training events has an empty history.
    * ``"online"``: every earlier event of any part (test-period behaviours revealed in time order), for
      a separately named protocol whose other methods get the same information.

    A training rating sees only earlier training events either way (the time split puts every training
    event before every validation and test event).

    Args:
      variant: a name of `seqrec.models.iarn.VARIANTS`.
      max_history: histories truncated to their latest events (``None``: the longest history).
      learning_rate: 1e-3 by default, the authors' code's (2e-3 scaled by 32 / hidden units).
      rating_inputs: feed the ratings of earlier events too (our option, see `seqrec.models.iarn`).
      history: ``"batch"`` (training events only) or ``"online"`` (every earlier event), see above.
      name: the method's name in tables (default: the variant's).
    """

    predicts_ratings = True

    def __init__(self, variant: str = "IARN", dim: int = 25, hidden: int = 64, max_history: int | None = 50,
                 batch_size: int = 50, epochs: int = 10, learning_rate: float = 1e-3, l2: float = 0.0,
                 dropout: float = 0.25, patience: int = 2, rating_inputs: bool = False,
                 history: str = "batch", jit_compile: bool = True, name: str | None = None):
        if history not in HISTORIES:
            raise ValueError(f"history must be one of {tuple(HISTORIES)}, got {history!r}")
        self.name = name or variant
        self.variant = variant
        self.hyperparameters = {"variant": variant, "dim": dim, "hidden": hidden, "max_history": max_history,
                                "batch_size": batch_size, "epochs": epochs,
                                "learning_rate": learning_rate, "l2": l2, "dropout": dropout,
                                "patience": patience, "optimizer": "RMSprop", "clipvalue": 10.0,
                                "rating_inputs": rating_inputs, "history": history}
        self.jit_compile = jit_compile

    def _features(self, x):
        if self.features is None or not iarn.VARIANTS[self.variant][1]:
            return x
        key = "item_features" if self.features.structure == "flat" else "item_path"
        out = {**x, key: tf.gather(self.feature_matrix, x["item"])}
        if NEGATIVE + "item" in x:
            out[NEGATIVE + key] = tf.gather(self.feature_matrix, x[NEGATIVE + "item"])
        return out

    def setup(self, data: SequenceData) -> keras.Model:
        """Build the model for ``data`` and the history tables its inputs read (compile it with
        `compile_args`)."""
        hp = self.hyperparameters
        self.features = data.item_features()
        if self.features is not None:
            self.feature_matrix = tf.constant(self.features.matrix)
        self.tables = data.history_tables(HISTORIES[hp["history"]])
        cap = hp["max_history"]
        self.lengths = tuple(max(1, min(cap or n, n)) for n in
                             (int(np.diff(t.offsets).max()) for t in self.tables))
        self.model = iarn.variant(self.variant, data.users.size, data.items.size, features=self.features,
                                  dim=hp["dim"], hidden=hp["hidden"], dropout=hp["dropout"], l2=hp["l2"],
                                  rating_inputs=hp["rating_inputs"])
        return self.model

    def compile_args(self, context: FitContext | None = None, loss=squared_error) -> dict:
        """``compile``'s arguments: RMSprop with the values clipped at 10, ``loss``, XLA as ``context``
        says (default: the method's choice)."""
        return {"optimizer": keras.optimizers.RMSprop(self.hyperparameters["learning_rate"], clipvalue=10.0),
                "loss": loss, "jit_compile": (context or FitContext()).jit(self.jit_compile)}

    def dataset(self, pairs: dict, shuffle: bool = False, seed: int = 0, label: str | None = None,
                batch: int | None = None, sampler: NegativeSampler | None = None,
                clock: EpochClock | None = None) -> tf.data.Dataset:
        """Model inputs for ``pairs`` (``user``, ``item``, ``time``, optional ``rating``): histories
        strictly before each time, and the item's features when the variant uses them (with a
        ``sampler``, a negative item per pair too, `rating_pairs_dataset`)."""
        n = len(pairs["user"])
        ds = rating_pairs_dataset(*self.tables, pairs["user"], pairs["item"],
                                  pairs.get("rating", np.zeros(n, np.float32)), pairs["time"],
                                  user_len=self.lengths[0], item_len=self.lengths[1],
                                  batch_size=batch or self.hyperparameters["batch_size"],
                                  shuffle=shuffle, seed=seed, label=label, sampler=sampler, clock=clock)
        if label is None:
            return ds.map(self._features)
        return ds.map(lambda x, y: (self._features(x), y))

    @distribute.in_scope
    def fit(self, data: SequenceData, context: FitContext) -> dict:
        hp = self.hyperparameters
        self.setup(data)
        train, valid = data.pairs("train"), data.pairs("valid")
        train_ds = self.dataset(train, shuffle=True, seed=context.seed, label="rating", clock=context.clock)
        trained, train_ds = distribute.compiled(self.model, train_ds, context.strategy,
                                                **self.compile_args(context))
        valid_ds = self.dataset(valid, label="rating", batch=PREDICT_BATCH) if len(valid["user"]) else None
        valid_ds = distribute.for_replicas(valid_ds) if valid_ds is not None else None
        callbacks = selection_callbacks(self.name, hp, dataclasses.replace(context, validate=None),
                                        hp["patience"], monitor="val_loss" if valid_ds is not None else None,
                                        mode="min")
        if context.logdir is not None and len(valid["user"]) and iarn.VARIANTS[self.variant][0] in iarn.GATED:
            callbacks.append(self.attention_images(data, context.logdir / self.name))
        history = fit_epochs(trained, train_ds, hp["epochs"], callbacks, context, validation_data=valid_ds)
        return selection_info(history, "val_loss", "min")

    def attention_images(self, data: SequenceData, logdir, examples: int = 8) -> AttentionImages:
        """TensorBoard images of the attention gates over the user's and the item's histories for the
        first ``examples`` validation ratings, after every epoch."""
        pairs = {k: v[:examples] for k, v in data.pairs("valid").items()}
        names, users = item_names(data), data.users.decode(pairs["user"])
        rows = [f"{u} -> {names(i)}" for u, i in zip(users, pairs["item"], strict=True)]

        def probe():
            out = self.attention(pairs["user"], pairs["item"], pairs["time"])
            return {"user_history": (out["user_scores"], out["user_items"]),
                    "item_history": (out["item_scores"], out["item_users"])}

        def user_names(index: int) -> str:
            return f"user {data.users.decode(index)}"

        return AttentionImages(logdir, probe, rows, names, names_by_key={"item_history": user_names})

    def predict(self, users, items, times) -> np.ndarray:
        """Predicted ratings of (user, item) pairs at ``times`` (histories strictly before them)."""
        users, items, times = np.asarray(users), np.asarray(items), np.asarray(times)
        if not len(users):
            return np.zeros(0, np.float32)
        ds = self.dataset({"user": users, "item": items, "time": times}, batch=PREDICT_BATCH)
        return self.model.predict(ds, verbose=0)

    def score_all(self, users, times) -> np.ndarray:
        """Predicted ratings of every item for each user at ``times`` [B]: [B, n_items] (column 0, the
        padding item, is -inf)."""
        users, times = np.asarray(users), np.asarray(times)
        n_items = len(self.tables[1].offsets) - 1
        items = np.arange(1, n_items)
        scores = self.predict(np.repeat(users, len(items)), np.tile(items, len(users)),
                              np.repeat(times, len(items)))
        out = np.full((len(users), n_items), -np.inf, np.float32)
        out[:, 1:] = scores.reshape(len(users), len(items))
        return out

    def attention(self, users, items, times) -> dict:
        """Attention scores of each (user, item, time) with the ids of every step (IARN Figure 5)."""
        ds = self.dataset({"user": np.asarray(users), "item": np.asarray(items),
                           "time": np.asarray(times)}, batch=PREDICT_BATCH)
        out = {"user_items": [], "user_scores": [], "item_users": [], "item_scores": []}
        for x in ds:
            scores = self.model.attention(x)
            out["user_items"].append(x["user_items"].numpy())
            out["item_users"].append(x["item_users"].numpy())
            out["user_scores"].append(np.asarray(scores["user"]))
            out["item_scores"].append(np.asarray(scores["item"]))
        return {k: np.concatenate(v) for k, v in out.items()}


class PairwiseScore(keras.Model):
    """``s(u, i, t) - s(u, j, t)`` of a rating model ``scorer`` for BPR training: ``inputs`` holds the
    positive pair's inputs and the negative item's under the keys prefixed `NEGATIVE`; trained with the
    binary cross-entropy of label 1 on these logits, which is BPR's ``-ln sigma(s_i - s_j)``."""

    def __init__(self, scorer: keras.Model, **kwargs):
        super().__init__(**kwargs)
        self.scorer = scorer

    def call(self, inputs, training=False):
        positive = {k: v for k, v in inputs.items() if not k.startswith(NEGATIVE)}
        negative = {**positive, **{k[len(NEGATIVE):]: v for k, v in inputs.items() if k.startswith(NEGATIVE)}}
        return self.scorer(positive, training=training) - self.scorer(negative, training=training)


class IARNRanker(IARNMethod):
    """IARN as a next-item ranking method (Ante-RNN's Table 4 baseline): the same model, trained on BPR's
    pairwise loss (Ante-RNN 4.3: its model-based baselines are "learned by optimizing the same pairwise
    ranking loss of BPR") with one negative per training pair, an item the user never had in training
    (`NegativeSampler`, redrawn every epoch) scored with its own history before the pair's time; early
    stopping on the same loss over the validation pairs (their negatives drawn once).

    **Ranking.** IARN's score of an item reads the item's history before the prediction time, so every
    (user, item, time) is an encoding of its own. Histories hold training events only (``history="batch"``),
    and a user's test examples are all scored at the user's first test time: one encoding of every item
    per user, not one per test example. So IARN reads the training period only, before the user's test
    part, as BPR, CTR and VBPR do, and less than the sequential models, which also read the user's earlier
    test events; nothing after a prediction's time reaches it. A validation example is scored at its own
    time. ``scores`` keeps the encodings of the users of the latest batch only.
    """

    predicts_ratings = False
    max_len = 1  # the task's history is not read: IARN's own history tables are
    padding = "left"

    def __init__(self, variant: str = "IARN", **kwargs):
        super().__init__(variant, history="batch", **kwargs)
        self.hyperparameters["objective"] = "BPR, one sampled negative per training pair"

    @distribute.in_scope
    def fit(self, data: SequenceData, context: FitContext) -> dict:
        hp = self.hyperparameters
        self.setup(data)
        train, valid = data.pairs("train"), data.pairs("valid")
        sampler = NegativeSampler(train["user"], train["item"], data.items.size)

        def labelled(pairs, shuffle):
            ds = self.dataset(pairs, shuffle=shuffle, seed=context.seed, sampler=sampler,
                              batch=None if shuffle else PREDICT_BATCH,
                              clock=context.clock if shuffle else None)
            return ds.map(lambda x: (x, tf.ones_like(x["rating"])))

        self.pairwise = PairwiseScore(self.model)
        trained, train_ds = distribute.compiled(self.pairwise, labelled(train, True), context.strategy,
                                                **self.compile_args(context, logistic_loss))
        valid_ds = distribute.for_replicas(labelled(valid, False)) if len(valid["user"]) else None
        callbacks = selection_callbacks(self.name, hp, dataclasses.replace(context, validate=None),
                                        hp["patience"], monitor="val_loss" if valid_ds is not None else None,
                                        mode="min")
        history = fit_epochs(trained, train_ds, hp["epochs"], callbacks, context, validation_data=valid_ds)
        table = data.by_user
        tests = data.targets("test")
        self.first_test = np.full(data.users.size, np.iinfo(np.int64).max, np.int64)
        np.minimum.at(self.first_test, table.group_of(tests), table.times[tests])
        self.cache: dict = {}
        return selection_info(history, "val_loss", "min")

    def scores(self, batch: dict) -> np.ndarray:
        """Every item's score for each example of a `next_item_dataset` batch, at the example's time or,
        for a test example, the user's first test time: [B, n_items]."""
        users = np.asarray(batch["user"]).astype(np.int64)
        times = np.minimum(np.asarray(batch["target_time"]), self.first_test[users])
        keys = list(zip(users.tolist(), times.tolist(), strict=True))
        missing = sorted(set(keys) - self.cache.keys())
        if missing:
            computed = self.score_all(*map(np.array, zip(*missing, strict=True)))
            self.cache.update(zip(missing, computed, strict=True))
        self.cache = {k: self.cache[k] for k in keys}
        return np.stack([self.cache[k] for k in keys])
