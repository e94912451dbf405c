"""Per-epoch checkpoints: a fit killed in its k-th epoch, started again with the same checkpoint folder,
resumes after its last finished epoch and ends with the weights and metrics of a fit never interrupted.

After every epoch `EpochCheckpoint` writes one file (atomically, `seqrec.datasets.atomic`) with all the
remaining epochs depend on: the model's variables (Keras' ``Model.variables``: the weights and the states
of the layers' random generators, so dropout draws on where it stopped), the optimiser's variables (its
moments and step count: a learning-rate schedule continues), early stopping's state (best value and epoch,
the patience count, whether it stopped, the best epoch's weights), the logs of every epoch so far and any
extra state the trainer names (the factor models' NumPy generator). The data of epoch k depend only on the
seed and k (`seqrec.datasets.pipelines.EpochClock`, set by `ClockCallback`), so a resumed fit reads epoch
k's examples in epoch k's order.

`fit_epochs` is the Keras trainers' ``fit``: it adds both callbacks and starts at the saved epoch. The
factor models' own epoch loop (`seqrec.models.base.Recommender.fit`) drives an `EpochCheckpoint` that
`maker` makes.
"""

import json
from collections.abc import Callable
from pathlib import Path

import keras
import numpy as np

from seqrec.datasets import atomic
from seqrec.datasets.pipelines import EpochClock

from .contracts import FitContext

FILE = "epoch.npz"
# the state each stateful callback keeps between epochs (early stopping's best weights are saved apart)
CALLBACK_STATE = {keras.callbacks.EarlyStopping: ("wait", "best", "best_epoch", "stopped_epoch"),
                  keras.callbacks.ReduceLROnPlateau: ("wait", "best", "cooldown_counter")}


class ClockCallback(keras.callbacks.Callback):
    """Sets a pipeline's `EpochClock` to each Keras epoch as it begins."""

    def __init__(self, clock: EpochClock):
        super().__init__()
        self.clock = clock

    def on_epoch_begin(self, epoch, logs=None):
        self.clock.epoch = epoch


class EpochCheckpoint(keras.callbacks.Callback):
    """Saves the state of a fit in ``folder`` after every epoch and restores it when the fit starts.

    ``callbacks``: the fit's other callbacks; the state of each listed in ``CALLBACK_STATE`` (early
    stopping, learning-rate drops) is saved and restored with the model's. List this one last, so that
    it saves their verdicts on the epoch and restores their state after they reset it at the start of
    the fit. ``extra``: ``(save, load)``, a function returning more JSON state to save and one taking
    it back. `initial_epoch` is where the fit resumes.
    """

    def __init__(self, folder: str | Path, callbacks: list = (),
                 extra: tuple[Callable[[], dict], Callable[[dict], None]] | None = None):
        super().__init__()
        self.path, self.extra = Path(folder) / FILE, extra
        self.stateful = [(c, names) for c in callbacks for kind, names in CALLBACK_STATE.items()
                         if isinstance(c, kind)]
        self.saved = None
        if self.path.is_file():
            with np.load(self.path, allow_pickle=False) as f:
                self.saved = {k: f[k] for k in f.files}
        self.meta = json.loads(str(self.saved["meta"])) if self.saved else {}
        self.logs: list[dict] = list(self.meta.get("logs", []))

    def initial_epoch(self, epochs: int) -> int:
        """The first epoch still to run: 0 without a checkpoint, ``epochs`` when the saved fit had
        stopped early."""
        if not self.meta:
            return 0
        return epochs if self.meta["stopped"] else len(self.logs)

    def on_train_begin(self, logs=None):
        if not self.saved:
            return
        model, meta = self.model, self.meta
        optimizer = model.optimizer
        if not optimizer.built:
            optimizer.build(model.trainable_variables)
        for name, variables in (("model", model.variables), ("optimizer", optimizer.variables)):
            if len(variables) != meta[f"n_{name}"]:
                raise ValueError(f"{self.path}: the checkpoint has {meta[f'n_{name}']} {name} variables, "
                                 f"this fit {len(variables)}: another model wrote it; remove the folder")
            for k, variable in enumerate(variables):
                variable.assign(self.saved[f"{name}_{k}"])
        for (callback, names), state in zip(self.stateful, meta["callbacks"], strict=True):
            for name in names:
                setattr(callback, name, state[name])
            if "best_weights" in state:
                best = [self.saved[f"best_{k}"] for k in range(state["best_weights"])]
                callback.best_weights = best or None
        if self.extra is not None:
            self.extra[1](meta.get("extra", {}))

    def on_epoch_end(self, epoch, logs=None):
        self.logs.append({k: float(v) for k, v in (logs or {}).items()})
        model = self.model
        arrays = {f"model_{k}": np.asarray(v) for k, v in enumerate(model.variables)}
        arrays |= {f"optimizer_{k}": np.asarray(v) for k, v in enumerate(model.optimizer.variables)}
        states = []
        for callback, names in self.stateful:
            state = {name: _plain(getattr(callback, name)) for name in names}
            if isinstance(callback, keras.callbacks.EarlyStopping):
                best = callback.best_weights or []
                arrays |= {f"best_{k}": np.asarray(w) for k, w in enumerate(best)}
                state["best_weights"] = len(best)
            states.append(state)
        meta = {"logs": self.logs, "n_model": len(model.variables), "stopped": bool(model.stop_training),
                "n_optimizer": len(model.optimizer.variables), "callbacks": states}
        if self.extra is not None:
            meta["extra"] = self.extra[0]()
        with atomic.replacing(self.path) as temporary, temporary.open("wb") as f:
            np.savez(f, meta=np.array(json.dumps(meta)), **arrays)

    def merge(self, history: keras.callbacks.History) -> keras.callbacks.History:
        """``history`` of a resumed fit with the epochs before it put back in front."""
        done = len(self.logs) - len(history.epoch)
        if done > 0:
            before, after = self.logs[:done], history.history
            history.history = {k: [log[k] for log in before if k in log] + list(after.get(k, []))
                               for k in after or before[0]}
            history.epoch = list(range(done)) + list(history.epoch)
        return history


def maker(context: FitContext) -> Callable[..., EpochCheckpoint] | None:
    """``(callbacks, extra=None) -> EpochCheckpoint`` in ``context.checkpoint`` (None without one): the
    checkpoint a model's own epoch loop makes (`seqrec.models.base.Recommender.fit`)."""
    if context.checkpoint is None:
        return None
    return lambda callbacks, extra=None: EpochCheckpoint(context.checkpoint, callbacks, extra)


def fit_epochs(model: keras.Model, dataset, epochs: int, callbacks: list, context: FitContext,
               **kwargs) -> keras.callbacks.History:
    """``model.fit(dataset)`` for ``epochs`` with ``callbacks`` and ``context.callbacks``, its pipeline's
    clock set each epoch (`ClockCallback` with ``context.clock``), and with ``context.checkpoint`` a
    checkpoint after every epoch from which a killed fit resumes (`EpochCheckpoint`); the history covers
    every epoch, those before a resume too."""
    callbacks = [ClockCallback(context.clock), *callbacks, *context.callbacks]
    initial, saver = 0, None
    if context.checkpoint is not None:
        saver = EpochCheckpoint(context.checkpoint, callbacks)
        callbacks.append(saver)
        initial = saver.initial_epoch(epochs)
    history = model.fit(dataset, epochs=epochs, initial_epoch=initial, callbacks=callbacks,
                        verbose=context.verbose, shuffle=False, **kwargs)
    return saver.merge(history) if saver is not None else history


def _plain(value):
    """A callback's state value as JSON takes it (NumPy scalars and infinities as floats)."""
    return value if value is None or isinstance(value, int | str) else float(value)
