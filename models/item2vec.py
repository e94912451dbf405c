"""Item embeddings by skip-gram with negative sampling: Item2Vec (Barkan & Koenigstein 2016) and
Meta-Prod2Vec (Vasile, Smirnova & Conneau, RecSys 2016), IARN's "NN" baselines."""

import keras
import numpy as np
from keras import ops

from .base import LossNetwork, Recommender, feature_slots, item_sets, sq


class _SGNSNet(LossNetwork):
    """Skip-gram with negative sampling over a vocabulary, for T objectives at once.

    Inputs: ``center``, ``context`` int [B, T], ``negatives`` int [B, T, k], ``weight`` float [B, T]
    (the objective's weight, 0 where the pair does not exist). Loss per pair:
    −ln σ(u_cᵀ v_o) − Σ_n ln σ(−u_cᵀ v_n), with input vectors u and output vectors v (word2vec's two
    matrices; u initialised U(−0.5/d, 0.5/d), v zeros, as in word2vec)."""

    def __init__(self, vocab, dim, reg):
        super().__init__()
        self.U = keras.layers.Embedding(vocab, dim, name="input_vectors", embeddings_initializer=(
            keras.initializers.RandomUniform(-0.5 / dim, 0.5 / dim)))
        self.V = keras.layers.Embedding(vocab, dim, name="output_vectors", embeddings_initializer="zeros")
        self.reg = float(reg)

    def call(self, x):
        u, v, n = self.U(x["center"]), self.V(x["context"]), self.V(x["negatives"])
        pos = ops.sum(u * v, axis=-1)
        neg = ops.sum(u[:, :, None, :] * n, axis=-1)
        per = -ops.log_sigmoid(pos) - ops.sum(ops.log_sigmoid(-neg), axis=-1)
        return {"loss": per, "penalty": sq(u) + sq(v)}

    def objective(self, x, y, out):
        w = ops.cast(x["weight"], "float32")
        loss = ops.mean(ops.sum(w * out["loss"], axis=1))
        if self.reg:
            loss = loss + self.reg * ops.mean(ops.sum(w * out["penalty"], axis=1))
        return loss


class Item2Vec(Recommender):
    """Item2Vec (Barkan & Koenigstein, "Item2Vec: neural item embedding for collaborative filtering",
    MLSP 2016): skip-gram with negative sampling (SGNS) where the items of one user's training history
    form a set and every two items of the set are each other's context (no window, no order):

        max Σ_u Σ_{i∈N(u)} Σ_{j∈N(u), j≠i} [ ln σ(u_iᵀ v_j) + Σ_{n=1..k} ln σ(−u_iᵀ v_{j_n}) ]

    with ``negatives`` = k noise items drawn from the unigram distribution raised to the power 3/4
    (word2vec's, as the paper uses; item frequency = number of users). Each epoch draws, for every
    (user, item) of the training sets, ``n_context`` contexts uniformly among the user's other items:
    an unbiased sample of the all-pairs objective whose cost stays linear in the data. Optional
    ``subsample`` ρ discards an occurrence with probability 1 − sqrt(ρ / f_i) (the paper's subsampling;
    off by default, ours). Note: SGNS draws its noise items itself from the item frequencies; the
    caller's ``negative_sampler`` is used only for the validation AUC.

    Score (IARN: "the similarity score between item embeddings"; our reading): the mean cosine similarity
    of the item's input vector to the input vectors of the user's training items,
    s(u, i) = û_iᵀ (1/|N(u)|) Σ_{j∈N(u)} û_j with û = u/‖u‖ (0 for a user without training items).

    Shapes: ``predict(users [n], items [n]) -> [n]``, ``score_all(users [B]) -> [B, n_items]``; times ignored.

    Hyper-parameters: ``dim`` = 25 (IARN 4.1; 50 on Amazon); ``negatives`` = 5 (word2vec's default);
    ``learning_rate`` 3e-2 (ours: near word2vec's default initial rate, and the best of {1e-2, 3e-2, 1e-1} on
    MovieLens latest-small by validation AUC; IARN's grid is {1e-5..1e-1}), ``n_context`` = 3, ``reg`` = 0
    (SGNS has none), epochs, batch size, patience and the Adam optimiser (the paper: SGD) are ours.
    Early stopping on the sampled validation AUC.
    """

    name = "Item2Vec"
    n_terms = 1

    def __init__(self, n_users, n_items, dim=25, learning_rate=3e-2, reg=0.0, epochs=20, batch_size=1024,
                 patience=3, seed=0, negatives=5, n_context=3, subsample=None, **extra):
        super().__init__(n_users, n_items, dim=dim, learning_rate=learning_rate, reg=reg, epochs=epochs,
                         batch_size=batch_size, patience=patience, seed=seed, negatives=int(negatives),
                         n_context=int(n_context), subsample=subsample, **extra)
        self.negatives, self.n_context, self.subsample = int(negatives), int(n_context), subsample

    # --- training pairs ------------------------------------------------------------------------------
    def _prepare(self, train, negative_sampler):
        self.sets = item_sets(train["user"], train["item"], self.n_users, self.n_items)
        counts = np.asarray(self.sets.sum(0)).ravel()
        self.item_frequency = counts / max(counts.sum(), 1)
        self.item_noise = np.cumsum(counts ** 0.75) / max((counts ** 0.75).sum(), 1e-12)
        indptr = self.sets.indptr
        length = np.diff(indptr)
        self._row = np.repeat(np.arange(self.n_users), length)
        self._start, self._length = indptr[self._row], length[self._row]
        self._prepare_vocabulary(counts)
        self.network = self._compile(_SGNSNet(self.vocabulary_size, self.dim, self.reg))

    def _prepare_vocabulary(self, counts):
        self.vocabulary_size = self.n_items

    def _draw(self, cdf, shape):
        return np.minimum(np.searchsorted(cdf, self.rng.random(shape), side="right"), len(cdf) - 1)

    def _pairs(self):
        """(target, context) item pairs of one epoch, shuffled."""
        positions = np.flatnonzero(self._length > 1)
        if self.subsample:
            f = self.item_frequency[self.sets.indices[positions]]
            keep = self.rng.random(len(positions)) < np.sqrt(self.subsample / np.maximum(f, 1e-12))
            positions = positions[keep]
        positions = np.repeat(positions, self.n_context)
        start, length = self._start[positions], self._length[positions]
        other = start + np.floor(self.rng.random(len(positions)) * (length - 1)).astype(np.int64)
        other += other >= positions  # skip the target itself
        order = self.rng.permutation(len(positions))
        items = self.sets.indices
        return items[positions[order]].astype(np.int32), items[other[order]].astype(np.int32)

    def _epoch_data(self, epoch):
        target, context = self._pairs()
        n, k = len(target), self.negatives
        x = {"center": target[:, None], "context": context[:, None],
             "negatives": self._draw(self.item_noise, (n, 1, k)).astype(np.int32),
             "weight": np.ones((n, 1), np.float32)}
        return x, None

    # --- scoring -----------------------------------------------------------------------------------------
    def item_vectors(self) -> np.ndarray:
        """Unit-norm input vectors of the items: float32 [n_items, dim]."""
        self._require_fit()
        if "items" not in self._cache:
            u = self.network.U.embeddings.numpy()[:self.n_items]
            self._cache["items"] = u / np.maximum(np.linalg.norm(u, axis=1, keepdims=True), 1e-12)
        return self._cache["items"]

    def user_vectors(self, users) -> np.ndarray:
        """Mean unit item vector of each user's training items: [B, dim]."""
        rows = self.sets[users]
        n = np.maximum(np.diff(rows.indptr), 1)[:, None]
        return np.asarray(rows @ self.item_vectors()) / n

    def _predict_block(self, users, items, times):
        distinct, where = np.unique(users, return_inverse=True)
        return np.einsum("nd,nd->n", self.user_vectors(distinct)[where], self.item_vectors()[items])

    def _score_block(self, users, times):
        return self.user_vectors(users) @ self.item_vectors().T


class MP2Vec(Item2Vec):
    """Meta-Prod2Vec (Vasile, Smirnova & Conneau, "Meta-Prod2Vec: product embeddings using
    side-information for recommendation", RecSys 2016, eq. 8): Item2Vec's skip-gram plus the items'
    metadata M (categories/features) embedded in the same space, in the input and the output vocabulary:

        L = L_{J|I} + α (L_{M|I} + L_{J|M} + L_{M|M} + L_{I|M})

    with, for a pair of co-occurring items (i, j) and their metadata m_i, m_j, the SGNS losses of
    predicting j from i (L_{J|I}), m_j from i (L_{M|I}), j from m_i (L_{J|M}), m_j from m_i (L_{M|M})
    and i from its own m_i (L_{I|M}). IARN's brief names three of the side terms; the paper has these
    four, and so do we (``item_given_meta=False`` drops L_{I|M}). α = 0.1 (IARN 4.1).

    Readings: pairs (i, j) are Item2Vec's (co-occurrence in a user's training set, ``n_context``
    contexts per occurrence); an item with several features (flat multi-hot) or a category path
    (hierarchy, flattened into its nodes as IARN says of flat-feature methods) contributes one of them,
    drawn uniformly, per pair; noise samples of item targets come from the items' unigram^(3/4)
    distribution, those of metadata targets from the metadata's (frequency = occurrences in the
    training sets). Scoring as Item2Vec, from the item vectors only (the metadata shape them during
    training).

    Input: ``features`` (``structure``, ``matrix``, ``size``; e.g. `seqrec.datasets.features.ItemFeatures`
    or a dict). Hyper-parameters: ``alpha`` = 0.1 and ``dim`` = 25 from IARN 4.1; the rest as Item2Vec.
    """

    name = "MP2Vec"
    n_terms = 5

    def __init__(self, n_users, n_items, features, dim=25, learning_rate=3e-2, reg=0.0, epochs=20,
                 batch_size=1024, patience=3, seed=0, negatives=5, n_context=3, subsample=None, alpha=0.1,
                 item_given_meta=True):
        super().__init__(n_users, n_items, dim=dim, learning_rate=learning_rate, reg=reg, epochs=epochs,
                         batch_size=batch_size, patience=patience, seed=seed, negatives=negatives,
                         n_context=n_context, subsample=subsample, alpha=float(alpha),
                         item_given_meta=bool(item_given_meta))
        self.alpha, self.item_given_meta = float(alpha), bool(item_given_meta)
        self.nodes, _, _, self.n_meta = feature_slots(features, self.n_items)
        self.n_slots = (self.nodes > 0).sum(1)

    def _prepare_vocabulary(self, counts):
        # metadata token of node f: n_items + f; frequency = occurrences over the training sets
        meta_counts = np.bincount(self.nodes.ravel(), weights=np.repeat(counts, self.nodes.shape[1]),
                                  minlength=self.n_meta)
        meta_counts[0] = 0
        self.meta_noise = np.cumsum(meta_counts ** 0.75) / max((meta_counts ** 0.75).sum(), 1e-12)
        self.vocabulary_size = self.n_items + self.n_meta

    def _meta(self, items):
        """One metadata token per item (uniform among its features), and whether it has any."""
        slot = np.floor(self.rng.random(len(items)) * np.maximum(self.n_slots[items], 1)).astype(np.int64)
        node = self.nodes[items, slot]
        return (self.n_items + node).astype(np.int32), node > 0

    def _epoch_data(self, epoch):
        i, j = self._pairs()
        n, k = len(i), self.negatives
        mi, has_i = self._meta(i)
        mj, has_j = self._meta(j)
        item_neg = lambda: self._draw(self.item_noise, (n, k)).astype(np.int32)  # noqa: E731
        meta_neg = lambda: (self.n_items + self._draw(self.meta_noise, (n, k))).astype(np.int32)  # noqa: E731
        a = self.alpha
        # terms: J|I, M|I, J|M, M|M, I|M
        center = np.stack([i, i, mi, mi, mi], 1)
        context = np.stack([j, mj, j, mj, i], 1)
        negatives = np.stack([item_neg(), meta_neg(), item_neg(), meta_neg(), item_neg()], 1)
        weight = np.stack([np.ones(n), a * has_j, a * has_i, a * (has_i & has_j),
                           a * has_i * self.item_given_meta], 1).astype(np.float32)
        return {"center": center, "context": context, "negatives": negatives, "weight": weight}, None
