"""Training of Keras next-item models (`seqrec.models.next_item.NextItemModel` and any Keras model that
takes a dict of named batch inputs): softmax cross-entropy over all items, Adam, validation-only early
stopping, prefix or window mode."""

from collections.abc import Callable

import keras
import numpy as np
import tensorflow as tf

from seqrec.datasets.features import item_categories
from seqrec.datasets.negatives import NegativeSampler
from seqrec.datasets.pipelines import EpochClock, SequenceData, next_item_dataset, sequence_dataset
from seqrec.models.candidate import CandidateModel
from seqrec.models.next_item import NextItemModel

from . import distribute
from .callbacks import selection_callbacks, selection_info
from .checkpoints import fit_epochs
from .contracts import FitContext
from .tensorboard import AttentionImages, validation_examples


def next_item_model(model_class: type[NextItemModel | CandidateModel], data: SequenceData,
                    categories: bool = True, **kwargs) -> NextItemModel | CandidateModel:
    """A ``model_class`` (a `NextItemModel` or a `CandidateModel`) sized for ``data``, with each item's
    category (MTAM 5.1: one category per item as a context feature, ATRank: the item's last category;
    `seqrec.datasets.features.item_categories`) unless ``categories=False`` or the data has no item
    features; ``kwargs`` go to the model."""
    ids, names = item_categories(data.item_info, data.items, data.feature_structure)
    n_categories = len(names) if categories and len(names) > 1 else 0
    model = model_class(data.items.size, n_categories, **kwargs)
    if n_categories:
        model.set_item_categories(ids)
    return model


def target_mean_cross_entropy() -> keras.losses.Loss:
    """Softmax cross-entropy over all items, averaged over the real targets of a batch: with per-position
    weights (0 on padding: window mode, stateful lanes) the sum is divided by the sum of the weights, not
    by batch x length, so a chunk with more padding does not get smaller gradients. Without weights (one
    target per prefix) it is the plain batch mean."""
    return keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction="mean_with_sample_weight")


class PairwiseRanking(keras.losses.Loss):
    """BPR's pairwise loss (Rendle et al. 2009) on next-item logits: ``-ln sigma(s_target - s_negative)``
    per target, from ``y_true`` [..., 2] = (target, sampled negative) and logits [..., n_items], averaged
    like `target_mean_cross_entropy` (over the real targets when weights mark padding)."""

    def __init__(self, **kwargs):
        super().__init__(reduction="mean_with_sample_weight", **kwargs)

    def call(self, y_true, y_pred):
        pair = keras.ops.take_along_axis(y_pred, keras.ops.cast(y_true, "int32"), axis=-1)  # [..., 2]
        return -keras.ops.log_sigmoid(pair[..., 0] - pair[..., 1])


def _labels(batch: dict, key: str, bpr: bool) -> tf.Tensor:
    """The Keras labels of a training batch: the next items ``batch[key]``, with BPR each stacked with its
    sampled negative ([..., 2], `PairwiseRanking`)."""
    if not bpr:
        return batch[key]
    negatives = batch["negatives"] if key == "targets" else batch["negatives"][:, 0]
    return tf.stack([batch[key], negatives], -1)


class KerasNextItem:
    """A Keras next-item model trained with softmax cross-entropy over all items; a `NextItemMethod`.

    Args:
      name: the method's name in tables.
      build: ``(data: SequenceData) -> keras.Model`` taking a dict of named inputs (keys of the
        pipeline's batches, e.g. ``items``, ``mask``, ``gaps``, ``user``) and returning logits
        [batch, n_items]; a functional model's input names or a `NextItemModel`'s ``input_keys`` say which
        keys it reads.
      max_len: every prefix keeps its latest ``max_len`` events, in training and in evaluation.
      batch_size: training prefixes per batch.
      padding: ``"left"`` (the latest event last) or ``"right"``.
      epochs, learning_rate, patience: training; early stopping restores the epoch with the best
        validation score (``context.validate``).
      windows: train in window mode (a `NextItemModel` built with ``all_positions=True``): each user's
        training sequence is cut into consecutive chunks of ``max_len`` events and one pass over a chunk
        predicts the event after every position (`seqrec.datasets.pipelines.sequence_dataset`),
        ``window_batch`` chunks per batch (default ``batch_size // max_len``, so that a batch holds about
        as many targets as a batch of prefixes and an epoch takes as many optimiser steps), padded
        positions weighted 0 and the loss averaged over the real targets (`target_mean_cross_entropy`). The
        prediction after position j of a chunk reads the chunk's events up to
        j: exactly the prefix "every event up to j, truncated to the latest ``max_len``" while a user's
        training sequence fits in one chunk, and a shorter history in later chunks of longer sequences.
        Validation and test use a prefix-mode copy with the same weights (`NextItemModel.with_mode`), so
        evaluation is always the exact per-prefix one.
      decay: ``(steps, rate)``: the learning rate is multiplied by ``rate`` every ``steps`` steps
        (staircase; MTAM 6.2: (100, 0.995)).
      clipnorm: clip each gradient's norm (the MTAM authors' code: 1.0).
      hyperparameters: the model's own settings, recorded in the manifest.
      extra: ``(batch) -> dict`` of more model inputs computed from a pipeline batch (training and
        evaluation alike), e.g. Ante-RNN's per-behaviour topics and times (`seqrec.training.ante_rnn`).
      objective: ``"softmax"`` (cross-entropy over all items) or ``"bpr"`` (`PairwiseRanking`: each
        target against one negative the user never interacted with in training, `NegativeSampler`,
        redrawn every epoch, as `seqrec.models.BPR` samples; the Ante-RNN paper trains its model-based
        baselines so).
    """

    def __init__(self, name: str, build: Callable[[SequenceData], keras.Model], *, max_len: int = 50,
                 batch_size: int = 256, padding: str = "left", epochs: int = 10, learning_rate: float = 1e-3,
                 patience: int = 2, jit_compile: bool = True, hyperparameters: dict | None = None,
                 windows: bool = False, window_batch: int | None = None,
                 decay: tuple[int, float] | None = None, clipnorm: float | None = None,
                 extra: Callable[[dict], dict] | None = None, objective: str = "softmax"):
        if objective not in ("softmax", "bpr"):
            raise ValueError(f"objective must be 'softmax' or 'bpr', got {objective!r}")
        self.name, self.build, self.objective = name, build, objective
        self.max_len, self.batch_size, self.padding = max_len, batch_size, padding
        self.epochs, self.learning_rate, self.patience = epochs, learning_rate, patience
        self.jit_compile, self.windows = jit_compile, windows
        self.window_batch = window_batch or max(1, batch_size // max_len)
        self.decay, self.clipnorm, self.extra = decay, clipnorm, extra
        self.hyperparameters = {"max_len": max_len, "batch_size": batch_size, "epochs": epochs,
                                "learning_rate": learning_rate, "patience": patience,
                                "training": "window mode, one pass per chunk of the sequence" if windows
                                else "prefix mode, one example per training prefix",
                                **({"window_batch": self.window_batch} if windows else {}),
                                **({"lr_decay": list(decay)} if decay else {}),
                                **({"clipnorm": clipnorm} if clipnorm else {}),
                                **({"objective": "BPR, one sampled negative per target"} if objective == "bpr"
                                   else {}), **(hyperparameters or {})}

    def _optimizer(self) -> keras.optimizers.Optimizer:
        rate = self.learning_rate
        if self.decay is not None:
            rate = keras.optimizers.schedules.ExponentialDecay(rate, self.decay[0], self.decay[1],
                                                               staircase=True)
        return keras.optimizers.Adam(rate, clipnorm=self.clipnorm)

    def select(self, batch: dict, keys) -> dict:
        """The model inputs ``keys`` of a pipeline batch (with the ``extra`` inputs)."""
        if self.extra is not None:
            batch = {**batch, **self.extra(batch)}
        return {k: batch[k] for k in keys}

    def train_dataset(self, data: SequenceData, seed: int,
                      clock: EpochClock | None = None) -> tf.data.Dataset:
        """``(inputs, next items[, weights])`` batches of the training part, reshuffled every epoch (seeded
        with ``seed`` and ``clock``'s epoch); with the BPR objective the labels are ``(next item,
        negative)`` pairs [..., 2]."""
        keys, bpr = self.keys, self.objective == "bpr"
        train = data.pairs("train")
        sampler = NegativeSampler(train["user"], train["item"], data.items.size) if bpr else None
        if not self.windows:
            ds = next_item_dataset(data.by_user, data.targets("train"), max_len=self.max_len,
                                   batch_size=self.batch_size, padding=self.padding, shuffle=True, seed=seed,
                                   sampler=sampler, n_negatives=int(bpr), clock=clock)
            return ds.map(lambda x: (self.select(x, keys), _labels(x, "target", bpr)))
        table = data.history_tables(("train",))[0]
        ds = sequence_dataset(table, max_len=self.max_len, batch_size=self.window_batch, shuffle=True,
                              seed=seed, sampler=sampler, n_negatives=self.max_len if bpr else 0, clock=clock)
        return ds.map(lambda x: (self.select(x, keys), _labels(x, "targets", bpr),
                                 tf.cast(x["mask"], tf.float32)))

    @distribute.in_scope
    def fit(self, data: SequenceData, context: FitContext) -> dict:
        self.model = self.build(data)
        if isinstance(getattr(self.model, "input_keys", None), tuple):
            self.keys = list(self.model.input_keys)
        elif isinstance(getattr(self.model, "input", None), dict):
            self.keys = list(self.model.input.keys())
        else:
            raise TypeError(f"{self.name}: the model must take a dict of named inputs")
        self.eval_model = self.model.with_mode(False, self.max_len) if self.windows else self.model
        self.eval_keys = list(self.eval_model.input_keys) if self.windows else self.keys
        self._predict = tf.function(lambda x: self.eval_model(x, training=False), reduce_retracing=True)
        loss = target_mean_cross_entropy() if self.objective == "softmax" else PairwiseRanking()
        train = self.train_dataset(data, context.seed, context.clock)
        trained, train = distribute.compiled(self.model, train,
                                             context.strategy, optimizer=self._optimizer(), loss=loss,
                                             jit_compile=context.jit(self.jit_compile))
        callbacks = selection_callbacks(self.name, self.hyperparameters, context, self.patience,
                                        before=self.sync)
        if context.logdir is not None and hasattr(self.eval_model, "attention"):
            callbacks.append(self.attention_images(data, context.logdir / self.name))
        history = fit_epochs(trained, train, self.epochs, callbacks, context)
        self.sync()
        return selection_info(history, f"val_{context.monitor}", context.mode)

    def attention_images(self, data: SequenceData, logdir, examples: int = 8) -> AttentionImages:
        """TensorBoard images of the model's attention (`attention(inputs)`: [B, Lq, L], or one per hop)
        at the last position of the first ``examples`` validation prefixes, after every epoch."""
        batch, rows, names = validation_examples(data, self.max_len, self.padding, examples)
        items = batch["items"].numpy()

        def probe():
            self.sync()
            weights = self.eval_model.attention(self.select(batch, self.eval_keys))
            hops = weights if isinstance(weights, list | tuple) else [weights]
            if not hops:  # a model without attention (MTAM with 0 hops: the GRU baseline)
                return {}
            steps = min(items.shape[1], int(hops[0].shape[-1]))
            keys = [f"hop_{k + 1}" for k in range(len(hops))] if len(hops) > 1 else ["attention"]
            return {key: (np.asarray(w)[:, -1, -steps:], items[:, -steps:])
                    for key, w in zip(keys, hops, strict=True)}

        return AttentionImages(logdir, probe, rows, names)

    def sync(self) -> None:
        """Copy the trained weights into the evaluation copy (window mode)."""
        if self.eval_model is not self.model:
            self.eval_model.set_weights(self.model.get_weights())

    def scores(self, batch: dict) -> tf.Tensor:
        """Logits of every item after each prefix of ``batch``: [B, n_items]."""
        return self._predict(self.select(batch, self.eval_keys))


