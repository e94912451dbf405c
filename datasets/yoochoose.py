"""tensorflow-datasets builder for the YOOCHOOSE clicks of the RecSys Challenge 2015.

``yoochoose-clicks.dat`` (33,003,944 clicks of 9,249,729 sessions in the full file) has no header line
(a header line, as some copies add, is recognised, its session and item fields not being numbers, and
skipped); each line is ``session_id,timestamp,item_id,category``, the timestamp in ISO 8601 UTC with
milliseconds (``2014-04-07T10:51:09.277Z``). Any other file named ``yoochoose-clicks*.dat`` (e.g. the sample
``yoochoose-clicks-sample.dat``) is read when ``yoochoose-clicks.dat`` is absent; two such candidates
are refused as ambiguous. ``yoochoose-buys.dat`` and ``yoochoose-test.dat`` are not read.

* **Sessions are the users** (as MTAM does: the data has no user ids): ``user_id`` is the session id.
* **Every click is an event with rating 1.0** (implicit feedback).
* **Timestamps keep second resolution**: the milliseconds are floored (``10:51:09.277`` ->
  ``10:51:09``), as every timestamp of the suite is whole unix seconds. Clicks of a session that fall
  in the same second are then ordered by the suite's tie rule (item id; see
  `seqrec.datasets.interactions`), not by their milliseconds.
* **The item's category is a flat feature.** The ``category`` column is the context of each click:
  ``0`` unknown, ``S`` a special offer, ``1``-``12`` a real category, any other number (8-10 digits) a
  brand. An item's feature is the category of its **first click (in time, to the second as stored;
  ties in file order) whose category is not ``0``**, kept as the string in the file (``S``, ``3``,
  ``2053947352``): the three kinds cannot collide, so the flat vocabulary keeps them apart. An item
  whose every click has ``0`` has no feature. A value other than ``S`` or digits raises `DataError`.

Records follow `seqrec.datasets.records` (one example per item; no titles). **Where the file comes
from:** the ``source`` folder given to the builder, else TFDS' manual directory (the file at the top or
one folder down). The challenge site no longer serves the data (it was released under CC BY-NC-ND 4.0
by YOOCHOOSE GmbH), so there is nothing to download: extract ``yoochoose-clicks.dat`` from your copy of
``yoochoose-data.7z``.
"""

import logging
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd
import tensorflow_datasets as tfds

from . import readers
from .errors import DataError, DatasetNotFoundError
from .records import RawFiles, item_examples, item_features_spec

log = logging.getLogger(__name__)

CLICKS_FILE = "yoochoose-clicks.dat"
CLICKS_PATTERN = re.compile(r"yoochoose-clicks.*\.dat")
COLUMNS = ("session", "time", "item", "category")
UNKNOWN = "0"
CATEGORY = re.compile(r"S|[0-9]+")
ENCODINGS = ("utf-8", "latin-1")


def _candidates(folder: Path) -> list[Path]:
    """Files named ``yoochoose-clicks*.dat`` at the top of ``folder`` or one folder down."""
    if not folder.is_dir():
        return []
    places = [folder, *sorted(p for p in folder.iterdir() if p.is_dir())]
    return [p for d in places for p in sorted(d.iterdir())
            if p.is_file() and CLICKS_PATTERN.fullmatch(p.name)]


def find_clicks(folder: str | os.PathLike) -> Path:
    """The clicks file in ``folder``: ``yoochoose-clicks.dat``, else the only ``yoochoose-clicks*.dat``.
    None raises `DatasetNotFoundError`, several (without the original name) `DataError`."""
    folder = Path(folder)
    found = _candidates(folder)
    exact = [p for p in found if p.name == CLICKS_FILE]
    if exact:
        return exact[0]
    if len(found) > 1:
        raise DataError(
            f"{folder}: several clicks files {[str(p.relative_to(folder)) for p in found]} and no "
            f"{CLICKS_FILE}; keep only the one to read (or name it {CLICKS_FILE}).")
    if not found:
        raise DatasetNotFoundError(
            f"{folder}: YOOCHOOSE needs {CLICKS_FILE} (or one file named yoochoose-clicks*.dat) at the top "
            "of the folder or one folder down: session_id,timestamp,item_id,category lines. There is no "
            "public download any more; extract it from your copy of yoochoose-data.7z.")
    return found[0]


def locate(folder: str | os.PathLike) -> Path | None:
    """``folder`` when it holds a ``yoochoose-clicks*.dat`` file, else ``None``."""
    return Path(folder) if _candidates(Path(folder)) else None


class Yoochoose(RawFiles, tfds.core.GeneratorBasedBuilder):
    """YOOCHOOSE clicks: sessions as users, rating 1.0, the item's category as a flat feature."""

    name = "seqrec_yoochoose"
    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "One example per item: its category (first known click context) and clicks."}
    MANUAL_DOWNLOAD_INSTRUCTIONS = (
        "Place yoochoose-clicks.dat (from yoochoose-data.7z of the RecSys Challenge 2015) in the manual "
        "directory; there is no public download."
    )

    def _info(self) -> tfds.core.DatasetInfo:
        return tfds.core.DatasetInfo(
            builder=self,
            description="YOOCHOOSE clicks (RecSys Challenge 2015): sessions as users, every click an event "
                        "with rating 1.0 and its time floored to the second; each item's category (the "
                        "context of its first click with a known one: S, 1-12 or a brand id) as a flat "
                        "feature.",
            features=item_features_spec(),
            homepage="https://recsys.acm.org/recsys15/challenge/",
            citation="Ben-Shimon, Tsikinovsky, Friedmann, Shapira, Rokach & Hoerle, RecSys Challenge 2015 "
                     "and the YOOCHOOSE Dataset, RecSys 2015.",
        )

    def _split_generators(self, dl_manager):
        folder, _ = self._find_folder(dl_manager, locate)  # find_clicks raises when nothing is there
        return {"full": self._generate_examples(find_clicks(folder))}

    def _generate_examples(self, path: Path):
        events, categories = parse_clicks(path)
        items = item_categories(events.assign(category=categories))
        yield from item_examples(events, items)


def parse_clicks(path: Path) -> tuple[pd.DataFrame, pd.Series]:
    """A clicks file as events ``user (session), item, rating 1.0, timestamp`` and each click's
    category (a string), in file order."""
    label = str(path)
    text = readers.decode_text(path.read_bytes(), label, ENCODINGS).lstrip("\ufeff")
    first = text.split("\n", 1)[0].rstrip("\r").split(",")
    if len(first) >= 3 and not first[0].strip().isdigit() and not first[2].strip().isdigit():
        frame, lines = readers.read_delimited(text, label, sep=",")
        if len(frame.columns) != len(COLUMNS):
            raise DataError(
                f"{label}: line 1, a header line, names {len(frame.columns)} columns {list(frame.columns)}; "
                "expected 4: session_id,timestamp,item_id,category (the original file has no header line).")
        log.info("%s: line 1 is a header line %s; skipped", label, list(frame.columns))
        frame.columns = list(COLUMNS)
    else:
        frame, lines = readers.read_delimited(text, label, sep=",", names=COLUMNS)
    categories = frame["category"].astype(str).str.strip()
    bad = ~categories.str.fullmatch(CATEGORY.pattern).to_numpy(dtype=bool)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise DataError(
            f"{label}: column 'category' (the 4th) has {int(bad.sum())} invalid value(s); first at line "
            f"{readers.line_number(frame, first, lines)}: {frame['category'].iloc[first]!r}. Expected S "
            "(special offer), 0 (unknown), 1-12 (a category) or a brand id (a number): each line is "
            "session_id,timestamp,item_id,category.")
    events = pd.DataFrame({
        "user": readers.ids(frame, "session", label, lines, integer=True),
        "item": readers.ids(frame, "item", label, lines, integer=True),
        "rating": np.ones(len(frame), np.float32),
        "timestamp": readers.timestamps(frame, "time", label, lines, fmt="iso"),  # ms floored
    })
    log.info("%s: %d clicks, %d sessions, %d items", label, len(events), events["user"].nunique(),
             events["item"].nunique())
    return events, categories.astype(object)


def item_categories(clicks: pd.DataFrame) -> pd.DataFrame:
    """Items indexed by id with ``title`` "" and ``features`` (the category of the item's first click,
    in time (whole seconds) then file order, whose category is not ``0``), for items that have one."""
    known = clicks[clicks["category"] != UNKNOWN].sort_values(["item", "timestamp"], kind="stable")
    first = known.drop_duplicates("item")
    values = first["category"]
    kinds = {"special offer (S)": int((values == "S").sum()),
             "category 1-12": int(values.isin([str(k) for k in range(1, 13)]).sum())}
    kinds["brand"] = len(values) - sum(kinds.values())
    log.info("%d of %d items have a known category: %s", len(first), clicks["item"].nunique(), kinds)
    if first.empty:
        log.warning("no click has a known category (every category is 0): the items have no features")
    return pd.DataFrame({"title": [""] * len(first), "features": [(c,) for c in values]},
                        index=pd.Index(first["item"].to_numpy(), dtype=object))
