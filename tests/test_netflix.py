"""Netflix Prize through `seqrec.datasets.load`: the real sample (every rating of movies 1-10 and every
title) against its MANIFEST counts, the ``combined_data_*.txt`` layout built from the same real files,
status, and bad input (each error names the file and the line)."""

import shutil
from pathlib import Path

import pandas as pd
import pytest

from seqrec.datasets import REGISTRY, DataError, DatasetNotFoundError, load, netflix, status

UTC = "UTC"
# MANIFEST.md: ratings per file mv_0000001.txt … mv_0000010.txt
PER_MOVIE = {"1": 547, "2": 145, "3": 2_012, "4": 142, "5": 1_140, "6": 1_019, "7": 93, "8": 14_910,
             "9": 95, "10": 249}


def utc(seconds) -> pd.Timestamp:
    return pd.Timestamp(int(seconds), unit="s", tz=UTC)


@pytest.fixture(scope="module")
def sample(data_dir):
    return load("netflix-prize", data_dir=data_dir)


# ---------------------------------------------------------------- the real sample (per-movie layout)


def test_counts_match_manifest(sample):
    events = sample.events
    assert len(sample) == 20_352
    assert sample.n_users == 19_519
    assert sample.n_items == 10
    assert events.groupby("item").size().to_dict() == PER_MOVIE
    assert utc(events["timestamp"].min()) == pd.Timestamp("2000-09-09", tz=UTC)
    assert utc(events["timestamp"].max()) == pd.Timestamp("2005-12-31", tz=UTC)
    assert set(events["rating"].unique()) == {1.0, 2.0, 3.0, 4.0, 5.0}
    assert (events["timestamp"] % 86_400 == 0).all()  # dates only: midnight UTC
    assert not events.duplicated(["user", "item"]).any()
    summary = sample.summary()
    assert (summary["users"], summary["items"], summary["interactions"]) == (19_519, 10, 20_352)
    assert sample.feature_structure == "none" and summary["items_with_features"] == 0


def test_first_and_last_rating_lines(sample):
    events = sample.events
    # mv_0000001.txt lines 1-2: "1:" then "1488844,3,2005-09-06"
    row = events[(events["user"] == "1488844") & (events["item"] == "1")]
    assert list(row["rating"]) == [3.0]
    assert list(row["timestamp"]) == [int(pd.Timestamp("2005-09-06", tz=UTC).timestamp())]
    # mv_0000010.txt last line: "515617,4,2003-03-28"
    row = events[(events["user"] == "515617") & (events["item"] == "10")]
    assert list(row["rating"]) == [4.0]
    assert utc(row["timestamp"].iloc[0]) == pd.Timestamp("2003-03-28", tz=UTC)


def test_titles_latin1_commas_and_null_years(sample, shared_data):
    items = sample.items
    assert len(items) == 17_770  # every movie of movie_titles.txt, rated or not
    assert (items.loc["1", "title"], items.loc["1", "year"]) == ("Dinosaur Planet", "2003")
    # split on the first two commas only
    assert items.loc["72", "title"] == "At Home Among Strangers, A Stranger Among His Own"
    assert items.loc["264", "title"] == "Angelina Ballerina: Lights, Camera, Action!"
    raw = (shared_data / "netflix-prize-sample" / "movie_titles.txt").read_bytes().decode("latin-1")
    with_commas = sum(line.count(",") > 2 for line in raw.splitlines())
    assert with_commas == 336 and items["title"].str.contains(",").sum() == with_commas
    # latin-1 byte 0xe9 (line 6483)
    assert items.loc["6483", "title"] == "Smokey Joe's Café"
    # YearOfRelease NULL (7 movies, e.g. line 4388) becomes ""
    assert (items.loc["4388", "title"], items.loc["4388", "year"]) == (
        "Ancient Civilizations: Rome and Pompeii", "")
    assert (items["year"] == "").sum() == 7
    assert (items["features"].map(len) == 0).all()


# ---------------------------------------------------------------- combined_data layout (from the real files)


def test_combined_data_layout_matches_per_movie_files(sample, shared_data, tmp_path):
    real = shared_data / "netflix-prize-sample"
    folder = tmp_path / "netflix-prize" / "download"  # one folder down, as an archive extracts
    folder.mkdir(parents=True)
    shutil.copyfile(real / "movie_titles.txt", folder / "movie_titles.txt")
    for k, movies in enumerate(([1, 2, 3], [4, 5, 6], [7, 8], [9, 10]), start=1):
        blocks = [(real / "training_set" / f"mv_{m:07d}.txt").read_bytes() for m in movies]
        (folder / f"combined_data_{k}.txt").write_bytes(b"".join(blocks))
    found = netflix.find_files(tmp_path / "netflix-prize")
    assert found.layout == "combined" and [p.name for p in found.ratings] == list(netflix.COMBINED_FILES)
    assert status("netflix-prize", tmp_path) == ("present", str(tmp_path / "netflix-prize"))
    combined = load("netflix-prize", data_dir=tmp_path)
    assert len(combined) == 20_352
    pd.testing.assert_frame_equal(combined.events, sample.events)
    pd.testing.assert_frame_equal(combined.items, sample.items)
    assert combined.fingerprint() == sample.fingerprint()


# ---------------------------------------------------------------- status and the missing-data error


def test_status_present_and_missing(data_dir, tmp_path):
    assert status("netflix-prize", data_dir) == ("present", str(data_dir / "netflix-prize"))
    assert status("netflix-prize", tmp_path) == ("missing", str(tmp_path / "netflix-prize"))
    spec = REGISTRY["netflix-prize"]
    assert spec.url is None and spec.feature_structure == "none"
    # titles alone, or ratings alone, are not a copy of the data
    write_release(tmp_path, {"movie_titles.txt": TITLES})
    assert status("netflix-prize", tmp_path)[0] == "missing"
    (tmp_path / "netflix-prize" / "movie_titles.txt").unlink()
    write_release(tmp_path, {"training_set/mv_0000001.txt": MV1})
    assert status("netflix-prize", tmp_path)[0] == "missing"


def test_missing_error_lists_the_expected_files(tmp_path):
    with pytest.raises(DatasetNotFoundError) as err:
        load("netflix-prize", data_dir=tmp_path)
    message = str(err.value)
    for part in ("'netflix-prize'", "movie_titles.txt", "training_set/mv_0000001.txt", "mv_0017770.txt",
                 "combined_data_1.txt", "combined_data_4.txt", str(tmp_path / "netflix-prize"),
                 "withdrew the public download"):
        assert part in message
    assert "download=True" not in message


# ---------------------------------------------------------------- bad input (tiny copies)

TITLES = "1,2003,Dinosaur Planet\n2,2004,Isle of Man TT 2004 Review\n3,NULL,Character, The\n"
MV1 = "1:\n1488844,3,2005-09-06\n822109,5,2005-05-13\n885013,4,2005-10-19\n"
MV2 = "2:\n2059652,4,2005-09-05\n"


def write_release(root: Path, files: dict[str, str]) -> Path:
    folder = root / "netflix-prize"
    for name, content in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(content.encode("latin-1"))
    return folder


def load_broken(tmp_path: Path, files: dict[str, str], error=DataError) -> str:
    write_release(tmp_path / "data", files)
    with pytest.raises(error) as err:
        load("netflix-prize", data_dir=tmp_path / "data", cache_dir=tmp_path / "cache")
    return str(err.value)


def test_tiny_copies_load(tmp_path):
    """The unbroken tiny copies used below load, so each failure below is due to its one defect."""
    per_movie = {"movie_titles.txt": TITLES, "training_set/mv_0000001.txt": MV1,
                 "training_set/mv_0000002.txt": MV2}
    write_release(tmp_path / "a", per_movie)
    write_release(tmp_path / "b", {"movie_titles.txt": TITLES, "combined_data_1.txt": MV1 + MV2})
    a = load("netflix-prize", data_dir=tmp_path / "a", cache_dir=tmp_path / "cache")
    b = load("netflix-prize", data_dir=tmp_path / "b", cache_dir=tmp_path / "cache")
    assert (len(a), a.n_users, a.n_items, len(a.items)) == (4, 4, 2, 3)
    pd.testing.assert_frame_equal(a.events, b.events)
    assert (a.items.loc["3", "title"], a.items.loc["3", "year"]) == ("Character, The", "")


BROKEN = {
    "rating before any movie line": (
        {"combined_data_1.txt": "1488844,3,2005-09-06\n" + MV1}, "combined_data_1.txt",
        ["line 1 holds a rating", "before any '<movie id>:' line"]),
    "line with one field": (
        {"training_set/mv_0000001.txt": MV1.replace("822109,5,2005-05-13", "822109;5;2005-05-13")},
        "training_set/mv_0000001.txt",
        ["line 3 is malformed", "'822109;5;2005-05-13'", "CustomerID,Rating,Date"]),
    "line with two fields": (
        {"training_set/mv_0000001.txt": MV1.replace("822109,5,2005-05-13", "822109,5")},
        "training_set/mv_0000001.txt", ["line 3 is malformed", "'822109,5'"]),
    "line with four fields": (
        {"training_set/mv_0000001.txt": MV1.replace("822109,5,2005-05-13", "822109,5,2005-05-13,x")},
        "training_set/mv_0000001.txt", ["malformed line", "line 3"]),
    "bad date": (
        {"training_set/mv_0000001.txt": MV1.replace("2005-05-13", "2005-13-05")},
        "training_set/mv_0000001.txt", ["column 'date'", "line 3: '2005-13-05'", "'%Y-%m-%d'"]),
    "non-numeric rating": (
        {"training_set/mv_0000001.txt": MV1.replace("822109,5,", "822109,five,")},
        "training_set/mv_0000001.txt", ["column 'rating'", "line 3: 'five'", "must be a number"]),
    "rating out of range": (
        {"combined_data_1.txt": MV1 + MV2.replace(",4,", ",7,")}, "combined_data_1.txt",
        ["column 'rating'", "line 6: '7'", "1-5 stars"]),
    "non-integer customer id": (
        {"training_set/mv_0000001.txt": MV1.replace("885013,", "C885013,")},
        "training_set/mv_0000001.txt", ["column 'customer'", "non-integer", "line 4: 'C885013'"]),
    "non-integer movie id": (
        {"combined_data_1.txt": MV1 + MV2.replace("2:", "x2:")}, "combined_data_1.txt",
        ["line 5: movie id 'x2' is not an integer"]),
    "per-movie file of another movie": (
        {"training_set/mv_0000002.txt": MV2.replace("2:", "3:")}, "training_set/mv_0000002.txt",
        ["movie 2 only", "line 1 starts movie 3"]),
    "per-movie file holding two movies": (
        {"training_set/mv_0000001.txt": MV1 + MV2}, "training_set/mv_0000001.txt",
        ["movie 1 only", "line 5 starts movie 2"]),
    "empty ratings file": (
        {"training_set/mv_0000001.txt": ""}, "training_set/mv_0000001.txt", ["the file is empty"]),
    "title line with two fields": (
        {"movie_titles.txt": TITLES + "4,1994\n"}, "movie_titles.txt",
        ["line 4 has 2 ','-separated fields, expected 3"]),
    "bad year": (
        {"movie_titles.txt": TITLES.replace("2004", "20O4", 1)}, "movie_titles.txt",
        ["column 'year'", "line 2: '20O4'", "NULL"]),
    "duplicate title line": (
        {"movie_titles.txt": TITLES + "2,2004,Again\n"}, "movie_titles.txt", ["movie id '2' is listed more"]),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_bad_input_names_file_and_line(tmp_path, case):
    files, culprit, parts = BROKEN[case]
    release = {"movie_titles.txt": TITLES}
    if not any(name.startswith(("training_set/", "combined_data")) for name in files):
        release["training_set/mv_0000001.txt"] = MV1  # a titles case: add a good ratings file
    message = load_broken(tmp_path, {**release, **files})
    assert str(tmp_path / "data" / "netflix-prize" / culprit) in message, message
    for part in parts:
        assert part in message, message


def test_movie_in_two_combined_files(tmp_path):
    message = load_broken(tmp_path, {"movie_titles.txt": TITLES, "combined_data_1.txt": MV1 + MV2,
                                     "combined_data_2.txt": MV2})
    folder = tmp_path / "data" / "netflix-prize"
    assert f"{folder / 'combined_data_2.txt'}: line 1 starts movie 2 again" in message
    assert f"{folder / 'combined_data_1.txt'} line 5" in message and "remove the duplicate" in message


def test_both_layouts_read_the_per_movie_files(tmp_path, caplog):
    write_release(tmp_path / "data", {"movie_titles.txt": TITLES, "training_set/mv_0000001.txt": MV1,
                                      "combined_data_1.txt": MV1 + MV2})
    with caplog.at_level("WARNING", logger="seqrec.datasets.netflix"):
        data = load("netflix-prize", data_dir=tmp_path / "data", cache_dir=tmp_path / "cache")
    assert (len(data), data.n_items) == (3, 1)
    assert "both layouts are present" in caplog.text
