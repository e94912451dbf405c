"""The record layout shared by every tensorflow-datasets builder of the suite.

Each builder writes **one example per item**: the item's metadata and the sequence of its interaction
events. One example per item (rather than per rating) keeps a 25M-rating release at ~60k examples, so
preparing and reading the records is fast, and it lets metadata (titles, genres, category paths, links,
tags) live in the same records as the events that refer to it.

Common features of every example::

    item_id   Text                 original item id
    title     Text                 "" when the release has none
    features  Sequence(Text)       flat features (e.g. genres) or a category path ordered root -> leaf
    events    Sequence({user_id: Text, rating: float32, timestamp: int64})   unix seconds, UTC

Builders may add extra item-level Text features (e.g. ``imdb_id``) and a ``tags`` sequence
``{user_id: Text, tag: Text, timestamp: int64}``.
"""

import contextlib
import io
import logging
import os
from collections.abc import Callable, Iterator, Sequence
from itertools import pairwise
from pathlib import Path

import numpy as np
import pandas as pd
import tensorflow_datasets as tfds

from .errors import DatasetNotFoundError

log = logging.getLogger(__name__)

EVENT_FEATURES = {"user_id": tfds.features.Text(), "rating": np.float32, "timestamp": np.int64}
TAG_FEATURES = {"user_id": tfds.features.Text(), "tag": tfds.features.Text(), "timestamp": np.int64}


class LocalCode:
    """Mixin for the suite's builders: their code lives in this folder.

    tensorflow-datasets derives a builder's ``code_path`` from its top-level package, which fails for
    the namespace package ``seqrec`` in an editable install; the path is only used to look for a
    ``checksums.tsv`` (the suite verifies downloads itself, `seqrec.datasets.movielens.verify_archive`).
    """

    code_path = tfds.core.Path(__file__)


class RawFiles(LocalCode):
    """Mixin for builders of downloadable or manual raw files: ``source`` (a folder or an archive found
    by the registry) is read instead of TFDS' manual or download directory when given."""

    def __init__(self, *, source: str | os.PathLike | None = None, **kwargs):
        self._source = Path(source) if source is not None else None
        super().__init__(**kwargs)

    def _find_folder(self, dl_manager, locate: Callable[[Path], Path | None]) -> tuple[Path, bool]:
        """``(folder, found)``: where to read the raw files, and whether they are there.

        The ``source`` given to the builder is taken as it is (found); otherwise TFDS' manual directory,
        found when ``locate`` (``folder -> folder or None``) finds the files there. Without a manual
        directory the folder is ``Path("<manual directory>")`` (for error messages), not found.
        """
        if self._source is not None:
            return self._source, True
        try:
            manual = Path(dl_manager.manual_dir)
        except AssertionError:  # manual directory missing or empty
            return Path("<manual directory>"), False
        return manual, locate(manual) is not None

    def _require_folder(self, dl_manager, locate: Callable[[Path], Path | None], needs: str) -> Path:
        """The folder of `_find_folder`; `DatasetNotFoundError` ``"<folder>: <needs>"`` when the files
        are not there."""
        folder, found = self._find_folder(dl_manager, locate)
        if not found:
            raise DatasetNotFoundError(f"{folder}: {needs}")
        return folder


def item_features_spec(
    extra_text: Sequence[str] = (), with_tags: bool = False
) -> tfds.features.FeaturesDict:
    """The ``FeaturesDict`` of an item example, with optional extra Text fields and tags."""
    spec = {
        "item_id": tfds.features.Text(),
        "title": tfds.features.Text(),
        "features": tfds.features.Sequence(tfds.features.Text()),
        "events": tfds.features.Sequence(EVENT_FEATURES),
    }
    spec.update({name: tfds.features.Text() for name in extra_text})
    if with_tags:
        spec["tags"] = tfds.features.Sequence(TAG_FEATURES)
    return tfds.features.FeaturesDict(spec)


def _groups(frame: pd.DataFrame, key: str) -> dict[str, pd.DataFrame]:
    """Split ``frame`` by ``key`` with one sort (faster than a Python loop over ``groupby``)."""
    if frame is None or frame.empty:
        return {}
    frame = frame.sort_values([key, "timestamp"], kind="stable")
    keys = frame[key].to_numpy()
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    bounds = np.r_[starts, len(frame)]
    return {keys[s]: frame.iloc[s:e] for s, e in pairwise(bounds)}


def item_examples(
    events: pd.DataFrame,
    items: pd.DataFrame,
    tags: pd.DataFrame | None = None,
    extra_text: Sequence[str] = (),
) -> Iterator[tuple[str, dict]]:
    """Yield ``(key, example)`` pairs for every item that has metadata, events or tags.

    Args:
      events: columns ``user, item, rating, timestamp``.
      items: indexed by item id, columns ``title``, ``features`` (tuple of str) and ``extra_text``.
      tags: optional columns ``user, item, tag, timestamp``.
    """
    by_item = _groups(events, "item")
    tags_by_item = _groups(tags, "item") if tags is not None else {}
    ids = sorted(set(items.index) | set(by_item) | set(tags_by_item))
    empty_events = pd.DataFrame({"user": [], "rating": [], "timestamp": []})
    for item in ids:
        meta = items.loc[item] if item in items.index else None
        ev = by_item.get(item, empty_events)
        example = {
            "item_id": item,
            "title": "" if meta is None else meta["title"],
            "features": [] if meta is None else list(meta["features"]),
            "events": {
                "user_id": ev["user"].to_numpy(dtype=object),
                "rating": ev["rating"].to_numpy(dtype=np.float32),
                "timestamp": ev["timestamp"].to_numpy(dtype=np.int64),
            },
        }
        for name in extra_text:
            example[name] = "" if meta is None else meta[name]
        if tags is not None:
            tg = tags_by_item.get(item, pd.DataFrame({"user": [], "tag": [], "timestamp": []}))
            example["tags"] = {
                "user_id": tg["user"].to_numpy(dtype=object),
                "tag": tg["tag"].to_numpy(dtype=object),
                "timestamp": tg["timestamp"].to_numpy(dtype=np.int64),
            }
        yield item, example


def _decode(values: Sequence[bytes]) -> np.ndarray:
    return np.char.decode(np.asarray(values, dtype=bytes), "utf-8").astype(object)


def prepare(builder: tfds.core.DatasetBuilder, **kwargs) -> None:
    """``builder.download_and_prepare(**kwargs)`` with what tensorflow-datasets prints on the way
    ("Downloading and preparing dataset Unknown size ...", meaningless for a local file) logged at INFO
    instead of printed."""
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        builder.download_and_prepare(**kwargs)
    for line in printed.getvalue().splitlines():
        if line.strip():
            log.info("tensorflow-datasets: %s", line.strip())


def read_item_records(
    builder: tfds.core.DatasetBuilder, split: str = "full"
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame | None]:
    """Read a prepared builder back into ``(events, items, tags)`` DataFrames.

    ``events`` has columns ``user, item, rating (float32), timestamp (int64)``; ``items`` is indexed by
    item id with ``title``, ``features`` (tuple of str) and any extra Text fields; ``tags`` is ``None``
    when the builder has no tags.
    """
    spec = builder.info.features
    extra = [k for k, f in spec.items() if isinstance(f, tfds.features.Text) and k not in
             ("item_id", "title")]
    has_tags = "tags" in spec
    ev_user, ev_item, ev_rating, ev_time = [], [], [], []
    tg_user, tg_item, tg_tag, tg_time = [], [], [], []
    rows = []
    for ex in tfds.as_numpy(builder.as_dataset(split=split)):
        item = ex["item_id"].decode("utf-8")
        features = tuple(f.decode("utf-8") for f in ex["features"])
        rows.append((item, ex["title"].decode("utf-8"), features,
                     *(ex[k].decode("utf-8") for k in extra)))
        n = len(ex["events"]["timestamp"])
        ev_user.append(ex["events"]["user_id"])
        ev_item.append(np.full(n, item, dtype=object))
        ev_rating.append(ex["events"]["rating"])
        ev_time.append(ex["events"]["timestamp"])
        if has_tags:
            m = len(ex["tags"]["timestamp"])
            tg_user.append(ex["tags"]["user_id"])
            tg_item.append(np.full(m, item, dtype=object))
            tg_tag.append(ex["tags"]["tag"])
            tg_time.append(ex["tags"]["timestamp"])
    items = pd.DataFrame(rows, columns=["item", "title", "features", *extra]).set_index("item")
    events = pd.DataFrame(
        {
            "user": _decode(np.concatenate(ev_user)) if ev_user else np.array([], dtype=object),
            "item": np.concatenate(ev_item) if ev_item else np.array([], dtype=object),
            "rating": np.concatenate(ev_rating).astype(np.float32) if ev_rating else [],
            "timestamp": np.concatenate(ev_time).astype(np.int64) if ev_time else [],
        }
    )
    tags = None
    if has_tags:
        tags = pd.DataFrame(
            {
                "user": _decode(np.concatenate(tg_user)) if tg_user else [],
                "item": np.concatenate(tg_item) if tg_item else [],
                "tag": _decode(np.concatenate(tg_tag)) if tg_tag else [],
                "timestamp": np.concatenate(tg_time).astype(np.int64) if tg_time else [],
            }
        )
    return events, items, tags
