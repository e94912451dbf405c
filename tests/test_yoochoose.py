"""YOOCHOOSE clicks through `seqrec.datasets.load`: the real 500-click sample against its MANIFEST
(sessions as users, timestamps floored to seconds, no known category and a warning), the category rule
on a hand-written file, MTAM's quarter of the users, status and the command line, and bad input (each
error names the file, the line and the field)."""

import logging
import os
import subprocess
import sys

import pandas as pd
import pytest
from dataset_checks import assert_refused

from seqrec.datasets import REGISTRY, DataError, DatasetNotFoundError, load, protocols, status, yoochoose
from seqrec.datasets.features import encode_item_features
from seqrec.datasets.registry import not_present_message
from seqrec.datasets.sequences import Vocabulary

UTC = "UTC"
NAME = "yoochoose-clicks"
SAMPLE = "yoochoose-clicks-sample.dat"


def unix(iso: str) -> int:
    return int(pd.Timestamp(iso).timestamp())


@pytest.fixture(scope="module")
def sample(data_dir):
    return load(NAME, data_dir=data_dir)


# ---------------------------------------------------------------- the real sample


def test_sample_counts_match_manifest(sample):
    events = sample.events
    assert len(sample) == 500
    assert sample.n_users == 125  # the sessions
    assert sample.n_items == 314
    # 2014-04-01T05:26:12.539Z - 2014-04-07T18:33:23.598Z, milliseconds floored
    assert events["timestamp"].min() == unix("2014-04-01T05:26:12Z")
    assert events["timestamp"].max() == unix("2014-04-07T18:33:23Z")
    first = events[events["timestamp"] == events["timestamp"].min()]
    assert list(zip(first["user"], first["item"], strict=True)) == [("18", "214577732")]
    last = events[events["timestamp"] == events["timestamp"].max()]
    assert list(zip(last["user"], last["item"], strict=True)) == [("104", "214703790")]
    # line 1: 1,2014-04-07T10:51:09.277Z,214536502,0
    row = events[(events["user"] == "1") & (events["item"] == "214536502")]
    assert list(row["timestamp"]) == [unix("2014-04-07T10:51:09Z")] and list(row["rating"]) == [1.0]
    assert (events["rating"] == 1.0).all()
    # every category of the sample is 0 (unknown): no item has a feature
    assert sample.feature_structure == "flat"
    assert len(sample.items) == 314 and (sample.items["features"].map(len) == 0).all()
    assert sample.summary()["items_with_features"] == 0


def test_sessions_are_the_users(sample, shared_data):
    raw = pd.read_csv(shared_data / "yoochoose" / SAMPLE, header=None, dtype=str,
                      names=["session", "time", "item", "category"])
    assert set(sample.events["user"]) == set(raw["session"])
    assert sample.events.groupby("user").size().to_dict() == raw.groupby("session").size().to_dict()
    # session 1: its clicks in time order
    session = sample.events[sample.events["user"] == "1"]
    expected = raw[raw["session"] == "1"].assign(
        t=lambda f: (pd.to_datetime(f["time"]) - pd.Timestamp(0, tz=UTC)) // pd.Timedelta(seconds=1)
    ).sort_values(["t", "item"])
    assert list(session["item"]) == list(expected["item"])
    assert list(session["timestamp"]) == list(expected["t"])


def test_sample_without_categories_warns(data_dir, tmp_path, caplog):
    with caplog.at_level(logging.INFO, logger="seqrec.datasets.yoochoose"):
        load(NAME, data_dir=data_dir, cache_dir=tmp_path / "cache")  # a fresh cache: prepared again
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == ["no click has a known category (every category is 0): the items have no features"]
    assert f"{data_dir / NAME / SAMPLE}: 500 clicks, 125 sessions, 314 items" in caplog.text
    assert "0 of 314 items have a known category" in caplog.text


def test_a_quarter_of_the_sessions(sample):
    """MTAM (section 6.1) "randomly sample[s] 1/4 users" of Yoochoose: `protocols.subsample_users` keeps
    whole sessions."""
    events = sample.events
    quarter = protocols.subsample_users(events, 0.25, seed=0)
    assert quarter["user"].nunique() == round(125 / 4)
    sizes = events.groupby("user").size()
    assert quarter.groupby("user").size().to_dict() == sizes[quarter["user"].unique()].to_dict()
    assert quarter.equals(protocols.subsample_users(events, 0.25, seed=0))


# ---------------------------------------------------------------- the category rule (hand-written)

CLICKS = """\
1,2014-04-07T10:51:09.277Z,100,0
1,2014-04-07T10:51:09.999Z,200,0
1,2014-04-07T10:52:00.000Z,100,S
2,2014-04-02T08:00:00.500Z,200,3
2,2014-04-02T08:00:01Z,300,2053947352
3,2014-04-08T12:00:00.000Z,200,12
3,2014-04-08T12:00:00.123Z,300,S
3,2014-04-08T12:00:00.456Z,400,0
4,2014-04-01T00:00:00.000Z,500,0
4,2014-04-01T00:00:05.000Z,500,1
5,2014-04-03T09:00:00.900Z,600,7
6,2014-04-03T09:00:00.100Z,600,8
7,2014-04-05T10:00:00.000Z,700,5
8,2014-04-04T10:00:00.000Z,700,6
"""
EXPECTED_FEATURES = {
    "100": ("S",),  # a 0 click first, then S: the first non-zero
    "200": ("3",),  # session 2's click is the earliest in time though later in the file; 12 comes after
    "300": ("2053947352",),  # a brand id, kept as written
    "400": (),  # only ever 0: no feature
    "500": ("1",),
    "600": ("7",),  # both clicks in the same second once floored: the first in the file
    "700": ("6",),  # the first in time, not in the file
}


@pytest.fixture(scope="module")
def hand_written(tmp_path_factory):
    root = tmp_path_factory.mktemp("yoochoose")
    (root / NAME).mkdir()
    (root / NAME / "yoochoose-clicks.dat").write_text(CLICKS, encoding="utf-8")
    return load(NAME, data_dir=root)


def test_category_rule(hand_written):
    items = hand_written.items
    assert {item: items.loc[item, "features"] for item in EXPECTED_FEATURES} == EXPECTED_FEATURES
    assert hand_written.summary()["items_with_features"] == 6
    vocab = Vocabulary.fit(hand_written.events["item"])
    encoded = encode_item_features(items, vocab, "flat")
    # S, the category 3 and the brand stay distinct features of the flat vocabulary
    assert list(encoded.names) == ["<none>", "1", "2053947352", "3", "6", "7", "S"]
    assert encoded.matrix[vocab.encode(["400"])[0]].sum() == 0


def test_timestamps_floored_and_sessions_ordered(hand_written):
    events = hand_written.events
    session = events[events["user"] == "1"]
    # 10:51:09.277 and 10:51:09.999 are the same second; the tie goes to the item id
    assert list(session["item"]) == ["100", "200", "100"]
    assert list(session["timestamp"]) == [unix("2014-04-07T10:51:09Z")] * 2 + [unix("2014-04-07T10:52:00Z")]
    assert events[events["user"] == "2"]["timestamp"].tolist() == [unix("2014-04-02T08:00:00Z"),
                                                                  unix("2014-04-02T08:00:01Z")]
    assert (len(hand_written), hand_written.n_users, hand_written.n_items) == (14, 8, 7)
    assert (events["rating"] == 1.0).all()


def test_item_categories_function():
    clicks = pd.DataFrame({"user": ["1", "1", "2"], "item": ["9", "9", "8"], "rating": 1.0,
                           "timestamp": [5, 5, 1], "category": ["0", "4", "0"]})
    items = yoochoose.item_categories(clicks)
    assert items["features"].to_dict() == {"9": ("4",)} and (items["title"] == "").all()


# ---------------------------------------------------------------- files, status, command line


def test_which_file_is_read(tmp_path):
    folder = tmp_path / NAME
    folder.mkdir()
    (folder / "yoochoose-buys.dat").write_text("1,2014-04-07T10:51:09.277Z,100,0,1\n")
    assert status(NAME, tmp_path) == ("missing", str(folder))  # the buys are not the clicks
    nested = folder / "yoochoose-data"
    nested.mkdir()
    (nested / "yoochoose-clicks-a.dat").write_text(CLICKS)
    assert status(NAME, tmp_path) == ("present", str(folder))  # one folder down
    assert yoochoose.find_clicks(folder) == nested / "yoochoose-clicks-a.dat"
    (folder / "yoochoose-clicks-b.dat").write_text(CLICKS)
    with pytest.raises(DataError, match=r"several clicks files .*yoochoose-clicks-a\.dat.* and no "
                                        r"yoochoose-clicks\.dat"):
        load(NAME, data_dir=tmp_path, cache_dir=tmp_path / "cache")
    (folder / "yoochoose-clicks.dat").write_text(CLICKS.splitlines(keepends=True)[0])
    assert yoochoose.find_clicks(folder) == folder / "yoochoose-clicks.dat"  # the original name wins
    assert len(load(NAME, data_dir=tmp_path, cache_dir=tmp_path / "cache")) == 1


def test_status_registry_and_missing_files(data_dir, tmp_path):
    assert status(NAME, data_dir) == ("present", str(data_dir / NAME))
    spec = REGISTRY[NAME]
    assert spec.url is None and spec.feature_structure == "flat"
    assert status(NAME, tmp_path) == ("missing", str(tmp_path / NAME))
    with pytest.raises(DatasetNotFoundError) as err:
        load(NAME, data_dir=tmp_path)
    message = str(err.value)
    for part in (f"Dataset '{NAME}' is not present", "expected yoochoose-clicks.dat (or one "
                 "yoochoose-clicks*.dat)", str(tmp_path / NAME), "no download", "yoochoose-data.7z"):
        assert part in message, message
    assert message == not_present_message(NAME, tmp_path)
    with pytest.raises(DatasetNotFoundError, match=r"needs yoochoose-clicks\.dat"):
        yoochoose.find_clicks(tmp_path)


def _cli(*args, cache_dir) -> subprocess.CompletedProcess:
    env = {**os.environ, "SEQREC_CACHE_DIR": str(cache_dir), "TF_CPP_MIN_LOG_LEVEL": "2"}
    return subprocess.run([sys.executable, "-m", "seqrec.datasets", *args], capture_output=True,
                          text=True, env=env, timeout=300, check=False)


def test_cli_lists_and_describes(sample, data_dir, cache_dir, tmp_path):
    listed = _cli("--data-dir", str(data_dir), cache_dir=cache_dir)
    assert listed.returncode == 0, listed.stderr
    rows = {line.split()[0]: line.split()[1:] for line in listed.stdout.splitlines()[2:]}
    assert rows[NAME] == ["present", str(data_dir / NAME)]
    assert rows["tianchi-mobile"] == ["present", str(data_dir / "tianchi-mobile")]
    empty = _cli("--data-dir", str(tmp_path), "list", cache_dir=cache_dir)
    rows = {line.split()[0]: line.split()[1:] for line in empty.stdout.splitlines()[2:]}
    assert rows[NAME] == ["missing", str(tmp_path / NAME)]
    assert rows["tianchi-mobile"] == ["missing", str(tmp_path / "tianchi-mobile")]
    # the sample fixture prepared the records in this cache
    described = _cli("describe", NAME, "--data-dir", str(data_dir), cache_dir=cache_dir)
    assert described.returncode == 0, described.stderr
    fields = dict(p for p in (line.split(None, 1) for line in described.stdout.splitlines()) if len(p) == 2)
    assert (fields["users"], fields["items"], fields["interactions"]) == ("125", "314", "500")
    assert fields["first"] == "2014-04-01T05:26:12+00:00" and fields["last"] == "2014-04-07T18:33:23+00:00"
    absent = _cli("describe", NAME, "--data-dir", str(tmp_path), cache_dir=cache_dir)
    assert absent.returncode == 2 and f"Dataset '{NAME}' is not present" in absent.stderr


# ---------------------------------------------------------------- bad input (tiny copies)

TINY = ("1,2014-04-07T10:51:09.277Z,214536502,0\n"
        "1,2014-04-07T10:54:09.868Z,214536500,S\n"
        "2,2014-04-07T13:56:37.614Z,214662742,1\n")
BROKEN = {
    "letters for a category": (
        TINY.replace(",S\n", ",Sale\n"),
        ["column 'category' (the 4th)", "line 2: 'Sale'", "Expected S (special offer)"]),
    "missing category field": (
        TINY.replace(",1\n", "\n"),
        ["column 'category' (the 4th)", "line 3: ''", "session_id,timestamp,item_id,category"]),
    "bad timestamp": (TINY.replace("2014-04-07T10:54:09.868Z", "2014-04-31T10:54:09.868Z"),
                      ["column 'time'", "line 2: '2014-04-31T10:54:09.868Z'", "unparsable"]),
    "non-integer item": (TINY.replace("214662742", "P214662742"),
                         ["column 'item'", "non-integer", "line 3: 'P214662742'"]),
    "empty session": (TINY.replace("2,2014", ",2014"), ["column 'session'", "empty", "line 3"]),
    "too many fields": (TINY.replace(",S\n", ",S,1\n"), ["malformed line", "line 2", "same number of"]),
    "extra field on the first line": (  # pandas alone would shift every column silently
        TINY.replace(",0\n", ",0,1\n"),
        ["line 1 has more ','-separated fields than the 4 expected", "Fix or remove that line"]),
    "header line with five columns": (
        "session_id,timestamp,item_id,category,price\n" + TINY.replace("\n", ",0\n"),
        ["line 1, a header line, names 5 columns", "expected 4: session_id,timestamp,item_id,category"]),
    "bad value after a header line": (
        "session_id,timestamp,item_id,category\n" + TINY.replace("214662742", "P214662742"),
        ["column 'item'", "non-integer", "line 4: 'P214662742'"]),
    "empty file": ("", ["the file is empty"]),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_bad_input_names_file_line_and_field(tmp_path, case):
    content, parts = BROKEN[case]
    assert_refused(tmp_path, NAME, {"yoochoose-clicks.dat": content}, "yoochoose-clicks.dat", parts)


@pytest.mark.parametrize("header", ["", "session_id,timestamp,item_id,category\n",
                                    "\ufeffSession ID,Timestamp,Item ID,Category\n"])
def test_tiny_copy_loads(tmp_path, header):
    """The unbroken tiny copy used above loads, so each failure above is due to its one defect; a header
    line, as some copies add, is skipped."""
    folder = tmp_path / NAME
    folder.mkdir()
    (folder / "yoochoose-clicks.dat").write_text(header + TINY, encoding="utf-8")
    data = load(NAME, data_dir=tmp_path, cache_dir=tmp_path / "cache")
    assert (len(data), data.n_users, data.n_items) == (3, 2, 3)
    assert data.items["features"].to_dict() == {"214536500": ("S",), "214536502": (), "214662742": ("1",)}

