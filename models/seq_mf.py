"""Sequential matrix factorisation with a window of previous items (Karatzoglou, "Collaborative temporal
order modeling", RecSys 2011), trained with the BPR criterion as UserGRU's Table 2 baseline "Seq. Matrix
Factorization" (Donkers et al. 2017, section 4 and Table 1: window size 2)."""

import numpy as np
from keras import ops

from .base import LossNetwork, Recommender, embedding, sq

_SPAN = np.int64(2**32)  # composite (user, time) keys: user * _SPAN + seconds since the first event


def previous_items(users, items, window: int) -> np.ndarray:
    """The ``window`` previous items of every event in its user's sequence: int32 [n, window], column
    ``k - 1`` holding the item ``k`` events back, 0 where the sequence has fewer earlier events.

    ``users``/``items`` [n] must be in event order within each user (users may be interleaved)."""
    users = np.asarray(users, np.int64)
    items = np.asarray(items, np.int32)
    order = np.argsort(users, kind="stable")  # keeps the event order within each user
    u, it = users[order], items[order]
    out = np.zeros((len(users), window), np.int32)
    for k in range(1, window + 1):
        same = np.zeros(len(u), bool)
        same[k:] = u[k:] == u[:-k]
        col = np.zeros(len(u), np.int32)
        col[k:] = it[:-k]
        out[order, k - 1] = np.where(same, col, 0)
    return out


class _SeqMFNet(LossNetwork):
    def __init__(self, n_users, n_items, dim, reg):
        super().__init__()
        self.P = embedding(n_users, dim, "user_factors")
        self.Z = embedding(n_items, dim, "window_factors")
        self.Q = embedding(n_items, dim, "item_factors")
        self.b = embedding(n_items, 1, "item_bias", zeros=True)
        self.reg = float(reg)

    def context(self, users, window):
        """``h = p_u + Σ_k z_{window_k}`` (padding 0 contributes nothing) and its penalty: [B, d], [B]."""
        present = ops.cast(window > 0, "float32")[..., None]
        z = self.Z(window) * present  # [B, w, d]
        return self.P(users) + ops.sum(z, axis=1), sq(self.P(users)) + ops.sum(sq(z), axis=1)

    def score(self, h, items):
        q, b = self.Q(items), self.b(items)[..., 0]
        return ops.sum(h * q, axis=-1) + b, sq(q) + b ** 2

    def call(self, x):
        h, pen_h = self.context(x["user"], x["window"])
        pos, pen_i = self.score(h, x["item"])
        neg, pen_j = self.score(h, x["negative"])
        return {"x_uij": pos - neg, "penalty": pen_h + pen_i + pen_j}

    def objective(self, x, y, out):
        return -ops.mean(ops.log_sigmoid(out["x_uij"])) + self.reg * ops.mean(out["penalty"])


class SequentialMF(Recommender):
    """Sequential MF (Karatzoglou 2011) with the BPR criterion (Rendle et al. 2009), as UserGRU compares it.

    The user's factor is shifted by the factors of the ``window`` items consumed just before::

        x̂(u, j | i_{t-1}, ..., i_{t-w}) = (p_u + Σ_{k=1..w} z_{i_{t-k}}) · q_j + b_j
        min  mean_{(u, t, j)} [ −ln σ(x̂(u, i_t | ·) − x̂(u, j | ·))
                                + λ (‖p_u‖² + Σ_k ‖z_{i_{t-k}}‖² + ‖q_{i_t}‖² + b_{i_t}² + ‖q_j‖² + b_j²) ]

    ``z`` is a second item factor table, for items in the window; a window position before the start of
    the sequence is padding and contributes 0.

    Training: every training event (u, i_t) is one positive, with the ``window`` previous **training**
    events of the user as window (0-padded at the start); each epoch visits every event once in a random
    order with one fresh negative ``j`` from ``negative_sampler.sample_numpy`` (uniform over items the user
    never interacted with in training, never a positive). Repeated consumptions are separate events
    (unlike `seqrec.models.BPR`, which visits distinct pairs: here the window differs per event).
    Optimiser Adam, as `seqrec.models.BPR` and every other baseline here (`Recommender._compile`): the
    paper names only the BPR criterion and the learning rate 0.01, not the optimiser, and matching
    BPR-MF's optimiser keeps the MF / sequential MF comparison of Table 2 about the window alone.

    Early stopping: on the sampled validation AUC of `Recommender.fit`, each validation pair scored with
    its window among the user's training and validation events (the events just before it, as at
    evaluation time).

    Scoring: `score_windows` takes explicit windows (what the sequence evaluation uses: the events
    just before each target, of any part). `predict`/`score_all` take the window from the **training**
    events the model was fit on: the user's latest ``window`` training events strictly before ``times``
    (all of them when ``times`` is None).

    Shapes: ``score_windows(users [n], windows [n, window]) -> float32 [n, n_items]``;
    ``predict(users [n], items [n], times [n]) -> [n]``; ``score_all(users [B], times [B]) -> [B, n_items]``.

    Hyper-parameters: UserGRU Table 1 gives the window (2) and, for MF, 20 latent factors, 30 iterations
    and learning rate 0.01, which we use here too (the sequential MF row lists only the window);
    ``reg`` = 1e-4 (as `BPR`), batch size 256, patience 3 and the N(0, 0.1) initialisation are ours.
    """

    name = "SequentialMF"
    needs_time = True

    def __init__(self, n_users, n_items, dim=20, window=2, learning_rate=1e-2, reg=1e-4, epochs=30,
                 batch_size=256, patience=3, seed=0):
        if window < 1:
            raise ValueError(f"window must be at least 1, got {window}")
        super().__init__(n_users, n_items, dim=dim, learning_rate=learning_rate, reg=reg, epochs=epochs,
                         batch_size=batch_size, patience=patience, seed=seed, window=int(window))
        self.window = int(window)

    # --- training ------------------------------------------------------------------------------------
    def _prepare(self, train, negative_sampler):
        if negative_sampler is None:
            raise ValueError("SequentialMF needs negative_sampler (built from the training pairs)")
        self.sampler = negative_sampler
        order = np.lexsort((np.arange(len(train["user"])), train["time"], train["user"]))  # stable
        self._users = train["user"][order]
        self._items = train["item"][order]
        self._times = train["time"][order]
        self._windows = previous_items(self._users, self._items, self.window)
        self._offsets = np.searchsorted(self._users, np.arange(self.n_users + 1)).astype(np.int64)
        self._low = int(self._times.min()) if len(self._times) else 0
        if len(self._times) and int(self._times.max()) - self._low >= _SPAN:
            raise ValueError("training times span more than 2**32 seconds")
        self._keys = self._users.astype(np.int64) * _SPAN + (self._times - self._low)
        self.network = self._compile(_SeqMFNet(self.n_users, self.n_items, self.dim, self.reg))

    def _epoch_data(self, epoch):
        order = self.rng.permutation(len(self._users))
        users = self._users[order]
        negatives = self.sampler.sample_numpy(users, 1, self.seed * 100_003 + epoch)[:, 0]
        return {"user": users, "window": self._windows[order], "item": self._items[order],
                "negative": negatives.astype(np.int32)}, None

    def _validation(self, valid, negative_sampler):
        if negative_sampler is None:
            raise ValueError(f"{self.name}: a validation set needs negative_sampler (built from the training "
                             "pairs) for the validation AUC")
        users, items, times = valid["user"], valid["item"], valid["time"]
        k = self.valid_negatives
        negatives = negative_sampler.sample_numpy(users, k, self.seed + 7919).astype(np.int32)
        windows = {}

        def auc():
            self._cache = {}  # score with the weights as they are now, not those of an earlier epoch
            if "w" not in windows:  # training events are known once _prepare ran
                windows["w"] = self._validation_windows(users, items, times)
            w = windows["w"]
            pos = self._score_pairs(users, w, items)
            neg = self._score_pairs(np.repeat(users, k), np.repeat(w, k, axis=0), negatives.ravel())
            neg = neg.reshape(-1, k)
            return float(np.mean((neg < pos[:, None]) + 0.5 * (neg == pos[:, None])))

        return auc, "auc"

    def _validation_windows(self, users, items, times) -> np.ndarray:
        """Each validation event's window among the user's training and validation events before it."""
        n_train = len(self._users)
        all_users = np.concatenate([self._users, users])
        all_items = np.concatenate([self._items, items])
        all_times = np.concatenate([self._times, times])
        # ties in time: training events first, then the validation events in their given order
        order = np.lexsort((np.arange(len(all_users)), all_times, all_users))
        windows = np.empty((len(all_users), self.window), np.int32)
        windows[order] = previous_items(all_users[order], all_items[order], self.window)
        return windows[n_train:]

    # --- scoring -------------------------------------------------------------------------------------
    def _weights(self):
        if "w" not in self._cache:
            n = self.network
            self._cache["w"] = (n.P.embeddings.numpy(), n.Z.embeddings.numpy(), n.Q.embeddings.numpy(),
                                n.b.embeddings.numpy()[:, 0])
        return self._cache["w"]

    def _contexts(self, users, windows) -> np.ndarray:
        P, Z, _, _ = self._weights()
        windows = np.asarray(windows, np.int64)
        return P[users] + np.where(windows[..., None] > 0, Z[windows], 0.0).sum(axis=1)

    def _score_pairs(self, users, windows, items) -> np.ndarray:
        _, _, Q, b = self._weights()
        h = self._contexts(users, windows)
        return np.einsum("nd,nd->n", h, Q[items]) + b[items]

    def training_windows(self, users, times=None) -> np.ndarray:
        """The window of each user from the training events: its latest ``window`` training events
        strictly before ``times`` (all training events when None): int32 [n, window], most recent
        first, 0-padded."""
        self._require_fit()
        users = np.asarray(users, np.int64)
        starts, ends = self._offsets[users], self._offsets[users + 1]
        if times is not None:  # events strictly before the time: a binary search on (user, time) keys
            query = users * _SPAN + np.clip(np.asarray(times, np.int64) - self._low, 0, _SPAN - 1)
            ends = np.searchsorted(self._keys, query, side="left").astype(np.int64)
        back = ends[:, None] - 1 - np.arange(self.window)[None, :]
        valid = back >= starts[:, None]
        return np.where(valid, self._items[np.maximum(back, 0)], 0).astype(np.int32)

    def _predict_block(self, users, items, times):
        return self._score_pairs(users, self.training_windows(users, times), items)

    def _score_block(self, users, times):
        return self._score_windows_block(users, self.training_windows(users, times))

    def _score_windows_block(self, users, windows):
        _, _, Q, b = self._weights()
        return self._contexts(users, windows) @ Q.T + b[None, :]

    def score_windows(self, users, windows) -> np.ndarray:
        """Scores of every item for each ``(user, window)``: float32 [n, n_items].

        ``windows`` int [n, window]: column ``k - 1`` the item ``k`` events before the target (any order
        of columns gives the same score: the window is a sum), 0 = no event."""
        self._require_fit()
        users = self._check_ids(users)
        windows = np.asarray(windows, np.int64).reshape(len(users), -1)
        if windows.shape[1] != self.window:
            raise ValueError(f"windows have {windows.shape[1]} columns; the model's window is {self.window}")
        if windows.size and (windows.min() < 0 or windows.max() >= self.n_items):
            raise ValueError(f"window items must lie in 0..{self.n_items - 1}")
        out = np.empty((len(users), self.n_items), np.float32)
        step = max(1, self.score_chunk // self.n_items)
        for s in range(0, len(users), step):
            out[s:s + step] = self._score_windows_block(users[s:s + step], windows[s:s + step])
        return out
