"""What every baseline shares: input arrays, the training loop with early stopping, chunked scoring.

A baseline is a `Recommender`: it takes vocabulary sizes (padding index 0 included) and numpy arrays,
never a dataset object, so `seqrec.models` stays independent of `seqrec.datasets`.

* ``fit(train, valid=None, negative_sampler=None, verbose=0)``: ``train``/``valid`` are dicts of numpy
  arrays ``user``, ``item`` (int, 1..n-1), ``rating`` (float) and ``time`` (int64 unix seconds).
  ``keras.utils.set_random_seed(seed)`` is called first, and every random draw of the fit (shuffling,
  negatives, context sampling) comes from a numpy generator seeded with ``seed``, so two fits with the
  same seed give the same model. With ``valid``, training stops after ``patience`` epochs without
  improvement of the validation metric and the best epoch's weights are restored (Keras'
  ``EarlyStopping``, as for every trainer of the suite): RMSE for rating models, a **sampled AUC** for
  the others (each validation pair against ``valid_negatives`` items
  drawn once, with the fit's seed, by ``negative_sampler``; ties count one half).
* ``predict(users, items, times=None)`` -> float [n]: a rating estimate or a preference score.
* ``score_all(users, times=None)`` -> float32 [len(users), n_items]: the scores of every item, computed
  in user chunks of about ``SCORE_CHUNK`` cells; column 0 (padding) holds an arbitrary value.

Each model trains a `keras.Model` (``self.network``) whose ``compute_loss`` implements the method's
objective; one ``network.fit(..., epochs=1)`` call runs one epoch over arrays the model prepared (and
shuffled) with numpy, so a new set of negatives can be drawn every epoch.
"""

import operator
import time as _time

import keras
import numpy as np
import scipy.sparse as sp
import tensorflow as tf
from keras import tree

SCORE_CHUNK = 1 << 22  # cells of a score_all block (users x items)
STEPS_PER_EXECUTION = 32
DAY = 86400


def as_arrays(data, need=("user", "item"), name="train") -> dict[str, np.ndarray]:
    """The interaction arrays, validated and cast: ``user``/``item`` int32, ``rating`` float32,
    ``time`` int64; every key in ``need`` must be present and all arrays must have the same length."""
    if not isinstance(data, dict):
        raise TypeError(f"{name} must be a dict of numpy arrays (user, item, rating, time), "
                        f"got {type(data).__name__}")
    missing = [k for k in need if k not in data]
    if missing:
        raise ValueError(f"{name} lacks the arrays {missing}; it has {sorted(data)}")
    dtypes = {"user": np.int32, "item": np.int32, "rating": np.float32, "time": np.int64}
    out = {k: np.asarray(data[k]).astype(t, copy=False).reshape(-1) for k, t in dtypes.items() if k in data}
    lengths = {k: len(v) for k, v in out.items()}
    if len(set(lengths.values())) > 1:
        raise ValueError(f"{name}: arrays of different lengths {lengths}")
    return out


def item_sets(users, items, n_users: int, n_items: int) -> sp.csr_matrix:
    """Binary users x items CSR matrix of the distinct (user, item) pairs, columns sorted per row."""
    m = sp.csr_matrix((np.ones(len(users), np.float32), (np.asarray(users), np.asarray(items))),
                      shape=(n_users, n_items))
    m.sum_duplicates()
    m.data[:] = 1.0
    m.sort_indices()
    return m


def feature_slots(features, n_items: int) -> tuple[np.ndarray, np.ndarray, int, int]:
    """Item features as padded slots: ``nodes`` int32 [n_items, K] (feature or node indices, 0 = empty),
    ``levels`` int32 [n_items, K] (the slot's level: the path position for a hierarchy, 0 for flat
    features), the number of levels and the number of feature/node indices (``features.size``).

    ``features`` is duck-typed on ``structure`` ("flat" or "hierarchy"), ``matrix`` (flat: multi-hot
    [n_items, n_features]; hierarchy: root-to-leaf node paths [n_items, depth], 0-padded) and ``size``;
    a dict with these keys works too (``size`` defaults to the matrix width / largest node + 1).
    """
    get = features.get if isinstance(features, dict) else lambda k, d=None: getattr(features, k, d)
    structure, matrix = get("structure"), np.asarray(get("matrix"))
    if matrix.shape[0] != n_items:
        raise ValueError(f"features have {matrix.shape[0]} rows, the item vocabulary {n_items}")
    if structure == "flat":
        size = int(get("size") or matrix.shape[1])
        counts = (matrix[:, 1:] > 0).sum(1)
        k = max(int(counts.max()) if len(counts) else 0, 1)
        rows, cols = np.nonzero(matrix[:, 1:] > 0)
        cols = cols + 1
        slot = np.arange(len(rows)) - np.searchsorted(rows, rows)  # position within the row
        nodes = np.zeros((n_items, k), np.int32)
        nodes[rows, slot] = cols
        return nodes, np.zeros_like(nodes), 1, size
    if structure == "hierarchy":
        nodes = matrix.astype(np.int32)
        size = int(get("size") or nodes.max() + 1)
        levels = np.broadcast_to(np.arange(nodes.shape[1], dtype=np.int32), nodes.shape).copy()
        return nodes, levels, nodes.shape[1], size
    raise ValueError(f"features.structure must be 'flat' or 'hierarchy', got {structure!r}")


def early_stopping(monitor: str, mode: str, patience: int) -> keras.callbacks.EarlyStopping:
    """Keras' ``EarlyStopping`` on ``monitor`` (``mode`` "min" or "max") that restores the best epoch's
    weights and compares the monitored values exactly: Keras compares them with its tensor ops, in float32,
    which takes two validation scores closer than float32's precision for a tie (no improvement)."""
    stopping = keras.callbacks.EarlyStopping(monitor=monitor, mode=mode, patience=patience,
                                             restore_best_weights=True)
    stopping.monitor_op = {"min": operator.lt, "max": operator.gt}[mode]
    return stopping


class LossNetwork(keras.Model):
    """A `keras.Model` whose ``compute_loss`` is the method's objective: subclasses define ``call`` (a
    dict of tensors) and ``objective(x, y, out)`` (a scalar)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("name", type(self).__name__.lstrip("_").lower())
        super().__init__(**kwargs)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        return self.objective(x, y, y_pred)

    def objective(self, x, y, out):  # pragma: no cover - abstract
        raise NotImplementedError


class Recommender:
    """Base class of the baselines (see the module docstring for the API)."""

    name = "Recommender"
    predicts_ratings = False
    valid_negatives = 50  # sampled negatives per validation pair for the validation AUC
    score_chunk = SCORE_CHUNK

    def __init__(self, n_users: int, n_items: int, *, dim: int, learning_rate: float, reg: float,
                 epochs: int, batch_size: int, patience: int, seed: int, **extra):
        if n_users < 2 or n_items < 2:
            raise ValueError("n_users and n_items are vocabulary sizes including the padding index 0")
        self.n_users, self.n_items = int(n_users), int(n_items)
        self.dim, self.learning_rate, self.reg = int(dim), float(learning_rate), float(reg)
        self.epochs, self.batch_size = int(epochs), int(batch_size)
        self.patience, self.seed = int(patience), int(seed)
        self._hyper = {"dim": self.dim, "learning_rate": self.learning_rate, "reg": self.reg,
                       "epochs": self.epochs, "batch_size": self.batch_size, "patience": self.patience,
                       "seed": self.seed, **extra}
        self.network = None
        self.rng = np.random.default_rng(self.seed)
        self._cache = {}

    @property
    def hyperparameters(self) -> dict:
        """Constructor arguments (without the vocabulary sizes and the features)."""
        return dict(self._hyper)

    # --- to implement ---------------------------------------------------------------------------
    def _prepare(self, train: dict, negative_sampler) -> None:
        """Build ``self.network`` (compiled) and whatever the epochs need from the training arrays."""
        raise NotImplementedError

    def _epoch_data(self, epoch: int) -> tuple[dict, np.ndarray | None]:
        """The (shuffled) inputs and targets of one epoch."""
        raise NotImplementedError

    def _predict_block(self, users, items, times) -> np.ndarray:
        raise NotImplementedError

    def _score_block(self, users, times) -> np.ndarray:
        raise NotImplementedError

    # --- shared -----------------------------------------------------------------------------------
    def _compile(self, network: keras.Model, optimizer=None) -> keras.Model:
        """Compile with Adam (ours; each docstring says what the paper used), no XLA, and
        ``STEPS_PER_EXECUTION`` batches per graph call (less per-step overhead on a CPU; one under a
        distribution strategy, where Keras 3.15's loop over several steps fails to run)."""
        steps = 1 if tf.distribute.has_strategy() else STEPS_PER_EXECUTION
        network.compile(optimizer=optimizer or keras.optimizers.Adam(self.learning_rate), jit_compile=False,
                        steps_per_execution=steps)
        return network

    def _check_ids(self, users, items=None):
        users = np.asarray(users).astype(np.int32, copy=False).reshape(-1)
        if len(users) and (users.min() < 0 or users.max() >= self.n_users):
            raise ValueError(f"user indices must lie in 0..{self.n_users - 1}")
        if items is None:
            return users
        items = np.asarray(items).astype(np.int32, copy=False).reshape(-1)
        if len(items) != len(users):
            raise ValueError(f"{len(users)} users but {len(items)} items")
        if len(items) and (items.min() < 0 or items.max() >= self.n_items):
            raise ValueError(f"item indices must lie in 0..{self.n_items - 1}")
        return users, items

    def _require_fit(self):
        if self.network is None:
            raise RuntimeError(f"{self.name} is not fitted; call fit first")

    def fit(self, train: dict, valid: dict | None = None, negative_sampler=None, verbose: int = 0,
            checkpoint=None) -> dict:
        """Train on ``train``; returns ``{"epochs_run", "best_epoch", "stopped_by", "history",
        "valid_metric", "best_valid", "seconds"}`` (``history``: per-epoch training loss and validation
        metric; ``stopped_by``: "early stopping", "epoch cap" or no validation). ``checkpoint``: makes the
        per-epoch checkpoint, ``checkpoint(callbacks, extra=(save, load))`` (a
        `seqrec.training.checkpoints.EpochCheckpoint` of its folder): it saves early stopping's state and
        the NumPy generator that orders the epochs, and a fit finding one resumes after its epoch."""
        start = _time.perf_counter()
        keras.utils.set_random_seed(self.seed)
        self.rng = np.random.default_rng(self.seed)
        need = ("user", "item", "rating") if self.predicts_ratings else ("user", "item")
        train = as_arrays(train, need + (("time",) if getattr(self, "needs_time", False) else ()))
        self._check_ids(train["user"], train["item"])
        valid_fn, metric = None, None
        if valid is not None:
            valid = as_arrays(valid, need + (("time",) if getattr(self, "needs_time", False) else ()),
                              name="valid")
            self._check_ids(valid["user"], valid["item"])
            if len(valid["user"]):
                valid_fn, metric = self._validation(valid, negative_sampler)
        self._prepare(train, negative_sampler)
        history = {"loss": [], metric or "valid": []}
        stopper = None
        if valid_fn is not None:  # the early stopping every trainer of the suite uses, driven per epoch
            stopper = early_stopping(f"val_{metric}", "min" if metric == "rmse" else "max", self.patience)
        saver, first = self._checkpoint(checkpoint, stopper), 0
        if saver is not None and saver.saved:  # a checkpoint to restore into the network's variables
            self._build_network()
        for callback in (stopper, saver):
            if callback is not None:
                callback.set_model(self.network)
                callback.on_train_begin()
        if saver is not None:
            first = saver.initial_epoch(self.epochs)
            for log in saver.logs:
                history["loss"].append(log["loss"])
                if f"val_{metric}" in log:
                    history[metric].append(log[f"val_{metric}"])
        for epoch in range(first, self.epochs):
            x, y = self._epoch_data(epoch)
            h = self.network.fit(x, y, batch_size=self.batch_size, epochs=1, shuffle=False, verbose=0)
            history["loss"].append(float(h.history["loss"][-1]))
            logs = {"loss": history["loss"][-1]}
            if stopper is not None:
                value = valid_fn()
                history[metric].append(value)
                if verbose:
                    print(f"{self.name} epoch {epoch + 1}: loss {logs['loss']:.4f}, {metric} {value:.4f}")
                logs[f"val_{metric}"] = value
                stopper.on_epoch_end(epoch, logs)
            if saver is not None:
                saver.on_epoch_end(epoch, logs)
            if self.network.stop_training:
                break
        best, best_epoch, stopped_by = None, len(history["loss"]), "no validation: every epoch, the last kept"
        if stopper is not None:
            stopper.on_train_end()  # restores the best epoch's weights
            self._after_weights_change()
            best, best_epoch = float(stopper.best), stopper.best_epoch + 1
            stopped_by = "early stopping" if stopper.stopped_epoch else "epoch cap"
        return {"epochs_run": len(history["loss"]), "best_epoch": best_epoch, "stopped_by": stopped_by,
                "history": history, "valid_metric": metric, "best_valid": best,
                "seconds": _time.perf_counter() - start}

    def _build_network(self) -> None:
        """Create the network's variables (and its optimiser's) before the first epoch, from one example
        of the first epoch's data, so that a checkpoint can be restored into them (only then: it costs an
        epoch's data); the generator that orders the epochs is put back as it was."""
        state = self.rng.bit_generator.state
        x, _ = self._epoch_data(0)
        self.rng.bit_generator.state = state
        self.network(tree.map_structure(lambda a: a[:1], x), training=False)
        self.network.optimizer.build(self.network.trainable_variables)

    def _checkpoint(self, make, stopper):
        """The per-epoch checkpoint of a fit (`fit`'s ``checkpoint``; None: none), saving early stopping's
        state and the NumPy generator that orders the epochs."""
        if make is None:
            return None

        def load(state):
            if "rng" in state:
                self.rng.bit_generator.state = state["rng"]

        return make([stopper] if stopper is not None else [],
                    extra=(lambda: {"rng": self.rng.bit_generator.state}, load))

    def _after_weights_change(self):
        """Hook: drop caches derived from the weights (e.g. normalised item vectors)."""
        self._cache = {}

    def _validation(self, valid: dict, negative_sampler):
        users, items, times = valid["user"], valid["item"], valid.get("time")
        if self.predicts_ratings:
            ratings = valid["rating"].astype(np.float64)

            def rmse():
                self._cache = {}
                pred = self.predict(users, items, times)
                return float(np.sqrt(np.mean((pred - ratings) ** 2)))

            return rmse, "rmse"
        if negative_sampler is None:
            raise ValueError(f"{self.name}: a validation set needs negative_sampler (built from the training "
                             "pairs) for the validation AUC")
        k = self.valid_negatives
        negatives = negative_sampler.sample_numpy(users, k, self.seed + 7919).astype(np.int32)

        def auc():
            self._cache = {}
            pos = self.predict(users, items, times)
            neg = self.predict(np.repeat(users, k), negatives.ravel(),
                               None if times is None else np.repeat(times, k)).reshape(-1, k)
            return float(np.mean((neg < pos[:, None]) + 0.5 * (neg == pos[:, None])))

        return auc, "auc"

    def predict(self, users, items, times=None) -> np.ndarray:
        """Rating estimate (rating models) or preference score of each ``(user, item[, time])``: [n]."""
        self._require_fit()
        users, items = self._check_ids(users, items)
        times = None if times is None else np.asarray(times, np.int64).reshape(-1)
        if times is not None and len(times) != len(users):
            raise ValueError(f"{len(users)} users but {len(times)} times")
        out = np.empty(len(users), np.float64)
        step = 1 << 16
        for s in range(0, len(users), step):
            out[s:s + step] = self._predict_block(users[s:s + step], items[s:s + step],
                                                  None if times is None else times[s:s + step])
        return out

    def score_all(self, users, times=None) -> np.ndarray:
        """Scores of every item for each user (optionally at a time per user): float32 [B, n_items]."""
        self._require_fit()
        users = self._check_ids(users)
        times = None if times is None else np.asarray(times, np.int64).reshape(-1)
        if times is not None and len(times) != len(users):
            raise ValueError(f"{len(users)} users but {len(times)} times")
        out = np.empty((len(users), self.n_items), np.float32)
        step = max(1, self.score_chunk // self.n_items)
        for s in range(0, len(users), step):
            block = None if times is None else times[s:s + step]
            out[s:s + step] = self._score_block(users[s:s + step], block)
        return out

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._hyper.items())
        return f"{type(self).__name__}(n_users={self.n_users}, n_items={self.n_items}, {args})"


def embedding(n: int, dim: int, name: str, stddev: float = 0.1, zeros: bool = False):
    """An embedding table initialised N(0, stddev) (or zeros, for biases)."""
    init = "zeros" if zeros else keras.initializers.RandomNormal(stddev=stddev)
    return keras.layers.Embedding(n, dim, embeddings_initializer=init, name=name)


def sq(x):
    """Row-wise squared L2 norm (over the last axis)."""
    return keras.ops.sum(keras.ops.square(x), axis=-1)


def rating_loss(y, out, reg: float):
    """Mean squared error of ``out["rating"]`` plus ``reg`` times the mean per-example penalty."""
    error = keras.ops.square(keras.ops.cast(y, "float32") - out["rating"])
    return keras.ops.mean(error) + reg * keras.ops.mean(out["penalty"])
