"""Training of candidate-scoring models (`seqrec.models.candidate.CandidateModel`: DMRAN, its variants and
its neural baselines): one sampled negative per training prefix, the sigmoid loss of DMRAN Eq. 20-21,
SGD with ATRank's settings, validation-only model selection; full ranking by scoring every item."""

from collections.abc import Callable

import keras
import numpy as np
import tensorflow as tf

from seqrec.datasets.negatives import NegativeSampler
from seqrec.datasets.pipelines import EpochClock, SequenceData, next_item_dataset
from seqrec.datasets.time_features import day_bucket

from . import distribute
from .callbacks import selection_callbacks, selection_info
from .checkpoints import fit_epochs
from .contracts import FitContext
from .tensorboard import AttentionImages, validation_examples


class LearningRateDrop(keras.callbacks.ReduceLROnPlateau):
    """Multiplies the learning rate by ``factor`` once, after ``patience`` epochs without a gain in the
    value ``stopping`` (an `EarlyStopping` listed before it) monitors, and restarts ``stopping``'s count
    of epochs without gain, so training stops only after ``stopping.patience`` such epochs at the lower
    rate. Both compare the monitored values with ``stopping``'s exact operator."""

    def __init__(self, stopping: keras.callbacks.EarlyStopping, factor: float, patience: int):
        super().__init__(stopping.monitor, factor=factor, patience=patience, mode=stopping.mode,
                         min_delta=0.0)
        self.stopping, self.monitor_op = stopping, stopping.monitor_op

    def on_train_begin(self, logs=None):
        super().on_train_begin(logs)
        self.min_lr = float(np.asarray(self.model.optimizer.learning_rate)) * self.factor  # at most once

    def on_epoch_end(self, epoch, logs=None):
        before = float(np.asarray(self.model.optimizer.learning_rate))
        super().on_epoch_end(epoch, logs)
        if float(np.asarray(self.model.optimizer.learning_rate)) < before:
            self.stopping.wait = 0


class KerasCandidate:
    """A `CandidateModel` trained on (positive, sampled negative) pairs; a `NextItemMethod`.

    **Examples** (DMRAN 4.5 and 5.1): every training prefix (the events before a training target, cut
    to the latest ``max_len``) with its target as the positive and one negative, redrawn every epoch
    from the items the user has no *training* event with. DMRAN asks only that the negative is not in
    the prefix (``N(S_c) not in S_c``); excluding the user's later training items as well (as ATRank's
    code excludes all of them) keeps a later positive from being pushed down, and reading no validation
    or test event keeps those items eligible as negatives, so nothing of the held-out part reaches
    training. The loss is the sigmoid cross-entropy of Eq. 21 averaged over the batch's 2B scores, plus
    the model's L2 and attention penalties (`keras.Model.losses`).

    **Time.** Each behaviour's power-of-two day bucket before the prediction time
    (`seqrec.datasets.time_features.day_bucket` of the pipeline's ``ages``), ATRank's reference point.

    **Optimisation** (DMRAN 5.1 and ATRank's code): plain SGD, learning rate 1.0, gradients clipped to
    a global norm of 5, batches of 32 prefixes. ATRank drops the rate to 0.1 at a fixed step chosen by
    looking at test AUC; here the rate is multiplied by ``drop`` once validation has not improved for
    ``drop_patience`` epochs (`LearningRateDrop`, at most once), and training stops after ``patience``
    epochs without improvement, restoring the best epoch. The drop restarts that count, so the lower
    rate gets ``patience`` epochs of its own however early the best epoch came (without the restart a
    method whose best epoch preceded the drop stopped after ``patience - drop_patience`` epochs at the
    lower rate).

    **TensorBoard.** With ``context.logdir``, a model with an ``attention(inputs)`` method (DMRAN's item-level
    rows, ATRank's self- and candidate attention) draws it after every epoch for a few fixed validation
    examples, each with its target as the candidate (`attention_images`).

    **Full ranking.** ``scores`` scores every item for each prefix of an evaluation batch, ``item_chunk``
    candidates per call (a candidate-dependent user representation is computed per (user, item)).

    Args:
      name: the method's name in tables.
      build: ``(data: SequenceData) -> CandidateModel``.
      max_len, batch_size, epochs, learning_rate, clipnorm, patience: see above.
      drop: the learning-rate factor once validation stalls (None: a constant rate).
      drop_patience: epochs without validation gain before the drop.
      n_buckets: the number of day buckets (ATRank: 12); must match the model's.
      item_chunk: candidates per scoring call in ``scores``.
      hyperparameters: the model's own settings, recorded in the manifest.
    """

    padding = "left"

    def __init__(self, name: str, build: Callable[[SequenceData], keras.Model], *, max_len: int = 50,
                 batch_size: int = 32, epochs: int = 10, learning_rate: float = 1.0, clipnorm: float = 5.0,
                 patience: int = 3, drop: float | None = 0.1, drop_patience: int = 1, n_buckets: int = 12,
                 item_chunk: int = 2048, jit_compile: bool = True, hyperparameters: dict | None = None):
        self.name, self.build = name, build
        self.max_len, self.batch_size, self.epochs = max_len, batch_size, epochs
        self.learning_rate, self.clipnorm, self.patience, self.drop = learning_rate, clipnorm, patience, drop
        self.drop_patience = drop_patience
        self.n_buckets, self.item_chunk, self.jit_compile = n_buckets, item_chunk, jit_compile
        self.hyperparameters = {"max_len": max_len, "batch_size": batch_size, "epochs": epochs,
                                "optimizer": "SGD", "learning_rate": learning_rate, "clipnorm": clipnorm,
                                "patience": patience, "learning_rate_drop": drop,
                                "drop_patience": drop_patience, "n_buckets": n_buckets,
                                "training": "one sampled negative per training prefix, sigmoid loss",
                                **(hyperparameters or {})}

    def inputs(self, batch: dict, candidates: tf.Tensor) -> dict:
        """The model's inputs for a pipeline batch and its candidates [B, C]."""
        return {"items": batch["items"], "mask": batch["mask"],
                "buckets": day_bucket(batch["ages"], self.n_buckets), "candidates": candidates}

    @staticmethod
    def negative_sampler(data: SequenceData) -> NegativeSampler:
        """Draws, for a user, an item the user has no training event with."""
        train = data.pairs("train")
        return NegativeSampler(train["user"], train["item"], data.items.size)

    def train_dataset(self, data: SequenceData, seed: int,
                      clock: EpochClock | None = None) -> tf.data.Dataset:
        """``(inputs, labels)`` batches: candidates [B, 2] = (target, negative), labels [B, 2] = (1, 0);
        shuffled and the negatives drawn with ``seed`` and ``clock``'s epoch."""
        ds = next_item_dataset(data.by_user, data.targets("train"), max_len=self.max_len,
                               batch_size=self.batch_size, padding=self.padding, shuffle=True, seed=seed,
                               sampler=self.negative_sampler(data), n_negatives=1, clock=clock)

        def pairs(x):
            candidates = tf.concat([x["target"][:, None], x["negatives"]], axis=1)
            labels = tf.tile(tf.constant([[1.0, 0.0]]), [tf.shape(candidates)[0], 1])
            return self.inputs(x, candidates), labels

        return ds.map(pairs)

    def compiled(self, data: SequenceData, context: FitContext | None = None
                 ) -> tuple[keras.Model, tf.data.Dataset]:
        """A new model for ``data``, compiled with the method's optimiser and loss, and the training data
        (what `fit` trains, `seqrec.training.distribute.compiled`; `benchmarks/dmran_speed.py` times it),
        with XLA and the strategy of ``context``."""
        context = context or FitContext()
        self.model = self.build(data)
        self.n_items = data.items.size
        self._predict = tf.function(lambda x: self.model(x, training=False), reduce_retracing=True)
        optimizer = keras.optimizers.SGD(self.learning_rate, global_clipnorm=self.clipnorm)
        loss = keras.losses.BinaryCrossentropy(from_logits=True)
        return distribute.compiled(self.model, self.train_dataset(data, context.seed, context.clock),
                                   context.strategy,
                                   optimizer=optimizer, loss=loss, jit_compile=context.jit(self.jit_compile))

    @distribute.in_scope
    def fit(self, data: SequenceData, context: FitContext) -> dict:
        trained, train = self.compiled(data, context)
        callbacks = selection_callbacks(self.name, self.hyperparameters, context, self.patience)
        if self.drop is not None and context.validate is not None:
            stopping = next(c for c in callbacks if isinstance(c, keras.callbacks.EarlyStopping))
            callbacks.append(LearningRateDrop(stopping, factor=self.drop, patience=self.drop_patience))
        if context.logdir is not None and hasattr(self.model, "attention"):
            callbacks.append(self.attention_images(data, context.logdir / self.name))
        history = fit_epochs(trained, train, self.epochs, callbacks, context)
        return selection_info(history, f"val_{context.monitor}", context.mode)

    def attention_images(self, data: SequenceData, logdir, examples: int = 8) -> AttentionImages:
        """TensorBoard images of the model's attention over the behaviours for the first ``examples``
        validation prefixes, each with its target as the candidate, after every epoch: one image per
        map of the model's ``attention(inputs)`` (name -> weights [B, L]; DMRAN's item-level rows
        ``row_1``, ...; ATRank's heads). A model without maps (DMRAN_Feature) draws nothing."""
        batch, rows, names = validation_examples(data, self.max_len, self.padding, examples)
        inputs = self.inputs(batch, batch["target"][:, None])
        items = batch["items"].numpy()

        def probe():
            return {key: (np.asarray(w), items) for key, w in self.model.attention(inputs).items()}

        return AttentionImages(logdir, probe, rows, names)

    def candidate_scores(self, batch: dict, candidates) -> tf.Tensor:
        """Scores of the given items after each prefix of ``batch``: candidates int [B, C] -> [B, C]."""
        return self._predict(self.inputs(batch, tf.convert_to_tensor(candidates, tf.int32)))

    def scores(self, batch: dict) -> tf.Tensor:
        """Scores of every item after each prefix of ``batch``: [B, n_items] (item 0, the padding, too)."""
        size = tf.shape(batch["items"])[0]
        chunks = []
        for start in range(0, self.n_items, self.item_chunk):
            ids = np.arange(start, start + self.item_chunk, dtype=np.int32) % self.n_items  # fixed shape
            candidates = tf.tile(tf.constant(ids)[None], [size, 1])
            chunks.append(self._predict(self.inputs(batch, candidates)))
        return tf.concat(chunks, axis=1)[:, :self.n_items]
