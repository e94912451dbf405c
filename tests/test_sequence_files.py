"""The one-line-per-user builder (`seqrec.datasets.sequence_files`) and the ReChorus builder
(`seqrec.datasets.rechorus`): events and times as written, untimed logs marked, clear errors on bad lines,
and DMRAN's real Amazon stand-ins read through `load`."""

import numpy as np
import pytest

from seqrec.datasets import load
from seqrec.datasets.errors import DataError
from seqrec.datasets.rechorus import read_categories
from seqrec.datasets.rechorus import read_events as rechorus_events
from seqrec.datasets.sequence_files import read_events


def write(folder, name, text):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text)
    return folder / name


def test_items_and_times(tmp_path):
    items = write(tmp_path, "X_item.txt", "7 3 1 2\n9 4 3\n")
    times = write(tmp_path, "X_time.txt", "7 100 100 200\n9 50 60\n")
    events = read_events(items, times)
    assert events["user"].tolist() == ["7", "7", "7", "9", "9"]
    assert events["item"].tolist() == ["3", "1", "2", "4", "3"]
    assert events["timestamp"].tolist() == [100, 100, 200, 50, 60]
    assert (events["rating"] == 1.0).all()
    untimed = read_events(items, None)
    assert untimed["timestamp"].tolist() == [0, 1, 2, 0, 1]  # positions keep the order


def test_untimed_dataset_through_load(tmp_path):
    write(tmp_path / "amazon-2014-clothing-5core-sequences", "Clothing.txt", "1 5 6 7\n2 6 8\n")
    log = load("amazon-2014-clothing-5core-sequences", data_dir=tmp_path, cache_dir=tmp_path / "cache")
    assert not log.timed and log.summary()["timed"].startswith("no")
    assert log.events.groupby("user")["item"].apply(list).to_dict() == {"1": ["5", "6", "7"], "2": ["6", "8"]}


@pytest.mark.parametrize(("item_text", "time_text", "message"), [
    ("1 5 6\n2\n", None, r"X_item.txt: line 2 holds the user '2' and no event"),
    ("1 5 6\n1 7\n", None, r"user '1' has two lines \(1 and 2\)"),
    ("1 5 6\n2 7\n", "1 10 20\n", r"X_time.txt: 1 lines, but .* has 2"),
    ("1 5 6\n2 7\n", "1 10 20\n2 5 6\n", r"X_time.txt: line 2 is user '2' with 2 times, but line 2 of"),
    ("1 5 6\n2 7\n", "1 20 10\n2 5\n", r"line 1 \(user '1'\) has decreasing times"),
    ("1 5 6\n2 7\n", "1 10 x\n2 5\n", r"line 1 has a time that is not a whole number"),
    ("\n\n", None, r"holds no line"),
])
def test_bad_lines_name_the_file_and_line(tmp_path, item_text, time_text, message):
    items = write(tmp_path, "X_item.txt", item_text)
    times = write(tmp_path, "X_time.txt", time_text) if time_text is not None else None
    with pytest.raises(DataError, match=message):
        read_events(items, times)


def test_rechorus_events_and_categories(tmp_path):
    write(tmp_path, "train.csv", "user_id\titem_id\ttime\n1\t10\t86400\n1\t11\t172800\n2\t10\t86400\n")
    write(tmp_path, "test.csv", "user_id\titem_id\ttime\tneg_items\n1\t12\t259200\t[3, 4]\n")
    meta = write(tmp_path, "item_meta.csv", "item_id\ti_category\tr_complement\n10\t0\t[]\n11\t3\t[10]\n")
    events = rechorus_events(tmp_path)
    assert len(events) == 4 and events["timestamp"].tolist() == [86400, 172800, 86400, 259200]
    items = read_categories(meta)
    assert items.loc["11", "features"] == ("c3",)
    write(tmp_path, "train.csv", "user\titem_id\ttime\n1\t10\t86400\n")
    with pytest.raises(DataError, match=r"train.csv: line 1, the header, lacks column\(s\) \['user_id'\]"):
        rechorus_events(tmp_path)


def _count(path):
    """Users, distinct items and events of a one-line-per-user file, counted here independently."""
    lines = [line.split() for line in path.read_text().splitlines() if line.strip()]
    items = {item for line in lines for item in line[1:]}
    return len(lines), len(items), sum(len(line) - 1 for line in lines)


def test_dmran_stand_ins_through_load(shared_data, tmp_path):
    folder = shared_data / "amazon-2014-clothing-5core-sequences"
    clothing = load("amazon-2014-clothing-5core-sequences", data_dir=shared_data, cache_dir=tmp_path)
    summary = clothing.summary()
    assert (summary["users"], summary["items"], summary["interactions"]) == _count(folder / "Clothing.txt")
    assert not clothing.timed
    beauty = load("amazon-2014-beauty-5core-sequences", data_dir=shared_data, cache_dir=tmp_path)
    assert beauty.timed and beauty.events["timestamp"].min() > 10 ** 9
    shared = shared_data / "amazon-2014-beauty-sports-5core-sequences"
    assert len(beauty.events) == _count(shared / "Beauty_item_org_rank.txt")[2]
    grocery = load("amazon-grocery-rechorus", data_dir=shared_data, cache_dir=tmp_path)
    rows = (shared_data / "amazon-grocery-rechorus" / "train.csv").read_text().count("\n") - 1
    assert len(grocery.events) == rows and grocery.feature_structure == "flat"
    assert np.mean(grocery.items["features"].map(len) == 1) > 0.99
