"""Synthetic interaction logs with planted temporal and personal structure, for tests.

Items fall into ``n_clusters`` clusters (the item feature ``c<k>``) and are ordered within each cluster.
Every user has a preferred cluster and ``n_favourites`` favourite items. Events are generated step by step
for all users at once; the gap before each event is *short* (exponential, mean ``short_gap`` seconds)
with probability ``p_short``, else *long* (``threshold`` plus an exponential of mean ``long_gap``).
The item of event ``k`` depends on the recent items and on the gap **before the previous event**
(``t[k-1] - t[k-2]``), which every model that reads the history's time gaps can see:

* previous gap short (a binge): the successor of the previous item within its cluster;
* otherwise: with probability ``p_favourite`` one of the user's favourites, else with probability
  ``p_explore`` an item of a random other cluster, else an item of the preferred cluster;
* with probability ``noise`` any of the above is replaced by a uniformly random item.

Ratings are ``2 + 2 * [preferred cluster] + 1 * [favourite] + user bias + N(0, rating_noise)``,
clipped to [0.5, 5] and rounded to halves. So a model that knows the gaps predicts binges exactly, a
model that knows the user predicts favourites, and a rating model can learn user-cluster affinity.
"""

import dataclasses

import numpy as np
import pandas as pd
import tensorflow_datasets as tfds

from .records import LocalCode, item_examples, item_features_spec

START = 1_500_000_000  # 2017-07-14, an arbitrary fixed origin of generated times


@dataclasses.dataclass(frozen=True)
class SyntheticSpec:
    """Size and structure of a synthetic log; the same spec and seed give the same log."""

    n_users: int = 200
    n_items: int = 300
    n_clusters: int = 10
    min_length: int = 20
    max_length: int = 60
    n_favourites: int = 8
    p_short: float = 0.5
    short_gap: float = 600.0
    long_gap: float = 3 * 86400.0
    threshold: float = 3600.0
    p_favourite: float = 0.4
    p_explore: float = 0.2
    noise: float = 0.05
    rating_noise: float = 0.25
    seed: int = 0


@dataclasses.dataclass
class SyntheticTruth:
    """The planted structure, for tests: per user the preferred cluster and favourite items
    (item ids as strings), per item its cluster."""

    preferred_cluster: dict[str, int]
    favourites: dict[str, tuple[str, ...]]
    item_cluster: dict[str, int]


def generate(spec: SyntheticSpec) -> tuple[pd.DataFrame, pd.DataFrame, SyntheticTruth]:
    """Generate ``(events, items, truth)`` for ``spec``; vectorised over users."""
    rng = np.random.default_rng(spec.seed)
    n_users, n_items, n_clusters = spec.n_users, spec.n_items, spec.n_clusters
    cluster = np.arange(n_items) % n_clusters
    members = [np.flatnonzero(cluster == c) for c in range(n_clusters)]
    rank = np.empty(n_items, dtype=np.int64)  # position of each item inside its cluster
    for m in members:
        rank[m] = np.arange(len(m))
    successor = np.array([members[cluster[i]][(rank[i] + 1) % len(members[cluster[i]])]
                          for i in range(n_items)])

    preferred = rng.integers(0, n_clusters, n_users)
    favourites = np.stack([rng.choice(n_items, spec.n_favourites, replace=False)
                           for _ in range(n_users)])
    bias = rng.normal(0.0, 0.5, n_users)
    lengths = rng.integers(spec.min_length, spec.max_length + 1, n_users)
    steps = int(lengths.max())

    short = rng.random((n_users, steps)) < spec.p_short
    gaps = np.where(short, rng.exponential(spec.short_gap, (n_users, steps)),
                    spec.threshold + rng.exponential(spec.long_gap, (n_users, steps)))
    gaps[:, 0] = rng.uniform(0, 365 * 86400.0, n_users)
    times = START + np.floor(np.cumsum(gaps, axis=1)).astype(np.int64)

    def from_cluster(clusters):
        sizes = np.array([len(members[c]) for c in clusters])
        return np.array([members[c][k] for c, k in
                         zip(clusters, np.floor(rng.random(len(clusters)) * sizes).astype(int),
                             strict=True)])

    items = np.zeros((n_users, steps), dtype=np.int64)
    users = np.arange(n_users)
    for k in range(steps):
        other = (preferred + rng.integers(1, n_clusters, n_users)) % n_clusters
        explore = rng.random(n_users) < spec.p_explore
        choice = from_cluster(np.where(explore, other, preferred))
        favourite = rng.random(n_users) < spec.p_favourite
        choice = np.where(favourite, favourites[users, rng.integers(0, spec.n_favourites, n_users)],
                          choice)
        if k >= 2:
            binge = short[:, k - 1]  # the gap before the previous event was short
            choice = np.where(binge, successor[items[:, k - 1]], choice)
        noisy = rng.random(n_users) < spec.noise
        items[:, k] = np.where(noisy, rng.integers(0, n_items, n_users), choice)

    keep = np.arange(steps)[None, :] < lengths[:, None]
    user_idx = np.broadcast_to(users[:, None], items.shape)[keep]
    item_idx = items[keep]
    is_fav = (favourites[user_idx] == item_idx[:, None]).any(axis=1)
    rating = (2 + 2 * (cluster[item_idx] == preferred[user_idx]) + is_fav + bias[user_idx]
              + rng.normal(0, spec.rating_noise, len(item_idx)))
    rating = np.clip(np.round(rating * 2) / 2, 0.5, 5.0).astype(np.float32)

    user_ids = np.array([f"u{u}" for u in range(n_users)], dtype=object)
    item_ids = np.array([f"i{i}" for i in range(n_items)], dtype=object)
    events = pd.DataFrame({"user": user_ids[user_idx], "item": item_ids[item_idx],
                           "rating": rating, "timestamp": times[keep]})
    catalogue = pd.DataFrame({"title": [f"item {i}" for i in range(n_items)],
                              "features": [(f"c{c}",) for c in cluster]}, index=item_ids)
    truth = SyntheticTruth(
        preferred_cluster={user_ids[u]: int(preferred[u]) for u in users},
        favourites={user_ids[u]: tuple(item_ids[favourites[u]]) for u in users},
        item_cluster={item_ids[i]: int(cluster[i]) for i in range(n_items)},
    )
    return events, catalogue, truth


PRESETS = {
    "small": SyntheticSpec(),
    "medium": SyntheticSpec(n_users=2000, n_items=1000, n_clusters=20),
}


class SyntheticConfig(tfds.core.BuilderConfig):
    """A preset size of the synthetic log."""

    def __init__(self, *, name: str, spec: SyntheticSpec):
        super().__init__(name=name, description=str(spec))
        self.spec = spec


class Synthetic(LocalCode, tfds.core.GeneratorBasedBuilder):
    """Synthetic interaction logs with planted structure (see the module docstring)."""

    name = "seqrec_synthetic"
    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "Binges by gap, favourites by user, ratings by affinity."}
    BUILDER_CONFIGS = [SyntheticConfig(name=k, spec=v) for k, v in PRESETS.items()]

    def _info(self) -> tfds.core.DatasetInfo:
        return tfds.core.DatasetInfo(builder=self, description=__doc__.split("\n\n")[0],
                                     features=item_features_spec())

    def _split_generators(self, dl_manager):
        return {"full": self._generate_examples()}

    def _generate_examples(self):
        events, items, _ = generate(self.builder_config.spec)
        yield from item_examples(events, items)
