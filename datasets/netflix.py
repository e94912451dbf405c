"""tensorflow-datasets builder for the Netflix Prize data (100,480,507 ratings of 17,770 movies).

Two layouts of the same ratings are read:

* ``training_set/mv_0000001.txt`` … ``mv_0017770.txt``, the original release: one file per movie, its
  first line ``<movie id>:``, then one ``CustomerID,Rating,Date`` line per rating;
* ``combined_data_1.txt`` … ``combined_data_4.txt`` (the copy circulated on Kaggle): many movies per
  file, each movie's block starting with its ``<movie id>:`` line.

Both need ``movie_titles.txt`` (``movie_titles.csv`` in the Kaggle copy): ``MovieID,YearOfRelease,Title``
in latin-1, split on the first two commas only (titles contain commas), ``NULL`` for an unknown year.
Ratings are integers 1-5; dates ``YYYY-MM-DD`` become unix seconds at 00:00 UTC. ``probe.txt`` and
``qualifying.txt`` are not read.

Records follow `seqrec.datasets.records` (one example per movie) with the title, the extra field ``year``
(``""`` for ``NULL``) and no features. Every movie of ``movie_titles.txt`` gets an example, rated or not.

**Where the files come from:** the ``source`` folder given to the builder, else TFDS' manual directory.
The files go at the top of the folder or one folder down, per-movie files inside ``training_set/`` there
(or directly beside ``movie_titles.txt``). When both layouts are present the per-movie files are read.
Netflix withdrew the public download in 2009, so there is nothing to download.
"""

import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import tensorflow_datasets as tfds

from . import readers
from .errors import DataError, DatasetNotFoundError
from .records import RawFiles, item_examples, item_features_spec

log = logging.getLogger(__name__)

TITLE_FILES = ("movie_titles.txt", "movie_titles.csv")
COMBINED_FILES = tuple(f"combined_data_{k}.txt" for k in range(1, 5))
N_MOVIES = 17_770
PER_MOVIE = re.compile(r"mv_(\d+)\.txt")
EXPECTED = ("movie_titles.txt", "training_set/mv_0000001.txt … mv_0017770.txt",
            "or combined_data_1.txt … combined_data_4.txt")
ENCODINGS = ("utf-8", "latin-1")  # the release is latin-1; a copy re-encoded to UTF-8 also reads right
RATING_COLUMNS = ("customer", "rating", "date")
EXTRA_TEXT = ("year",)


@dataclass(frozen=True)
class NetflixFiles:
    """The files of a Netflix Prize copy: the titles file and the ratings files of one layout."""

    titles: Path
    layout: str  # "training_set" | "combined"
    ratings: tuple[Path, ...]


def _folders(folder: Path) -> list[Path]:
    """``folder`` and its sub-folders (one level down)."""
    return [folder, *sorted(p for p in folder.iterdir() if p.is_dir())]


def find_files(folder: str | os.PathLike) -> NetflixFiles | None:
    """The Netflix files in ``folder`` (at the top or one folder down), or ``None`` when the titles
    file or every ratings file is missing."""
    folder = Path(folder)
    if not folder.is_dir():
        return None
    folders = _folders(folder)
    titles = next((d / name for d in folders for name in TITLE_FILES if (d / name).is_file()), None)
    if titles is None:
        return None
    for d in folders:
        for place in (d / "training_set", d):
            if place.is_dir():
                found = sorted(p for p in place.iterdir() if PER_MOVIE.fullmatch(p.name) and p.is_file())
                if found:
                    return NetflixFiles(titles, "training_set", tuple(found))
    for d in folders:
        found = tuple(d / name for name in COMBINED_FILES if (d / name).is_file())
        if found:
            return NetflixFiles(titles, "combined", found)
    return None


def locate(folder: str | os.PathLike) -> Path | None:
    """``folder`` when it holds a Netflix copy (see `find_files`), else ``None``."""
    return Path(folder) if find_files(folder) is not None else None


def _missing(folder: Path) -> DatasetNotFoundError:
    return DatasetNotFoundError(
        f"{folder}: the Netflix Prize data needs {EXPECTED[0]} (or movie_titles.csv) and the ratings, "
        f"either {EXPECTED[1]} (one file per movie) or {EXPECTED[2].removeprefix('or ')}, at the top "
        "of the folder or one folder down. Netflix no longer distributes the data; use your own copy.")


class Netflix(RawFiles, tfds.core.GeneratorBasedBuilder):
    """Netflix Prize ratings with dates, titles and years; one example per movie."""

    name = "seqrec_netflix"
    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "One example per movie: title, year and ratings."}
    MANUAL_DOWNLOAD_INSTRUCTIONS = (
        "Place movie_titles.txt and training_set/mv_*.txt (or combined_data_1.txt … combined_data_4.txt) "
        "in the manual directory; there is no public download."
    )

    def _info(self) -> tfds.core.DatasetInfo:
        return tfds.core.DatasetInfo(
            builder=self,
            description=__doc__.split("\n\n")[0],
            features=item_features_spec(extra_text=EXTRA_TEXT),
            homepage="https://www.netflixprize.com/",
            citation="Bennett & Lanning, The Netflix Prize, KDD Cup and Workshop 2007.",
        )

    def _find_source(self, dl_manager) -> Path:
        folder, found = self._find_folder(dl_manager, locate)
        if not found:
            raise _missing(folder)
        return folder

    def _split_generators(self, dl_manager):
        return {"full": self._generate_examples(self._find_source(dl_manager))}

    def _generate_examples(self, source: Path):
        events, items = parse_netflix(source)
        yield from item_examples(events, items, extra_text=EXTRA_TEXT)


def parse_netflix(folder: str | os.PathLike) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Parse a Netflix copy into ``(events, items)`` DataFrames (see `find_files` for the layouts)."""
    folder = Path(folder)
    files = find_files(folder)
    if files is None:
        raise _missing(folder)
    if files.layout == "training_set":
        combined = next((d for d in _folders(folder) if (d / COMBINED_FILES[0]).is_file()), None)
        if combined is not None:
            log.warning("%s: both layouts are present; reading the %d per-movie files and ignoring "
                        "combined_data_*.txt in %s", folder, len(files.ratings), combined)
        if len(files.ratings) != N_MOVIES:
            log.info("%s: %d per-movie files (the full release has %d)", folder, len(files.ratings),
                     N_MOVIES)
    elif len(files.ratings) != len(COMBINED_FILES):
        log.warning("%s: only %s of combined_data_1.txt … combined_data_4.txt found; the other movies' "
                    "ratings are absent", folder, [p.name for p in files.ratings])
    blocks, parts = [], []
    for path in files.ratings:
        expected = int(PER_MOVIE.fullmatch(path.name)[1]) if files.layout == "training_set" else None
        text = readers.decode_text(path.read_bytes(), str(path), ENCODINGS)
        events, found = parse_ratings(text, str(path), expected_movie=expected)
        parts.append(events)
        blocks += found
    _check_unique_blocks(blocks)
    events = pd.concat(parts, ignore_index=True)
    customers, index = np.unique(events["user"].to_numpy(), return_inverse=True)
    events["user"] = customers.astype(str).astype(object)[index]
    items = parse_titles(files.titles)
    untitled = np.setdiff1d(events["item"].unique().astype(str), items.index.to_numpy(dtype=str))
    if len(untitled):
        log.warning("%s: %d rated movie(s) have no line in %s (e.g. %s); their title is empty",
                    folder, len(untitled), files.titles.name, untitled[0])
    log.info("%s: %d ratings of %d movies (%s layout)", folder, len(events), events["item"].nunique(),
             files.layout)
    return events, items


def _check_unique_blocks(blocks: list[tuple[str, str, int]]) -> None:
    seen: dict[str, tuple[str, int]] = {}
    for movie, label, line in blocks:
        if movie in seen:
            first_label, first_line = seen[movie]
            raise DataError(
                f"{label}: line {line} starts movie {movie} again; its ratings already started at "
                f"{first_label} line {first_line}. Each movie's ratings must form one block: remove the "
                "duplicate file or block.")
        seen[movie] = (label, line)


def _text_line(text: str, number: int) -> str:
    return text.split("\n")[number - 1].rstrip("\r")


def parse_ratings(text: str, label: str, expected_movie: int | None = None
                  ) -> tuple[pd.DataFrame, list[tuple[str, str, int]]]:
    """Parse one ratings file of either layout.

    Args:
      text: the decoded file.
      label: the file's name for error messages.
      expected_movie: for a per-movie file ``mv_NNNNNNN.txt``, its number: the file must hold exactly
        that movie's block, starting on its first line.

    Returns:
      ``(events, blocks)``: events with columns ``user`` (int64 customer id, compact while the files
      are read; `parse_netflix` turns the ids into strings once at the end), ``item`` (str),
      ``rating``, ``timestamp``; and for every ``<movie id>:`` line, ``(movie id, label, line
      number)``.
    """
    frame, _ = readers.read_delimited(text, label, sep=",", names=RATING_COLUMNS)
    customer = frame["customer"].str.strip()
    rating = frame["rating"].str.strip()
    date = frame["date"].str.strip()
    header = (customer.str.endswith(":") & (rating == "") & (date == "")).to_numpy()
    incomplete = ~header & ((customer == "") | (rating == "") | (date == "")).to_numpy()
    if incomplete.any():
        number = readers.line_number(frame, int(np.flatnonzero(incomplete)[0]), 0)
        raise DataError(
            f"{label}: line {number} is malformed: {_text_line(text, number)[:120]!r}. Expected a "
            "'<movie id>:' line or a 'CustomerID,Rating,Date' line such as '1488844,3,2005-09-06'. Fix "
            "or remove that line.")
    block = np.cumsum(header)
    orphan = ~header & (block == 0)
    if orphan.any():
        number = readers.line_number(frame, int(np.flatnonzero(orphan)[0]), 0)
        raise DataError(
            f"{label}: line {number} holds a rating ({_text_line(text, number)[:120]!r}) before any "
            "'<movie id>:' line. Every movie's ratings follow its '<movie id>:' line; check that the "
            "file is a complete original Netflix Prize file.")
    heads = np.flatnonzero(header)
    raw_movies = customer.iloc[heads].str[:-1].str.strip()
    not_integer = ~raw_movies.str.fullmatch(r"[0-9]+").to_numpy(dtype=bool)
    if not_integer.any():
        number = readers.line_number(frame, int(heads[np.flatnonzero(not_integer)[0]]), 0)
        raise DataError(
            f"{label}: line {number}: movie id {raw_movies.iloc[np.flatnonzero(not_integer)[0]]!r} is "
            "not an integer. A movie's block starts with a line '<movie id>:' such as '1:'.")
    movies = np.array([str(int(m)) for m in raw_movies], dtype=object)
    lines = [readers.line_number(frame, int(p), 0) for p in heads]
    if expected_movie is not None:
        if len(movies) != 1 or movies[0] != str(expected_movie):
            k = 1 if len(movies) > 1 else 0
            where = f"line {lines[k]} starts movie {movies[k]}"
            raise DataError(
                f"{label}: a per-movie file holds the ratings of movie {expected_movie} only, but {where}. "
                "Check that the file was not renamed or concatenated with another.")
    # the '<movie id>:' rows get valid stand-ins, so that the readers report bad values at file lines
    frame["customer"] = customer.mask(header, "0")
    frame["rating"] = rating.mask(header, "1")
    frame["date"] = date.mask(header, "2000-01-01")
    users = readers.ids(frame, "customer", label, 0, integer=True).astype(np.int64)
    stars = readers.numbers(frame, "rating", label, 0)
    out_of_range = ~np.isin(stars.to_numpy(), np.arange(1, 6, dtype=np.float32))
    if out_of_range.any():
        position = int(np.flatnonzero(out_of_range)[0])
        raise DataError(
            f"{label}: column 'rating' has {int(out_of_range.sum())} value(s) that are not an integer "
            f"from 1 to 5; first at line {readers.line_number(frame, position, 0)}: "
            f"{rating.iloc[position]!r}. Netflix Prize ratings are 1-5 stars.")
    times = readers.timestamps(frame, "date", label, 0, fmt="%Y-%m-%d")
    rows = ~header
    events = pd.DataFrame({
        "user": users[rows].to_numpy(dtype=np.int64),
        "item": movies[block[rows] - 1],
        "rating": stars[rows].to_numpy(dtype=np.float32),
        "timestamp": times[rows].to_numpy(dtype=np.int64),
    })
    return events, [(m, label, n) for m, n in zip(movies, lines, strict=True)]


def parse_titles(path: Path) -> pd.DataFrame:
    """``movie_titles.txt`` as items indexed by movie id, with ``title``, ``year`` and empty features."""
    label = str(path)
    text = readers.decode_text(path.read_bytes(), label, ENCODINGS)
    frame, _ = readers.read_delimited(text, label, sep=",", names=("movie", "year", "title"), maxsplit=2)
    ids = readers.ids(frame, "movie", label, 0, integer=True)
    year = frame["year"].str.strip()
    bad = ~(year.str.fullmatch(r"[0-9]{4}") | (year == "NULL")).to_numpy(dtype=bool)
    if bad.any():
        position = int(np.flatnonzero(bad)[0])
        raise DataError(
            f"{label}: column 'year' has {int(bad.sum())} value(s) that are neither a year nor NULL; "
            f"first at line {readers.line_number(frame, position, 0)}: {year.iloc[position]!r}. Lines "
            "are MovieID,YearOfRelease,Title.")
    index = pd.Index([str(int(m)) for m in ids], dtype=object)
    duplicated = index[index.duplicated()]
    if len(duplicated):
        raise DataError(f"{label}: movie id {duplicated[0]!r} is listed more than once; keep one line "
                        "per movie.")
    return pd.DataFrame({
        "title": frame["title"].str.strip().to_numpy(dtype=object),
        "features": [()] * len(frame),
        "year": year.where(year != "NULL", "").to_numpy(dtype=object),
    }, index=index)
