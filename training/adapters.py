"""The classical models of `seqrec.models` (factor models, popularity, item-kNN) as methods of every
contract (`seqrec.training.contracts`).

* `FactorAdapter`: a model with the array interface of `seqrec.models.base.Recommender` (MF, BPR-MF,
  TimeSVD++, HieVH, Item2Vec, NCF, MP2Vec, TopPop, ...) trained on the training pairs, early-stopped by
  the model's own validation metric on the validation pairs (`Recommender.fit`: RMSE or a sampled AUC,
  with Keras' EarlyStopping), with a negative sampler built from the training pairs only. It rates and
  scores as a `RatingMethod`, scores every item from the user alone as a `NextItemMethod` and a
  `SequenceMethod` (no history is read).
* `SequentialFactorAdapter`: sequential MF, scored from the user and the events just before each target.
* `PersonalPopAdapter`: P-Pop, scored from the prefix the evaluation gives it.
* `NeighbourAdapter`: item-kNN and its time-decayed version, from the whole history before each target.
"""

from collections.abc import Callable

import numpy as np
import tensorflow as tf

from seqrec.datasets.negatives import NegativeSampler
from seqrec.datasets.pipelines import SequenceData
from seqrec.models import ItemKNN, PersonalPop, SequentialMF

from . import checkpoints, distribute
from .contracts import FitContext


class FactorAdapter:
    """A classical model of `seqrec.models` as a method.

    Args:
      name: the method's name in tables.
      factory: ``factory(n_users, n_items, seed=..., **kwargs)`` builds the model (e.g. `seqrec.models.BPR`).
      needs_features: pass the items' features (``features=``, `SequenceData.item_features`).
      inputs: ``inputs(data) -> dict``, more arguments of the model computed from the data, aligned
        with its item vocabulary (VBPR's ``visual``, CTR's ``topics``).
      kwargs: the model's hyper-parameters.
    """

    max_len = 1  # as a next-item method it reads no history: a prefix of one event is enough
    padding = "left"

    def __init__(self, name: str, factory: Callable, needs_features: bool = False,
                 inputs: Callable[[SequenceData], dict] | None = None, **kwargs):
        self.name, self.factory, self.needs_features, self.kwargs = name, factory, needs_features, kwargs
        self.inputs = inputs
        self.predicts_ratings = bool(factory.predicts_ratings)
        self.hyperparameters = dict(kwargs)

    @distribute.in_scope
    def fit(self, data: SequenceData, context: FitContext) -> dict:
        kwargs = dict(self.kwargs, seed=context.seed)
        if self.needs_features:
            kwargs["features"] = data.item_features()
        if self.inputs is not None:
            kwargs |= self.inputs(data)
        self.model = self.factory(data.users.size, data.items.size, **kwargs)
        self.hyperparameters = {k: v for k, v in self.model.hyperparameters.items() if k != "seed"}
        train, valid = data.pairs("train"), data.pairs("valid")
        sampler = NegativeSampler(train["user"], train["item"], data.items.size)
        return self.model.fit(train, valid if len(valid["user"]) else None, negative_sampler=sampler,
                              verbose=context.verbose, checkpoint=checkpoints.maker(context)) or {}

    def predict(self, users, items, times) -> np.ndarray:
        return self.model.predict(users, items, times)

    def score_all(self, users, times) -> np.ndarray:
        return self.model.score_all(users, times)

    def scores(self, batch: dict) -> tf.Tensor:
        """Every item's score from the user's factors alone: [B, n_items], each distinct user of the batch
        scored once (a user's prefixes share one row; MLAM encodes every (user, item) pair, so scoring a
        user per prefix cost ~20x more on latest-small's test part)."""
        users, rows = np.unique(np.asarray(batch["user"]), return_inverse=True)
        return tf.constant(self.model.score_all(users)[rows])

    def sequence_scores(self, group: dict) -> np.ndarray:
        """The user's scores of every item for each of its targets: [n_targets, n_items]."""
        return self.model.score_all(np.asarray(group["user"]))[np.asarray(group["row"])]


class SequentialFactorAdapter(FactorAdapter):
    """Sequential MF (`seqrec.models.SequentialMF`) as a sequence method: target k is scored from its user
    and the ``window`` events just before it, ``items[row, position - window:position]`` (of any part;
    0-padded at the start of the sequence)."""

    def __init__(self, name: str = "Seq. Matrix Factorization", factory: Callable = SequentialMF, **kwargs):
        super().__init__(name, factory, **kwargs)

    def sequence_scores(self, group: dict) -> np.ndarray:
        rows, positions = np.asarray(group["row"]), np.asarray(group["position"])
        return self.model.score_windows(np.asarray(group["user"])[rows],
                                        windows_before(group["items"], rows, positions, self.model.window))


class PersonalPopAdapter(FactorAdapter):
    """P-Pop (`seqrec.models.PersonalPop`) as a next-item method: each prefix's latest ``max_len`` events
    count, ties broken by training popularity."""

    def __init__(self, name: str = "P-Pop", max_len: int = 50):
        super().__init__(name, PersonalPop)
        self.max_len = max_len
        self.hyperparameters = {"max_len": max_len}

    def fit(self, data: SequenceData, context: FitContext) -> dict:
        info = super().fit(data, context)
        self.hyperparameters = {"max_len": self.max_len}
        return info

    def scores(self, batch: dict) -> tf.Tensor:
        return tf.constant(self.model.score_histories(batch["items"], batch["mask"]))


class NeighbourAdapter:
    """Item-based k-NN (``decay=None``) or exponentially time-decayed item-based k-NN (``decay`` λ) as a
    sequence method; ``knn_kwargs`` go to `seqrec.models.ItemKNN` (``neighbours``, ``decay``,
    ``time_unit``). The neighbourhoods come from the training events only; each target is scored from all
    of its user's events before it (`ItemKNN.score_sequence`, one call per user of the group)."""

    def __init__(self, name: str = "Item-based k-NN", **knn_kwargs):
        self.name, self.kwargs = name, knn_kwargs
        self.model = ItemKNN(**knn_kwargs)
        self.hyperparameters = self.model.hyperparameters

    def fit(self, data: SequenceData, context: FitContext) -> dict:
        self.model = ItemKNN(**self.kwargs)
        return self.model.fit(data.pairs("train"), data.users.size, data.items.size)

    def sequence_scores(self, group: dict) -> np.ndarray:
        rows, positions = np.asarray(group["row"]), np.asarray(group["position"])
        out = np.empty((len(rows), self.model.n_items), np.float32)
        for r in np.unique(rows):
            chosen = np.flatnonzero(rows == r)
            out[chosen] = self.model.score_sequence(group["items"][r], group["times"][r], positions[chosen])
        return out


def windows_before(items, rows, positions, window: int) -> np.ndarray:
    """The ``window`` items before each target: int32 [n, window], column ``k - 1`` the item ``k`` events
    before ``items[rows, positions]``, 0 before the start of the sequence. Reads nothing at or after the
    target's position."""
    back = np.asarray(positions, np.int64)[:, None] - 1 - np.arange(window)[None, :]
    picked = np.asarray(items)[np.asarray(rows)[:, None], np.maximum(back, 0)]
    return np.where(back >= 0, picked, 0).astype(np.int32)
