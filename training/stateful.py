"""Stateful training of recurrent next-item models over whole sequences (UserGRU): truncated
back-propagation through time on session-parallel lanes, scored with the state carried through each
user's whole history."""

import warnings
from collections.abc import Callable

import keras
import numpy as np
import tensorflow as tf

from seqrec.datasets.pipelines import EpochClock, SequenceData, lane_dataset
from seqrec.datasets.sequences import SequenceTable

from . import distribute
from .callbacks import EpochTimer, selection_callbacks, selection_info
from .checkpoints import fit_epochs
from .contracts import FitContext
from .next_item import target_mean_cross_entropy
from .tensorboard import AttentionImages, item_names


class StatefulNextItem:
    """A recurrent Keras model trained statefully over whole sequences; a `SequenceMethod`.

    Training: truncated back-propagation through time on session-parallel batches
    (`seqrec.datasets.pipelines.lane_dataset`: ``lanes`` rows, ``steps`` unrolled steps, the state carried
    from chunk to chunk of a user), softmax cross-entropy of the next item at every step averaged over the
    real steps (padded steps weighted 0, `target_mean_cross_entropy`), Adam with the global gradient norm
    capped at ``clipnorm``, early stopping on the validation score (``context.validate``) with the best
    epoch's weights restored. Scoring: each group's
    sequences run ``eval_steps`` steps at a time from the zero state, the state carried on, and the output
    after the event before each target scores every item.

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

    def train_dataset(self, table: SequenceTable, seed: int,
                      clock: EpochClock | None = None) -> tf.data.Dataset:
        """``(inputs, next items, weights)`` batches of ``table``, the training sequences (users shuffled
        with ``seed`` and ``clock``'s epoch)."""
        ds = lane_dataset(table, lanes=self.lanes, steps=self.steps, seed=seed, clock=clock)
        return ds.map(lambda x: ({k: x[k] for k in ("items", "mask", "user", "reset")}, x["targets"],
                                 tf.cast(x["mask"], tf.float32)))

    @distribute.in_scope
    def fit(self, data: SequenceData, context: FitContext) -> dict:
        self.model = self.build(data)
        table = data.history_tables(("train",))[0]
        trained, train = distribute.compiled(
            self.model, self.train_dataset(table, context.seed, context.clock), context.strategy,
            optimizer=keras.optimizers.Adam(self.learning_rate, global_clipnorm=self.clipnorm),
            loss=target_mean_cross_entropy(), jit_compile=context.jit(self.jit_compile))
        self._encode = tf.function(lambda x, s: self.model.encode(x, s, training=False),
                                   reduce_retracing=True)
        self._logits = tf.function(lambda h: self.model.output_layer(h), reduce_retracing=True)
        timer = EpochTimer()  # first, so that its epoch time excludes the validation after it
        callbacks = [timer, *selection_callbacks(self.name, self.hyperparameters, context, self.patience)]
        if context.logdir is not None and getattr(self.model, "variant", "") == "attentional":
            callbacks.append(self.attention_images(data, context.logdir / self.name))
        with warnings.catch_warnings():  # an epoch's length depends on its lane schedule, so Keras cannot
            warnings.filterwarnings("ignore", message="Your input ran out of data")  # know it in advance
            history = fit_epochs(trained, train, self.epochs, callbacks, context)
        tuples = int(np.maximum(np.diff(table.offsets) - 1, 0).sum())  # (item, next item) pairs of an epoch
        info = selection_info(history, f"val_{context.monitor}", context.mode)
        if timer.seconds:  # none when a resumed fit had no epoch left
            info["train_tuples_per_s"] = round(tuples / float(np.median(timer.seconds)), 1)
        return info

    def attention_images(self, data: SequenceData, logdir, examples: int = 8, steps: int = 50
                         ) -> AttentionImages:
        """TensorBoard images of the gate (`seqrec.models.UserGRU.attention`) over the latest ``steps``
        training events of the first ``examples`` users, after every epoch."""
        table = data.history_tables(("train",))[0]
        users = np.flatnonzero(np.diff(table.offsets) > 0)[:examples]
        ends = table.offsets[users + 1]
        starts = np.maximum(table.offsets[users], ends - steps)
        items = np.zeros((len(users), steps), np.int32)
        for row, (a, b) in enumerate(zip(starts, ends, strict=True)):
            items[row, :b - a] = table.values[a:b]
        inputs = {"items": items, "mask": items > 0, "user": users.astype(np.int32)}

        def probe():
            return {"user_share": (np.asarray(self.model.attention(inputs)), items)}

        rows = [f"user {u}" for u in data.users.decode(users)]
        return AttentionImages(logdir, probe, rows, item_names(data))

    def sequence_scores(self, group: dict) -> tf.Tensor:
        """Logits of every item before each target of ``group``: [n_targets, n_items]."""
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
