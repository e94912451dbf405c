"""tensorflow-datasets builder for the Alibaba Tianchi mobile recommendation data ("Ali Mobile" in MTAM).

Files, at the top of the folder or one folder down (the first name of each pair is the competition's,
the second the name a circulated sample uses; when both are present the competition's is read):

* ``tianchi_mobile_recommend_train_user.csv`` or ``sample_user_behavior.csv`` (required): a header line
  ``user_id,item_id,behavior_type,user_geohash,item_category,time``, then one behaviour per line;
  ``behavior_type`` is 1 click, 2 collect, 3 cart, 4 buy; ``time`` has hour resolution,
  ``YYYY-MM-DD HH``; ``user_geohash`` is often empty and not read;
* ``tianchi_mobile_recommend_train_item.csv`` or ``sample_item_info.csv`` (optional): a header line
  ``item_id,item_geohash,item_category`` (the competition's item subset; an item may have several lines,
  one per geohash).

**Time zone.** ``time`` is the wall-clock hour in China (UTC+8): the competition ran on Alibaba's
Chinese platform, and the data's daily cycle confirms it (few behaviours at 02-05 h, the most at 19-22 h,
as expected of local time). Timestamps are converted to true unix seconds (UTC), like every timestamp
of the suite: ``2014-12-18 23`` becomes 2014-12-18 15:00 UTC (China has no daylight saving time, so the
offset is always 8 hours). Add ``8 * 3600`` to a timestamp to get back the hour as written in the file
(and mind that calendar features such as the hour of the week are then computed in UTC).

**Behaviours.** Every behaviour (click, collect, cart, buy) is an event with rating 1.0, as MTAM uses
them all; the behaviour type is not kept in the records (the record layout has no per-event field for
it: read ``behavior_type`` from the file to weight or filter by it). The counts of each type, and of the
behaviours that repeat an earlier one (same user, item, type and hour), are logged when the records are
prepared (counting them for the builder's description would mean reading the 23M-line file before
preparing it). Repeated behaviours are kept: many are genuine (several clicks in the same hour).

**Item features.** An item's ``item_category`` is its flat feature (one value, the category id as a
string): taken from the user file (the category of its first behaviour in time, ties in file order;
an item with several categories is logged), else from the item file for items that appear only there;
such items are kept as items without events. Records follow `seqrec.datasets.records` (one example per
item; no titles).

**Where the files come from:** the ``source`` folder given to the builder, else TFDS' manual
directory. Alibaba distributes the data only to logged-in Tianchi users
(https://tianchi.aliyun.com/dataset/dataDetail?dataId=46), so there is nothing to download.
"""

import logging
import os
from pathlib import Path

import numpy as np
import pandas as pd
import tensorflow_datasets as tfds

from . import readers
from .errors import DataError, DatasetNotFoundError
from .records import RawFiles, item_examples, item_features_spec

log = logging.getLogger(__name__)

USER_FILES = ("tianchi_mobile_recommend_train_user.csv", "sample_user_behavior.csv")
ITEM_FILES = ("tianchi_mobile_recommend_train_item.csv", "sample_item_info.csv")
USER_COLUMNS = ("user_id", "item_id", "behavior_type", "item_category", "time")
ITEM_COLUMNS = ("item_id", "item_category")
USER_HEADER = "user_id,item_id,behavior_type,user_geohash,item_category,time"
ITEM_HEADER = "item_id,item_geohash,item_category"
BEHAVIORS = {"1": "click", "2": "collect", "3": "cart", "4": "buy"}
TIME_FORMAT = "%Y-%m-%d %H"
UTC_OFFSET = 8 * 3600  # China Standard Time, UTC+8, no daylight saving time
ENCODINGS = ("utf-8", "gbk", "latin-1")
HOMEPAGE = "https://tianchi.aliyun.com/dataset/dataDetail?dataId=46"


def _find(source: readers.Source, names: tuple[str, ...]) -> str | None:
    found = [m for m in map(source.find, names) if m is not None]
    if len(found) > 1:
        log.warning("%s: both %s and %s are present; reading %s", source.path, found[0], found[1],
                    found[0])
    return found[0] if found else None


def find_files(folder: str | os.PathLike) -> tuple[Path, Path | None]:
    """``(user file, item file or None)`` in ``folder``; no user file raises `DatasetNotFoundError`."""
    folder = Path(folder)
    source = readers.Source(folder)
    users = _find(source, USER_FILES)
    if users is None:
        raise DatasetNotFoundError(
            f"{folder}: Tianchi mobile needs {USER_FILES[0]} (or {USER_FILES[1]}), optional {ITEM_FILES[0]} "
            f"(or {ITEM_FILES[1]}), at the top of the folder or one folder down. There is no public "
            f"download: get them from {HOMEPAGE} (a Tianchi login is needed) and extract them.")
    items = _find(source, ITEM_FILES)
    return folder / users, (folder / items if items is not None else None)


def locate(folder: str | os.PathLike) -> Path | None:
    """``folder`` when it holds a user file, else ``None``."""
    folder = Path(folder)
    if folder.is_dir() and any(readers.Source(folder).has(name) for name in USER_FILES):
        return folder
    return None


class TianchiMobile(RawFiles, tfds.core.GeneratorBasedBuilder):
    """Tianchi mobile behaviours: every behaviour an event with rating 1.0, item categories as features."""

    name = "seqrec_tianchi_mobile"
    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "One example per item: its category and every behaviour (rating 1.0)."}
    MANUAL_DOWNLOAD_INSTRUCTIONS = (
        f"Place {USER_FILES[0]} and (optional) {ITEM_FILES[0]} in the manual directory; there is no "
        f"public download ({HOMEPAGE})."
    )

    def _info(self) -> tfds.core.DatasetInfo:
        return tfds.core.DatasetInfo(
            builder=self,
            description="Tianchi mobile recommendation (Alibaba, 2014-11-18 to 2014-12-18): every behaviour "
                        "(click, collect, cart, buy) an event with rating 1.0, the behaviour type not "
                        "kept; hour-resolution times read as China Standard Time (UTC+8) and stored in "
                        "UTC; each item's item_category as a flat feature.",
            features=item_features_spec(),
            homepage=HOMEPAGE,
            citation="Alibaba Tianchi, Mobile Recommendation Algorithm competition, 2015.",
        )

    def _split_generators(self, dl_manager):
        folder, _ = self._find_folder(dl_manager, locate)  # find_files raises when nothing is there
        return {"full": self._generate_examples(*find_files(folder))}

    def _generate_examples(self, users: Path, items: Path | None):
        events, categories = parse_behaviors(users)
        features = item_categories(events.assign(category=categories), str(users))
        if items is not None:
            features = add_item_file(features, parse_items(items), str(items))
        frame = pd.DataFrame({"title": [""] * len(features), "features": [(c,) for c in features]},
                             index=pd.Index(features.index, dtype=object))
        yield from item_examples(events, frame)


def _read(path: Path, required: tuple[str, ...], header: str) -> tuple[pd.DataFrame, int]:
    """A CSV file with a header line; a missing column names the header line the file must have."""
    label = str(path)
    text = readers.decode_text(path.read_bytes(), label, ENCODINGS).lstrip("\ufeff")
    frame, lines = readers.read_delimited(text, label, sep=",")
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise DataError(
            f"{label}: line 1, the header, lacks column(s) {missing}; found {list(frame.columns)}. The "
            f"file must start with the competition's header line {header} (names as written there, "
            "any order).")
    return frame, lines


def parse_behaviors(path: Path) -> tuple[pd.DataFrame, pd.Series]:
    """The user file as events ``user, item, rating 1.0, timestamp (UTC)`` and each line's
    ``item_category``, in file order; the counts of behaviours and repeated behaviours are logged."""
    label = str(path)
    frame, lines = _read(path, USER_COLUMNS, USER_HEADER)
    behaviors = frame["behavior_type"].astype(str).str.strip()
    bad = ~behaviors.isin(list(BEHAVIORS)).to_numpy(dtype=bool)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise DataError(
            f"{label}: column 'behavior_type' has {int(bad.sum())} invalid value(s); first at line "
            f"{readers.line_number(frame, first, lines)}: {frame['behavior_type'].iloc[first]!r}. "
            "Expected 1 (click), 2 (collect), 3 (cart) or 4 (buy).")
    events = pd.DataFrame({
        "user": readers.ids(frame, "user_id", label, lines, integer=True),
        "item": readers.ids(frame, "item_id", label, lines, integer=True),
        "rating": np.ones(len(frame), np.float32),
        "timestamp": readers.timestamps(frame, "time", label, lines, fmt=TIME_FORMAT) - UTC_OFFSET,
    })
    categories = readers.ids(frame, "item_category", label, lines, integer=True)
    counts = behaviors.map(BEHAVIORS).value_counts()
    repeats = int(events.assign(b=behaviors).duplicated(["user", "item", "b", "timestamp"]).sum())
    log.info("%s: %d behaviours (%s) of %d users on %d items; %d repeat an earlier behaviour (same "
             "user, item, type and hour) and are kept; all have rating 1.0", label, len(events),
             ", ".join(f"{n} {name}" for name in BEHAVIORS.values() if (n := int(counts.get(name, 0)))),
             events["user"].nunique(), events["item"].nunique(), repeats)
    return events, categories


def item_categories(behaviors: pd.DataFrame, label: str) -> pd.Series:
    """Each item's category: that of its first behaviour (in time, ties in file order)."""
    ordered = behaviors.sort_values(["item", "timestamp"], kind="stable")
    several = int((ordered.groupby("item", sort=False)["category"].nunique() > 1).sum())
    if several:
        log.warning("%s: %d item(s) appear with several item_category values; each keeps the category "
                    "of its first behaviour", label, several)
    first = ordered.drop_duplicates("item")
    return pd.Series(first["category"].to_numpy(), index=first["item"].to_numpy(), dtype=object)


def parse_items(path: Path) -> pd.Series:
    """The item file as each item's category (the first line of an item listed several times)."""
    label = str(path)
    frame, lines = _read(path, ITEM_COLUMNS, ITEM_HEADER)
    items = readers.ids(frame, "item_id", label, lines, integer=True)
    categories = readers.ids(frame, "item_category", label, lines, integer=True)
    table = pd.DataFrame({"item": items, "category": categories})
    several = int((table.groupby("item")["category"].nunique() > 1).sum())
    if several:
        log.warning("%s: %d item(s) listed with several item_category values; each keeps its first",
                    label, several)
    first = table.drop_duplicates("item")
    return pd.Series(first["category"].to_numpy(), index=first["item"].to_numpy(), dtype=object)


def add_item_file(categories: pd.Series, listed: pd.Series, label: str) -> pd.Series:
    """The user file's categories, plus those of items only in the item file (the user file wins)."""
    common = listed.index.intersection(categories.index)
    conflicts = int((listed[common] != categories[common]).sum())
    if conflicts:
        log.warning("%s: %d item(s) have another item_category than in the user file; the user file's "
                    "is kept", label, conflicts)
    extra = listed[~listed.index.isin(categories.index)]
    log.info("%s: %d items (%d of them with behaviours); %d items only in this file are added without "
             "events", label, len(listed), len(common), len(extra))
    return pd.concat([categories, extra])
