"""The Pinterest ICCV builder (`seqrec.datasets.pinterest`) on a small release written in its BSON layout
(the release is not in ../shared/data): boards as users, images as items, positions as the only order,
descriptions as texts, clear errors; and Ante-RNN's Pinterest subset in `protocols.ante_rnn`."""

import logging
import zipfile

import bson
import numpy as np
import pandas as pd
import pytest

from seqrec.datasets import load, protocols, status
from seqrec.datasets.errors import DataError, DatasetNotFoundError
from seqrec.datasets.pinterest import BOARDS, DESCRIPTIONS, PINS

PIN_DOCS = [{"pin_id": "p1", "im_name": "a.jpg", "im_url": "http://x/a.jpg"},
            {"pin_id": "p2", "im_name": "b.jpg", "im_url": "http://x/b.jpg"},
            {"pin_id": "p3", "im_name": "a.jpg", "im_url": "http://x/a.jpg"},  # another pin of image a
            {"pin_id": "p4", "im_name": "c.jpg", "im_url": "http://x/c.jpg"}]
BOARD_DOCS = [{"board_id": "10", "board_url": "/u/b10", "pins": ["p2", "p1", "p4"]},
              {"board_id": "11", "board_url": "/u/b11", "pins": ["p3", "p9", "p2"]}]  # p9: no pin document


def release(folder, boards=BOARD_DOCS, pins=PIN_DOCS, descriptions="im_name,description\na.jpg,red salad\n"):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / BOARDS).write_bytes(b"".join(bson.encode(d) for d in boards))
    (folder / PINS).write_bytes(b"".join(bson.encode(d) for d in pins))
    if descriptions is not None:
        (folder / DESCRIPTIONS).write_text(descriptions)
    return folder


def test_boards_images_positions_and_descriptions(tmp_path, caplog):
    release(tmp_path / "pinterest-iccv" / "pinterest_iccv")  # the release's own folder, one level down
    with caplog.at_level(logging.WARNING):
        log = load("pinterest-iccv", data_dir=tmp_path, cache_dir=tmp_path / "cache")
    assert "1 of 6 pins have no document" in caplog.text
    assert not log.timed and log.summary()["timed"].startswith("no")
    events = log.events.sort_values(["user", "timestamp"])
    assert events.groupby("user")["item"].apply(list).to_dict() == {"10": ["b", "a", "c"], "11": ["a", "b"]}
    assert events.groupby("user")["timestamp"].apply(list).to_dict() == {"10": [0, 1, 2], "11": [0, 1]}
    assert (events["rating"] == 1.0).all()
    assert log.items.loc["a", "title"] == "red salad" and log.items.loc["b", "title"] == ""
    assert log.items.loc["c", "image_url"] == "http://x/c.jpg"


def test_a_zipped_release_is_found_and_absence_names_the_files(tmp_path):
    folder = tmp_path / "pinterest-iccv"
    release(tmp_path / "unzipped", descriptions=None)
    folder.mkdir()
    with zipfile.ZipFile(folder / "pinterest_iccv.zip", "w") as z:
        for name in (BOARDS, PINS):
            z.write(tmp_path / "unzipped" / name, f"pinterest_iccv/{name}")
    assert status("pinterest-iccv", tmp_path)[0] == "present"
    log = load("pinterest-iccv", data_dir=tmp_path, cache_dir=tmp_path / "cache")
    assert len(log.events) == 5 and (log.items["title"] == "").all()
    with pytest.raises(DatasetNotFoundError, match=BOARDS):
        load("pinterest-iccv", data_dir=tmp_path / "empty", cache_dir=tmp_path / "cache")


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"boards": [{"board_id": "1", "pins": ["p1"]}, {"board_id": "2"}]},
     rf"{BOARDS}: document 2 lacks the field\(s\) \['pins'\]"),
    ({"pins": [{"pin_id": "p1", "im_url": "u"}]}, rf"{PINS}: document 1 lacks the field\(s\) \['im_name'\]"),
    ({"descriptions": "image,text\na.jpg,x\n"}, rf"{DESCRIPTIONS}: line 1, the header, lacks column"),
])
def test_bad_documents_and_columns_name_the_file(tmp_path, kwargs, message):
    release(tmp_path / "pinterest-iccv", **kwargs)
    with pytest.raises(DataError, match=message):
        load("pinterest-iccv", data_dir=tmp_path, cache_dir=tmp_path / "cache")


def test_a_truncated_bson_file_is_named(tmp_path):
    folder = release(tmp_path / "pinterest-iccv")
    (folder / PINS).write_bytes((folder / PINS).read_bytes()[:-7])
    with pytest.raises(DataError, match=rf"{PINS}: not a readable BSON file .* Download the release again"):
        load("pinterest-iccv", data_dir=tmp_path, cache_dir=tmp_path / "cache")


def test_ante_rnn_pinterest_subset_keeps_popular_items_then_samples_users():
    rng = np.random.default_rng(0)
    rows = [(f"u{u}", f"i{i}", t) for u in range(60) for t, i in enumerate(rng.choice(30, 12, replace=False))]
    events = pd.DataFrame(rows, columns=["user", "item", "timestamp"]).assign(rating=1.0)
    popular = events.groupby("item")["user"].nunique().sort_values(ascending=False, kind="stable")
    with pytest.warns(UserWarning, match="metrics will be noise"):
        split = protocols.ante_rnn(events, seeds=(0,), min_user=3, popular=10, users=40)[0]
    kept = pd.concat([split.train, split.valid, split.test])
    assert set(kept["item"]) <= set(popular.index[:10])
    reports = {r.step.split("(")[0]: r for r in split.reports}
    assert reports["popular_items"].items == (30, 10) and reports["popular_items"].users == (60, 60)
    assert reports["subsample_users"].users == (60, 40)  # then the length filter reports its own removals
    assert "10 most popular items, 40 users sampled (seed 0)" in split.protocol
