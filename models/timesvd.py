"""TimeSVD++ (Koren, "Collaborative filtering with temporal dynamics", KDD 2009)."""

import numpy as np
import tensorflow as tf
from keras import ops

from .base import DAY, LossNetwork, Recommender, embedding, item_sets, rating_loss, sq


def deviation(days, mean_days, beta: float) -> np.ndarray:
    """Koren's eq. (7): ``dev_u(t) = sign(t − t_u) · |t − t_u|^β`` (t and t_u in days); 0 where t_u is
    NaN (a user without training ratings)."""
    diff = np.asarray(days, np.float64) - np.asarray(mean_days, np.float64)
    return np.nan_to_num(np.sign(diff) * np.abs(diff) ** beta, nan=0.0)


def time_bins(times, t_min: int, t_max: int, n_bins: int) -> np.ndarray:
    """Bin of each unix time among ``n_bins`` equal-width bins over ``[t_min, t_max]`` (the training span);
    times outside it fall into the first or last bin."""
    width = (t_max - t_min) / n_bins
    if width <= 0:
        return np.zeros(np.shape(times), np.int32)
    b = np.floor((np.asarray(times, np.float64) - t_min) / width)
    return np.clip(b, 0, n_bins - 1).astype(np.int32)


class _TimeSVDNet(LossNetwork):
    def __init__(self, n_users, n_items, n_user_days, n_bins, dim, mu, reg, histories, scales):
        super().__init__()
        self.drift_scale, self.bin_scale, self.day_scale = (float(s) for s in scales)
        self.n_bins = int(n_bins)
        self.bu = embedding(n_users, 1, "user_bias", zeros=True)
        self.au = embedding(n_users, 1, "user_drift", zeros=True)
        self.but = embedding(n_user_days, 1, "user_day_bias", zeros=True)
        self.bi = embedding(n_items, 1, "item_bias", zeros=True)
        self.bibin = embedding(n_items * n_bins, 1, "item_bin_bias", zeros=True)
        self.P = embedding(n_users, dim, "user_factors")
        self.Ap = embedding(n_users, dim, "user_factor_drift", zeros=True)
        self.Q = embedding(n_items, dim, "item_factors")
        self.Y = embedding(n_items, dim, "implicit_factors", stddev=0.01)
        self.Y.build(None)  # its table is read directly, not through a call
        self.mu, self.reg = float(mu), float(reg)
        self.histories = histories  # tf.RaggedTensor [n_users, (items)]: N(u), the training items

    def implicit(self, users):
        """|N(u)|^-1/2 Σ_{j∈N(u)} y_j and Σ_{j∈N(u)} ‖y_j‖² for each user of the batch, computed once per
        distinct user and without a dense users x items matrix: [B, dim] and [B]."""
        distinct, where = tf.unique(users)
        rows = tf.gather(self.histories, distinct)
        ids, segments = rows.values, tf.cast(rows.value_rowids(), tf.int32)
        n = tf.shape(distinct)[0]
        table = self.Y.embeddings
        summed = tf.sparse.segment_sqrt_n(table, ids, segments, num_segments=n)
        norms = tf.math.unsorted_segment_sum(tf.gather(sq(table), ids), segments, n)
        return tf.gather(summed, where), tf.gather(norms, where)

    def call(self, x):
        u, i, dev = x["user"], x["item"], ops.cast(x["dev"], "float32")
        bu, au = self.bu(u)[:, 0], self.drift_scale * self.au(u)[:, 0]
        but = self.day_scale * self.but(x["day"])[:, 0]
        bi, bibin = self.bi(i)[:, 0], self.bin_scale * self.bibin(i * self.n_bins + x["bin"])[:, 0]
        p, ap, q = self.P(u), self.drift_scale * self.Ap(u), self.Q(i)
        implicit, y_norms = self.implicit(u)
        user = p + ap * dev[:, None] + implicit
        rating = self.mu + bu + au * dev + but + bi + bibin + ops.sum(q * user, axis=-1)
        penalty = (bu ** 2 + au ** 2 + but ** 2 + bi ** 2 + bibin ** 2 + sq(p) + sq(ap) + sq(q) + y_norms)
        return {"rating": rating, "penalty": penalty}

    def objective(self, x, y, out):
        return rating_loss(y, out, self.reg)


class TimeSVDpp(Recommender):
    """TimeSVD++ (Koren, KDD 2009, eq. 8-9 and 13), rating prediction with temporal dynamics:

        r̂_ui(t) = μ + b_u + α_u·dev_u(t) + b_{u,t} + b_i + b_{i,Bin(t)}
                  + q_iᵀ ( p_u + α^p_u·dev_u(t) + |N(u)|^{-1/2} Σ_{j∈N(u)} y_j )
        dev_u(t) = sign(t − t_u)·|t − t_u|^β

    * t is the day of the rating (unix seconds // 86400) and t_u the mean day of u's training ratings;
      β = ``decay`` = 0.4 (IARN 4.1 "decay_rate = 0.4", also Koren's value).
    * Bin(t): ``n_bins`` = 30 (IARN 4.1 "bin = 30"; Koren also uses 30) equal-width bins over the span of
      the training times; later (test) times fall into the last bin.
    * b_{u,t}: one bias per (user, day) seen in training; 0 for a day the user has no training rating.
    * N(u): the user's distinct training items (the SVD++ implicit feedback), summed with
      `tf.sparse.segment_sqrt_n` over the batch's ragged histories (the "sqrtn" combiner of
      `tf.nn.embedding_lookup_sparse`), never a dense users x items matrix.
    * Loss: mean squared error plus λ·(b_u² + α_u² + b_{u,t}² + b_i² + b_{i,bin}² + ‖p_u‖² + ‖α^p_u‖² +
      ‖q_i‖² + Σ_{j∈N(u)}‖y_j‖²) per example, as Koren's SGD; one λ for all terms (Koren tunes several).
      Koren's optional c_u(t) scaling of the item bias is not included (IARN names no component beyond
      the ones above).
    * Per-parameter step sizes: Koren gives the time-dependent parameters much smaller learning rates
      (e.g. 1e-5 for α_u against 3e-3 for b_u). Under Adam we get the same effect by storing them
      scaled: α_u = ``drift_scale``·a_u and α^p_u = ``drift_scale``·a^p_u (0.01), b_{i,bin} =
      ``bin_scale``·c_{i,bin} (0.1), b_{u,t} = ``day_scale``·d_{u,t} (0.1), which divides their
      effective step by the scale (the penalty applies to the actual values). Without it the drift
      terms overfit within two epochs (validation RMSE 0.88 against 0.69 on the synthetic data).

    ``predict(users, items, times=None)``: with ``times`` the full model; without, t = t_u (dev = 0),
    no day bias and the last time bin (the latest training period). ``score_all(users, times=None)``
    takes one time per user. Output shapes [n] and [B, n_items].

    Hyper-parameters: ``dim`` = 25 (IARN 4.1; 50 on Amazon), ``decay`` = 0.4 and ``n_bins`` = 30 from
    IARN 4.1; ``learning_rate`` 1e-2 and ``reg`` 1e-1 from IARN's grid (values ours, the best by
    validation RMSE on MovieLens latest-small and the synthetic data); the three scales, epochs,
    ``batch_size`` 1024 (the implicit sums make a step costly: 2 s per epoch on latest-small), patience
    and initialisation (N(0, 0.1) factors, N(0, 0.01) y_j, zero biases and drifts) are ours. Optimiser
    Adam (Koren: SGD). Early stopping on validation RMSE.
    """

    name = "TimeSVD++"
    predicts_ratings = True
    needs_time = True

    def __init__(self, n_users, n_items, dim=25, learning_rate=1e-2, reg=1e-1, epochs=30, batch_size=1024,
                 patience=3, seed=0, decay=0.4, n_bins=30, drift_scale=0.01, bin_scale=0.1,
                 day_scale=0.1):
        super().__init__(n_users, n_items, dim=dim, learning_rate=learning_rate, reg=reg, epochs=epochs,
                         batch_size=batch_size, patience=patience, seed=seed, decay=float(decay),
                         n_bins=int(n_bins), drift_scale=float(drift_scale), bin_scale=float(bin_scale),
                         day_scale=float(day_scale))
        self.decay, self.n_bins = float(decay), int(n_bins)
        self.drift_scale, self.bin_scale, self.day_scale = float(drift_scale), float(bin_scale), \
            float(day_scale)

    # --- time features ----------------------------------------------------------------------------
    def _prepare_time(self, train):
        days = train["time"] // DAY
        counts = np.bincount(train["user"], minlength=self.n_users)
        sums = np.bincount(train["user"], weights=days.astype(np.float64), minlength=self.n_users)
        with np.errstate(invalid="ignore", divide="ignore"):
            self.mean_day = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
        self.t_min, self.t_max = int(train["time"].min()), int(train["time"].max())
        self.day_keys = np.unique(train["user"].astype(np.int64) << 32 | (days - days.min()))
        self.day0 = int(days.min())

    def dev(self, users, times) -> np.ndarray:
        """dev_u(t) for each (user, unix time)."""
        return deviation(np.asarray(times, np.int64) // DAY, self.mean_day[users], self.decay)

    def bins(self, times) -> np.ndarray:
        return time_bins(times, self.t_min, self.t_max, self.n_bins)

    def day_index(self, users, times) -> np.ndarray:
        """Row of b_{u,t} for each (user, time): 1 + rank of the training (user, day), 0 when unseen."""
        rel = np.asarray(times, np.int64) // DAY - self.day0
        keys = np.asarray(users, np.int64) << 32 | np.clip(rel, 0, None)
        pos = np.clip(np.searchsorted(self.day_keys, keys), 0, len(self.day_keys) - 1)
        found = (self.day_keys[pos] == keys) & (rel >= 0)
        return np.where(found, pos + 1, 0).astype(np.int32)

    def _inputs(self, users, items, times) -> dict:
        """The network's inputs for (user, item, time) triples (``times=None``: see `predict`)."""
        if times is None:
            n = len(users)
            return {"user": users, "item": items, "dev": np.zeros(n, np.float32),
                    "bin": np.full(n, self.n_bins - 1, np.int32), "day": np.zeros(n, np.int32)}
        return {"user": users, "item": items, "dev": self.dev(users, times).astype(np.float32),
                "bin": self.bins(times), "day": self.day_index(users, times)}

    # --- training -----------------------------------------------------------------------------------
    def _prepare(self, train, negative_sampler):
        self._prepare_time(train)
        self.mu = float(np.mean(train["rating"]))
        self.history_matrix = item_sets(train["user"], train["item"], self.n_users, self.n_items)
        ragged = tf.RaggedTensor.from_row_splits(self.history_matrix.indices.astype(np.int32),
                                                 self.history_matrix.indptr.astype(np.int64))
        self.network = self._compile(_TimeSVDNet(self.n_users, self.n_items, len(self.day_keys) + 1,
                                                 self.n_bins, self.dim, self.mu, self.reg, ragged,
                                                 (self.drift_scale, self.bin_scale, self.day_scale)))
        self._train = {**self._inputs(train["user"], train["item"], train["time"]), "rating": train["rating"]}

    def _epoch_data(self, epoch):
        order = self.rng.permutation(len(self._train["user"]))
        x = {k: v[order] for k, v in self._train.items()}
        return x, x.pop("rating")

    # --- scoring (numpy, from the trained weights) -------------------------------------------------------
    def _weights(self):
        if "w" not in self._cache:
            n = self.network
            w = {name: getattr(n, name).embeddings.numpy() for name in
                 ("bu", "au", "but", "bi", "bibin", "P", "Ap", "Q", "Y")}
            for name in ("bu", "au", "but", "bi", "bibin"):
                w[name] = w[name][:, 0]
            w["bibin"] = self.bin_scale * w["bibin"].reshape(self.n_items, self.n_bins)
            w["au"], w["Ap"] = self.drift_scale * w["au"], self.drift_scale * w["Ap"]
            w["but"] = self.day_scale * w["but"]
            self._cache["w"] = w
        return self._cache["w"]

    def _user_vectors(self, users, dev):
        """p_u + α^p_u dev_u(t) + |N(u)|^-1/2 Σ_{j∈N(u)} y_j: [n, dim] (the sum once per distinct user)."""
        w = self._weights()
        distinct, where = np.unique(users, return_inverse=True)
        counts = np.diff(self.history_matrix.indptr)[distinct]
        implicit = (self.history_matrix[distinct] @ w["Y"]) / np.sqrt(np.maximum(counts, 1))[:, None]
        return w["P"][users] + w["Ap"][users] * dev[:, None] + implicit[where]

    def _predict_block(self, users, items, times):
        w, x = self._weights(), self._inputs(users, items, times)
        dev = x["dev"].astype(np.float64)
        vec = self._user_vectors(users, dev)
        return (self.mu + w["bu"][users] + w["au"][users] * dev + w["but"][x["day"]] + w["bi"][items]
                + w["bibin"][items, x["bin"]] + np.einsum("nd,nd->n", w["Q"][items], vec))

    def _score_block(self, users, times):
        w = self._weights()
        x = self._inputs(users, np.zeros(len(users), np.int32), times)
        dev = x["dev"].astype(np.float64)
        vec = self._user_vectors(users, dev)
        user_part = self.mu + w["bu"][users] + w["au"][users] * dev + w["but"][x["day"]]
        return user_part[:, None] + w["bi"][None, :] + w["bibin"][:, x["bin"]].T + vec @ w["Q"].T
