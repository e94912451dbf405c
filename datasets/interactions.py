"""`Interactions`: an interaction log with its item metadata, the input of every protocol.

**Event order.** Events are sorted by user, then timestamp, then item id (string order), stably. The
item id breaks ties between events that share a timestamp (common in data with day or second
resolution), so the order is fixed by the data itself and not by the row order of the file it came from.
"""

import dataclasses
import hashlib

import numpy as np
import pandas as pd

from .errors import DataError

EVENT_COLUMNS = ("user", "item", "rating", "timestamp")
FEATURE_STRUCTURES = ("none", "flat", "hierarchy")


def count_repeats(events: pd.DataFrame) -> tuple[int, int]:
    """``(exact, pairs)``: events repeating an earlier ``(user, item, timestamp)``, and an earlier
    ``(user, item)`` pair."""
    return (int(events.duplicated(["user", "item", "timestamp"]).sum()),
            int(events.duplicated(["user", "item"]).sum()))


def sort_events(events: pd.DataFrame) -> pd.DataFrame:
    """Sort events by the documented tie rule: user, timestamp, item id; stable."""
    return events.sort_values(["user", "timestamp", "item"], kind="stable").reset_index(drop=True)


@dataclasses.dataclass
class Interactions:
    """An interaction log.

    Attributes:
      name: dataset name, e.g. ``movielens-latest-small``.
      events: columns ``user`` (str), ``item`` (str), ``rating`` (float32; 1.0 for implicit feedback),
        ``timestamp`` (int64 unix seconds, UTC), in the documented event order.
      items: indexed by item id (str), columns ``title`` (str) and ``features`` (tuple of str: flat
        features such as genres, or one category path ordered root -> leaf); extra columns allowed.
        It may list items without events.
      feature_structure: ``"flat"``, ``"hierarchy"`` or ``"none"``: how ``items.features`` is organised.
      tags: optional free-text tags, columns ``user, item, tag, timestamp``.
      source: where the data was read from (path, ``embedded``, ``generated``...).
      notes: what reading left out (e.g. a user log's unused columns, or events of other behaviours).
      timed: False when the source holds no times, only the order of each user's events (the
        timestamps are then positions: 0, 1, 2, ... seconds); time features computed from them mean
        nothing, and scripts mark what needs them as not applicable.
    """

    name: str
    events: pd.DataFrame
    items: pd.DataFrame
    feature_structure: str = "none"
    tags: pd.DataFrame | None = None
    source: str = ""
    notes: tuple[str, ...] = ()
    timed: bool = True

    def __post_init__(self):
        missing = [c for c in EVENT_COLUMNS if c not in self.events.columns]
        if missing:
            raise DataError(f"{self.name}: events lack column(s) {missing}; "
                            f"found {list(self.events.columns)}.")
        if self.feature_structure not in FEATURE_STRUCTURES:
            raise DataError(f"{self.name}: feature_structure must be one of {FEATURE_STRUCTURES}.")
        events = self.events[list(EVENT_COLUMNS)].astype(
            {"user": object, "item": object, "rating": np.float32, "timestamp": np.int64})
        self.events = sort_events(events)
        items = self.items.copy()
        for column, default in (("title", ""), ("features", ())):
            if column not in items.columns:
                items[column] = [default] * len(items)
        self.items = items

    @property
    def n_users(self) -> int:
        return int(self.events["user"].nunique())

    @property
    def n_items(self) -> int:
        """Number of items with at least one event."""
        return int(self.events["item"].nunique())

    def __len__(self) -> int:
        return len(self.events)

    def replace(self, events: pd.DataFrame, name: str | None = None) -> "Interactions":
        """A copy holding ``events`` (e.g. after a filter), keeping metadata of remaining items."""
        items = self.items[self.items.index.isin(events["item"].unique())]
        return dataclasses.replace(self, events=events, items=items, name=name or self.name)

    def fingerprint(self) -> str:
        """sha256 of the events and item features: the data hash written into run manifests."""
        digest = hashlib.sha256()
        digest.update(pd.util.hash_pandas_object(self.events, index=False).to_numpy().tobytes())
        features = self.items["features"].map("|".join)
        digest.update(pd.util.hash_pandas_object(features, index=True).to_numpy().tobytes())
        return digest.hexdigest()

    def summary(self) -> dict:
        """Users, items, interactions, time span, density, sequence-length quantiles, the events that
        repeat an earlier ``(user, item, timestamp)`` exactly and those that repeat an earlier ``(user,
        item)`` pair (and the `notes` on reading, when there are any)."""
        events = self.events
        if events.empty:
            return {"name": self.name, "users": 0, "items": 0, "interactions": 0}
        lengths = events.groupby("user", sort=False).size().to_numpy()
        first, last = events["timestamp"].min(), events["timestamp"].max()
        n_users, n_items = self.n_users, self.n_items
        quantiles = np.quantile(lengths, [0.0, 0.25, 0.5, 0.75, 0.9, 1.0])
        return {
            "name": self.name,
            "source": self.source,
            "users": n_users,
            "items": n_items,
            "interactions": len(events),
            "first": pd.Timestamp(first, unit="s", tz="UTC").isoformat(),
            "last": pd.Timestamp(last, unit="s", tz="UTC").isoformat(),
            "span_days": round(float(last - first) / 86400, 1),
            "density": len(events) / (n_users * n_items),
            "rating_min": float(events["rating"].min()),
            "rating_max": float(events["rating"].max()),
            "sequence_length": {
                "mean": float(lengths.mean()),
                **{q: int(v) for q, v in zip(("min", "p25", "p50", "p75", "p90", "max"),
                                             quantiles, strict=True)},
            },
            "items_with_features": int((self.items["features"].map(len) > 0).sum()),
            "feature_structure": self.feature_structure,
            **({} if self.timed else {"timed": "no: the source holds only the order of events; "
                                                "timestamps are positions"}),
            "tags": 0 if self.tags is None else len(self.tags),
            # kept as read; the paper protocols remove exact repeats (seqrec.datasets.protocols)
            **dict(zip(("repeated_events", "repeated_pairs"), count_repeats(events), strict=True)),
            **({"notes": "; ".join(self.notes)} if self.notes else {}),
        }
