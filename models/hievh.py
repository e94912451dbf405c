"""HieVH (Sun, Yang, Zhang & Bozzon, "Exploiting both vertical and horizontal dimensions of feature
hierarchy for effective recommendation", AAAI 2017), as IARN compares it (section 4.1, α = 0.01)."""

import numpy as np
import scipy.sparse as sp
from keras import ops

from .base import LossNetwork, Recommender, embedding, feature_slots, item_sets, rating_loss, sq
from .mf import BiasedDotScoring

MAX_LOG_RATIO = 5.0  # cap on |ln FR|, the strength of a horizontal relation


def cooccurrence_influence(pairs: sp.csr_matrix, nodes: np.ndarray) -> np.ndarray:
    """HieVH's feature influence ϑ_{i,f} = mean_{j∈f, j≠i} IC(i, j) with the item co-occurrence
    ``IC(i, j) = P(i ∩ j) / (P(i) P(j)) = N c_ij / (c_i c_j)`` (c_i: users of i, c_ij: users of both,
    N: users), for every item i and node f = ``nodes[i, k]`` [n_items, K]; 0 where undefined.

    Vectorised: with A = R · diag(1/c) · M (users x nodes), Σ_{j∈f} c_ij / c_j = Σ_{u∋i} A[u, f]."""
    n_items = pairs.shape[1]
    counts = np.asarray(pairs.sum(0)).ravel()
    active = counts > 0
    n = max(int((np.diff(pairs.indptr) > 0).sum()), 1)
    inv = np.where(active, 1.0 / np.maximum(counts, 1), 0.0)
    rows, slots = np.nonzero(nodes > 0)
    size = int(nodes.max()) + 1
    member = sp.csr_matrix((np.ones(len(rows)), (rows, nodes[rows, slots])), shape=(n_items, size))
    member.data[:] = 1.0
    a = (pairs @ sp.diags(inv) @ member).tocsr()
    n_f = np.asarray(member.T @ active.astype(np.float64)).ravel()
    coo = pairs.tocoo()
    out = np.zeros(nodes.shape, np.float64)
    for k in range(nodes.shape[1]):
        f = nodes[coo.col, k]
        vals = np.asarray(a[coo.row, f]).ravel() * (f > 0)
        out[:, k] = np.bincount(coo.col, weights=vals, minlength=n_items)
    f_size = n_f[nodes]
    ok = (nodes > 0) & active[:, None] & (f_size > 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        infl = n * (out - 1.0) / (counts[:, None] * (f_size - 1))
    return np.where(ok, np.maximum(infl, 0.0), 0.0)


def normalise_influence(infl: np.ndarray, nodes: np.ndarray) -> np.ndarray:
    """Per item, the influences as shares over its slots (uniform where all are 0)."""
    valid = nodes > 0
    total = infl.sum(1, keepdims=True)
    uniform = valid / np.maximum(valid.sum(1, keepdims=True), 1)
    return np.where(total > 0, infl / np.where(total > 0, total, 1.0), uniform).astype(np.float32)


def sibling_pairs(structure: str, parents: np.ndarray, size: int, max_pairs: int, rng) -> np.ndarray:
    """Node pairs (f < g) in the horizontal dimension: children of the same parent (a hierarchy) or any
    two features (flat features, one level). At most ``max_pairs``, a seeded random subset beyond."""
    if structure == "flat":
        groups = [np.arange(1, size)]
    else:
        kids = np.arange(1, size)
        order = np.argsort(parents[1:], kind="stable")
        groups = np.split(kids[order], np.flatnonzero(np.diff(parents[1:][order])) + 1)
    out = []
    for g in groups:
        if len(g) > 1:
            a, b = np.triu_indices(len(g), 1)
            out.append(np.stack([g[a], g[b]], 1))
    pairs = np.concatenate(out) if out else np.zeros((0, 2), np.int64)
    if len(pairs) > max_pairs:
        pairs = pairs[np.sort(rng.choice(len(pairs), max_pairs, replace=False))]
    return pairs.astype(np.int32)


def feature_relations(pairs_ui: sp.csr_matrix, nodes: np.ndarray, node_pairs: np.ndarray, size: int):
    """HieVH's feature relationship ``FR(f, g) = mean_{i∈f, j∈g, i≠j} IC(i, j)`` for each node pair:
    float64 [P] (NaN where f or g has no item with training data)."""
    n_items = pairs_ui.shape[1]
    counts = np.asarray(pairs_ui.sum(0)).ravel()
    active = (counts > 0).astype(np.float64)
    n = max(int((np.diff(pairs_ui.indptr) > 0).sum()), 1)
    inv = np.where(counts > 0, 1.0 / np.maximum(counts, 1), 0.0)
    rows, slots = np.nonzero(nodes > 0)
    member = sp.csr_matrix((np.ones(len(rows)), (rows, nodes[rows, slots])), shape=(n_items, size))
    member.data[:] = 1.0
    a = (pairs_ui @ sp.diags(inv) @ member).tocsc()
    both = (member.T @ sp.diags(inv) @ member).tocsr()  # Σ_{i∈f∩g} 1/c_i: the i = j terms
    shared = (member.T @ sp.diags(active) @ member).tocsr()  # |f ∩ g| over items with data
    n_f = np.asarray(member.T @ active).ravel()
    f, g = node_pairs[:, 0], node_pairs[:, 1]
    total = np.zeros(len(node_pairs))
    step = 4096
    for s in range(0, len(node_pairs), step):
        total[s:s + step] = np.asarray(a[:, f[s:s + step]].multiply(a[:, g[s:s + step]]).sum(0)).ravel()
    overlap = np.asarray(both[f, g]).ravel()
    denom = n_f[f] * n_f[g] - np.asarray(shared[f, g]).ravel()
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(denom > 0, n * (total - overlap) / denom, np.nan)


class _HieVHNet(LossNetwork):
    def __init__(self, n_users, n_items, n_nodes, n_levels, dim, mu, reg, alpha, n_train, nodes, levels,
                 influence, relations):
        super().__init__()
        self.P = embedding(n_users, dim, "user_factors")
        self.Q = embedding(n_items, dim, "item_factors")
        self.bu = embedding(n_users, 1, "user_bias", zeros=True)
        self.bi = embedding(n_items, 1, "item_bias", zeros=True)
        self.T = embedding(n_nodes, dim, "feature_factors")
        self.T.build(None)
        self.level_weight = self.add_weight(shape=(n_levels,), initializer="ones", name="level_influence")
        self.mu, self.reg, self.alpha, self.n_train = float(mu), float(reg), float(alpha), float(n_train)
        self.nodes, self.levels = ops.convert_to_tensor(nodes), ops.convert_to_tensor(levels)
        self.influence = ops.convert_to_tensor(influence)
        f, g, strength, complementary = relations
        self.rel_f, self.rel_g = ops.convert_to_tensor(f), ops.convert_to_tensor(g)
        self.rel_w = ops.convert_to_tensor(strength.astype(np.float32))
        self.rel_comp = ops.convert_to_tensor(complementary.astype(np.float32))

    def item_vectors(self, items):
        """q̃_i = q_i + Σ_k w_{level(i,k)} ϑ_{i,k} θ_{node(i,k)}: [B, dim], and Σ_k ‖θ_{node(i,k)}‖²."""
        nodes = ops.take(self.nodes, items, axis=0)
        weights = ops.take(self.influence, items, axis=0) * ops.take(
            self.level_weight, ops.take(self.levels, items, axis=0), axis=0)
        theta = self.T(nodes) * ops.cast(nodes > 0, "float32")[..., None]
        return self.Q(items) + ops.sum(weights[..., None] * theta, axis=1), ops.sum(sq(theta), axis=1)

    def horizontal(self):
        """Σ_comp s_fg ‖θ_f − θ_g‖² + Σ_alt s_fg cos²(θ_f, θ_g)."""
        table = self.T.embeddings
        tf_, tg = ops.take(table, self.rel_f, axis=0), ops.take(table, self.rel_g, axis=0)
        close = sq(tf_ - tg)
        cos2 = ops.sum(tf_ * tg, axis=-1) ** 2 / ((sq(tf_) + 1e-8) * (sq(tg) + 1e-8))
        return ops.sum(self.rel_w * (self.rel_comp * close + (1.0 - self.rel_comp) * cos2))

    def call(self, x):
        p = self.P(x["user"])
        q, theta_norms = self.item_vectors(x["item"])
        bu, bi = self.bu(x["user"])[:, 0], self.bi(x["item"])[:, 0]
        rating = self.mu + bu + bi + ops.sum(p * q, axis=-1)
        penalty = sq(p) + sq(self.Q(x["item"])) + bu ** 2 + bi ** 2 + theta_norms
        return {"rating": rating, "penalty": penalty}

    def objective(self, x, y, out):
        loss = rating_loss(y, out, self.reg)
        if self.alpha:
            loss = loss + self.alpha * self.horizontal() / self.n_train
        return loss


class HieVH(BiasedDotScoring, Recommender):
    """HieVH, a latent factor model with the vertical and horizontal dimensions of a feature hierarchy.

    The paper's full text was not available to us; this is our reading, built from IARN's description
    ("LFM integrating feature hierarchies ... the influence of both vertical and horizontal dimensions")
    and the paper's definitions as a public summary gives them (sutheeblog.wordpress.com, "Vertical and
    Horizontal Feature Hierarchy (AAAI'17)": item co-occurrence IC, feature influence as a mean IC,
    feature relationship FR, complementary and alternative features, and item factors enriched by
    Σ_l ϑ_{f^l} θ_{f^l}); where that summary stops (the horizontal objective), the form below is ours:

        r̂_ui = μ + b_u + b_i + p_uᵀ q̃_i
        q̃_i  = q_i + Σ_{l=1..L} w_l · ϑ_{i,l} · θ_{f_i^l}                       (vertical dimension)
        IC(i, j) = P(i ∩ j) / (P(i) P(j))            (co-occurrence: users who rated both)
        ϑ_{i,l} ∝ mean_{j∈f_i^l, j≠i} IC(i, j)       (feature influence, normalised over the item's
                                                     levels; uniform where undefined)
        FR(f, g) = mean_{i∈f, j∈g} IC(i, j)          (feature relationship of two sibling nodes)
        R_h = Σ_{FR>1} s_fg ‖θ_f − θ_g‖² + Σ_{FR<1} s_fg cos²(θ_f, θ_g),  s_fg = min(|ln FR(f, g)|, 5)
        min  mean_batch[(r − r̂)² + λ(‖p_u‖² + ‖q_i‖² + b_u² + b_i² + Σ_l ‖θ_{f_i^l}‖²)] + α R_h / N

    * Vertical: f_i^1..f_i^L are the nodes on the item's root→leaf path (``features.matrix``), θ_f a
      latent vector per node, w_l a learned influence per level (initialised 1) scaling the data-driven
      ϑ. An item without training ratings still gets a q̃ from its categories.
    * Horizontal: siblings (children of one parent) with FR > 1 are complementary (their vectors are
      pulled together), with FR < 1 alternative (pushed towards orthogonal directions); α = 0.01
      (IARN 4.1) weighs R_h against the summed squared error (hence the division by the number N of
      training ratings in the per-batch loss). Our choices: the strengths s_fg, the cos² form for
      alternatives, and at most ``max_pairs`` sibling pairs (a seeded subset beyond).
    * Flat features (IARN: "considering all features in the same level"): one level whose slots are the
      item's features; every two features are siblings.

    Input: ``features`` with ``structure`` ("flat"/"hierarchy"), ``matrix`` and ``parents`` (and
    ``size``), e.g. `seqrec.datasets.features.ItemFeatures` or a dict. ``predict`` -> [n] ratings,
    ``score_all`` -> [B, n_items]; times are ignored.

    Hyper-parameters: ``alpha`` = 0.01 (IARN 4.1), ``dim`` = 25 (IARN; 50 on Amazon), ``learning_rate``
    and ``reg`` in IARN's grid (defaults 1e-2 and 1e-1, ours, as for MF); ``influence`` ("cooccurrence"
    or "uniform"), ``max_pairs``, epochs, batch size, patience and Adam are ours.
    """

    name = "HieVH"
    predicts_ratings = True

    def __init__(self, n_users, n_items, features, dim=25, learning_rate=1e-2, reg=1e-1, epochs=30,
                 batch_size=256, patience=3, seed=0, alpha=0.01, influence="cooccurrence", max_pairs=100_000):
        if influence not in ("cooccurrence", "uniform"):
            raise ValueError(f"influence must be 'cooccurrence' or 'uniform', got {influence!r}")
        super().__init__(n_users, n_items, dim=dim, learning_rate=learning_rate, reg=reg, epochs=epochs,
                         batch_size=batch_size, patience=patience, seed=seed, alpha=float(alpha),
                         influence=influence, max_pairs=int(max_pairs))
        self.alpha, self.influence_kind, self.max_pairs = float(alpha), influence, int(max_pairs)
        get = features.get if isinstance(features, dict) else lambda k, d=None: getattr(features, k, d)
        self.structure = get("structure")
        self.nodes, self.levels, self.n_levels, self.n_nodes = feature_slots(features, self.n_items)
        parents = get("parents")
        self.parents = np.zeros(self.n_nodes, np.int32) if parents is None or not len(parents) else \
            np.asarray(parents, np.int32)

    def _prepare(self, train, negative_sampler):
        self.mu = float(np.mean(train["rating"]))
        pairs = item_sets(train["user"], train["item"], self.n_users, self.n_items)
        if self.influence_kind == "cooccurrence":
            self.influence = normalise_influence(cooccurrence_influence(pairs, self.nodes), self.nodes)
        else:
            self.influence = normalise_influence(np.zeros(self.nodes.shape), self.nodes)
        node_pairs = sibling_pairs(self.structure, self.parents, self.n_nodes, self.max_pairs, self.rng)
        fr = (feature_relations(pairs, self.nodes, node_pairs, self.n_nodes) if len(node_pairs)
              else np.zeros(0))
        keep = np.isfinite(fr)
        node_pairs, fr = node_pairs[keep], fr[keep]
        with np.errstate(divide="ignore"):
            strength = np.minimum(np.abs(np.log(fr)), MAX_LOG_RATIO)
        self.relations = (node_pairs[:, 0], node_pairs[:, 1], strength, fr > 1)
        self.network = self._compile(_HieVHNet(
            self.n_users, self.n_items, self.n_nodes, self.n_levels, self.dim, self.mu, self.reg, self.alpha,
            len(train["user"]), self.nodes, self.levels, self.influence, self.relations))
        self._train = train

    def _epoch_data(self, epoch):
        order = self.rng.permutation(len(self._train["user"]))
        t = self._train
        return {"user": t["user"][order], "item": t["item"][order]}, t["rating"][order]

    def item_factors(self) -> np.ndarray:
        """q̃ of every item: float32 [n_items, dim]."""
        self._require_fit()
        if "q" not in self._cache:
            n = self.network
            theta = n.T.embeddings.numpy() * (np.arange(self.n_nodes) > 0)[:, None]
            w = self.influence * n.level_weight.numpy()[self.levels]
            self._cache["q"] = n.Q.embeddings.numpy() + np.einsum("ik,ikd->id", w, theta[self.nodes])
        return self._cache["q"]

