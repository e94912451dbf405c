"""tensorflow-datasets builder for datasets in the ReChorus format (THUwangcy/ReChorus), such as its
preprocessed Amazon Grocery_and_Gourmet_Food 5-core, DMRAN's Electronics stand-in here.

Files, tab-separated, each with a header line:

* ``train.csv`` (required) and ``dev.csv``, ``test.csv`` (optional; ReChorus keeps each user's last two
  events there): ``user_id``, ``item_id``, ``time`` (unix seconds), and in dev/test a ``neg_items``
  column of sampled negatives, which is not read (the suite's protocols split and sample themselves).
  Every row present is an event with rating 1.0; the three files are one log again.
* ``item_meta.csv`` (optional): ``item_id``, ``i_category`` (the integer category ReChorus assigned from
  the Amazon metadata) and related-item columns, which are not read. An item's category becomes its one
  flat feature ``c<i_category>``.

The copy in ``../shared/data/amazon-grocery-rechorus`` has ``train.csv`` and ``item_meta.csv`` only.
"""

import logging
import os
from pathlib import Path

import numpy as np
import pandas as pd
import tensorflow_datasets as tfds

from . import readers
from .errors import DataError
from .records import RawFiles, item_examples, item_features_spec

log = logging.getLogger(__name__)

EVENT_FILES = ("train.csv", "dev.csv", "test.csv")
META_FILE = "item_meta.csv"
EVENT_COLUMNS = ("user_id", "item_id", "time")


def locate(folder: str | os.PathLike) -> Path | None:
    """``folder`` when it holds ``train.csv``, else ``None``."""
    folder = Path(folder)
    return folder if folder.is_dir() and readers.Source(folder).has(EVENT_FILES[0]) else None


def _table(path: Path, required: tuple[str, ...]) -> tuple[pd.DataFrame, int]:
    label = str(path)
    frame, lines = readers.read_delimited(readers.decode_text(path.read_bytes(), label, ("utf-8",)), label,
                                          sep="\t")
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise DataError(f"{label}: line 1, the header, lacks column(s) {missing}; found "
                        f"{list(frame.columns)}. A ReChorus file is tab-separated with the header "
                        f"{chr(9).join(required)} (more columns may follow).")
    return frame, lines


def read_events(folder: Path) -> pd.DataFrame:
    """Every event of ``train.csv`` and, when present, ``dev.csv`` and ``test.csv``."""
    source, parts = readers.Source(folder), []
    for name in EVENT_FILES:
        member = source.find(name)
        if member is None:
            continue
        path = folder / member
        frame, lines = _table(path, EVENT_COLUMNS)
        label = str(path)
        parts.append(pd.DataFrame({
            "user": readers.ids(frame, "user_id", label, lines, integer=True),
            "item": readers.ids(frame, "item_id", label, lines, integer=True),
            "rating": np.ones(len(frame), np.float32),
            "timestamp": readers.timestamps(frame, "time", label, lines, fmt="unix")}))
        log.info("%s: %d events", label, len(frame))
    return pd.concat(parts, ignore_index=True)


def read_categories(path: Path) -> pd.DataFrame:
    """``item_meta.csv`` as items with one flat feature ``c<i_category>``."""
    frame, lines = _table(path, ("item_id", "i_category"))
    label = str(path)
    items = readers.ids(frame, "item_id", label, lines, integer=True)
    categories = readers.ids(frame, "i_category", label, lines, integer=True)
    return pd.DataFrame({"title": "", "features": [(f"c{c}",) for c in categories]},
                        index=pd.Index(items, dtype=object))


class ReChorus(RawFiles, tfds.core.GeneratorBasedBuilder):
    """A ReChorus-format dataset: events with rating 1.0, the items' ReChorus category as a flat feature."""

    name = "seqrec_rechorus"
    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "One example per item: its category and events (rating 1.0)."}
    MANUAL_DOWNLOAD_INSTRUCTIONS = ("Place train.csv (and dev.csv, test.csv, item_meta.csv) in the manual "
                                    "directory.")

    def _info(self) -> tfds.core.DatasetInfo:
        return tfds.core.DatasetInfo(
            builder=self, features=item_features_spec(), homepage="https://github.com/THUwangcy/ReChorus",
            description="A dataset preprocessed by ReChorus: every row of train/dev/test.csv an event "
                        "with rating 1.0, each item's integer i_category as its flat feature.")

    def _split_generators(self, dl_manager):
        folder = self._require_folder(dl_manager, locate, "a ReChorus dataset needs train.csv (and "
                                      "optionally dev.csv, test.csv, item_meta.csv).")
        return {"full": self._generate_examples(folder)}

    def _generate_examples(self, folder: Path):
        events = read_events(folder)
        meta = readers.Source(folder).find(META_FILE)
        items = read_categories(folder / meta) if meta else pd.DataFrame({"title": [], "features": []})
        if meta is None:
            log.warning("%s: no %s; the items have no category", folder, META_FILE)
        yield from item_examples(events, items)
