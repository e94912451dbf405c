"""Popularity baselines of MTAM's Table 2: TopPop and personal popularity (P-Pop).

Both follow the classical models' array interface (`seqrec.models.base`): vocabulary sizes in, a dict of
numpy training arrays to ``fit`` (``item`` is read), ``score_all(users)`` out.
"""

import numpy as np


class TopPop:
    """TopPop: every user gets the items ranked by their number of training events.

    Shapes: ``score_all(users [B]) -> float32 [B, n_items]`` (the same row for every user);
    ``predict(users [n], items [n]) -> [n]``.
    """

    name = "TopPop"
    predicts_ratings = False

    def __init__(self, n_users: int, n_items: int, seed: int = 0):
        self.n_users, self.n_items = int(n_users), int(n_items)
        self.hyperparameters: dict = {}

    def fit(self, train: dict, valid: dict | None = None, negative_sampler=None, verbose: int = 0,
            checkpoint=None) -> dict:
        """Count each item's training events (``valid``, the sampler and ``checkpoint`` are not used: one
        pass, no epochs)."""
        self.counts = np.bincount(np.asarray(train["item"]), minlength=self.n_items).astype(np.float32)
        return {}

    def predict(self, users, items, times=None) -> np.ndarray:
        return self.counts[np.asarray(items)]

    def score_all(self, users, times=None) -> np.ndarray:
        return np.tile(self.counts[None, :], (len(users), 1))


class PersonalPop(TopPop):
    """P-Pop: items ranked by how often the user interacted with them in the history it is given, ties
    broken by training popularity (TopPop).

    ``score_histories(items [B, L], mask [B, L]) -> float32 [B, n_items]``: each item's count among the
    row's valid history events plus ``count / (training events + 1)``, a tie-break below 1. ``score_all``
    (no history) is TopPop's.
    """

    name = "P-Pop"

    def fit(self, train: dict, valid: dict | None = None, negative_sampler=None, verbose: int = 0,
            checkpoint=None) -> dict:
        super().fit(train)
        self.tie_break = self.counts / (self.counts.sum() + np.float32(1.0))
        return {}

    def score_histories(self, items, mask) -> np.ndarray:
        items, mask = np.asarray(items), np.asarray(mask)
        flat = (np.arange(len(items))[:, None] * self.n_items + items).ravel()
        own = np.bincount(flat, weights=mask.ravel().astype(np.float64), minlength=len(items) * self.n_items)
        return own.reshape(len(items), self.n_items).astype(np.float32) + self.tie_break[None, :]
