"""tensorflow-datasets builder for the Pinterest data of Geng, Zhang, Bian and Chua ("Learning Image and
User Features for Recommendation in Social Networks", ICCV 2015), Ante-RNN's second dataset (section 4.1),
in the layout its authors release (folder ``pinterest_iccv``, BSON files of MongoDB documents):

* ``subset_iccv_board_pins.bson`` (required): one document per board, ``board_id`` and ``pins`` (pin
  ids). The release's README: "each board represents a user"; a board is a user here.
* ``subset_iccv_pin_im.bson`` (required): one document per pin, ``pin_id``, ``im_name`` (the image;
  several pins can show one image) and ``im_url``.
* ``subset_iccv_board_cate.bson`` and ``categories.txt``: each board's category. Not read: they describe
  users, and no method of the suite reads user categories.
* ``descriptions.csv`` (optional, not in the release): ``im_name,description``, the image descriptions
  Ante-RNN collected through the Pinterest API ("there is no description information on images"). They
  become the items' titles, the text Ante-RNN reads; without them the items have no text.

**Items are images** (``im_name`` without a file extension, so that image files downloaded from
``im_url`` as ``<item>.jpg`` match the item ids, `seqrec.datasets.image_features`), as in Ante-RNN's
Table 3 (14,965 images). Every pin is an event with rating 1.0. The URL is the item field ``image_url``.

**No times.** The release holds no timestamps, and its README states no order for a board's pins. Each
board's events get their position in its ``pins`` list as timestamp (0, 1, 2, ... seconds), so the
list order is taken as the time order, and the `Interactions` are marked ``timed=False`` (as
`seqrec.datasets.sequence_files` does), so that a script marks what needs real times (Ante-RNN's
time-of-week and interval factors) as not applicable. A pin missing from the pin file is dropped and
counted in the log. Ante-RNN's own subset (the 15,000 most popular images, 50,000 sampled users) is a
protocol step, `seqrec.datasets.protocols.ante_rnn` (``popular_items``, ``users``).
"""

import logging
import os
from collections.abc import Iterator
from pathlib import Path

import bson
import numpy as np
import pandas as pd
import tensorflow_datasets as tfds

from . import readers
from .errors import DataError
from .records import RawFiles, item_examples, item_features_spec

log = logging.getLogger(__name__)

BOARDS = "subset_iccv_board_pins.bson"
PINS = "subset_iccv_pin_im.bson"
DESCRIPTIONS = "descriptions.csv"
URL = "https://sites.google.com/site/xueatalphabeta/dataset-1/pinterest_iccv"


def locate(folder: str | os.PathLike) -> Path | None:
    """``folder`` (or a ``.zip`` of the release in it) when it holds both BSON files, else ``None``."""
    folder = Path(folder)
    if not folder.is_dir():
        return None
    for source in (folder, *sorted(folder.glob("*.zip"))):
        if all(readers.Source(source).has(name) for name in (BOARDS, PINS)):
            return source
    return None


def documents(source: readers.Source, name: str, fields: tuple[str, ...]) -> Iterator[dict]:
    """The BSON documents of ``name`` in ``source``; a corrupt file or a document without one of
    ``fields`` raises `DataError` naming the file and the document's number."""
    label = source.label(name)
    try:
        for number, document in enumerate(bson.decode_iter(source.read_bytes(name)), start=1):
            missing = [f for f in fields if f not in document]
            if missing:
                raise DataError(f"{label}: document {number} lacks the field(s) {missing} (it has "
                                f"{sorted(document)}). {name} of the Pinterest ICCV release has the fields "
                                f"{list(fields)}; download the release again from {URL}.")
            yield document
    except bson.errors.BSONError as err:
        raise DataError(f"{label}: not a readable BSON file ({err}); it looks truncated or corrupt. "
                        f"Download the release again from {URL}.") from err


def image_id(name: str) -> str:
    """An image's item id: its ``im_name`` without a file extension."""
    return Path(str(name)).stem


def read_events(source: readers.Source) -> tuple[pd.DataFrame, pd.Series]:
    """``(events, urls)``: every pin of every board as an event (user = board, item = image, rating
    1.0, timestamp = position among the board's kept pins), and each image's URL."""
    pins = {str(d["pin_id"]): (image_id(d["im_name"]), str(d.get("im_url", "")))
            for d in documents(source, PINS, ("pin_id", "im_name"))}
    users, items, positions, missing, total = [], [], [], 0, 0
    for board in documents(source, BOARDS, ("board_id", "pins")):
        shown = [pins[str(p)][0] for p in board["pins"] if str(p) in pins]
        total += len(board["pins"])
        missing += len(board["pins"]) - len(shown)
        users += [str(board["board_id"])] * len(shown)
        items += shown
        positions.append(np.arange(len(shown)))
    if missing:
        log.warning("%s: %d of %d pins have no document in %s and were dropped", source.label(BOARDS),
                    missing, total, PINS)
    events = pd.DataFrame({"user": np.asarray(users, dtype=object), "item": np.asarray(items, dtype=object),
                           "rating": np.ones(len(items), np.float32),
                           "timestamp": np.concatenate(positions or [np.zeros(0)]).astype(np.int64)})
    urls = pd.Series(dict(pins.values()), dtype=object)
    return events, urls


def read_descriptions(source: readers.Source) -> pd.Series:
    """``descriptions.csv`` as a text per item id (empty when the file is absent)."""
    if not source.has(DESCRIPTIONS):
        return pd.Series(dtype=object)
    label = source.label(DESCRIPTIONS)
    frame, lines = readers.read_delimited(
        readers.decode_text(source.read_bytes(DESCRIPTIONS), label, ("utf-8",)), label, sep=",")
    missing = [c for c in ("im_name", "description") if c not in frame.columns]
    if missing:
        raise DataError(f"{label}: line 1, the header, lacks column(s) {missing}; found "
                        f"{list(frame.columns)}. Write the descriptions as CSV with the header "
                        "im_name,description.")
    names = readers.ids(frame, "im_name", label, lines)
    return pd.Series(frame["description"].fillna("").astype(str).to_numpy(),
                     index=pd.Index([image_id(n) for n in names], dtype=object))


class Pinterest(RawFiles, tfds.core.GeneratorBasedBuilder):
    """Geng et al.'s Pinterest release: boards as users, images as items, one event per pin, no times."""

    name = "seqrec_pinterest"
    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "One example per image: its description (if given), URL and pins."}
    MANUAL_DOWNLOAD_INSTRUCTIONS = (f"Place {BOARDS} and {PINS} of the pinterest_iccv release ({URL}), and "
                                    f"optionally {DESCRIPTIONS} (im_name,description), in the manual "
                                    "directory.")

    def _info(self) -> tfds.core.DatasetInfo:
        return tfds.core.DatasetInfo(
            builder=self, features=item_features_spec(extra_text=("image_url",)), homepage=URL,
            description="Pinterest (Geng et al., ICCV 2015): each board a user, each image an item, each "
                        "pin an event with rating 1.0 at its position in the board (no times).")

    def _split_generators(self, dl_manager):
        folder = self._require_folder(dl_manager, locate, f"the Pinterest ICCV release needs {BOARDS} and "
                                      f"{PINS} (download pinterest_iccv from {URL}).")
        return {"full": self._generate_examples(folder)}

    def _generate_examples(self, folder: Path):
        source = readers.Source(folder)
        events, urls = read_events(source)
        texts = read_descriptions(source)
        ids = urls.index.union(texts.index)
        items = pd.DataFrame({"title": texts.reindex(ids).fillna("").to_numpy(),
                              "features": [()] * len(ids),
                              "image_url": urls.reindex(ids).fillna("").to_numpy()},
                             index=pd.Index(ids, dtype=object))
        log.info("%s: %d events, %d boards, %d images, %d with a description", folder, len(events),
                 events["user"].nunique(), len(ids), int((items["title"] != "").sum()))
        yield from item_examples(events, items, extra_text=("image_url",))
