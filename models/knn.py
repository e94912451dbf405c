"""Item-based k-nearest-neighbour recommenders, time-independent and exponentially time-decayed: the k-NN
baselines of UserGRU's Table 2 (Donkers, Loepp & Ziegler, RecSys 2017, section 4 and Table 1).

* Time-independent: the personalised item-based CF of Sarwar et al. (WWW 2001): an item's score is the
  sum of its similarities to the items of the user's history.
* Time-decayed: Ding & Li, "Time weight collaborative filtering" (CIKM 2005): each history event is
  weighted by ``f(t) = exp(-λ t)``, ``t`` its age; UserGRU's Table 1 sets the "decaying constant" to 1.

Similarity (both variants): the cosine between the items' binary training user vectors (users x items
matrix of the distinct training (user, item) pairs), each item keeping its ``neighbours`` most similar
other items (Table 1: 100). The model takes numpy arrays and vocabulary sizes, never a dataset.
"""

import time as _time

import numpy as np
import scipy.sparse as sp

from .base import DAY, as_arrays, item_sets

BLOCK_CELLS = 1 << 22  # cells of a dense block (items x items, or targets x history) while computing


def cosine_top_k(users, items, n_users: int, n_items: int, k: int,
                 block_cells: int = BLOCK_CELLS) -> sp.csr_matrix:
    """The ``k`` nearest neighbours of every item by cosine similarity of binary user vectors.

    ``sim(i, j) = |U_i ∩ U_j| / sqrt(|U_i| |U_j|)``, ``U_i`` the distinct users of item ``i`` among the
    given (training) pairs. Row ``i`` of the result keeps the ``k`` largest **positive** similarities of
    ``i`` to other items (the diagonal is never kept); ties at the k-th value keep the smaller item
    indices, so the result is deterministic. Items without users (padding 0 included) have empty rows
    and columns.

    Computed in blocks of item rows (each block a sparse product ``R[:, block]ᵀ R`` made dense, at most
    ``block_cells`` cells), with vectorised top-k selection: no Python loop over items.

    Args:
      users, items: int arrays [n] of (user, item) pairs; duplicates count once.
      n_users, n_items: vocabulary sizes (padding index 0 included).
      k: neighbours per item (``k >= n_items - 1`` keeps every positive similarity).

    Returns:
      float64 CSR [n_items, n_items]: rows = the history item, columns = the candidate.
    """
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    k = min(int(k), n_items - 1)
    r = item_sets(users, items, n_users, n_items).astype(np.float64)  # [n_users, n_items], binary
    norm = np.sqrt(np.asarray(r.sum(axis=0)).ravel())  # [n_items]
    inverse = np.divide(1.0, norm, out=np.zeros_like(norm), where=norm > 0)
    rt = r.T.tocsr()  # [n_items, n_users]
    step = max(1, block_cells // n_items)
    blocks = []
    for start in range(0, n_items, step):
        stop = min(start + step, n_items)
        counts = (rt[start:stop] @ r).toarray()  # co-occurrence counts [b, n_items]
        sim = counts * inverse[start:stop, None] * inverse[None, :]
        sim[np.arange(stop - start), np.arange(start, stop)] = 0.0
        blocks.append(_top_k_rows(sim, k))
    return sp.vstack(blocks, format="csr")


def _top_k_rows(sim: np.ndarray, k: int) -> sp.csr_matrix:
    """Keep each row's ``k`` largest positive entries (ties at the k-th value: smaller column first)."""
    n = sim.shape[1]
    kth = np.partition(sim, n - k, axis=1)[:, n - k][:, None]  # k-th largest value of each row
    above = sim > kth
    at = sim == kth
    room = k - above.sum(axis=1, keepdims=True)
    keep = (above | (at & (np.cumsum(at, axis=1) <= room))) & (sim > 0)
    rows, cols = np.nonzero(keep)
    return sp.csr_matrix((sim[rows, cols], (rows, cols)), shape=sim.shape)


class ItemKNN:
    """Item-based k-NN next-item scoring from a user's history, optionally with exponential time decay.

    Score of candidate ``j`` after a history ``H`` (the events before the target, oldest first)::

        score(j | H) = Σ_{e ∈ H} w_e · S[i_e, j]
        w_e = 1                                              (decay None: Sarwar et al. 2001)
        w_e = exp(-decay · (t_last − t_e) / time_unit)        (Ding & Li 2005, f(t) = e^{-λt})

    ``S`` is `cosine_top_k` of the training pairs (rows = history item, columns = candidate); every event
    of the history counts (an item consumed twice contributes twice). ``t_last`` is the time of the
    latest history event; any reference shared by the history's events gives the same ranking (it
    multiplies every weight by one factor), and the latest event keeps the weights in (0, 1] without
    overflow (ages are clipped at 0, which matters only for histories out of time order). The target's
    own time is never read.

    Ambiguities, and how we read them:

    * UserGRU's Table 1 gives the "decaying constant" 1 without a unit; we read it as λ = 1 per day
      (``time_unit`` = 86400 s), so an event a day older weighs e^-1 as much. ``time_unit`` is a
      parameter.
    * Ties: candidates with no similarity to the history (score 0, e.g. every candidate of a history
      whose items have no neighbours) get ``popularity / (max popularity + 1) − 1`` ∈ [-1, 0), so they
      rank below every candidate with a positive score and among themselves by training popularity (the
      number of training events). Candidates with equal positive scores stay tied (the evaluation's tie
      rule applies): an additive popularity term small enough never to reorder different scores cannot
      be represented in general.
    * The similarity uses the training events only; history events of any part (validation and test
      events before the target) are used at scoring time, as the evaluation protocol allows.

    Args:
      neighbours: k, neighbours kept per item (Table 1: 100).
      decay: λ (Table 1: 1 for the exponentially decaying variant), or ``None`` for the time-independent
        k-NN; ``decay=0`` gives the same scores as ``None``.
      time_unit: seconds per unit of time of ``decay`` (default a day).
      block_cells: size of the dense blocks used while computing (memory bound).

    Shapes: `score_sequence` (items [T], times [T], positions [n]) -> float32 [n, n_items];
    `score_histories` (items [B, T], mask [B, T], times [B, T]) -> float32 [B, n_items]. Column 0
    (padding) holds an arbitrary value.
    """

    name = "ItemKNN"

    def __init__(self, neighbours: int = 100, decay: float | None = None, time_unit: float = DAY,
                 block_cells: int = BLOCK_CELLS):
        if neighbours < 1:
            raise ValueError(f"neighbours must be at least 1, got {neighbours}")
        if decay is not None and decay < 0:
            raise ValueError(f"decay must be non-negative or None, got {decay}")
        if time_unit <= 0:
            raise ValueError(f"time_unit must be positive, got {time_unit}")
        self.neighbours, self.decay, self.time_unit = int(neighbours), decay, float(time_unit)
        self.block_cells = int(block_cells)
        self.similarity: sp.csr_matrix | None = None

    @property
    def hyperparameters(self) -> dict:
        return {"neighbours": self.neighbours, "decay": self.decay, "time_unit": self.time_unit}

    def fit(self, train: dict, n_users: int, n_items: int) -> dict:
        """Compute the neighbourhoods from the training pairs ``train`` (dict of arrays ``user``,
        ``item``; see `seqrec.models.base`). Returns ``{"seconds", "nnz", "mean_neighbours"}``."""
        start = _time.perf_counter()
        if n_users < 2 or n_items < 2:
            raise ValueError("n_users and n_items are vocabulary sizes including the padding index 0")
        train = as_arrays(train, ("user", "item"))
        users, items = train["user"], train["item"]
        if len(users) and (users.min() < 0 or users.max() >= n_users or items.min() < 0
                           or items.max() >= n_items):
            raise ValueError("user or item indices outside the vocabularies")
        self.n_users, self.n_items = int(n_users), int(n_items)
        self.similarity = cosine_top_k(users, items, n_users, n_items, self.neighbours, self.block_cells)
        self.popularity = np.bincount(items, minlength=n_items).astype(np.float64)
        # score of candidates without any similarity to the history: below 0, ordered by popularity
        self.fallback = self.popularity / (self.popularity.max() + 1.0) - 1.0
        return {"seconds": _time.perf_counter() - start, "nnz": int(self.similarity.nnz),
                "mean_neighbours": float(self.similarity.nnz / max(1, np.count_nonzero(self.popularity)))}

    def _require_fit(self):
        if self.similarity is None:
            raise RuntimeError("ItemKNN is not fitted; call fit first")

    def weights(self, times, positions) -> np.ndarray:
        """History weights of the targets at ``positions`` of one sequence: float64 [n, max(positions)].

        ``W[k, e] = w_e`` for ``e < positions[k]`` (the events before target k) and 0 otherwise;
        ``times`` int [T] are the sequence's unix times (only ``times[:max(positions)]`` is read)."""
        positions = np.asarray(positions, np.int64)
        width = int(positions.max()) if len(positions) else 0
        mask = np.arange(width)[None, :] < positions[:, None]
        if self.decay is None:
            return mask.astype(np.float64)
        times = np.asarray(times, np.int64)[:width]
        last = times[np.maximum(positions - 1, 0)] if width else np.zeros(len(positions), np.int64)
        age = np.where(mask, np.maximum(last[:, None] - times[None, :], 0), 0).astype(np.float64)
        return np.where(mask, np.exp(-self.decay * age / self.time_unit), 0.0)

    def _combine(self, weights: np.ndarray, items: np.ndarray) -> np.ndarray:
        """``weights`` [n, T] times ``S[items]`` ([T, n_items]) -> float32 [n, n_items], ties resolved.
        Events of the same item are summed first, so a history with repeats costs its distinct items."""
        distinct, where = np.unique(items, return_inverse=True)
        where = where.ravel()
        if len(distinct) < len(items):  # sum the weights of each distinct item
            onehot = sp.csr_matrix((np.ones(len(items)), (np.arange(len(items)), where)),
                                   shape=(len(items), len(distinct)))
            weights = np.asarray((onehot.T @ weights.T).T)  # [n, distinct]
        else:  # columns in the order of the distinct (sorted) items
            weights = weights[:, np.argsort(where)]
        scores = np.asarray((self.similarity[distinct].T @ weights.T).T)  # [n, n_items]
        return np.where(scores > 0, scores, self.fallback[None, :]).astype(np.float32)

    def score_sequence(self, items, times, positions) -> np.ndarray:
        """Scores of every item for several targets of one user's sequence.

        Args:
          items: int [T] the sequence's items, oldest first; times: int [T] its unix seconds.
          positions: int [n] target positions: target k is scored from ``items[:positions[k]]`` only.

        Returns float32 [n, n_items]. The targets are processed in chunks (``block_cells``) with one
        sparse product each (`weights` times the rows of ``S`` of the history items).
        """
        self._require_fit()
        positions = np.asarray(positions, np.int64)
        items = np.asarray(items, np.int64)
        out = np.empty((len(positions), self.n_items), np.float32)
        order = np.argsort(positions, kind="stable")
        width = int(positions.max()) if len(positions) else 0
        step = max(1, self.block_cells // max(width, self.n_items, 1))
        for start in range(0, len(order), step):
            chosen = order[start:start + step]
            w = self.weights(times, positions[chosen])
            out[chosen] = self._combine(w, items[:w.shape[1]])
        return out

    def score_histories(self, items, mask, times=None) -> np.ndarray:
        """Scores of every item after each of ``B`` independent histories.

        Args:
          items: int [B, T] history items (any padding side); mask: bool [B, T] real events.
          times: int or float [B, T] event times in seconds on any common origin per row (e.g. minus
            the ages before the target); needed only with ``decay``. The reference ``t_last`` is the
            row's latest masked event.

        Returns float32 [B, n_items].
        """
        self._require_fit()
        items = np.asarray(items, np.int64)
        mask = np.asarray(mask, bool)
        if self.decay is None:
            w = mask.astype(np.float64)
        else:
            if times is None:
                raise ValueError("a time-decayed ItemKNN needs the history times")
            t = np.asarray(times, np.float64)
            last = np.max(np.where(mask, t, -np.inf), axis=1, keepdims=True)
            age = np.where(mask, np.maximum(last - t, 0.0), 0.0)
            w = np.where(mask, np.exp(-self.decay * age / self.time_unit), 0.0)
        rows, cols = np.nonzero(mask)
        bag = sp.csr_matrix((w[rows, cols], (rows, items[rows, cols])), shape=(len(items), self.n_items))
        scores = (bag @ self.similarity).toarray()
        return np.where(scores > 0, scores, self.fallback[None, :]).astype(np.float32)

    def __repr__(self) -> str:
        return (f"ItemKNN(neighbours={self.neighbours}, decay={self.decay!r}, "
                f"time_unit={self.time_unit!r})")
