"""Seeding and the Keras callbacks every trainer shares: validation-only model selection (early stopping
that restores the best epoch), TensorBoard with the run's hyper-parameters, and epoch timing."""

import time
from collections.abc import Callable
from pathlib import Path

import keras
import tensorflow as tf

from seqrec.models.base import early_stopping

from .contracts import FitContext


def set_seed(seed: int, deterministic: bool = False) -> None:
    """Seed Python, NumPy and TensorFlow (`keras.utils.set_random_seed`); optionally make TensorFlow ops
    deterministic (slower, bit-identical reruns)."""
    keras.utils.set_random_seed(seed)
    if deterministic:
        tf.config.experimental.enable_op_determinism()


class ValidationScore(keras.callbacks.Callback):
    """Adds ``val_<name>`` to the epoch logs: ``score()``, the method's validation score, so that early
    stopping and TensorBoard see it. ``before`` runs first (e.g. copying weights into an evaluation
    copy of the model)."""

    def __init__(self, score: Callable[[], float], name: str, before: Callable[[], None] | None = None):
        super().__init__()
        self.score, self.name, self.before = score, name, before

    def on_epoch_end(self, epoch, logs=None):
        if self.before is not None:
            self.before()
        value = self.score()
        if logs is not None:
            logs[f"val_{self.name}"] = value


class EpochTimer(keras.callbacks.Callback):
    """Seconds of each epoch's training, before any end-of-epoch callback listed after it (validation)."""

    def on_train_begin(self, logs=None):
        self.seconds = []

    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self.start)


def selection_callbacks(name: str, hyperparameters: dict, context: FitContext, patience: int, *,
                        monitor: str | None = None, mode: str = "min",
                        before: Callable[[], None] | None = None) -> list[keras.callbacks.Callback]:
    """Model selection on validation only, the one early-stopping path of every Keras trainer.

    By default the monitored value is the pipeline's ``context.validate`` (added to the logs as
    ``val_<context.monitor>`` by `ValidationScore`, after ``before``); ``monitor`` names a value Keras
    computes itself instead (IARN: ``val_loss``, the mean squared error on the validation ratings).
    Early stopping (`seqrec.models.base.early_stopping`, exact comparisons) waits ``patience`` epochs and
    restores the best epoch's weights. With
    ``context.logdir``, TensorBoard logs the epoch scalars under ``logdir / name`` (the pipeline adds the
    hyper-parameters and final metrics, `seqrec.training.tensorboard`). Without any
    validation, no early stopping: every epoch runs and the last is kept.
    """
    callbacks: list[keras.callbacks.Callback] = []
    if monitor is None and context.validate is not None:
        callbacks.append(ValidationScore(context.validate, context.monitor, before))
        monitor, mode = f"val_{context.monitor}", context.mode
    if monitor is not None:
        callbacks.append(early_stopping(monitor, mode, patience))
    if context.logdir is not None:
        callbacks.append(keras.callbacks.TensorBoard(str(Path(context.logdir) / name)))
    return callbacks


def selection_info(history: keras.callbacks.History, monitor: str, mode: str = "max") -> dict:
    """What a fit's manifest entry says about model selection: epochs run, the training loss and the
    validation score of every epoch (``valid_curve``), the best epoch and its validation value, and
    whether training ended at its epoch cap."""
    scores = history.history.get(monitor)
    epochs = len(history.history["loss"])
    info = {"epochs_run": epochs, "train_loss": [round(float(v), 5) for v in history.history["loss"]]}
    if scores:
        best = min(scores) if mode == "min" else max(scores)
        info |= {"valid_curve": [round(float(v), 5) for v in scores], "best_epoch": scores.index(best) + 1,
                 f"best_{monitor}": float(best)}
    info["stopped_by"] = "epoch cap" if epochs == history.params.get("epochs") else "early stopping"
    return info
