"""Item texts for MovieLens movies (Ante-RNN section 4.1: each item's text description): TMDb plot
overviews joined through MovieLens' ``links.csv`` (the ``tmdb_id`` item field), with the title and
genres in place of a missing overview.

The overviews come from TMDb's movies file as Kaggle's "TMDB 5000 Movie Dataset" distributes it
(``tmdb_5000_movies.csv``: columns ``id`` and ``overview`` are read), in a ``movie-text`` folder of the
data directory (``../shared/data/movie-text`` here; see its MANIFEST.md). No download: the file is a
Kaggle download that needs an account; the error says where to put it.
"""

import logging
import os
from pathlib import Path

import pandas as pd

from . import locations
from .errors import DataError, DatasetNotFoundError

log = logging.getLogger(__name__)

FOLDER, FILE = "movie-text", "tmdb_5000_movies.csv"
SOURCE = "https://www.kaggle.com/datasets/tmdb/tmdb-movie-metadata"


def read_overviews(path: str | os.PathLike) -> pd.Series:
    """Non-empty overviews by TMDb id (str) from a TMDb movies CSV with columns ``id`` and ``overview``."""
    path = Path(path)
    if not path.is_file():
        raise DatasetNotFoundError(f"{path}: no such file. Download {FILE} from {SOURCE} and put it in a "
                                   f"'{FOLDER}' folder of the data directory.")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in ("id", "overview") if c not in frame.columns]
    if missing:
        raise DataError(f"{path}: no column {', '.join(missing)}; a TMDb movies file has 'id' and "
                        f"'overview' (columns found: {', '.join(frame.columns[:8])}, ...)")
    bad = frame.index[~frame["id"].str.fullmatch(r"\d+")]
    if len(bad):
        raise DataError(f"{path}: row {bad[0] + 2}: the id {frame['id'][bad[0]]!r} is not a TMDb id "
                        "(digits). Fix or remove the row.")
    frame["overview"] = frame["overview"].str.strip()
    frame = frame[frame["overview"] != ""]
    return frame.drop_duplicates("id").set_index("id")["overview"]


def movie_texts(items: pd.DataFrame, overviews: pd.Series) -> tuple[pd.Series, dict[str, int]]:
    """``(texts, counts)``: each item's TMDb overview (through its ``tmdb_id``), else its title and
    genres (``title``, ``features``); ``counts`` says how many items got which."""
    missing = [c for c in ("title", "features", "tmdb_id") if c not in items.columns]
    if missing:
        raise DataError(f"movie_texts needs MovieLens items with title, features (genres) and tmdb_id "
                        f"(from links.csv); missing {', '.join(missing)}")
    tmdb = items["tmdb_id"].astype(str).str.replace(r"\.0$", "", regex=True)
    overview = tmdb.map(overviews)
    fallback = items["title"].astype(str) + ". " + items["features"].map(" ".join)
    texts = overview.where(overview.notna(), fallback)
    counts = {"items": len(items), "overview": int(overview.notna().sum()),
              "title and genres": int(overview.isna().sum())}
    log.info("movie texts: %s", counts)
    return texts.rename("text"), counts


def load_movie_texts(items: pd.DataFrame, data_dir: str | os.PathLike | None = None
                     ) -> tuple[pd.Series, dict[str, int]]:
    """`movie_texts` with the overviews of ``<data dir>/movie-text/tmdb_5000_movies.csv``."""
    return movie_texts(items, read_overviews(locations.data_dir(data_dir) / FOLDER / FILE))
