"""MovieLens through `seqrec.datasets.load`: the real releases against their MANIFEST counts, the ``::``
layout on real 1m files, release archives, the download path (served locally), status and the CLI."""

import csv
import dataclasses
import functools
import hashlib
import http.server
import os
import shutil
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from seqrec.datasets import (
    REGISTRY,
    DataError,
    DatasetNotFoundError,
    first_loadable,
    get,
    load,
    movielens,
    status,
)

UTC = "UTC"


def utc(seconds) -> pd.Timestamp:
    return pd.Timestamp(int(seconds), unit="s", tz=UTC)


def zip_folder(files: list[Path], archive: Path, folder: str) -> Path:
    """Pack ``files`` into ``archive`` under ``folder/``, as GroupLens packs its releases."""
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in files:
            zf.write(path, f"{folder}/{path.name}")
    return archive


# ---------------------------------------------------------------- embedded latest-small (MANIFEST counts)


def test_latest_small_counts_match_manifest(ml_small):
    events = ml_small.events
    assert len(ml_small) == 100_836
    assert ml_small.n_users == 610
    assert ml_small.n_items == 9_724
    assert len(ml_small.items) == 9_742  # movies.csv lists movies nobody rated too
    assert utc(events["timestamp"].min()) == pd.Timestamp("1996-03-29 18:36:55", tz=UTC)
    assert utc(events["timestamp"].max()) == pd.Timestamp("2018-09-24 14:27:30", tz=UTC)
    assert events["rating"].min() == 0.5 and events["rating"].max() == 5.0
    assert not events.duplicated(["user", "item"]).any()
    summary = ml_small.summary()
    assert (summary["users"], summary["items"], summary["interactions"]) == (610, 9_724, 100_836)
    # plain Python numbers, so that printing the summary shows 8213.8, not np.float64(8213.8)
    assert summary["span_days"] == 8213.8 and "np." not in repr(summary)


def test_latest_small_tags_match_manifest(ml_small):
    tags = ml_small.tags
    assert len(tags) == 3_683
    assert utc(tags["timestamp"].min()) == pd.Timestamp("2006-01-13 19:09:12", tz=UTC)
    assert utc(tags["timestamp"].max()) == pd.Timestamp("2018-09-16 11:50:03", tz=UTC)
    # tags.csv line 593: 318,68954,Bechdel Test:Fail,1266408641
    row = tags[(tags["user"] == "318") & (tags["item"] == "68954") & (tags["tag"] == "Bechdel Test:Fail")]
    assert list(row["timestamp"]) == [1266408641]


def test_latest_small_genres_titles_and_links(ml_small):
    items = ml_small.items
    toy = items.loc["1"]  # movies.csv: 1,Toy Story (1995),Adventure|Animation|Children|Comedy|Fantasy
    assert toy["title"] == "Toy Story (1995)"
    assert toy["features"] == ("Adventure", "Animation", "Children", "Comedy", "Fantasy")
    assert (toy["imdb_id"], toy["tmdb_id"]) == ("0114709", "862")  # links.csv: 1,0114709,862
    # a quoted title holding the separator and UTF-8 accents (movies.csv line 30)
    assert items.loc["29", "title"] == "City of Lost Children, The (Cité des enfants perdus, La) (1995)"
    # links.csv: 791,0113610,  (empty tmdbId stays empty, the imdb id keeps its leading zero)
    assert (items.loc["791", "imdb_id"], items.loc["791", "tmdb_id"]) == ("0113610", "")


def test_no_genres_listed_becomes_empty_tuple(ml_small, shared_data):
    with open(shared_data / "movielens-latest-small" / "movies.csv", newline="", encoding="utf-8") as f:
        without = {row["movieId"] for row in csv.DictReader(f) if row["genres"] == "(no genres listed)"}
    assert without  # the release has some (e.g. 114335, La cravate (1957))
    assert ml_small.items.loc["114335", "features"] == ()
    empty = set(ml_small.items.index[ml_small.items["features"].map(len) == 0])
    assert empty == without
    assert not ml_small.items["features"].map(lambda g: movielens.NO_GENRES in g).any()


# ---------------------------------------------------------------- real 100k


def test_100k_counts_match_manifest(ml_100k):
    events = ml_100k.events
    assert len(ml_100k) == 100_000
    assert ml_100k.n_users == 943
    assert ml_100k.n_items == 1_682
    assert len(ml_100k.items) == 1_682
    assert utc(events["timestamp"].min()) == pd.Timestamp("1997-09-20 03:05:10", tz=UTC)
    assert utc(events["timestamp"].max()) == pd.Timestamp("1998-04-22 23:10:38", tz=UTC)
    assert not events.duplicated(["user", "item"]).any()
    assert set(events["rating"].unique()) == {1.0, 2.0, 3.0, 4.0, 5.0}
    # u.data line 1: 196 242 3 881250949
    first = events[(events["user"] == "196") & (events["item"] == "242")]
    assert list(first["rating"]) == [3.0] and list(first["timestamp"]) == [881250949]
    assert len(ml_100k.tags) == 0  # 100k has no tags


def test_100k_genre_flags_and_latin1_titles(ml_100k):
    items = ml_100k.items
    # u.item line 1: 1|Toy Story (1995)|...|0|0|0|1|1|1|0|... -> flags 3, 4, 5 of the 19
    assert items.loc["1", "title"] == "Toy Story (1995)"
    assert items.loc["1", "features"] == ("Animation", "Children's", "Comedy")
    # u.item line 2: GoldenEye, flags Action, Adventure, Thriller
    assert items.loc["2", "features"] == ("Action", "Adventure", "Thriller")
    # latin-1 bytes 0xe9 and 0xc1 (u.item lines 1233 and 1633)
    assert items.loc["1233", "title"] == "Nénette et Boni (1996)"
    assert items.loc["1633", "title"] == "Á köldum klaka (Cold Fever) (1994)"
    assert (items.loc["1", "imdb_id"], items.loc["1", "tmdb_id"]) == ("", "")  # 100k has no links.csv


def test_100k_release_archive_loads_like_the_folder(ml_100k, shared_data, tmp_path):
    real = shared_data / "movielens-100k"
    folder = tmp_path / "data" / "movielens-100k"
    folder.mkdir(parents=True)
    files = sorted(p for p in real.iterdir() if p.is_file() and p.name.startswith("u."))
    zip_folder([*files, real / "README"], folder / "ml-100k.zip", "ml-100k")
    state, where = status("movielens-100k", tmp_path / "data")
    assert (state, where) == ("present", str(folder / "ml-100k.zip"))
    zipped = load("movielens-100k", data_dir=tmp_path / "data")
    pd.testing.assert_frame_equal(zipped.events, ml_100k.events)
    pd.testing.assert_frame_equal(zipped.items, ml_100k.items)
    assert zipped.fingerprint() == ml_100k.fingerprint()


def test_first_loadable_prefers_present_files_then_embedded_and_never_downloads(data_dir, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    wanted = ["movielens-100k", "movielens-latest-small"]
    assert first_loadable(wanted, data_dir) == "movielens-100k"  # its files are present
    assert first_loadable(wanted, empty) == "movielens-latest-small"  # 100k only downloadable
    assert first_loadable(["movielens-100k"], empty) is None
    assert first_loadable(["synthetic-small"], empty) == "synthetic-small"


# ---------------------------------------------------------------- "::" layout (1m, 10m) on real files


def _sample_rows(shared_data: Path) -> list[dict]:
    with open(shared_data / "movielens-1m" / "ml-1m_sample.csv", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _write_dat(folder: Path, shared_data: Path, tags: str | None = None) -> None:
    folder.mkdir(parents=True)
    shutil.copyfile(shared_data / "movielens-1m" / "movies.dat", folder / "movies.dat")
    lines = [f"{r['user_id']}::{r['movie_id']}::{r['rating']}::{r['timestamp']}\n"
             for r in _sample_rows(shared_data)]
    (folder / "ratings.dat").write_text("".join(lines), encoding="ascii")
    if tags is not None:
        (folder / "tags.dat").write_text(tags, encoding="utf-8")


# UserID::MovieID::Tag::Timestamp; a tag holding a colon, another with a UTF-8 accent
TAGS_DAT = ("1::1193::classic: must see::978300800\n"
            "2::3257::très kitsch::978300900\n"
            "2::73::musical::978301000\n")


@pytest.fixture(scope="module")
def ml_1m_sample(shared_data, tmp_path_factory):
    root = tmp_path_factory.mktemp("ml1m")
    _write_dat(root / "movielens-1m", shared_data)
    return load("movielens-1m", data_dir=root)


@pytest.fixture(scope="module")
def ml_10m_dirs(shared_data, tmp_path_factory):
    """Two data dirs with a 10m-style release: the folder ml-10M100K/ and the archive ml-10m.zip."""
    folder_root = tmp_path_factory.mktemp("ml10m-folder")
    release = folder_root / "movielens-10m" / "ml-10M100K"
    _write_dat(release, shared_data, tags=TAGS_DAT)
    zip_root = tmp_path_factory.mktemp("ml10m-zip")
    (zip_root / "movielens-10m").mkdir()
    zip_folder(sorted(release.iterdir()), zip_root / "movielens-10m" / "ml-10m.zip", "ml-10M100K")
    return folder_root, zip_root


def test_1m_dat_layout_on_real_files(ml_1m_sample, shared_data):
    rows = _sample_rows(shared_data)
    data = ml_1m_sample
    assert len(data) == 100
    assert set(data.events["user"]) == {"1", "2"}
    assert len(data.items) == 3_883  # every movie of movies.dat
    expected = {(r["user_id"], r["movie_id"]): (float(r["rating"]), int(r["timestamp"])) for r in rows}
    got = {(u, i): (float(r), int(t)) for u, i, r, t in data.events.itertuples(index=False)}
    assert got == expected
    assert utc(data.events["timestamp"].min()) == pd.Timestamp("2000-12-31 21:29:11", tz=UTC)
    assert utc(data.events["timestamp"].max()) == pd.Timestamp("2001-01-06 23:39:11", tz=UTC)
    # movies.dat is latin-1: 73::Misérables, Les (1995)::Drama|Musical
    assert data.items.loc["73", "title"] == "Misérables, Les (1995)"
    assert data.items.loc["73", "features"] == ("Drama", "Musical")
    assert data.items.loc["1", "features"] == ("Animation", "Children's", "Comedy")
    assert data.items.loc["3054", "title"] == "Pokémon: The First Movie (1998)"  # a colon in a title
    assert len(data.tags) == 0


def test_10m_folder_with_tags(ml_10m_dirs, ml_1m_sample):
    folder_root, _ = ml_10m_dirs
    state, where = status("movielens-10m", folder_root)
    assert (state, where) == ("present", str(folder_root / "movielens-10m"))
    data = load("movielens-10m", data_dir=folder_root)
    pd.testing.assert_frame_equal(data.events, ml_1m_sample.events)
    # 10m is read as UTF-8 first, latin-1 when that fails: movies.dat (latin-1) still decodes right
    assert data.items.loc["73", "title"] == "Misérables, Les (1995)"
    tags = data.tags.sort_values("timestamp").reset_index(drop=True)
    assert list(tags.itertuples(index=False, name=None)) == [
        ("1", "1193", "classic: must see", 978300800),
        ("2", "3257", "très kitsch", 978300900),
        ("2", "73", "musical", 978301000),
    ]


def test_10m_release_archive_loads_like_the_folder(ml_10m_dirs):
    folder_root, zip_root = ml_10m_dirs
    state, where = status("movielens-10m", zip_root)
    assert (state, where) == ("present", str(zip_root / "movielens-10m" / "ml-10m.zip"))
    assert movielens.locate(movielens.RELEASES["10m"], zip_root / "movielens-10m") == Path(where)
    zipped = load("movielens-10m", data_dir=zip_root)
    folder = load("movielens-10m", data_dir=folder_root)
    pd.testing.assert_frame_equal(zipped.events, folder.events)
    pd.testing.assert_frame_equal(zipped.tags, folder.tags)
    assert zipped.fingerprint() == folder.fingerprint()


# ---------------------------------------------------------------- download (from a local server)


class _Handler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        self.server.requests.append(self.path)


@pytest.fixture(scope="module")
def grouplens(shared_data, tmp_path_factory):
    """A local stand-in for files.grouplens.org serving ml-latest.zip (the real latest-small CSVs)."""
    root = tmp_path_factory.mktemp("grouplens")
    real = shared_data / "movielens-latest-small"
    archive = zip_folder(sorted(real.glob("*.csv")), root / "ml-latest.zip", "ml-latest-small")
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_Handler, directory=str(root)))
    server.requests = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server, archive
    server.shutdown()
    server.server_close()


def _pin_latest(monkeypatch, server, **pinned):
    """Point the download at the local server and pin the archive's size/sha256 in the builder config."""
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    monkeypatch.setattr(movielens, "BASE_URL", f"http://127.0.0.1:{server.server_port}/")
    config = movielens.MovieLens.builder_configs["latest"]
    monkeypatch.setattr(config, "release", dataclasses.replace(config.release, **pinned))
    server.requests.clear()


def test_download_verifies_and_loads(grouplens, ml_small, monkeypatch, tmp_path):
    server, archive = grouplens
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    _pin_latest(monkeypatch, server, size=archive.stat().st_size, sha256=digest)
    (tmp_path / "data").mkdir()
    assert status("movielens-latest", tmp_path / "data")[0] == "downloadable"
    data = load("movielens-latest", data_dir=tmp_path / "data", cache_dir=tmp_path / "cache",
                download=True)
    assert server.requests == ["/ml-latest.zip"]
    downloaded = [p for p in (tmp_path / "cache" / "downloads").rglob("*.zip")]
    assert [hashlib.sha256(p.read_bytes()).hexdigest() for p in downloaded] == [digest]
    assert (len(data), data.n_users, data.n_items, len(data.tags)) == (100_836, 610, 9_724, 3_683)
    pd.testing.assert_frame_equal(data.events, ml_small.events)
    assert data.fingerprint() == ml_small.fingerprint()


def test_download_with_wrong_sha256_fails(grouplens, monkeypatch, tmp_path):
    server, archive = grouplens
    actual = hashlib.sha256(archive.read_bytes()).hexdigest()
    pinned = "0" * 64
    _pin_latest(monkeypatch, server, size=archive.stat().st_size, sha256=pinned)
    with pytest.raises(DataError) as err:
        load("movielens-latest", data_dir=tmp_path, cache_dir=tmp_path / "cache", download=True)
    assert server.requests == ["/ml-latest.zip"]
    message = str(err.value)
    assert actual in message and pinned in message
    assert "delete it and try again" in message


def test_download_with_wrong_size_fails(grouplens, monkeypatch, tmp_path):
    server, archive = grouplens
    size = archive.stat().st_size
    _pin_latest(monkeypatch, server, size=size + 1, sha256=hashlib.sha256(archive.read_bytes()).hexdigest())
    with pytest.raises(DataError, match=rf"size {size} bytes differs from the pinned {size + 1}"):
        load("movielens-latest", data_dir=tmp_path, cache_dir=tmp_path / "cache", download=True)


# ---------------------------------------------------------------- status and errors


def test_status_values(data_dir, tmp_path):
    assert status("movielens-100k", data_dir) == ("present", str(data_dir / "movielens-100k"))
    assert status("movielens-latest-small", data_dir)[0] == "present"
    assert status("movielens-latest-small", tmp_path)[0] == "embedded"
    assert status("movielens-100k", tmp_path) == (
        "downloadable", "https://files.grouplens.org/datasets/movielens/ml-100k.zip")
    assert status("synthetic-small", tmp_path)[0] == "generated"
    # a folder with only part of the required files is not present
    (tmp_path / "movielens-100k").mkdir()
    (tmp_path / "movielens-100k" / "u.data").write_text("1\t1\t5\t881250949\n")
    assert status("movielens-100k", tmp_path)[0] == "downloadable"


def test_unknown_dataset_lists_known_names():
    with pytest.raises(DatasetNotFoundError) as err:
        load("movielens-5m")
    message = str(err.value)
    assert "'movielens-5m'" in message
    for name in REGISTRY:
        assert name in message
    with pytest.raises(DatasetNotFoundError):
        get("netflix")


def test_not_present_without_download_names_dataset_files_and_folder(tmp_path):
    with pytest.raises(DatasetNotFoundError) as err:
        load("movielens-1m", data_dir=tmp_path)
    message = str(err.value)
    for part in ("'movielens-1m'", "ratings.dat", "movies.dat", "ml-1m.zip", str(tmp_path / "movielens-1m"),
                 "download=True"):
        assert part in message
    # a partial folder names the file that is missing from the expected set too
    (tmp_path / "movielens-100k").mkdir()
    (tmp_path / "movielens-100k" / "u.data").write_text("1\t1\t5\t881250949\n")
    with pytest.raises(DatasetNotFoundError, match=r"u\.item"):
        load("movielens-100k", data_dir=tmp_path)


# ---------------------------------------------------------------- command line


def _cli(*args, cache_dir) -> subprocess.CompletedProcess:
    env = {**os.environ, "SEQREC_CACHE_DIR": str(cache_dir), "TF_CPP_MIN_LOG_LEVEL": "2"}
    return subprocess.run([sys.executable, "-m", "seqrec.datasets", *args], capture_output=True,
                          text=True, env=env, timeout=300, check=False)


def test_cli_lists_every_dataset_with_status(data_dir, cache_dir):
    result = _cli("--data-dir", str(data_dir), cache_dir=cache_dir)
    assert result.returncode == 0, result.stderr
    rows = {line.split()[0]: line.split()[1] for line in result.stdout.splitlines()[2:]}
    assert set(rows) == set(REGISTRY)
    assert rows["movielens-100k"] == rows["movielens-latest-small"] == "present"
    assert rows["movielens-1m"] == "downloadable"
    assert all(rows[name] == "generated" for name in REGISTRY if name.startswith("synthetic-"))
    assert str(data_dir) in result.stdout.splitlines()[0]


def test_cli_describe_embedded_latest_small(ml_small, cache_dir, tmp_path):
    # an empty data dir: the embedded copy, whose records the ml_small fixture already prepared
    result = _cli("describe", "movielens-latest-small", "--data-dir", str(tmp_path), cache_dir=cache_dir)
    assert result.returncode == 0, result.stderr
    fields = dict(p for p in (line.split(None, 1) for line in result.stdout.splitlines()) if len(p) == 2)
    assert fields["users"].strip() == "610"
    assert fields["items"].strip() == "9724"
    assert fields["interactions"].strip() == "100836"


def test_cli_describe_absent_dataset_exits_2(cache_dir, tmp_path):
    result = _cli("describe", "movielens-1m", "--data-dir", str(tmp_path), cache_dir=cache_dir)
    assert result.returncode == 2
    assert "Dataset 'movielens-1m' is not present" in result.stderr
    assert str(tmp_path / "movielens-1m") in result.stderr
    assert result.stdout == ""
