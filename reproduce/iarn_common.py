"""Shared pieces of the IARN scripts: the paper's datasets, its protocol, and its methods adapted to the
evaluation tasks (`seqrec.evaluation.tasks.RatingTask`).

Histories hold every event strictly before the predicted rating's time, whatever its part
(`rating_pairs_dataset`; the issue's "user and item histories only from before each rating's time"):
a training rating sees only earlier training events (the time split puts every training event before
every validation and test event), a test rating also sees the user's and the item's earlier test-period
events — which items were rated, never the ratings' values, which are not inputs of IARN. Rankings for
AUC read the histories as they stood at the user's first test rating.
"""

import dataclasses
import itertools
import time
from collections.abc import Sequence
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from seqrec.datasets import first_loadable, load, protocols
from seqrec.datasets.features import ItemFeatures, encode_item_features
from seqrec.datasets.negatives import NegativeSampler
from seqrec.datasets.pipelines import SequenceData, rating_pairs_dataset
from seqrec.evaluation.runner import log_hyperparameters, set_seed
from seqrec.models import iarn

REPO = Path(__file__).resolve().parents[1]
REFERENCE = REPO / "paper_tables" / "reference"
PREDICT_BATCH = 4096  # pairs per compiled prediction step


@dataclasses.dataclass(frozen=True)
class PaperDataset:
    """A dataset of IARN's Table 2: the suite's name for the paper's own dataset, and the datasets that
    may stand in for it when it is absent (the table then says it used a substitute)."""

    label: str
    own: str
    substitutes: tuple[str, ...]
    cut: str
    dim: int
    clip: tuple[float, float]

    @property
    def candidates(self) -> tuple[str, ...]:
        return (self.own, *self.substitutes)


DATASETS = (
    PaperDataset("Netflix", "netflix-prize", (), "2005-06-01", 25, (1.0, 5.0)),
    PaperDataset("MovieLens", "movielens-latest", ("movielens-latest-small",), "2010-01-01", 25, (0.5, 5.0)),
    PaperDataset("Electronic", "amazon-2014-electronics", (), "2014-01-01", 50, (1.0, 5.0)),
    PaperDataset("Home", "amazon-2014-home-and-kitchen", (), "2014-01-01", 50, (1.0, 5.0)),
    PaperDataset("Clothing", "amazon-2014-clothing-shoes-and-jewelry", (), "2014-01-01", 50, (1.0, 5.0)),
    PaperDataset("Sport", "amazon-2014-sports-and-outdoors", (), "2014-01-01", 50, (1.0, 5.0)),
)
# smoke profile: the synthetic log stands in for MovieLens; its last fifth in time is the test period
SMOKE = PaperDataset("MovieLens", "synthetic-small", (), "", 8, (0.5, 5.0))


@dataclasses.dataclass
class Prepared:
    """A dataset after IARN's protocol, encoded."""

    paper: PaperDataset
    name: str
    interactions: object
    split: protocols.Split
    data: SequenceData
    features: ItemFeatures | None
    substitute: bool


def present(paper: PaperDataset, data_dir=None) -> str | None:
    """The first of the paper dataset's candidates that can be loaded without a download."""
    return first_loadable(paper.candidates, data_dir)


def paper_datasets(profile: str, labels=None) -> list[PaperDataset]:
    """The datasets a run covers: the synthetic stand-in for the smoke profile, else the paper's
    (restricted to ``labels`` when given)."""
    if profile == "smoke":
        return [SMOKE]
    return [p for p in DATASETS if not labels or p.label in labels]


def prepare(paper: PaperDataset, name: str, data_dir=None, min_count: int = 4,
            interactions=None) -> Prepared:
    """Load ``name`` (unless ``interactions`` are given) for the paper's dataset, apply IARN's protocol,
    encode it and its item features. The synthetic smoke data always counts as a substitute."""
    interactions = interactions if interactions is not None else load(name, data_dir=data_dir)
    cut = paper.cut
    if not cut:  # synthetic: test on the last fifth of the time span
        ts = interactions.events["timestamp"]
        cut = str(ts.quantile(0.8, interpolation="nearest"))
        cut = time.strftime("%Y-%m-%d", time.gmtime(int(cut)))
    split = protocols.iarn(interactions.events, cut, min_count=min_count)
    data = SequenceData.encode(split)
    features = None
    if interactions.feature_structure in ("flat", "hierarchy"):
        features = encode_item_features(interactions.items, data.items, interactions.feature_structure)
    substitute = name != paper.own or name.startswith("synthetic")
    return Prepared(paper, name, interactions, split, data, features, substitute)


class IARNMethod:
    """IARN or one of its variants, trained as section 3.4 and 4.1 say: MSE, RMSprop, mini-batches of
    50, gradients clipped to [-10, 10]; early stopping restores the epoch with the lowest validation
    MSE.

    Args:
      variant: a name of `seqrec.models.iarn.VARIANTS`.
      max_history: histories truncated to their latest events (``None``: the longest history).
      learning_rate: 1e-3 by default, the authors' code's (2e-3 scaled by 32 / hidden units).
      rating_inputs: feed the ratings of earlier events too (our option, see `seqrec.models.iarn`).
      name: the method's name in tables (default: the variant's).
    """

    predicts_ratings = True

    def __init__(self, variant: str = "IARN", dim: int = 25, hidden: int = 64, max_history: int | None = 50,
                 batch_size: int = 50, epochs: int = 10, learning_rate: float = 1e-3, l2: float = 0.0,
                 dropout: float = 0.25, patience: int = 2, rating_inputs: bool = False,
                 jit_compile: bool = True, name: str | None = None):
        self.name = name or variant
        self.variant = variant
        self.hyperparameters = {"dim": dim, "hidden": hidden, "max_history": max_history,
                                "batch_size": batch_size, "epochs": epochs,
                                "learning_rate": learning_rate, "l2": l2, "dropout": dropout,
                                "patience": patience, "optimizer": "RMSprop", "clipvalue": 10.0,
                                "rating_inputs": rating_inputs}
        self.jit_compile = jit_compile

    def _features(self, x):
        if self.features is None or not iarn.VARIANTS[self.variant][1]:
            return x
        key = "item_features" if self.features.structure == "flat" else "item_path"
        return {**x, key: tf.gather(self.feature_matrix, x["item"])}

    def setup(self, prepared: Prepared) -> keras.Model:
        """Build and compile the model for ``prepared`` and the history tables its inputs read."""
        data, hp = prepared.data, self.hyperparameters
        self.features = prepared.features
        if self.features is not None:
            self.feature_matrix = tf.constant(self.features.matrix)
        self.tables = data.history_tables()
        cap = hp["max_history"]
        self.lengths = tuple(max(1, min(cap or n, n)) for n in
                             (int(np.diff(t.offsets).max()) for t in self.tables))
        self.model = iarn.variant(self.variant, data.users.size, data.items.size, features=self.features,
                                  dim=hp["dim"], hidden=hp["hidden"], dropout=hp["dropout"], l2=hp["l2"],
                                  rating_inputs=hp["rating_inputs"])
        self.model.compile(optimizer=keras.optimizers.RMSprop(hp["learning_rate"], clipvalue=10.0),
                           loss="mse", jit_compile=self.jit_compile)
        return self.model

    def dataset(self, pairs: dict, shuffle: bool = False, seed: int = 0, label: str | None = None,
                batch: int | None = None) -> tf.data.Dataset:
        """Model inputs for ``pairs`` (``user``, ``item``, ``time``, optional ``rating``): histories
        strictly before each time, and the item's features when the variant uses them."""
        n = len(pairs["user"])
        ds = rating_pairs_dataset(*self.tables, pairs["user"], pairs["item"],
                                  pairs.get("rating", np.zeros(n, np.float32)), pairs["time"],
                                  user_len=self.lengths[0], item_len=self.lengths[1],
                                  batch_size=batch or self.hyperparameters["batch_size"],
                                  shuffle=shuffle, seed=seed, label=label)
        if label is None:
            return ds.map(self._features)
        return ds.map(lambda x, y: (self._features(x), y))

    def fit(self, prepared: Prepared, context) -> dict:
        hp = self.hyperparameters
        self.setup(prepared)
        train, valid = prepared.data.pairs("train"), prepared.data.pairs("valid")
        train_ds = self.dataset(train, shuffle=True, seed=context.seed, label="rating")
        callbacks = []
        valid_ds = None
        if len(valid["user"]):
            valid_ds = self.dataset(valid, label="rating", batch=PREDICT_BATCH)
            callbacks.append(keras.callbacks.EarlyStopping(monitor="val_loss", patience=hp["patience"],
                                                           restore_best_weights=True))
        if context.logdir is not None:
            logdir = Path(context.logdir) / self.name
            callbacks.append(keras.callbacks.TensorBoard(str(logdir)))
            log_hyperparameters(logdir, {"method": self.name, "seed": context.seed, **hp})
        history = self.model.fit(train_ds, validation_data=valid_ds, epochs=hp["epochs"],
                                 callbacks=callbacks, verbose=context.verbose, shuffle=False)
        info = {"epochs_run": len(history.history["loss"]),
                "train_mse": [round(float(v), 4) for v in history.history["loss"]]}
        if valid_ds is not None:
            val = history.history["val_loss"]
            info.update(best_epoch=int(np.argmin(val)) + 1, best_val_mse=round(float(np.min(val)), 4))
        return info

    def predict(self, users, items, times) -> np.ndarray:
        """Predicted ratings of (user, item) pairs at ``times`` (histories strictly before them)."""
        users, items, times = np.asarray(users), np.asarray(items), np.asarray(times)
        if not len(users):
            return np.zeros(0, np.float32)
        ds = self.dataset({"user": users, "item": items, "time": times}, batch=PREDICT_BATCH)
        return self.model.predict(ds, verbose=0)

    def score_all(self, users, times) -> np.ndarray:
        """Predicted ratings of every item for each user at ``times`` [B]: [B, n_items] (column 0,
        the padding item, is -inf)."""
        users, times = np.asarray(users), np.asarray(times)
        n_items = len(self.tables[1].offsets) - 1
        items = np.arange(1, n_items)
        scores = self.predict(np.repeat(users, len(items)), np.tile(items, len(users)),
                              np.repeat(times, len(items)))
        out = np.full((len(users), n_items), -np.inf, np.float32)
        out[:, 1:] = scores.reshape(len(users), len(items))
        return out

    def attention(self, users, items, times) -> dict:
        """Attention scores of each (user, item, time) with the ids of every step (for Figure 5)."""
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


class BaselineMethod:
    """A baseline of `seqrec.models` adapted to the rating task: it trains on the training ratings,
    with validation ratings for early stopping and a negative sampler built from training pairs only
    (so no validation or test item is ever treated specially during training)."""

    def __init__(self, name: str, factory, needs_features: bool = False, **kwargs):
        self.name, self.factory, self.needs_features, self.kwargs = name, factory, needs_features, kwargs
        self.hyperparameters = dict(kwargs)
        self.predicts_ratings = False

    def fit(self, prepared: Prepared, context) -> dict:
        data = prepared.data
        set_seed(context.seed)
        kwargs = dict(self.kwargs, seed=context.seed)
        if self.needs_features:
            kwargs["features"] = prepared.features
        self.model = self.factory(data.users.size, data.items.size, **kwargs)
        self.predicts_ratings = self.model.predicts_ratings
        train = data.pairs("train")
        sampler = NegativeSampler(train["user"], train["item"], data.items.size)
        valid = data.pairs("valid")
        return self.model.fit(train, valid if len(valid["user"]) else None, negative_sampler=sampler,
                              verbose=context.verbose) or {}

    def predict(self, users, items, times) -> np.ndarray:
        return self.model.predict(users, items, times)

    def score_all(self, users, times) -> np.ndarray:
        return self.model.score_all(users, times)


def run_method(method, prepared: Prepared, task, context) -> dict:
    """Seed, fit and evaluate one method; returns its test result, fit info and seconds."""
    set_seed(context.seed)
    start = time.perf_counter()
    info = method.fit(prepared, context)
    result = task.evaluate(method, prepared.data, "test")
    return {"result": result, "info": info, "seconds": round(time.perf_counter() - start, 1)}


def grid_points(grid: dict[str, Sequence]) -> list[dict]:
    """Every combination of a hyper-parameter grid (one point for an empty grid)."""
    keys = list(grid)
    return [dict(zip(keys, values, strict=True)) for values in itertools.product(*grid.values())]


def select_and_run(make, grid: dict[str, Sequence], prepared: Prepared, task, context) -> dict:
    """Model selection on the validation part only, then one test evaluation.

    ``make(**point)`` builds a method for every point of ``grid``; each is fitted and scored on the
    validation ratings (RMSE for rating models, else AUC); the best is evaluated on test. Returns what
    `run_method` returns plus the validation score of every point."""
    start = time.perf_counter()
    tried, best = [], None
    for point in grid_points(grid):
        method = make(**point)
        set_seed(context.seed)
        info = method.fit(prepared, context)
        valid = task.evaluate(method, prepared.data, "valid", ranking=not method.predicts_ratings).mean()
        score = valid["RMSE"] if method.predicts_ratings else -valid["AUC"]
        entry = {**point, "valid_" + ("rmse" if method.predicts_ratings else "auc"): round(abs(score), 5),
                 "fit": info}
        tried.append(entry)
        if best is None or score < best[0]:
            best = (score, method, entry)
    _, method, entry = best
    result = task.evaluate(method, prepared.data, "test")
    return {"result": result, "method": method, "info": {"selected": entry, "tried": len(tried)},
            "grid": tried, "seconds": round(time.perf_counter() - start, 1)}
