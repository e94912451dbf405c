"""tensorflow-datasets builder for Ò. Celma's "Last.fm Dataset - 1K users" (LastFM-1K).

``userid-timestamp-artid-artname-traid-traname.tsv`` (19,150,868 plays of 992 users in the full file) is
TAB-separated without a header line; each line is ``user_id, timestamp, artist MBID, artist name, track
MBID, track name``, the timestamp in ISO 8601 UTC (``2009-05-04T23:08:57Z``), the MusicBrainz ids often
empty. The file is grouped by user and **newest first** within a user; the records, like every log of the
suite, are returned in chronological order (`seqrec.datasets.interactions`). Quotes are text, not CSV
quoting (``Johnny "Hammond" Smith``), so the file is read with quoting disabled. A line with an empty
user, timestamp or track name, or with fewer than six fields, raises `DataError` naming the line.

* **Every play is an event with rating 1.0** (implicit feedback).
* **The item is the song: its (artist name, track name) pair**, whether or not the line has a track
  MBID. UserGRU (section 4.1.2) predicts "the next song title"; every line has the names while the
  track MBID is often missing (1,396 of the first 5,000 lines), and keying by the MBID where present
  would split a song into two items whenever some of its plays carry the MBID and others do not. The
  item id is ``artist name + TAB + track name``: a TAB cannot occur inside a field, so two songs never
  share an id. Names are kept as written (spelling variants stay separate items).
* **Item metadata**: ``title`` is the track name, with the extra fields ``artist`` (the artist name),
  ``artist_mbid`` and ``track_mbid``: the MBID of the song's first play (in time, ties in file order)
  that has one, ``""`` when none has; songs whose plays carry several track MBIDs are counted in the log.
  The items have no ``features`` (``feature_structure="none"``).
* **Ties**: plays of a user in the same second (332 of the first 5,000 lines are in such a pair) are
  ordered by the suite's tie rule (item id), not by their order in the file.
* ``userid-profile.tsv`` (gender, age, country, registration date) is not read: `Interactions` has no
  place for user attributes.

Records follow `seqrec.datasets.records` (one example per song). **Where the file comes from**, in
order: the ``source`` given to the builder (a folder, the file at its top or one folder down as the
archive extracts into ``lastfm-dataset-1K/``, or the archive ``lastfm-dataset-1K.tar.gz`` itself), TFDS'
manual directory, else a download of the archive from mtg.upf.edu. No checksum is published for it, so
none is pinned: the download is not verified beyond being a readable archive, and its sha256 is logged.
"""

import logging
import os
import tarfile
import zlib
from pathlib import Path

import numpy as np
import pandas as pd
import tensorflow_datasets as tfds

from . import readers
from .amazon import download_unverified
from .errors import DataError, DatasetNotFoundError
from .records import RawFiles, item_examples, item_features_spec

log = logging.getLogger(__name__)

PLAYS_FILE = "userid-timestamp-artid-artname-traid-traname.tsv"
ARCHIVE = "lastfm-dataset-1K.tar.gz"
URL = "http://mtg.upf.edu/static/datasets/last.fm/lastfm-dataset-1K.tar.gz"
HOMEPAGE = "http://ocelma.net/MusicRecommendationDataset/lastfm-1K.html"
COLUMNS = ("user_id", "timestamp", "artist_mbid", "artist_name", "track_mbid", "track_name")
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
EXTRA_TEXT = ("artist", "artist_mbid", "track_mbid")
ENCODINGS = ("utf-8", "latin-1")
NEEDS = (f"Last.fm-1K needs {PLAYS_FILE} at the top of the folder or one folder down (the archive "
         f"extracts into lastfm-dataset-1K/), or the archive {ARCHIVE} itself; download it from {URL}.")


def locate(folder: str | os.PathLike) -> Path | None:
    """``folder`` when it holds the plays file (at the top or one folder down), else the archive in it,
    else ``None``."""
    folder = Path(folder)
    if not folder.is_dir():
        return None
    if readers.Source(folder).has(PLAYS_FILE):
        return folder
    archive = folder / ARCHIVE
    return archive if archive.is_file() else None


def read_plays(source: str | os.PathLike) -> tuple[bytes, str]:
    """``(content, label)`` of the plays file in ``source``: a folder (the file at the top or one folder
    down) or a tar archive (``.tar.gz``; the file at its root or one folder down). Absent, it raises
    `DatasetNotFoundError`; an unreadable archive raises `DataError`."""
    source = Path(source)
    if not source.exists():
        raise DatasetNotFoundError(f"{source}: no such folder or archive. {NEEDS}")
    if source.is_dir():
        folder = readers.Source(source)
        if not folder.has(PLAYS_FILE):
            raise DatasetNotFoundError(f"{source}: {NEEDS}")
        return folder.read_bytes(PLAYS_FILE), folder.label(PLAYS_FILE)
    found = None
    try:
        with tarfile.open(source) as archive:
            for member in archive:  # streamed: the archive is read once, up to the plays file
                name = member.name.removeprefix("./")
                if member.isfile() and name.count("/") <= 1 and Path(name).name == PLAYS_FILE:
                    found = (archive.extractfile(member).read(), f"{source}:{member.name}")
                    break
    except (tarfile.TarError, EOFError, zlib.error, OSError) as err:
        raise DataError(f"{source}: cannot read the archive ({err}); it looks truncated or is not a tar "
                        f"archive. Delete it and download {ARCHIVE} again from {URL}.") from err
    if found is None:
        raise DatasetNotFoundError(f"{source}: the archive holds no {PLAYS_FILE}. {NEEDS}")
    return found


def _check_track_names(frame: pd.DataFrame, text: str, label: str, lines: int) -> None:
    """Raise `DataError` for the first row with an empty track name: a line with too few fields (its
    last field is then empty) is reported as such."""
    bad = (frame["track_name"].str.strip() == "").to_numpy(dtype=bool)
    if not bad.any():
        return
    first = int(np.flatnonzero(bad)[0])
    number = readers.line_number(frame, first, lines)
    line = text.split("\n")[number - 1].rstrip("\r")
    fields = line.count("\t") + 1
    if fields < len(COLUMNS):
        raise DataError(
            f"{label}: line {number} has {fields} TAB-separated fields, expected {len(COLUMNS)} "
            f"({', '.join(COLUMNS)}): {line[:120]!r}. Fix or remove that line.")
    raise DataError(
        f"{label}: column 'track_name' (the 6th) has {int(bad.sum())} empty value(s); first at line "
        f"{number}: {line[:120]!r}. Every play needs a track name (the song is the (artist name, track "
        "name) pair); fix or remove that line.")


def parse_plays(data: bytes, label: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The plays file's content as ``(events, items)``: events ``user, item, rating 1.0, timestamp``
    (unix seconds, UTC) in file order, and the songs indexed by item id with ``title`` (the track name),
    ``features`` (none), ``artist``, ``artist_mbid`` and ``track_mbid``."""
    text = readers.decode_text(data, label, ENCODINGS).lstrip("\ufeff")
    frame, lines = readers.read_delimited(text, label, sep="\t", names=COLUMNS)  # quotes are text
    _check_track_names(frame, text, label, lines)
    user = readers.ids(frame, "user_id", label, lines)
    timestamp = readers.timestamps(frame, "timestamp", label, lines, fmt=TIME_FORMAT)
    events = pd.DataFrame({
        "user": user,
        "item": (frame["artist_name"] + "\t" + frame["track_name"]).astype(object),
        "rating": np.ones(len(frame), np.float32),
        "timestamp": timestamp,
    })
    items = song_items(events.assign(artist=frame["artist_name"], track=frame["track_name"],
                                     artist_mbid=frame["artist_mbid"].str.strip(),
                                     track_mbid=frame["track_mbid"].str.strip()), label)
    log.info("%s: %d plays of %d users on %d songs (artist, track name) by %d artists; %d plays have no "
             "track MBID", label, len(events), events["user"].nunique(), len(items),
             items["artist"].nunique(), int((frame["track_mbid"].str.strip() == "").sum()))
    return events, items


def song_items(plays: pd.DataFrame, label: str) -> pd.DataFrame:
    """One row per song (item id): the names of its first play and the first MBIDs known for it, in
    time then file order (``plays`` in file order, with columns ``artist, track, artist_mbid,
    track_mbid``)."""
    ordered = plays.sort_values(["item", "timestamp"], kind="stable")
    songs = ordered.drop_duplicates("item").set_index("item")
    items = pd.DataFrame({"title": songs["track"], "features": [()] * len(songs),
                          "artist": songs["artist"]}, index=pd.Index(songs.index, dtype=object))
    for column in ("artist_mbid", "track_mbid"):
        known = ordered[ordered[column] != ""]
        first = known.drop_duplicates("item").set_index("item")[column]
        items[column] = first.reindex(items.index).fillna("").astype(object)
    several = int((ordered[ordered["track_mbid"] != ""].groupby("item")["track_mbid"].nunique() > 1).sum())
    if several:
        log.warning("%s: %d song(s) are played with several track MBIDs; each keeps that of its first "
                    "play", label, several)
    return items


class LastFM1K(RawFiles, tfds.core.GeneratorBasedBuilder):
    """Last.fm 1K users: every play an event with rating 1.0, songs as (artist, track name)."""

    name = "seqrec_lastfm1k"
    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "One example per song (artist, track name): names, MBIDs and plays."}
    MANUAL_DOWNLOAD_INSTRUCTIONS = (
        f"Place {ARCHIVE} or its extracted {PLAYS_FILE} in the manual directory."
    )

    def _info(self) -> tfds.core.DatasetInfo:
        return tfds.core.DatasetInfo(
            builder=self,
            description="Last.fm 1K users (Celma): every play an event with rating 1.0 and its time to the "
                        "second (UTC); the item is the song, its (artist name, track name) pair, with the "
                        "artist name and the MusicBrainz ids as item metadata.",
            features=item_features_spec(extra_text=EXTRA_TEXT),
            homepage=HOMEPAGE,
            citation="Celma, Music Recommendation and Discovery in the Long Tail, Springer 2010.",
        )

    def _find_source(self, dl_manager) -> Path:
        folder, found = self._find_folder(dl_manager, locate)
        if found:
            return (locate(folder) or folder) if folder.is_dir() else folder
        return download_unverified(dl_manager, {"archive": URL}, log)["archive"]

    def _split_generators(self, dl_manager):
        return {"full": self._generate_examples(self._find_source(dl_manager))}

    def _generate_examples(self, source: Path):
        events, items = parse_plays(*read_plays(source))
        yield from item_examples(events, items, extra_text=EXTRA_TEXT)
