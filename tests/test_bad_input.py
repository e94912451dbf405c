"""Bad input: every case raises `DataError` (or `DatasetNotFoundError`) naming the file, the line or
column, and the fix. Broken MovieLens copies go through `load`; user logs through `read_log`/`load_log`
as CSV, TSV and parquet. Also the happy paths of `load_log`."""

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from seqrec.datasets import (
    DataError,
    DatasetNotFoundError,
    LogFormat,
    ProtocolError,
    load,
    load_log,
    readers,
)
from seqrec.datasets.own_log import read_log
from seqrec.datasets.protocols import filter_min_counts

# ---------------------------------------------------------------- broken MovieLens copies

U_ITEM = ("1|Toy Story (1995)|01-Jan-1995||http://us.imdb.com/M/title-exact?Toy%20Story%20(1995)"
          "|0|0|0|1|1|1|0|0|0|0|0|0|0|0|0|0|0|0|0\n"
          "2|GoldenEye (1995)|01-Jan-1995||http://us.imdb.com/M/title-exact?GoldenEye%20(1995)"
          "|0|1|1|0|0|0|0|0|0|0|0|0|0|0|0|0|1|0|0\n")
U_DATA = "196\t1\t3\t881250949\n186\t2\t3\t891717742\n22\t1\t1\t878887116\n"
MOVIES_DAT = "1::Toy Story (1995)::Animation|Children's|Comedy\n2::Jumanji (1995)::Adventure|Fantasy\n"
RATINGS_DAT = "1::1::5::978300760\n1::2::3::978302109\n2::1::4::978301968\n"
RATINGS_CSV = "userId,movieId,rating,timestamp\n1,1,4.0,964982703\n1,2,4.5,964981247\n2,1,2.5,1445714835\n"
MOVIES_CSV = ("movieId,title,genres\n1,Toy Story (1995),Animation|Comedy\n"
              "2,\"Jumanji, The (1995)\",Adventure\n")
LATEST = "movielens-latest-small"


def csv_release(ratings: str) -> dict[str, str]:
    return {"ratings.csv": ratings, "movies.csv": MOVIES_CSV}


def write_release(root: Path, name: str, files: dict[str, str | bytes]) -> Path:
    folder = root / name
    folder.mkdir(parents=True, exist_ok=True)
    for file, content in files.items():
        (folder / file).write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return folder


def load_broken(tmp_path: Path, name: str, files: dict[str, str | bytes], error=DataError) -> str:
    """Load a broken release from a fresh data dir (and cache); return the error message."""
    write_release(tmp_path / "data", name, files)
    with pytest.raises(error) as err:
        load(name, data_dir=tmp_path / "data", cache_dir=tmp_path / "cache")
    return str(err.value)


def names_file(message: str, path: Path) -> bool:
    return str(path) in message


def test_movielens_sanity_of_the_tiny_releases(tmp_path):
    """The unbroken tiny releases used below load, so each failure below is due to its one defect."""
    for name, files in (("movielens-100k", {"u.data": U_DATA, "u.item": U_ITEM}),
                        ("movielens-1m", {"ratings.dat": RATINGS_DAT, "movies.dat": MOVIES_DAT}),
                        ("movielens-latest-small", {"ratings.csv": RATINGS_CSV, "movies.csv": MOVIES_CSV})):
        write_release(tmp_path / "data", name, files)
        data = load(name, data_dir=tmp_path / "data", cache_dir=tmp_path / "cache")
        assert len(data) == 3 and data.n_users in (2, 3)


def test_movielens_empty_ratings_file(tmp_path):
    message = load_broken(tmp_path, "movielens-100k", {"u.data": "", "u.item": U_ITEM})
    assert names_file(message, tmp_path / "data" / "movielens-100k" / "u.data")
    assert "the file is empty" in message and "one interaction per line" in message


def test_movielens_csv_header_only(tmp_path):
    message = load_broken(tmp_path, "movielens-latest-small",
                          {"ratings.csv": "userId,movieId,rating,timestamp\n", "movies.csv": MOVIES_CSV})
    assert names_file(message, tmp_path / "data" / "movielens-latest-small" / "ratings.csv")
    assert "header but no data rows" in message


def test_movielens_csv_wrong_column_lists_found_columns(tmp_path):
    ratings = RATINGS_CSV.replace("rating,", "stars,", 1)
    message = load_broken(tmp_path, LATEST, csv_release(ratings))
    assert names_file(message, tmp_path / "data" / "movielens-latest-small" / "ratings.csv")
    assert "missing column(s) ['rating']" in message
    assert "found ['userId', 'movieId', 'stars', 'timestamp']" in message
    assert "Rename the columns" in message


def test_movielens_links_missing_column(tmp_path):
    message = load_broken(tmp_path, "movielens-latest-small", {
        "ratings.csv": RATINGS_CSV, "movies.csv": MOVIES_CSV, "links.csv": "movieId,imdbId\n1,0114709\n"})
    assert names_file(message, tmp_path / "data" / "movielens-latest-small" / "links.csv")
    assert "missing column(s) ['tmdbId']" in message and "found ['movieId', 'imdbId']" in message


def test_movielens_non_numeric_rating(tmp_path):
    u_data = U_DATA.replace("186\t2\t3\t", "186\t2\tthree\t")  # line 2
    message = load_broken(tmp_path, "movielens-100k", {"u.data": u_data, "u.item": U_ITEM})
    assert names_file(message, tmp_path / "data" / "movielens-100k" / "u.data")
    assert "column 'rating'" in message and "line 2: 'three'" in message
    assert "must be a number" in message


@pytest.mark.parametrize("column, old, new", [("user_id", "22\t1", "u22\t1"), ("item_id", "22\t1", "22\tx1")])
def test_movielens_non_integer_id(tmp_path, column, old, new):
    u_data = U_DATA.replace(old, new)  # line 3
    message = load_broken(tmp_path, "movielens-100k", {"u.data": u_data, "u.item": U_ITEM})
    assert names_file(message, tmp_path / "data" / "movielens-100k" / "u.data")
    assert f"column '{column}'" in message and "non-integer" in message and "line 3" in message
    assert "ids are integers" in message


def test_movielens_stray_header_line_in_headerless_file(tmp_path):
    u_data = "user_id\titem_id\trating\ttimestamp\n" + U_DATA
    message = load_broken(tmp_path, "movielens-100k", {"u.data": u_data, "u.item": U_ITEM})
    assert "line 1" in message and names_file(message, tmp_path / "data" / "movielens-100k" / "u.data")


def test_movielens_unparsable_timestamp_reports_the_real_line(tmp_path):
    # line 3 is blank: the bad value is on line 5 of the file, although it is the third data row
    ratings = RATINGS_CSV.replace("\n1,2,", "\n\n1,2,").replace("1445714835", "2015-10-24")
    assert ratings.splitlines()[4].endswith("2015-10-24")
    message = load_broken(tmp_path, LATEST, csv_release(ratings))
    assert names_file(message, tmp_path / "data" / "movielens-latest-small" / "ratings.csv")
    assert "column 'timestamp'" in message and "line 5: '2015-10-24'" in message
    assert "unix seconds" in message


def test_movielens_dat_timestamp_line_after_blank_line(tmp_path):
    ratings = RATINGS_DAT.replace("\n1::2::", "\n\n1::2::").replace("978302109", "soon")  # file line 3
    message = load_broken(tmp_path, "movielens-1m", {"ratings.dat": ratings, "movies.dat": MOVIES_DAT})
    assert names_file(message, tmp_path / "data" / "movielens-1m" / "ratings.dat")
    assert "column 'timestamp'" in message and "line 3: 'soon'" in message


def test_movielens_csv_row_with_too_many_fields(tmp_path):
    ratings = RATINGS_CSV.replace("1,2,4.5,964981247", "1,2,4.5,964981247,extra")  # line 3
    message = load_broken(tmp_path, LATEST, csv_release(ratings))
    assert names_file(message, tmp_path / "data" / "movielens-latest-small" / "ratings.csv")
    assert "line 3" in message and "same number of" in message


def test_movielens_first_row_with_too_many_fields_is_not_read_shifted(tmp_path):
    """pandas would take the first field of such a file as a row label and shift every column."""
    ratings = "".join(line + ",\n" if n else line + "\n"
                      for n, line in enumerate(RATINGS_CSV.splitlines()))  # a ',' ends every data line
    message = load_broken(tmp_path, LATEST, csv_release(ratings))
    assert names_file(message, tmp_path / "data" / "movielens-latest-small" / "ratings.csv")
    assert "line 2 has more ','-separated fields than the 4 expected" in message


def test_movielens_dat_row_with_missing_field(tmp_path):
    ratings = RATINGS_DAT.replace("1::2::3::978302109", "1::2::978302109")  # line 2
    message = load_broken(tmp_path, "movielens-1m", {"ratings.dat": ratings, "movies.dat": MOVIES_DAT})
    assert names_file(message, tmp_path / "data" / "movielens-1m" / "ratings.dat")
    assert "line 2 has 3 '::'-separated fields, expected 4" in message
    assert "Fix or remove that line" in message


def test_movielens_dat_tags_bad_timestamp(tmp_path):
    tags = "1::1::funny::978300800\n2::2::scary::last week\n"
    message = load_broken(tmp_path, "movielens-10m",
                          {"ratings.dat": RATINGS_DAT, "movies.dat": MOVIES_DAT, "tags.dat": tags})
    assert names_file(message, tmp_path / "data" / "movielens-10m" / "tags.dat")
    assert "column 'timestamp'" in message and "line 2: 'last week'" in message


def test_movielens_empty_id(tmp_path):
    ratings = RATINGS_CSV.replace("\n2,1,2.5,", "\n,1,2.5,")  # line 4
    message = load_broken(tmp_path, LATEST, csv_release(ratings))
    assert "column 'userId' has 1 empty value(s); first at line 4" in message
    assert "Every row needs an id" in message


def test_movielens_duplicate_movie(tmp_path):
    movies = MOVIES_DAT + "2::Jumanji again (1995)::Comedy\n"
    message = load_broken(tmp_path, "movielens-1m", {"ratings.dat": RATINGS_DAT, "movies.dat": movies})
    assert "movie id '2' is listed more than once" in message and "keep one line per movie" in message


def test_movielens_undecodable_file(tmp_path):
    # 1m is read as latin-1 only, which decodes any byte; 25m is UTF-8 only
    movies = MOVIES_CSV.encode("utf-8").replace(b"Toy Story", b"Toy \xff Story")
    message = load_broken(tmp_path, "movielens-25m", {"ratings.csv": RATINGS_CSV, "movies.csv": movies})
    assert names_file(message, tmp_path / "data" / "movielens-25m" / "movies.csv")
    assert "cannot decode" in message and "utf-8" in message


def test_movielens_missing_required_file(tmp_path):
    message = load_broken(tmp_path, "movielens-1m", {"ratings.dat": RATINGS_DAT}, error=DatasetNotFoundError)
    assert "movies.dat" in message and str(tmp_path / "data" / "movielens-1m") in message
    assert "Put the files there" in message


def test_movielens_archive_without_the_release_files(tmp_path):
    import zipfile

    folder = tmp_path / "data" / "movielens-100k"
    folder.mkdir(parents=True)
    with zipfile.ZipFile(folder / "ml-100k.zip", "w") as zf:
        zf.writestr("ml-100k/u.data", U_DATA)  # no u.item
    with pytest.raises(DatasetNotFoundError) as err:
        load("movielens-100k", data_dir=tmp_path / "data", cache_dir=tmp_path / "cache")
    message = str(err.value)
    assert str(folder / "ml-100k.zip") in message and "'u.item' is missing" in message


# ---------------------------------------------------------------- user logs: CSV, TSV, parquet

LOG_ROWS = [("u1", "i1", 4.0, 100), ("u1", "i2", 3.0, 200), ("u2", "i1", 5.0, 300)]


def write_log(path: Path, rows=LOG_ROWS, columns=("user", "item", "rating", "timestamp")) -> Path:
    if path.suffix == ".parquet":
        pd.DataFrame(list(rows), columns=list(columns)).to_parquet(path)
        return path
    sep = "," if path.suffix == ".csv" else "\t"
    lines = [sep.join(columns)] + [sep.join(str(v) for v in row) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


SUFFIXES = [".csv", ".tsv", ".parquet"]


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_log_sanity(tmp_path, suffix):
    events, items = read_log(write_log(tmp_path / f"log{suffix}"), LogFormat())
    assert list(events.itertuples(index=False, name=None)) == LOG_ROWS
    assert sorted(items.index) == ["i1", "i2"]


def test_log_with_a_tab_ending_every_line_is_refused_not_shifted(tmp_path):
    path = write_log(tmp_path / "log.tsv")
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join([lines[0], *(line + "\t" for line in lines[1:])]) + "\n", encoding="utf-8")
    expected = "line 2 has more '\\t'-separated fields than the 4 expected"  # the separator as repr
    with pytest.raises(DataError, match=re.escape(expected)):
        read_log(path, LogFormat())


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_log_missing_file(tmp_path, suffix):
    path = tmp_path / f"nothing{suffix}"
    for call in (lambda: read_log(path, LogFormat()), lambda: load_log(path)):
        with pytest.raises(DatasetNotFoundError, match=re.escape(f"{path}: no such file")):
            call()


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_log_empty_file(tmp_path, suffix):
    path = tmp_path / f"empty{suffix}"
    path.write_bytes(b"")
    with pytest.raises(DataError) as err:
        load_log(path, cache_dir=tmp_path / "cache")
    message = str(err.value)
    assert str(path) in message
    if suffix == ".parquet":
        assert "cannot read the file as parquet" in message and "to_parquet" in message
    else:
        assert "the file is empty" in message and "a header and one interaction per line" in message


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_log_header_only(tmp_path, suffix):
    path = write_log(tmp_path / f"header{suffix}", rows=[])
    with pytest.raises(DataError) as err:
        read_log(path, LogFormat())
    assert str(path) in str(err.value)
    assert re.search(r"has a header but no data rows|has no rows", str(err.value))


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_log_missing_column_lists_found_columns(tmp_path, suffix):
    path = write_log(tmp_path / f"cols{suffix}", columns=("session", "item", "rating", "timestamp"))
    with pytest.raises(DataError) as err:
        read_log(path, LogFormat())
    message = str(err.value)
    assert str(path) in message
    assert "missing column(s) ['user']" in message
    assert "found ['session', 'item', 'rating', 'timestamp']" in message
    # ... and naming the column fixes it
    events, _ = read_log(path, LogFormat(user="session"))
    assert list(events["user"]) == ["u1", "u1", "u2"]


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_log_non_numeric_rating(tmp_path, suffix):
    rows = [*LOG_ROWS[:2], ("u2", "i1", "five", 300)]
    if suffix == ".parquet":
        rows = [(u, i, str(r), t) for u, i, r, t in rows]  # a text column, as a careless export writes it
    path = write_log(tmp_path / f"rating{suffix}", rows=rows)
    with pytest.raises(DataError) as err:
        load_log(path, cache_dir=tmp_path / "cache")
    message = str(err.value)
    assert str(path) in message and "column 'rating'" in message and "'five'" in message
    assert "must be a number" in message
    if suffix != ".parquet":
        assert "line 4" in message  # header, then rows on lines 2, 3, 4


@pytest.mark.parametrize("suffix", [".csv", ".tsv"])
def test_log_unparsable_timestamp_reports_the_real_line(tmp_path, suffix):
    rows = [*LOG_ROWS, ("u2", "i3", 1.0, "yesterday"), ("u3", "i3", 1.0, 400)]
    path = write_log(tmp_path / f"time{suffix}", rows=rows)
    with pytest.raises(DataError) as err:
        read_log(path, LogFormat())  # time_format="auto": the column is unix seconds but for one value
    message = str(err.value)
    assert str(path) in message and "column 'timestamp' has 1 unparsable value(s)" in message
    assert "line 5: 'yesterday'" in message
    assert "unix seconds" in message
    # an explicit ISO format reports the first value that is not ISO 8601
    with pytest.raises(DataError, match=r"line 2: '100'.*format 'iso'"):
        read_log(path, LogFormat(time_format="iso"))


@pytest.mark.parametrize("unit", ["unix", "unix_ms", "unix_us", "unix_ns"])
def test_log_auto_time_format_detects_the_unit(tmp_path, unit):
    """Millisecond times were read as seconds (dates in the year 49503, gaps 1000x too large)."""
    seconds = [1_262_304_000, 1_262_390_400, 1_700_000_000]  # 2010-01-01, a day later, 2023
    scale = readers.UNIX_UNITS[unit]
    rows = [(u, i, 4.0, t * scale + scale // 2) for (u, i, _, _), t in zip(LOG_ROWS, seconds, strict=True)]
    events, _ = read_log(write_log(tmp_path / "times.csv", rows=rows), LogFormat())
    assert events["timestamp"].tolist() == seconds
    if unit != "unix":  # the same file read as seconds is refused, not silently 1000x off
        with pytest.raises(DataError, match=r"3 out-of-range \(read as unix\) value.*line 2.*time unit"):
            read_log(tmp_path / "times.csv", LogFormat(time_format="unix"))


@pytest.mark.parametrize("value, fmt", [(-5, "auto"), ("2150-01-01", "iso"), ("1969-12-31", "auto")])
def test_log_refuses_times_before_1970_or_after_2099(tmp_path, value, fmt):
    path = write_log(tmp_path / "times.csv", rows=[*LOG_ROWS[:2], ("u2", "i1", 5.0, value)])
    if fmt == "iso" or isinstance(value, str):
        path.write_text(path.read_text().replace(",100\n", ",1970-01-02\n").replace(
            ",200\n", ",1970-01-03\n"))
    with pytest.raises(DataError, match=rf"1 out-of-range .*line 4: '{value}'.*between 1970 and 2099"):
        read_log(path, LogFormat(time_format=fmt))


def test_log_unparsable_timestamp_after_blank_lines(tmp_path):
    path = tmp_path / "gaps.csv"
    path.write_text("user,item,rating,timestamp\n\nu1,i1,4,100\n\n\nu1,i2,3,later\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"line 6: 'later'"):
        read_log(path, LogFormat(time_format="unix"))


def test_log_parquet_unparsable_timestamp_names_column(tmp_path):
    path = write_log(tmp_path / "time.parquet", rows=[("u1", "i1", 4.0, "100"), ("u1", "i2", 3.0, "noon")])
    with pytest.raises(DataError, match=r"column 'timestamp' has 1 unparsable value\(s\).*'noon'"):
        read_log(path, LogFormat(time_format="unix"))


def test_log_csv_row_with_wrong_number_of_fields(tmp_path):
    path = tmp_path / "fields.csv"
    path.write_text("user,item,rating,timestamp\nu1,i1,4,100\nu1,i2,3,200,oops\n", encoding="utf-8")
    with pytest.raises(DataError) as err:
        read_log(path, LogFormat())
    message = str(err.value)
    assert str(path) in message and "line 3" in message
    assert "quote fields that contain the separator" in message


def test_log_dat_row_with_wrong_number_of_fields_reports_the_real_line(tmp_path):
    path = tmp_path / "log.dat"  # '::'-separated with a header line
    path.write_text("user::item::rating::timestamp\nu1::i1::4::100\nu1::i2::200\n", encoding="utf-8")
    with pytest.raises(DataError) as err:
        read_log(path, LogFormat())
    message = str(err.value)
    assert str(path) in message
    assert "line 3 has 3 '::'-separated fields, expected 4 (user::item::rating::timestamp)" in message


@pytest.mark.parametrize("suffix", SUFFIXES)
def test_log_empty_id(tmp_path, suffix):
    rows = [*LOG_ROWS[:2], ("u2", "" if suffix != ".parquet" else None, 5.0, 300)]
    path = write_log(tmp_path / f"id{suffix}", rows=rows)
    with pytest.raises(DataError) as err:
        load_log(path, cache_dir=tmp_path / "cache")
    message = str(err.value)
    assert str(path) in message and "column 'item' has 1 empty value(s)" in message
    assert "Every row needs an id" in message


def test_log_unknown_separator_suffix(tmp_path):
    path = write_log(tmp_path / "log.csv").rename(tmp_path / "log.xyz")
    with pytest.raises(DataError) as err:
        read_log(path, LogFormat())
    message = str(err.value)
    assert str(path) in message and "suffix '.xyz'" in message and "LogFormat(sep=...)" in message
    events, _ = read_log(path, LogFormat(sep=","))  # the fix the message names
    assert len(events) == 3


def test_protocol_that_empties_the_data():
    events = pd.DataFrame(LOG_ROWS, columns=["user", "item", "rating", "timestamp"])
    with pytest.raises(ProtocolError) as err:
        filter_min_counts(events, min_user=10**6)
    message = str(err.value)
    assert "filter_min_counts" in message and "min_user=1000000" in message
    assert "removed every interaction (3 rows of 2 users)" in message and "Relax" in message


# ---------------------------------------------------------------- user logs: happy paths


def test_load_log_csv_with_features(tmp_path):
    path = tmp_path / "clicks.csv"
    path.write_text("session,sku,stars,ts,tags\n"
                    "s1,a,4.5,100,x|y\n"
                    "s1,b,3,200,\n"
                    "s2,a,5,150,z\n", encoding="utf-8")
    fmt = LogFormat(user="session", item="sku", rating="stars", timestamp="ts", features="tags")
    log = load_log(path, fmt, cache_dir=tmp_path / "cache")
    assert log.name == "clicks" and log.feature_structure == "flat"
    assert list(log.events.itertuples(index=False, name=None)) == [
        ("s1", "a", 4.5, 100), ("s1", "b", 3.0, 200), ("s2", "a", 5.0, 150)]
    assert log.events["rating"].dtype == np.float32 and log.events["timestamp"].dtype == np.int64
    # an item's features come from its first event; empty separators are dropped
    assert log.items.loc["a", "features"] == ("x", "y")
    assert log.items.loc["b", "features"] == ()


def test_load_log_tsv_iso_times(tmp_path):
    path = tmp_path / "log.tsv"
    path.write_text("user\titem\trating\ttimestamp\n"
                    "u1\ti1\t1\t2020-01-01T00:00:00Z\n"
                    "u1\ti2\t2\t2020-01-01 00:00:01\n"          # naive: read as UTC
                    "u2\ti1\t3\t2020-01-01T02:00:00+02:00\n",    # = 2020-01-01T00:00:00Z
                    encoding="utf-8")
    log = load_log(path, LogFormat(time_format="iso"), cache_dir=tmp_path / "cache")
    # 2020-01-01T00:00:00Z is 18262 days * 86400 s after the epoch
    assert 18262 * 86400 == 1577836800
    assert list(log.events.itertuples(index=False, name=None)) == [
        ("u1", "i1", 1.0, 1577836800), ("u1", "i2", 2.0, 1577836801), ("u2", "i1", 3.0, 1577836800)]


def test_load_log_parquet_datetime_column(tmp_path):
    path = tmp_path / "log.parquet"
    pd.DataFrame({
        "user": ["u1", "u1", "u2"],
        "item": ["i1", "i2", "i1"],
        "rating": [1.0, 2.0, 3.0],
        "timestamp": pd.to_datetime(["2020-01-02 00:00:00", "2020-01-02 00:00:30", "2020-01-01 23:59:59"]),
        "genre": ["a|b", "c", "a|b"],
    }).to_parquet(path)
    log = load_log(path, LogFormat(features="genre"), cache_dir=tmp_path / "cache")
    day = 1577836800 + 86400  # 2020-01-02T00:00:00Z
    assert list(log.events.itertuples(index=False, name=None)) == [
        ("u1", "i1", 1.0, day), ("u1", "i2", 2.0, day + 30), ("u2", "i1", 3.0, day - 1)]
    assert log.items.loc["i1", "features"] == ("a", "b") and log.items.loc["i2", "features"] == ("c",)


def test_load_log_parquet_timezone_aware_datetimes(tmp_path):
    path = tmp_path / "tz.parquet"
    stamps = pd.to_datetime(["2020-01-01 01:00:00", "2020-01-01 02:00:00"]).tz_localize("Europe/Paris")
    pd.DataFrame({"user": ["u", "u"], "item": ["i", "j"], "rating": [1.0, 1.0],
                  "timestamp": stamps}).to_parquet(path)
    events, _ = read_log(path, LogFormat())
    assert list(events["timestamp"]) == [1577836800, 1577836800 + 3600]  # Paris is UTC+1 in January


def test_load_log_implicit_feedback(tmp_path):
    path = tmp_path / "implicit.csv"
    path.write_text("user,item,timestamp\nu1,i1,100\nu1,i2,200\nu2,i2,300\n", encoding="utf-8")
    log = load_log(path, LogFormat(rating=None), cache_dir=tmp_path / "cache")
    assert list(log.events["rating"]) == [1.0, 1.0, 1.0]
    assert log.n_users == 2 and log.n_items == 2
    assert log.feature_structure == "none"
