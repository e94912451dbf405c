"""The experiment runner every reproduce script uses.

`run_dataset` loads a dataset, applies a paper's protocol, encodes it, then for every method: seeds,
fits (Keras ``fit`` with early stopping and model selection on the **validation** part only), and
evaluates once on the test part, returning per-row and per-user results.

A method is anything with ``name``, ``hyperparameters``, ``fit(data, task, context) -> dict`` and
``scores(batch) -> [batch, n_items]``: Keras models (`KerasNextItem`) and classical baselines
(`Popularity`, and the papers' baselines in `seqrec.models`) plug into the same evaluator.
"""

import dataclasses
import logging
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import keras
import numpy as np
import pandas as pd
import tensorflow as tf

from seqrec.datasets import Interactions, load
from seqrec.datasets.pipelines import SequenceData
from seqrec.datasets.protocols import Split

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
        value = self.task.evaluate(self.method, self.data, "valid").mean()[self.metric]
        if logs is not None:
            logs[f"val_{self.metric}"] = value


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
      build: ``(n_items, n_users) -> keras.Model`` taking a dict of named inputs (keys of the
        pipeline's batches, e.g. ``items``, ``mask``, ``gaps``, ``user``) and returning logits
        [batch, n_items].
      epochs, learning_rate, patience: training; early stopping restores the epoch with the best
        validation ``task.monitor``.
    """

    def __init__(self, name: str, build: Callable[[int, int], keras.Model], epochs: int = 10,
                 learning_rate: float = 1e-3, patience: int = 2, jit_compile: bool = True,
                 hyperparameters: dict | None = None):
        self.name, self.build = name, build
        self.epochs, self.learning_rate, self.patience = epochs, learning_rate, patience
        self.jit_compile = jit_compile
        self.hyperparameters = {"epochs": epochs, "learning_rate": learning_rate,
                                "patience": patience, **(hyperparameters or {})}

    def fit(self, data: SequenceData, task: NextItemTask, context: RunContext) -> dict:
        self.model = self.build(data.items.size, data.users.size)
        keys = list(self.model.input.keys()) if isinstance(self.model.input, dict) else None
        if keys is None:
            raise TypeError(f"{self.name}: the model must take a dict of named inputs")
        self.keys = keys
        self.model.compile(optimizer=keras.optimizers.Adam(self.learning_rate),
                           loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                           jit_compile=self.jit_compile)
        monitor = f"val_{task.monitor}"
        callbacks = [ValidationMetric(task, self, data, task.monitor),
                     keras.callbacks.EarlyStopping(monitor=monitor, mode="max", patience=self.patience,
                                                   restore_best_weights=True)]
        if context.logdir is not None:
            logdir = Path(context.logdir) / self.name
            callbacks.append(keras.callbacks.TensorBoard(str(logdir)))
            log_hyperparameters(logdir, {"method": self.name, "seed": context.seed,
                                         **self.hyperparameters})
        history = self.model.fit(task.train_dataset(data, context.seed, keys), epochs=self.epochs,
                                 callbacks=callbacks, verbose=context.verbose, shuffle=False)
        scores = history.history[monitor]
        return {"epochs_run": len(scores), "best_epoch": int(np.argmax(scores)) + 1,
                f"best_{monitor}": float(np.max(scores)),
                "train_loss": [round(float(v), 5) for v in history.history["loss"]]}

    def scores(self, batch: dict) -> tf.Tensor:
        return self.model({k: batch[k] for k in self.keys}, training=False)


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
    data = SequenceData.encode(split)
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
