"""LastFM-1K through `seqrec.datasets.load`: the real first 5,000 lines against their MANIFEST (songs as
(artist, track name), newest-first file returned in time order, ISO times in unix seconds, quotes as
text), the extracted folder and the .tar.gz archive, the download (served locally), UserGRU's 10 %
windows, status and the command line, and bad input (each error names the file, the line and the
field)."""

import calendar
import functools
import hashlib
import http.server
import logging
import os
import subprocess
import sys
import tarfile
import threading
import time
from pathlib import Path

import pandas as pd
import pytest
from dataset_checks import assert_refused

from seqrec.datasets import REGISTRY, DataError, DatasetNotFoundError, lastfm, load, protocols, status
from seqrec.datasets.registry import not_present_message

NAME = "lastfm-1k"
HEAD = "lastfm-1k-head"
PLAYS, PROFILE = lastfm.PLAYS_FILE, "userid-profile.tsv"  # the release's profile file, which is not read


def unix(iso: str) -> int:
    """Unix seconds of ``YYYY-MM-DDTHH:MM:SSZ``, computed without pandas."""
    return calendar.timegm(time.strptime(iso, "%Y-%m-%dT%H:%M:%SZ"))


def raw_lines(shared_data: Path) -> list[list[str]]:
    text = (shared_data / HEAD / PLAYS).read_text(encoding="utf-8")
    return [line.split("\t") for line in text.split("\n") if line]


def make_archive(files: list[Path], archive: Path, folder: str = "lastfm-dataset-1K") -> Path:
    """Pack ``files`` into a .tar.gz under ``folder/``, as the release is packed."""
    with tarfile.open(archive, "w:gz") as tar:
        for path in files:
            tar.add(path, arcname=f"{folder}/{path.name}" if folder else path.name)
    return archive


@pytest.fixture(scope="module")
def lastfm_dir(shared_data, tmp_path_factory) -> Path:
    """A data directory whose ``lastfm-1k/`` links to the real head copy."""
    root = tmp_path_factory.mktemp("lastfm-data")
    (root / NAME).symlink_to(shared_data / HEAD, target_is_directory=True)
    return root


@pytest.fixture(scope="module")
def head(lastfm_dir):
    return load(NAME, data_dir=lastfm_dir)


# ---------------------------------------------------------------- the real head copy


def test_head_counts_match_manifest(head):
    events, items = head.events, head.items
    assert (len(head), head.n_users, head.n_items) == (5_000, 2, 1_192)
    assert events.groupby("user").size().to_dict() == {"user_000001": 4_997, "user_000002": 3}
    assert events["timestamp"].min() == unix("2008-12-08T06:04:00Z") == 1_228_716_240
    assert events["timestamp"].max() == unix("2009-05-04T23:08:57Z") == 1_241_478_537
    assert (events["rating"] == 1.0).all()
    assert len(items) == 1_192 and items["artist"].nunique() == 235
    # 1,396 rows have an empty track MBID (no song of the head has plays both with and without one)
    no_mbid = items.index[items["track_mbid"] == ""]
    assert int(events["item"].isin(no_mbid).sum()) == 1_396
    assert head.feature_structure == "none" and (items["features"].map(len) == 0).all()
    assert head.summary()["first"] == "2008-12-08T06:04:00+00:00"


def test_items_are_artist_and_track_names(head, shared_data):
    rows = raw_lines(shared_data)
    assert set(head.events["item"]) == {f"{r[3]}\t{r[5]}" for r in rows}
    song = head.items.loc["Holy Fuck\tMilkshake"]
    assert (song["title"], song["artist"]) == ("Milkshake", "Holy Fuck")
    assert (song["artist_mbid"], song["track_mbid"]) == ("4342cf80-7c06-4402-a431-457e77310474",
                                                         "6790b616-7925-4741-b030-01958cf4e51d")
    first = head.items.loc["Deep Dish\tFuck Me Im Famous (Pacha Ibiza)-09-28-2007"]  # line 1, no track MBID
    assert first["track_mbid"] == "" and first["artist_mbid"] == "f1b1cf71-bd35-4e99-8624-24a6e15f133a"


def test_quotes_and_non_ascii_names_are_text(head):
    """'Johnny "Hammond" Smith' would lose its quotes (or swallow the next lines) under CSV quoting."""
    song = head.items.loc['Johnny "Hammond" Smith\tTell Me What To Do']
    assert song["artist"] == 'Johnny "Hammond" Smith' and song["title"] == "Tell Me What To Do"
    plays = head.events[head.events["item"] == 'Johnny "Hammond" Smith\tTell Me What To Do']
    assert unix("2009-04-01T15:27:05Z") in set(plays["timestamp"])
    assert "坂本龍一" in set(head.items["artist"])  # UTF-8, line 2
    assert not head.items.index.str.contains("\n").any()


def test_events_are_chronological_and_start_at_the_users_last_line(head, shared_data):
    events = head.events
    assert events.groupby("user")["timestamp"].apply(lambda t: t.is_monotonic_increasing).all()
    rows = raw_lines(shared_data)
    user1 = [r for r in rows if r[0] == "user_000001"]
    first = events[events["user"] == "user_000001"].iloc[0]
    # the file is newest first: the user's first play is the user's last line (line 4,997)
    assert rows.index(user1[-1]) + 1 == 4_997
    assert first["item"] == f"{user1[-1][3]}\t{user1[-1][5]}"
    assert first["timestamp"] == unix(user1[-1][1]) == unix("2008-12-08T06:13:34Z")
    last = events[events["user"] == "user_000001"].iloc[-1]
    assert (last["item"], last["timestamp"]) == (f"{rows[0][3]}\t{rows[0][5]}", unix(rows[0][1]))
    # the file reversed, with plays in the same second ordered by item id (the suite's tie rule)
    expected = pd.DataFrame({"item": [f"{r[3]}\t{r[5]}" for r in user1[::-1]],
                             "timestamp": [unix(r[1]) for r in user1[::-1]]})
    expected = expected.sort_values(["timestamp", "item"], kind="stable")
    assert list(events.loc[events["user"] == "user_000001", "item"]) == list(expected["item"])
    assert list(events.loc[events["user"] == "user_000002", "timestamp"]) == [
        unix("2008-12-08T06:04:00Z"), unix("2008-12-08T06:07:10Z"), unix("2008-12-08T06:11:16Z")]


def test_ten_percent_windows_of_the_head(head):
    """UserGRU's 10 % subsample: one contiguous stretch of each user's plays."""
    reports = []
    sample = protocols.subsample_windows(head.events, 0.1, seed=0, reports=reports)
    assert sample.groupby("user").size().to_dict() == {"user_000001": 500, "user_000002": 1}
    plays = head.events[head.events["user"] == "user_000001"].reset_index(drop=True)
    kept = sample[sample["user"] == "user_000001"].reset_index(drop=True)
    start = plays.index[(plays["timestamp"] == kept["timestamp"].iloc[0])
                        & (plays["item"] == kept["item"].iloc[0])][0]
    pd.testing.assert_frame_equal(plays.iloc[start:start + 500].reset_index(drop=True), kept)
    assert reports[0].rows == (5_000, 501) and reports[0].users == (2, 2)


def test_extracted_folder_and_archive_load_like_the_head(head, shared_data, tmp_path):
    files = [shared_data / HEAD / PLAYS, shared_data / HEAD / PROFILE]
    nested = tmp_path / "nested" / NAME / "lastfm-dataset-1K"
    nested.mkdir(parents=True)
    for path in files:
        (nested / path.name).symlink_to(path)
    assert status(NAME, tmp_path / "nested") == ("present", str(tmp_path / "nested" / NAME))
    folder = load(NAME, data_dir=tmp_path / "nested", cache_dir=tmp_path / "cache")
    (tmp_path / "packed" / NAME).mkdir(parents=True)
    archive = make_archive(files, tmp_path / "packed" / NAME / lastfm.ARCHIVE)
    assert status(NAME, tmp_path / "packed") == ("present", str(archive))
    packed = load(NAME, data_dir=tmp_path / "packed", cache_dir=tmp_path / "cache")
    for data in (folder, packed):
        pd.testing.assert_frame_equal(data.events, head.events)
        pd.testing.assert_frame_equal(data.items, head.items)
        assert data.fingerprint() == head.fingerprint()


def test_archive_without_the_plays_file(shared_data, tmp_path):
    archive = make_archive([shared_data / HEAD / PROFILE], tmp_path / lastfm.ARCHIVE)
    with pytest.raises(DatasetNotFoundError, match=f"the archive holds no {PLAYS}"):
        lastfm.read_plays(archive)
    with pytest.raises(DatasetNotFoundError, match=f"needs {PLAYS} at the top of the folder"):
        lastfm.read_plays(tmp_path)
    with pytest.raises(DatasetNotFoundError, match="no such folder or archive"):
        lastfm.read_plays(tmp_path / "absent.tar.gz")


# ---------------------------------------------------------------- download (from a local server)


class _Handler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        self.server.requests.append(self.path)


@pytest.fixture(scope="module")
def mtg(shared_data, tmp_path_factory):
    """A local stand-in for mtg.upf.edu serving lastfm-dataset-1K.tar.gz (the real head files) and a
    corrupt archive."""
    root = tmp_path_factory.mktemp("mtg")
    archive = make_archive([shared_data / HEAD / PLAYS, shared_data / HEAD / PROFILE], root / lastfm.ARCHIVE)
    (root / "broken.tar.gz").write_bytes(archive.read_bytes()[:1000])
    handler = functools.partial(_Handler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.requests = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server, archive
    server.shutdown()
    server.server_close()


def _serve(monkeypatch, server, name: str) -> str:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    monkeypatch.setattr(lastfm, "URL", f"http://127.0.0.1:{server.server_port}/{name}")
    server.requests.clear()
    return f"/{name}"


def test_download_logs_the_hash_and_loads(mtg, head, monkeypatch, tmp_path, caplog):
    server, archive = mtg
    path = _serve(monkeypatch, server, lastfm.ARCHIVE)
    (tmp_path / "data").mkdir()
    assert status(NAME, tmp_path / "data") == ("downloadable", REGISTRY[NAME].url)
    with caplog.at_level(logging.INFO, logger="seqrec.datasets.lastfm"):
        data = load(NAME, data_dir=tmp_path / "data", cache_dir=tmp_path / "cache", download=True)
    assert server.requests == [path]
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    assert f"sha256 {digest}" in caplog.text and "not verified" in caplog.text
    pd.testing.assert_frame_equal(data.events, head.events)
    pd.testing.assert_frame_equal(data.items, head.items)


def test_corrupt_download_says_to_download_again(mtg, monkeypatch, tmp_path):
    server, _ = mtg
    path = _serve(monkeypatch, server, "broken.tar.gz")
    with pytest.raises(DataError) as err:
        load(NAME, data_dir=tmp_path, cache_dir=tmp_path / "cache", download=True)
    assert server.requests == [path]
    message = str(err.value)
    assert "cannot read the archive" in message and f"download {lastfm.ARCHIVE} again" in message


# ---------------------------------------------------------------- status, registry, command line


def test_status_registry_and_missing_files(lastfm_dir, tmp_path):
    assert status(NAME, lastfm_dir) == ("present", str(lastfm_dir / NAME))
    spec = REGISTRY[NAME]
    assert spec.url == lastfm.URL == "http://mtg.upf.edu/static/datasets/last.fm/lastfm-dataset-1K.tar.gz"
    assert spec.feature_structure == "none" and not spec.checksum_pinned
    # the profile file alone is not the dataset
    (tmp_path / NAME).mkdir()
    (tmp_path / NAME / PROFILE).write_text("#id\tgender\tage\tcountry\tregistered\n", encoding="utf-8")
    assert status(NAME, tmp_path) == ("downloadable", lastfm.URL)
    with pytest.raises(DatasetNotFoundError) as err:
        load(NAME, data_dir=tmp_path)
    message = str(err.value)
    for part in (f"Dataset '{NAME}' is not present", f"expected {PLAYS}, or the archive {lastfm.ARCHIVE}",
                 str(tmp_path / NAME), "download=True", "not verified"):
        assert part in message, message
    assert message == not_present_message(NAME, tmp_path)


def test_cli_lists_and_describes(head, lastfm_dir, cache_dir):
    env = {**os.environ, "SEQREC_CACHE_DIR": str(cache_dir), "TF_CPP_MIN_LOG_LEVEL": "2"}

    def cli(*args):
        return subprocess.run([sys.executable, "-m", "seqrec.datasets", "--data-dir", str(lastfm_dir), *args],
                              capture_output=True, text=True, env=env, timeout=300, check=False)

    listed = cli("list")
    assert listed.returncode == 0, listed.stderr
    rows = {line.split()[0]: line.split()[1:] for line in listed.stdout.splitlines()[2:]}
    assert rows[NAME] == ["present", str(lastfm_dir / NAME)]
    described = cli("describe", NAME)  # the head fixture prepared the records in this cache
    assert described.returncode == 0, described.stderr
    fields = dict(p for p in (line.split(None, 1) for line in described.stdout.splitlines()) if len(p) == 2)
    assert (fields["users"], fields["items"], fields["interactions"]) == ("2", "1192", "5000")
    assert fields["first"] == "2008-12-08T06:04:00+00:00" and fields["last"] == "2009-05-04T23:08:57+00:00"


# ---------------------------------------------------------------- bad input (tiny copies)

TINY = ("user_000001\t2009-05-04T23:08:57Z\tf1b1cf71-bd35-4e99-8624-24a6e15f133a\tDeep Dish\t\t"
        "Fuck Me Im Famous\n"
        "user_000001\t2009-05-04T13:54:10Z\t\tJohnny \"Hammond\" Smith\t"
        "9383afaa-4f15-4871-8a33-553ba8dd5560\tTell Me What To Do\n"
        "user_000002\t2008-12-08T06:11:16Z\t4342cf80-7c06-4402-a431-457e77310474\tHoly Fuck\t\tMilkshake\n")
BROKEN = {
    "too few fields": (TINY.replace("\t\tFuck Me Im Famous", ""),
                       ["line 1 has 4 TAB-separated fields, expected 6", "user_id, timestamp, artist_mbid",
                        "Fix or remove that line"]),
    "empty track name": (TINY.replace("\tMilkshake\n", "\t \n"),
                         ["column 'track_name' (the 6th)", "1 empty value(s)", "first at line 3",
                          "Every play needs a track name"]),
    "bad timestamp": (TINY.replace("2009-05-04T13:54:10Z", "2009-05-04 13:54:10"),
                      ["column 'timestamp'", "unparsable", "line 2: '2009-05-04 13:54:10'",
                       "'%Y-%m-%dT%H:%M:%SZ'"]),
    "impossible date": (TINY.replace("2008-12-08T06:11:16Z", "2008-12-32T06:11:16Z"),
                        ["column 'timestamp'", "line 3: '2008-12-32T06:11:16Z'"]),
    "empty timestamp": (TINY.replace("2009-05-04T13:54:10Z", ""), ["column 'timestamp'", "line 2: ''"]),
    "empty user": (TINY.replace("user_000002", ""), ["column 'user_id'", "empty", "line 3"]),
    "extra field": (TINY.replace("\tMilkshake", "\tMilkshake\textra"),
                    ["malformed line", "line 3", "same number of"]),
    "extra field on the first line": (TINY.replace("Famous\n", "Famous\textra\n"),
                                      ["line 1 has more '\\t'-separated fields than the 6 expected"]),
    "empty file": ("", ["the file is empty"]),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_bad_input_names_file_line_and_field(tmp_path, case):
    content, parts = BROKEN[case]
    assert_refused(tmp_path, NAME, {PLAYS: content}, PLAYS, parts)


def test_tiny_copy_loads(tmp_path):
    """The unbroken tiny copy used above loads, so each failure above is due to its one defect."""
    folder = tmp_path / NAME
    folder.mkdir()
    (folder / PLAYS).write_text(TINY, encoding="utf-8")
    data = load(NAME, data_dir=tmp_path, cache_dir=tmp_path / "cache")
    assert (len(data), data.n_users, data.n_items) == (3, 2, 3)
    assert list(data.events["timestamp"]) == [unix("2009-05-04T13:54:10Z"), unix("2009-05-04T23:08:57Z"),
                                              unix("2008-12-08T06:11:16Z")]
    assert data.items.loc['Johnny "Hammond" Smith\tTell Me What To Do', "artist_mbid"] == ""
