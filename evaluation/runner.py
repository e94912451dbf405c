"""The experiment runner every reproduce script uses.

`run_dataset` loads a dataset, applies a paper's protocol, encodes it, then for every method: seeds,
fits (Keras ``fit`` with early stopping and model selection on the **validation** part only), and
evaluates once on the test part, returning per-row and per-user results.

A method is anything with ``name``, ``hyperparameters``, ``fit(data, task, context) -> dict`` and
``scores(batch) -> [batch, n_items]``: Keras models (`KerasNextItem`) and classical baselines
(`Popularity`, `PersonalPopularity`, and the papers' baselines in `seqrec.models` through
`FactorModel`) plug into the same evaluator.
"""

import dataclasses
import logging
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path

import keras
import numpy as np
import pandas as pd
import tensorflow as tf

from seqrec.datasets import Interactions, load
from seqrec.datasets.negatives import NegativeSampler
from seqrec.datasets.pipelines import SequenceData, lane_dataset, sequence_dataset
from seqrec.datasets.protocols import Split
from seqrec.datasets.sequences import SequenceTable

from .ranking import RankingResult
from .tasks import NextItemTask

log = logging.getLogger(__name__)


def set_seed(seed: int, deterministic: bool = False) -> None:
    """Seed Python, NumPy and TensorFlow (`keras.utils.set_random_seed`); optionally make TensorFlow
    ops deterministic (slower, but bit-identical reruns)."""
    keras.utils.set_random_seed(seed)
    if deterministic:
        tf.config.experimental.enable_op_determinism()


@dataclasses.dataclass
class RunContext:
    """Per-run settings handed to methods."""

    seed: int = 0
    logdir: Path | None = None
    verbose: int = 0


class Popularity:
    """TopPop: every user gets the items ranked by their number of training events."""

    name = "TopPop"
    hyperparameters: dict = {}

    def fit(self, data: SequenceData, task, context: RunContext) -> dict:
        train = data.parts == 0
        self.counts = tf.constant(np.bincount(data.by_user.values[train], minlength=data.items.size)
                                  .astype(np.float32))
        return {}

    def scores(self, batch: dict) -> tf.Tensor:
        return tf.tile(self.counts[None, :], [tf.shape(batch["target"])[0], 1])


class ValidationMetric(keras.callbacks.Callback):
    """Adds ``val_<metric>`` (the task's ranking metric on the validation part) to the epoch logs,
    so that early stopping and model selection use validation data only."""

    def __init__(self, task, method, data: SequenceData, metric: str):
        super().__init__()
        self.task, self.method, self.data, self.metric = task, method, data, metric

    def on_epoch_end(self, epoch, logs=None):
        if hasattr(self.method, "sync"):
            self.method.sync()
        value = self.task.evaluate(self.method, self.data, "valid").mean()[self.metric]
        if logs is not None:
            logs[f"val_{self.metric}"] = value


def selection_callbacks(method, task, data: SequenceData, context: RunContext) -> list:
    """The callbacks of model selection on validation only: ``val_<task.monitor>`` in the epoch logs,
    early stopping with ``method.patience`` that restores the best epoch's weights, and, with a log
    folder, TensorBoard plus the method's hyper-parameters."""
    callbacks = [ValidationMetric(task, method, data, task.monitor),
                 keras.callbacks.EarlyStopping(monitor=f"val_{task.monitor}", mode="max",
                                               patience=method.patience, restore_best_weights=True)]
    if context.logdir is not None:
        logdir = Path(context.logdir) / method.name
        callbacks.append(keras.callbacks.TensorBoard(str(logdir)))
        log_hyperparameters(logdir, {"method": method.name, "seed": context.seed, **method.hyperparameters})
    return callbacks


def log_hyperparameters(logdir: Path, hyperparameters: dict) -> None:
    """Record a run's hyper-parameters for TensorBoard's HParams dashboard."""
    from tensorboard.plugins.hparams import api as hp

    clean = {k: v if isinstance(v, bool | int | float | str) else str(v)
             for k, v in hyperparameters.items()}
    with tf.summary.create_file_writer(str(logdir)).as_default():
        hp.hparams(clean)


class KerasNextItem:
    """A Keras next-item model trained with softmax cross-entropy over all items.

    Args:
      name: the method's name in tables.
      build: ``(data: SequenceData) -> keras.Model`` taking a dict of named inputs (keys of the
        pipeline's batches, e.g. ``items``, ``mask``, ``gaps``, ``user``) and returning logits
        [batch, n_items]; a functional model's input names or a `seqrec.models.next_item.NextItemModel`'s
        ``input_keys`` say which keys it reads.
      epochs, learning_rate, patience: training; early stopping restores the epoch with the best
        validation ``task.monitor``.
      windows: train in window mode (a `NextItemModel` built with ``all_positions=True``): each user's
        training sequence is cut into consecutive chunks of ``task.max_len`` events and one pass over a
        chunk predicts the event after every position (`seqrec.datasets.pipelines.sequence_dataset`),
        ``window_batch`` chunks per batch (default: ``task.batch_size // task.max_len``, so that a batch
        holds about as many targets as a batch of prefixes and an epoch takes as many optimiser steps),
        padded positions weighted 0. The prediction after position j
        of a chunk reads the chunk's events up to j: exactly the prefix "every event up to j, truncated
        to the latest ``max_len``" while a user's training sequence fits in one chunk, and a shorter
        history in later chunks of longer sequences. Validation and test use a prefix-mode copy with the
        same weights (`NextItemModel.with_mode`), so evaluation is always the exact per-prefix one.
      decay: ``(steps, rate)``: the learning rate is multiplied by ``rate`` every ``steps`` steps
        (staircase; MTAM 6.2: (100, 0.995)).
      clipnorm: clip each gradient's norm (the MTAM authors' code: 1.0).
    """

    def __init__(self, name: str, build: Callable[[SequenceData], keras.Model], epochs: int = 10,
                 learning_rate: float = 1e-3, patience: int = 2, jit_compile: bool = True,
                 hyperparameters: dict | None = None, windows: bool = False, window_batch: int | None = None,
                 decay: tuple[int, float] | None = None, clipnorm: float | None = None):
        self.name, self.build = name, build
        self.epochs, self.learning_rate, self.patience = epochs, learning_rate, patience
        self.jit_compile, self.windows, self.window_batch = jit_compile, windows, window_batch
        self.decay, self.clipnorm = decay, clipnorm
        self.hyperparameters = {"epochs": epochs, "learning_rate": learning_rate, "patience": patience,
                                "training": "window mode, one pass per chunk of the sequence" if windows
                                else "prefix mode, one example per training prefix",
                                **({"lr_decay": list(decay)} if decay else {}),
                                **({"clipnorm": clipnorm} if clipnorm else {}), **(hyperparameters or {})}

    def _optimizer(self) -> keras.optimizers.Optimizer:
        rate = self.learning_rate
        if self.decay is not None:
            rate = keras.optimizers.schedules.ExponentialDecay(rate, self.decay[0], self.decay[1],
                                                               staircase=True)
        return keras.optimizers.Adam(rate, clipnorm=self.clipnorm)

    def _train_dataset(self, data: SequenceData, task: NextItemTask, seed: int) -> tf.data.Dataset:
        if not self.windows:
            return task.train_dataset(data, seed, self.keys)
        table = data.history_tables(("train",))[0]
        keys = self.keys
        chunks = self.window_batch or max(1, task.batch_size // task.max_len)
        self.hyperparameters["window_batch"] = chunks
        ds = sequence_dataset(table, max_len=task.max_len, batch_size=chunks, shuffle=True, seed=seed)
        return ds.map(lambda x: ({k: x[k] for k in keys}, x["targets"], tf.cast(x["mask"], tf.float32)))

    def fit(self, data: SequenceData, task: NextItemTask, context: RunContext) -> dict:
        self.model = self.build(data)
        if isinstance(getattr(self.model, "input_keys", None), tuple):
            keys = list(self.model.input_keys)
        elif isinstance(getattr(self.model, "input", None), dict):
            keys = list(self.model.input.keys())
        else:
            raise TypeError(f"{self.name}: the model must take a dict of named inputs")
        self.keys = keys
        self.eval_model = self.model
        if self.windows:
            batch = next(iter(task.eval_dataset(data, "valid")))
            self.eval_model = self.model.with_mode(False, batch)
            self.eval_keys = list(self.eval_model.input_keys)
        else:
            self.eval_keys = keys
        self._predict = tf.function(lambda x: self.eval_model(x, training=False), reduce_retracing=True)
        self.model.compile(optimizer=self._optimizer(),
                           loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                           jit_compile=self.jit_compile)
        monitor = f"val_{task.monitor}"
        callbacks = selection_callbacks(self, task, data, context)
        history = self.model.fit(self._train_dataset(data, task, context.seed), epochs=self.epochs,
                                 callbacks=callbacks, verbose=context.verbose, shuffle=False)
        self.sync()
        scores = history.history[monitor]
        return {"epochs_run": len(scores), "best_epoch": int(np.argmax(scores)) + 1,
                f"best_{monitor}": float(np.max(scores)),
                "train_loss": [round(float(v), 5) for v in history.history["loss"]]}

    def sync(self) -> None:
        """Copy the trained weights into the evaluation copy (window mode)."""
        if self.eval_model is not self.model:
            self.eval_model.set_weights(self.model.get_weights())

    def scores(self, batch: dict) -> tf.Tensor:
        return self._predict({k: batch[k] for k in self.eval_keys})


class PersonalPopularity:
    """P-Pop: items ranked by how often the user interacted with them in the history the models see
    (the latest ``task.max_len`` events before the target), ties broken by training popularity (TopPop)."""

    name = "P-Pop"
    hyperparameters: dict = {}

    def fit(self, data: SequenceData, task, context: RunContext) -> dict:
        self.top_pop = Popularity()
        self.top_pop.fit(data, task, context)
        self.n_items = data.items.size
        self.tie_break = self.top_pop.counts / (tf.reduce_sum(self.top_pop.counts) + 1.0)
        return {}

    def scores(self, batch: dict) -> tf.Tensor:
        own = tf.math.bincount(batch["items"], weights=tf.cast(batch["mask"], tf.float32),
                               minlength=self.n_items, maxlength=self.n_items, axis=-1)
        return own + self.tie_break[None, :]


class FactorModel:
    """A classical factor model of `seqrec.models` (e.g. BPR-MF) as a next-item method: trained on the
    training (user, item) pairs, early-stopped on the validation pairs, and scoring every item by the
    user's factors alone (no sequence)."""

    def __init__(self, name: str, factory: Callable, **kwargs):
        self.name, self.factory, self.kwargs = name, factory, kwargs
        self.hyperparameters = dict(kwargs)

    def fit(self, data: SequenceData, task, context: RunContext) -> dict:
        self.model = self.factory(data.users.size, data.items.size, seed=context.seed, **self.kwargs)
        self.hyperparameters = {k: v for k, v in self.model.hyperparameters.items() if k != "seed"}
        train, valid = data.pairs("train"), data.pairs("valid")
        sampler = NegativeSampler(train["user"], train["item"], data.items.size)
        return self.model.fit(train, valid if len(valid["user"]) else None, negative_sampler=sampler,
                              verbose=context.verbose) or {}

    def scores(self, batch: dict) -> tf.Tensor:
        return tf.constant(self.model.score_all(np.asarray(batch["user"])))


class StatefulNextItem:
    """A recurrent Keras model trained statefully over whole sequences and scored with its state
    carried through each user's whole history (`seqrec.evaluation.tasks.SequenceTask`).

    Training: truncated back-propagation through time on session-parallel batches
    (`seqrec.datasets.pipelines.lane_dataset`: ``lanes`` rows, ``steps`` unrolled steps, the state
    carried from chunk to chunk of a user), softmax cross-entropy of the next item at every step (padded
    steps weighted 0), Adam with the global gradient norm capped at ``clipnorm``, early stopping on the
    task's validation metric with the best epoch's weights restored. Scoring: each group's sequences run
    ``eval_steps`` steps at a time from the zero state, the state carried on, and the output after the
    event before each target scores every item.

    Args:
      build: ``(data) -> keras.Model`` with ``encode(inputs, initial_state, training) -> (h [B, T, units],
        state [B, units])``, ``output_layer`` (hidden -> logits) and a ``call`` that carries the state of
        training batches with ``reset`` (e.g. `seqrec.models.UserGRU` built with ``lanes``).
    """

    def __init__(self, name: str, build: Callable[[SequenceData], keras.Model], epochs: int = 10,
                 learning_rate: float = 1e-3, patience: int = 2, lanes: int = 1000, steps: int = 20,
                 clipnorm: float | None = 5.0, eval_steps: int = 256, jit_compile: bool = True,
                 hyperparameters: dict | None = None):
        self.name, self.build = name, build
        self.epochs, self.learning_rate, self.patience = epochs, learning_rate, patience
        self.lanes, self.steps, self.clipnorm, self.eval_steps = lanes, steps, clipnorm, eval_steps
        self.jit_compile = jit_compile
        self.hyperparameters = {"epochs": epochs, "learning_rate": learning_rate, "patience": patience,
                                "batch_lanes": lanes, "unrolled_steps": steps, "global_clipnorm": clipnorm,
                                **(hyperparameters or {})}

    def train_dataset(self, table: SequenceTable, seed: int) -> tf.data.Dataset:
        """``(inputs, next items, weights)`` batches of ``table``, the training sequences."""
        ds = lane_dataset(table, lanes=self.lanes, steps=self.steps, seed=seed)
        return ds.map(lambda x: ({k: x[k] for k in ("items", "mask", "user", "reset")}, x["targets"],
                                 tf.cast(x["mask"], tf.float32)))

    def fit(self, data: SequenceData, task, context: RunContext) -> dict:
        self.model = self.build(data)
        self.model.compile(optimizer=keras.optimizers.Adam(self.learning_rate, global_clipnorm=self.clipnorm),
                           loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                           jit_compile=self.jit_compile)
        self._encode = tf.function(lambda x, s: self.model.encode(x, s, training=False),
                                   reduce_retracing=True)
        self._logits = tf.function(lambda h: self.model.output_layer(h), reduce_retracing=True)
        timer = EpochTimer()  # first, so that its epoch time excludes the validation after it
        monitor = f"val_{task.monitor}"
        table = data.history_tables(("train",))[0]
        with warnings.catch_warnings():  # an epoch's length depends on its lane schedule, so Keras cannot
            warnings.filterwarnings("ignore", message="Your input ran out of data")  # know it in advance
            history = self.model.fit(self.train_dataset(table, context.seed), epochs=self.epochs,
                                     callbacks=[timer, *selection_callbacks(self, task, data, context)],
                                     verbose=context.verbose, shuffle=False)
        scores = history.history[monitor]
        tuples = int(np.maximum(np.diff(table.offsets) - 1, 0).sum())  # (item, next item) pairs of an epoch
        return {"epochs_run": len(scores), "best_epoch": int(np.argmax(scores)) + 1,
                f"best_{monitor}": float(np.max(scores)),
                "train_loss": [round(float(v), 5) for v in history.history["loss"]],
                "train_tuples_per_s": round(tuples / float(np.median(timer.seconds)), 1)}

    def sequence_scores(self, group: dict) -> tf.Tensor:
        rows, before = group["row"], group["position"] - 1  # the output after the event before a target
        hidden = np.zeros((len(rows), self.model.units), np.float32)
        state = tf.zeros((len(group["user"]), self.model.units))
        for start in range(0, group["items"].shape[1], self.eval_steps):
            span = slice(start, start + self.eval_steps)
            h, state = self._encode({"items": group["items"][:, span], "mask": group["mask"][:, span],
                                     "user": group["user"]}, state)
            here = (before >= start) & (before < start + self.eval_steps)
            hidden[here] = tf.gather_nd(h, np.stack([rows[here], before[here] - start], 1)).numpy()
        return self._logits(hidden)


class EpochTimer(keras.callbacks.Callback):
    """Seconds of each epoch's training, before any end-of-epoch callback listed after it (validation)."""

    def on_train_begin(self, logs=None):
        self.seconds = []

    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self.start)


@dataclasses.dataclass
class MethodRun:
    """One method's outcome on one dataset."""

    name: str
    test: RankingResult
    valid: RankingResult
    info: dict
    seconds: float


@dataclasses.dataclass
class DatasetRun:
    """Everything a table needs from one dataset: what was used and every method's results."""

    name: str
    interactions: Interactions
    split: Split
    data: SequenceData
    task_description: str
    runs: dict[str, MethodRun] = dataclasses.field(default_factory=dict)

    def per_user(self, metric: str) -> pd.DataFrame:
        """users x methods table of a per-user metric (for paired tests)."""
        return pd.DataFrame({name: r.test.per_user()[metric] for name, r in self.runs.items()})


def run_dataset(name: str, protocol: Callable[[pd.DataFrame], Split], task, methods: Sequence, *,
                data_dir=None, seed: int = 0, logdir: str | Path | None = None,
                deterministic: bool = False, verbose: int = 0,
                on_method_done: Callable[[MethodRun], None] | None = None) -> DatasetRun:
    """Load ``name``, apply ``protocol``, then fit and evaluate every method with the same seed."""
    interactions = load(name, data_dir=data_dir)
    split = protocol(interactions.events)
    data = SequenceData.encode(split, interactions)
    run = DatasetRun(name, interactions, split, data, task.describe())
    for method in methods:
        set_seed(seed, deterministic)
        context = RunContext(seed, Path(logdir) / name if logdir else None, verbose)
        start = time.perf_counter()
        info = method.fit(data, task, context)
        result = MethodRun(method.name, task.evaluate(method, data, "test"),
                           task.evaluate(method, data, "valid"), info, time.perf_counter() - start)
        log.info("%s on %s: test %s", method.name, name, result.test.mean())
        run.runs[method.name] = result
        if on_method_done is not None:
            on_method_done(result)
    return run
