"""Matrix factorisation baselines: biased MF for ratings (Koren et al. 2009) and BPR-MF for ranking
(Rendle et al. 2009), as compared in IARN's Table 2."""

import numpy as np
from keras import ops

from .base import LossNetwork, Recommender, embedding, item_sets, rating_loss, sq


class BiasedDotScoring:
    """Scoring of biased matrix factorisation, ``mu + b_u + b_i + p_u . q_i``, from a fitted network with
    ``P``, ``bu``, ``bi`` embeddings; `item_factors` gives q (HieVH enriches it)."""

    def item_factors(self) -> np.ndarray:
        return self.network.Q.embeddings.numpy()

    def _weights(self):
        if "w" not in self._cache:
            n = self.network
            self._cache["w"] = (n.P.embeddings.numpy(), self.item_factors(), n.bu.embeddings.numpy()[:, 0],
                                n.bi.embeddings.numpy()[:, 0])
        return self._cache["w"]

    def _predict_block(self, users, items, times):
        P, Q, bu, bi = self._weights()
        return self.mu + bu[users] + bi[items] + np.einsum("nd,nd->n", P[users], Q[items])

    def _score_block(self, users, times):
        P, Q, bu, bi = self._weights()
        return self.mu + bu[users][:, None] + bi[None, :] + P[users] @ Q.T


class _MFNet(LossNetwork):
    def __init__(self, n_users, n_items, dim, mu, reg):
        super().__init__()
        self.P = embedding(n_users, dim, "user_factors")
        self.Q = embedding(n_items, dim, "item_factors")
        self.bu = embedding(n_users, 1, "user_bias", zeros=True)
        self.bi = embedding(n_items, 1, "item_bias", zeros=True)
        self.mu, self.reg = float(mu), float(reg)

    def call(self, x):
        p, q = self.P(x["user"]), self.Q(x["item"])
        bu, bi = self.bu(x["user"])[:, 0], self.bi(x["item"])[:, 0]
        rating = self.mu + bu + bi + ops.sum(p * q, axis=-1)
        return {"rating": rating, "penalty": sq(p) + sq(q) + bu ** 2 + bi ** 2}

    def objective(self, x, y, out):
        return rating_loss(y, out, self.reg)


class MF(BiasedDotScoring, Recommender):
    """Biased matrix factorisation for rating prediction (Koren, Bell & Volinsky, "Matrix factorization
    techniques for recommender systems", IEEE Computer 2009, eq. 4-5):

        r̂_ui = μ + b_u + b_i + p_uᵀ q_i
        min  mean_{(u,i) in batch} [ (r_ui − r̂_ui)² + λ (‖p_u‖² + ‖q_i‖² + b_u² + b_i²) ]

    μ is the training mean rating (fixed); the L2 penalty is applied per training example as in the
    paper's stochastic gradient descent. Optimiser: Adam on mini-batches (ours; Koren uses plain SGD).

    Shapes: ``predict(users [n], items [n]) -> [n]`` ratings; ``score_all(users [B]) -> [B, n_items]``
    (the rating estimate of every item). ``times`` are accepted and ignored.

    Hyper-parameters: ``dim`` = 25 is IARN 4.1's d for Netflix/MovieLens (50 on Amazon); ``learning_rate``
    and ``reg`` lie in IARN's grid {1e-5, ..., 1e-1} (our defaults 1e-2 and 1e-1 were the best of the
    grid on MovieLens latest-small and on the synthetic data, by validation RMSE); ``epochs``,
    ``batch_size``, ``patience`` and the N(0, 0.1) initialisation are ours. Early stopping on
    validation RMSE.
    """

    name = "MF"
    predicts_ratings = True

    def __init__(self, n_users, n_items, dim=25, learning_rate=1e-2, reg=1e-1, epochs=30, batch_size=256,
                 patience=3, seed=0):
        super().__init__(n_users, n_items, dim=dim, learning_rate=learning_rate, reg=reg, epochs=epochs,
                         batch_size=batch_size, patience=patience, seed=seed)

    def _prepare(self, train, negative_sampler):
        self.mu = float(np.mean(train["rating"]))
        self.network = self._compile(_MFNet(self.n_users, self.n_items, self.dim, self.mu, self.reg))
        self._train = train

    def _epoch_data(self, epoch):
        order = self.rng.permutation(len(self._train["user"]))
        t = self._train
        return {"user": t["user"][order], "item": t["item"][order]}, t["rating"][order]



class _BPRNet(LossNetwork):
    def __init__(self, n_users, n_items, dim, reg, item_bias):
        super().__init__()
        self.P = embedding(n_users, dim, "user_factors")
        self.Q = embedding(n_items, dim, "item_factors")
        self.bi = embedding(n_items, 1, "item_bias", zeros=True) if item_bias else None
        self.reg = float(reg)

    def score(self, p, items):
        q = self.Q(items)
        s = ops.sum(p * q, axis=-1)
        if self.bi is not None:
            b = self.bi(items)[..., 0]
            return s + b, sq(q) + b ** 2
        return s, sq(q)

    def call(self, x):
        p = self.P(x["user"])
        pos, pen_i = self.score(p, x["item"])
        neg, pen_j = self.score(p, x["negative"])
        return {"x_uij": pos - neg, "penalty": sq(p) + pen_i + pen_j}

    def objective(self, x, y, out):
        return -ops.mean(ops.log_sigmoid(out["x_uij"])) + self.reg * ops.mean(out["penalty"])


class BPR(Recommender):
    """BPR-MF (Rendle et al., "BPR: Bayesian personalized ranking from implicit feedback", UAI 2009):

        x̂_ui = p_uᵀ q_i  (+ b_i with ``item_bias=True``),   x̂_uij = x̂_ui − x̂_uj
        min  mean_{(u,i,j)} [ −ln σ(x̂_uij) + λ (‖p_u‖² + ‖q_i‖² + ‖q_j‖²) ]

    Implicit feedback: every rated training pair (u, i) is a positive regardless of its rating. Each
    epoch visits every distinct positive pair once in a random order with one negative j drawn by
    ``negative_sampler.sample_numpy`` (uniform over items the user never interacted with in training),
    fresh each epoch; Rendle's LearnBPR draws triples with replacement instead (same expectation).
    Optimiser Adam (ours; Rendle uses SGD). Early stopping on the sampled validation AUC.

    Shapes: ``predict(users [n], items [n]) -> [n]`` scores x̂_ui; ``score_all(users [B]) -> [B, n_items]``.

    Hyper-parameters: ``dim`` = 25 from IARN 4.1 (50 on Amazon); ``learning_rate``/``reg`` from IARN's
    grid {1e-5..1e-1} (defaults 1e-2 / 1e-4 are ours); ``item_bias`` (default off, as in Rendle's MF
    model), epochs, batch size and patience are ours.
    """

    name = "BPR"

    def __init__(self, n_users, n_items, dim=25, learning_rate=1e-2, reg=1e-4, epochs=30, batch_size=256,
                 patience=3, seed=0, item_bias=False):
        super().__init__(n_users, n_items, dim=dim, learning_rate=learning_rate, reg=reg, epochs=epochs,
                         batch_size=batch_size, patience=patience, seed=seed, item_bias=bool(item_bias))
        self.item_bias = bool(item_bias)

    def _prepare(self, train, negative_sampler):
        if negative_sampler is None:
            raise ValueError("BPR needs negative_sampler (built from the training pairs)")
        self.sampler = negative_sampler
        pairs = item_sets(train["user"], train["item"], self.n_users, self.n_items).tocoo()
        self._users, self._items = pairs.row.astype(np.int32), pairs.col.astype(np.int32)
        self.network = self._compile(self._network())

    def _network(self) -> LossNetwork:
        """The compiled model's network: ``call(x)`` gives ``x_uij`` and the per-example penalty."""
        return _BPRNet(self.n_users, self.n_items, self.dim, self.reg, self.item_bias)

    def _epoch_data(self, epoch):
        order = self.rng.permutation(len(self._users))
        users, items = self._users[order], self._items[order]
        negatives = self.sampler.sample_numpy(users, 1, self.seed * 100_003 + epoch)[:, 0]
        return {"user": users, "item": items, "negative": negatives.astype(np.int32)}, None

    def _weights(self):
        """``(U, V, b)``: x̂_ui = U[u] · V[i] + b[i] for every user and item."""
        if "w" not in self._cache:
            self._cache["w"] = self._factors()
        return self._cache["w"]

    def _factors(self):
        n = self.network
        b = n.bi.embeddings.numpy()[:, 0] if n.bi is not None else np.zeros(self.n_items, np.float32)
        return n.P.embeddings.numpy(), n.Q.embeddings.numpy(), b

    def _predict_block(self, users, items, times):
        P, Q, b = self._weights()
        return np.einsum("nd,nd->n", P[users], Q[items]) + b[items]

    def _score_block(self, users, times):
        P, Q, b = self._weights()
        return P[users] @ Q.T + b[None, :]

