"""The classical baselines of UserGRU's Table 2 (Donkers et al. 2017) as methods of `SequenceTask`.

A sequence method has ``name``, ``hyperparameters``, ``fit(data, task, context) -> dict`` and
``sequence_scores(group) -> float32 [n_targets, n_items]`` (the group dict of `SequenceTask.groups`): the
score of every item for target k, computed from ``items[row[k], :position[k]]`` and
``times[row[k], :position[k]]`` only (the events before the target, of any part).

* `NeighbourMethod`: item-based k-NN and its exponentially time-decayed counterpart
  (`seqrec.models.ItemKNN`), from the whole history before each target.
* `UserFactorMethod`: a user-factor model such as BPR-MF (`seqrec.models.BPR`): the same scores for
  every target of a user (no sequence).
* `SequentialFactorMethod`: sequential MF (`seqrec.models.SequentialMF`), from the user and the
  ``window`` events just before each target.

Factor models train on the training pairs and early-stop on the validation pairs (the test part is never
read before `SequenceTask.evaluate` on it). `table2_baselines` gives the four with Table 1's settings.
"""

from collections.abc import Callable

import numpy as np

from seqrec.datasets.pipelines import SequenceData
from seqrec.models import BPR, ItemKNN, SequentialMF

from .runner import FactorModel, RunContext


class NeighbourMethod:
    """Item-based k-NN (``decay=None``) or exponentially time-decayed item-based k-NN (``decay`` λ) as a
    sequence method; ``knn_kwargs`` go to `seqrec.models.ItemKNN` (``neighbours``, ``decay``,
    ``time_unit``). The neighbourhoods come from the training events only; each target is scored from
    all of its user's events before it (`ItemKNN.score_sequence`, one call per user of the group)."""

    def __init__(self, name: str = "Item-based k-NN", **knn_kwargs):
        self.name, self.kwargs = name, knn_kwargs
        self.model = ItemKNN(**knn_kwargs)
        self.hyperparameters = self.model.hyperparameters

    def fit(self, data: SequenceData, task, context: RunContext) -> dict:
        self.model = ItemKNN(**self.kwargs)
        return self.model.fit(data.pairs("train"), data.users.size, data.items.size)

    def sequence_scores(self, group: dict) -> np.ndarray:
        rows, positions = np.asarray(group["row"]), np.asarray(group["position"])
        out = np.empty((len(rows), self.model.n_items), np.float32)
        for r in np.unique(rows):
            chosen = np.flatnonzero(rows == r)
            out[chosen] = self.model.score_sequence(group["items"][r], group["times"][r], positions[chosen])
        return out


class UserFactorMethod(FactorModel):
    """A user-factor model (default BPR-MF, `seqrec.models.BPR`) as a sequence method: every target of a
    user gets ``model.score_all([user])``, the user's factors against every item (the sequence is not
    read; the model saw only the training events)."""

    def __init__(self, name: str = "Matrix Factorization", factory: Callable = BPR, **kwargs):
        super().__init__(name, factory, **kwargs)

    def sequence_scores(self, group: dict) -> np.ndarray:
        return self.model.score_all(np.asarray(group["user"]))[np.asarray(group["row"])]


class SequentialFactorMethod(FactorModel):
    """Sequential MF (`seqrec.models.SequentialMF`) as a sequence method: target k is scored from its
    user and the ``window`` events just before it, ``items[row, position - window:position]`` (of any
    part; 0-padded at the start of the sequence)."""

    def __init__(self, name: str = "Seq. Matrix Factorization", factory: Callable = SequentialMF, **kwargs):
        super().__init__(name, factory, **kwargs)

    def sequence_scores(self, group: dict) -> np.ndarray:
        rows, positions = np.asarray(group["row"]), np.asarray(group["position"])
        return self.model.score_windows(np.asarray(group["user"])[rows],
                                        windows_before(group["items"], rows, positions, self.model.window))


def windows_before(items, rows, positions, window: int) -> np.ndarray:
    """The ``window`` items before each target: int32 [n, window], column ``k - 1`` the item ``k`` events
    before ``items[rows, positions]``, 0 before the start of the sequence. Reads nothing at or after
    the target's position."""
    back = np.asarray(positions, np.int64)[:, None] - 1 - np.arange(window)[None, :]
    picked = np.asarray(items)[np.asarray(rows)[:, None], np.maximum(back, 0)]
    return np.where(back >= 0, picked, 0).astype(np.int32)


def table2_baselines(epochs: int | None = None) -> list:
    """UserGRU's Table 2 baselines with Table 1's hyper-parameters, named as in the paper's table:
    item-based k-NN (100 neighbours), exponentially decaying item-based k-NN (100 neighbours, decay
    constant 1, read as λ = 1 per day), BPR-MF and sequential MF (window 2), both with 20 factors, 30
    iterations (``epochs`` overrides, e.g. for a small profile) and learning rate 0.01."""
    epochs = 30 if epochs is None else int(epochs)
    return [
        NeighbourMethod("Item-based k-NN", neighbours=100),
        NeighbourMethod("Exp. Dec. Item-based k-NN", neighbours=100, decay=1.0),
        UserFactorMethod("Matrix Factorization", BPR, dim=20, epochs=epochs, learning_rate=0.01),
        SequentialFactorMethod("Seq. Matrix Factorization", SequentialMF, dim=20, window=2, epochs=epochs,
                               learning_rate=0.01),
    ]
