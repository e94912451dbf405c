"""Tianchi mobile through `seqrec.datasets.load`: the real 1,999-behaviour sample and its item file
against the MANIFEST (hours read as UTC+8 and stored in UTC, behaviour counts logged, items only in the
item file added without events, categories as flat features), the rules on hand-written files, status
and the command line, and bad input (each error names the file, the line and the field)."""

import logging
import os
import subprocess
import sys

import pandas as pd
import pytest
from dataset_checks import assert_refused

from seqrec.datasets import REGISTRY, DatasetNotFoundError, load, status, tianchi
from seqrec.datasets.features import encode_item_features
from seqrec.datasets.registry import not_present_message
from seqrec.datasets.sequences import Vocabulary

UTC = "UTC"
NAME = "tianchi-mobile"
USER_FILE, ITEM_FILE = "tianchi_mobile_recommend_train_user.csv", "tianchi_mobile_recommend_train_item.csv"
SAMPLE_USER_FILE, SAMPLE_ITEM_FILE = "sample_user_behavior.csv", "sample_item_info.csv"


def unix(text: str) -> int:
    return int(pd.Timestamp(text, tz=UTC).timestamp())


@pytest.fixture(scope="module")
def sample(data_dir):
    return load(NAME, data_dir=data_dir)


# ---------------------------------------------------------------- the real sample


def test_sample_counts_match_manifest(sample):
    events = sample.events
    assert len(sample) == 1_999
    assert sample.n_users == 34
    assert sample.n_items == 1_689
    # 2014-11-18 10 - 2014-12-18 23 as written (China Standard Time, UTC+8), stored in UTC
    assert events["timestamp"].min() == unix("2014-11-18 02:00")
    assert events["timestamp"].max() == unix("2014-12-18 15:00")
    last = events[events["timestamp"] == events["timestamp"].max()]
    assert list(zip(last["user"], last["item"], strict=True)) == [("100684618", "322461167")]
    # line 2: 98047837,232431562,1,,4245,2014-12-06 02
    row = events[(events["user"] == "98047837") & (events["item"] == "232431562")]
    assert list(row["timestamp"]) == [unix("2014-12-05 18:00")] and list(row["rating"]) == [1.0]
    assert (events["rating"] == 1.0).all()  # every behaviour, whatever its type
    assert (events["timestamp"] % 3600 == 0).all()


def test_sample_item_features(sample):
    items = sample.items
    assert sample.feature_structure == "flat"
    # 1,689 items with behaviours and 1,834 only in the item file (1,836 listed, 2 of them with behaviours)
    assert len(items) == 1_689 + 1_834
    assert (items["features"].map(len) == 1).all() and (items["title"] == "").all()
    assert items.loc["232431562", "features"] == ("4245",)  # from the user file
    assert items.loc["322461167", "features"] == ("8888",)
    assert items.loc["312051294", "features"] == ("8270",)  # line 2 of the item file: no behaviours
    assert "312051294" not in set(sample.events["item"])
    assert items.loc["25867604", "features"] == ("7995",)  # in both files, the same category
    vocab = Vocabulary.fit(sample.events["item"])
    encoded = encode_item_features(items, vocab, "flat")
    assert encoded.matrix[1:].sum(axis=1).tolist() == [1.0] * 1_689
    # only the categories of the vocabulary's items: not 10544 of 385731330, only in the item file
    assert "4245" in set(encoded.names) and "10544" not in set(encoded.names)
    assert sample.items.loc["385731330", "features"] == ("10544",)


def test_sample_counts_are_logged(data_dir, shared_data, tmp_path, caplog):
    raw = pd.read_csv(shared_data / NAME / SAMPLE_USER_FILE, dtype=str, keep_default_na=False)
    repeats = int(raw.duplicated(["user_id", "item_id", "behavior_type", "time"]).sum())
    with caplog.at_level(logging.INFO, logger="seqrec.datasets.tianchi"):
        load(NAME, data_dir=data_dir, cache_dir=tmp_path / "cache")  # a fresh cache: prepared again
    assert (f"{data_dir / NAME / SAMPLE_USER_FILE}: 1999 behaviours (1876 click, 18 collect, 70 cart, "
            f"35 buy) of 34 users on 1689 items; {repeats} repeat an earlier behaviour") in caplog.text
    assert repeats > 0
    assert (f"{data_dir / NAME / SAMPLE_ITEM_FILE}: 1836 items (2 of them with behaviours); 1834 items only "
            "in this file are added without events") in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


# ---------------------------------------------------------------- the rules (hand-written files)

USERS = """\
item_id,user_id,behavior_type,user_geohash,item_category,time
10,1,1,,500,2014-12-18 23
10,2,4,95q4nn,500,2014-11-18 00
11,1,2,,600,2014-12-01 08
11,2,1,,601,2014-11-30 12
12,3,3,,700,2014-12-10 10
12,3,3,,700,2014-12-10 10
"""
ITEMS = """\
item_id,item_geohash,item_category
12,,999
13,94eafwr,800
13,94eafi9,801
14,,900
"""


@pytest.fixture(scope="module")
def hand_written(tmp_path_factory):
    root = tmp_path_factory.mktemp("tianchi")
    (root / NAME).mkdir()
    (root / NAME / USER_FILE).write_text(USERS, encoding="utf-8")
    (root / NAME / ITEM_FILE).write_text(ITEMS, encoding="utf-8")
    return load(NAME, data_dir=root)


def test_hours_are_converted_from_china_time_to_utc(hand_written):
    events = hand_written.events.set_index(["user", "item"])["timestamp"]
    assert events[("1", "10")] == unix("2014-12-18 15:00")  # "2014-12-18 23" in UTC+8
    assert events[("2", "10")] == unix("2014-11-17 16:00")  # the day before in UTC
    assert events[("1", "11")] == unix("2014-12-01 00:00")
    as_written = pd.Timestamp(events[("1", "10")] + tianchi.UTC_OFFSET, unit="s")
    assert as_written == pd.Timestamp("2014-12-18 23:00")


def test_behaviours_are_events_and_items_get_categories(hand_written):
    data = hand_written
    assert (len(data), data.n_users, data.n_items) == (6, 3, 3)  # the repeated cart is kept
    assert (data.events["rating"] == 1.0).all()
    features = data.items["features"].to_dict()
    assert features == {
        "10": ("500",),
        "11": ("601",),  # two categories: that of its first behaviour in time (not in the file)
        "12": ("700",),  # the user file wins over the item file's 999
        "13": ("800",),  # only in the item file, twice: its first line; no events
        "14": ("900",),
    }
    assert set(data.events["item"]) == {"10", "11", "12"}


def test_category_conflicts_are_logged(tmp_path, caplog):
    (tmp_path / NAME).mkdir()
    (tmp_path / NAME / USER_FILE).write_text(USERS, encoding="utf-8")
    (tmp_path / NAME / ITEM_FILE).write_text(ITEMS, encoding="utf-8")
    with caplog.at_level(logging.INFO, logger="seqrec.datasets.tianchi"):
        load(NAME, data_dir=tmp_path, cache_dir=tmp_path / "cache")
    text = caplog.text
    assert "1 item(s) appear with several item_category values; each keeps the category of its first" in text
    assert f"{tmp_path / NAME / ITEM_FILE}: 1 item(s) listed with several item_category values" in text
    assert "1 item(s) have another item_category than in the user file; the user file's is kept" in text
    assert "6 behaviours (2 click, 1 collect, 2 cart, 1 buy) of 3 users on 3 items; 1 repeat" in text
    assert "3 items (1 of them with behaviours); 2 items only in this file are added without events" in text


def test_without_item_file(tmp_path):
    (tmp_path / NAME).mkdir()
    (tmp_path / NAME / USER_FILE).write_text(USERS, encoding="utf-8")
    data = load(NAME, data_dir=tmp_path, cache_dir=tmp_path / "cache")
    assert data.items["features"].to_dict() == {"10": ("500",), "11": ("601",), "12": ("700",)}


def test_competition_names_win_over_sample_names(tmp_path, caplog):
    folder = tmp_path / NAME
    folder.mkdir()
    (folder / USER_FILE).write_text(USERS, encoding="utf-8")
    (folder / SAMPLE_USER_FILE).write_text(USERS.replace(",500,", ",501,"), encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="seqrec.datasets.tianchi"):
        data = load(NAME, data_dir=tmp_path, cache_dir=tmp_path / "cache")
    assert f"both {USER_FILE} and {SAMPLE_USER_FILE} are present; reading {USER_FILE}" in caplog.text
    assert data.items.loc["10", "features"] == ("500",)
    assert tianchi.find_files(folder) == (folder / USER_FILE, None)


# ---------------------------------------------------------------- status, registry, command line


def test_status_registry_and_missing_files(data_dir, tmp_path):
    assert status(NAME, data_dir) == ("present", str(data_dir / NAME))
    spec = REGISTRY[NAME]
    assert spec.url is None and spec.feature_structure == "flat"
    # the item file alone is not the dataset
    (tmp_path / NAME).mkdir()
    (tmp_path / NAME / ITEM_FILE).write_text(ITEMS, encoding="utf-8")
    assert status(NAME, tmp_path) == ("missing", str(tmp_path / NAME))
    with pytest.raises(DatasetNotFoundError) as err:
        load(NAME, data_dir=tmp_path)
    message = str(err.value)
    for part in (f"Dataset '{NAME}' is not present", f"expected {USER_FILE} (or {SAMPLE_USER_FILE})",
                 f"{ITEM_FILE} (optional; or {SAMPLE_ITEM_FILE})", str(tmp_path / NAME), "no download",
                 tianchi.HOMEPAGE):
        assert part in message, message
    assert message == not_present_message(NAME, tmp_path)
    with pytest.raises(DatasetNotFoundError, match=f"needs {USER_FILE} \\(or {SAMPLE_USER_FILE}\\)"):
        tianchi.find_files(tmp_path / NAME)


def test_cli_describes_the_sample(sample, data_dir, cache_dir):
    # the sample fixture prepared the records in this cache
    result = subprocess.run(
        [sys.executable, "-m", "seqrec.datasets", "describe", NAME, "--data-dir", str(data_dir)],
        capture_output=True, text=True, timeout=300, check=False,
        env={**os.environ, "SEQREC_CACHE_DIR": str(cache_dir), "TF_CPP_MIN_LOG_LEVEL": "2"})
    assert result.returncode == 0, result.stderr
    fields = dict(p for p in (line.split(None, 1) for line in result.stdout.splitlines()) if len(p) == 2)
    assert (fields["users"], fields["items"], fields["interactions"]) == ("34", "1689", "1999")
    assert fields["first"] == "2014-11-18T02:00:00+00:00" and fields["last"] == "2014-12-18T15:00:00+00:00"
    assert fields["items_with_features"] == "3523" and fields["feature_structure"] == "flat"


# ---------------------------------------------------------------- bad input (tiny copies)

HEADER = "user_id,item_id,behavior_type,user_geohash,item_category,time\n"
TINY = (HEADER + "98047837,232431562,1,,4245,2014-12-06 02\n"
        "97726136,383583590,3,9rvrh1,5894,2014-12-09 20\n"
        "98607707,64749712,4,,2883,2014-12-18 11\n")
TINY_ITEMS = "item_id,item_geohash,item_category\n312051294,,8270\n99999754,,7393\n"
BROKEN = {
    "missing time column": (
        {USER_FILE: TINY.replace(",time\n", ",hour\n")}, USER_FILE,
        ["line 1, the header, lacks column(s) ['time']", "'hour'", HEADER.strip()]),
    "no header line": (
        {USER_FILE: TINY.removeprefix(HEADER)}, USER_FILE,
        ["line 1, the header, lacks column(s) ['user_id', 'item_id', 'behavior_type', 'item_category', "
         "'time']", "must start with the competition's header line"]),
    "unknown behaviour": (
        {USER_FILE: TINY.replace(",3,9rvrh1,", ",5,9rvrh1,")}, USER_FILE,
        ["column 'behavior_type'", "line 3: '5'", "Expected 1 (click), 2 (collect), 3 (cart) or 4 (buy)"]),
    "time with slashes": (
        {USER_FILE: TINY.replace("2014-12-18 11", "2014/12/18 11")}, USER_FILE,
        ["column 'time'", "unparsable", "line 4: '2014/12/18 11'", "'%Y-%m-%d %H'"]),
    "time with minutes": (
        {USER_FILE: TINY.replace("2014-12-09 20", "2014-12-09 20:15")}, USER_FILE,
        ["column 'time'", "line 3: '2014-12-09 20:15'"]),
    "non-integer user": (
        {USER_FILE: TINY.replace("98607707", "u98607707")}, USER_FILE,
        ["column 'user_id'", "non-integer", "line 4: 'u98607707'"]),
    "empty category": (
        {USER_FILE: TINY.replace(",5894,", ",,")}, USER_FILE, ["column 'item_category'", "empty", "line 3"]),
    "extra field on the first line": (  # pandas alone would shift every column silently
        {USER_FILE: TINY.replace("2014-12-06 02", "2014-12-06 02,extra")}, USER_FILE,
        ["line 2 has more ','-separated fields than the 6 expected", "2014-12-06 02,extra"]),
    "extra field on a later line": (
        {USER_FILE: TINY.replace("2014-12-09 20", "2014-12-09 20,extra")}, USER_FILE,
        ["malformed line", "line 3", "same number of"]),
    "a comma at the end of every line": (
        {USER_FILE: TINY.replace("\n", ",\n").replace(",time,", ",time")}, USER_FILE,
        ["line 2 has more ','-separated fields than the 6 expected", "a ',' at the end of a line"]),
    "header only": ({USER_FILE: HEADER}, USER_FILE, ["has a header but no data rows"]),
    "item file without category": (
        {USER_FILE: TINY, ITEM_FILE: TINY_ITEMS.replace(",item_category", ",category")}, ITEM_FILE,
        ["line 1, the header, lacks column(s) ['item_category']", "item_id,item_geohash,item_category"]),
    "item file bad item id": (
        {USER_FILE: TINY, ITEM_FILE: TINY_ITEMS.replace("99999754", "9999-9754")}, ITEM_FILE,
        ["column 'item_id'", "non-integer", "line 3: '9999-9754'"]),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_bad_input_names_file_line_and_field(tmp_path, case):
    files, culprit, parts = BROKEN[case]
    assert_refused(tmp_path, NAME, files, culprit, parts)


def test_tiny_copies_load(tmp_path):
    """The unbroken tiny copies used above load, so each failure above is due to its one defect."""
    folder = tmp_path / NAME
    folder.mkdir()
    (folder / USER_FILE).write_text(TINY, encoding="utf-8")
    (folder / ITEM_FILE).write_text(TINY_ITEMS, encoding="utf-8")
    data = load(NAME, data_dir=tmp_path, cache_dir=tmp_path / "cache")
    assert (len(data), data.n_users, data.n_items, len(data.items)) == (3, 3, 3, 5)
    assert sorted(data.events["timestamp"]) == [unix("2014-12-05 18:00"), unix("2014-12-09 12:00"),
                                                unix("2014-12-18 03:00")]
