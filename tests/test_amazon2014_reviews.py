"""Amazon 2014 5-core reviews with the metadata categories through `seqrec.datasets.load`: tiny gzip copies
in the 2014 formats (strict JSON reviews, Python-literal metadata), the leaf category of the last path
(ATRank's and DIN's rule), timestamps and counts, a missing metadata file, the download (served locally),
status and registry, and bad input (each error names the file and the line)."""

import functools
import gzip
import hashlib
import http.server
import json
import logging
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from seqrec.datasets import REGISTRY, DataError, DatasetNotFoundError, amazon, amazon_reviews, load, status
from seqrec.datasets.features import item_categories
from seqrec.datasets.registry import amazon_2014_5core_spec, not_present_message, register
from seqrec.datasets.sequences import Vocabulary

NAME = "amazon-2014-electronics-5core"
REVIEWS_FILE = "reviews_Electronics_5.json.gz"
META_FILE = "meta_Electronics.json.gz"
SNAP = "http://snap.stanford.edu/data/amazon/productGraph/categoryFiles/"


def review(user: str, item: str, rating: float, time: int) -> dict:
    """A review as the 2014 files write it (more keys than are read)."""
    return {"reviewerID": user, "asin": item, "reviewerName": "x", "helpful": [0, 0], "reviewText": "ok",
            "overall": rating, "summary": "s", "unixReviewTime": time, "reviewTime": "01 1, 2013"}


# three users, four items; times are unix seconds (day resolution, as in the release)
REVIEWS = [
    review("A1", "0528881469", 5.0, 1370304000),
    review("A1", "0594451647", 4.0, 1370390400),
    review("A2", "0528881469", 3.0, 1356998400),
    review("A2", "B00000J1QK", 1.0, 1357084800),
    review("A3", "B00000J1QK", 2.0, 1388534400),
    review("A3", "B00004SB92", 5.0, 1388534400),  # same day as the review above
]
# the 2014 review lines are strict JSON; a Python dict literal is accepted too (last line); blank lines
# are skipped
REVIEW_LINES = [json.dumps(r) for r in REVIEWS[:-1]] + ["", repr(REVIEWS[-1])]

META_LINES = [
    # two paths: the leaf of the LAST one (not of the longest, not of the first)
    "{'asin': '0528881469', 'title': 'GPS unit', 'categories': [['Electronics', 'Car & Vehicle Electronics', "
    "'Car Electronics', 'GPS & Navigation'], ['Electronics', 'GPS & Navigation']]}",
    # one path; a title holding a quote is written in double quotes; names are stripped
    "{'asin': '0594451647', 'title': \"Kid's tablet\", 'categories': [['Electronics', ' Computers & "
    "Accessories ', 'Tablets ']]}",
    # a product nobody reviewed in the 5-core file: not an item
    "{'asin': '0000000000', 'title': 'Unreviewed', 'categories': [['Electronics', 'Unreviewed leaf']]}",
    # no categories (an empty path only)
    "{'asin': 'B00000J1QK', 'title': 'No categories', 'categories': [[]]}",
    # an unreviewed product's line is skipped unparsed (so even a broken one passes)
    "{'asin': '0000000001', 'title': 'cut off",
    # a repeated product line: the first is kept
    "{'asin': '0528881469', 'title': 'Again', 'categories': [['Books']]}",
    # B00004SB92 has no product line at all
]
LEAVES = {"0528881469": ("GPS & Navigation",), "0594451647": ("Tablets",), "B00000J1QK": (),
          "B00004SB92": ()}


def gz(lines: list[str]) -> bytes:
    return gzip.compress(("\n".join(lines) + "\n").encode("utf-8"))


def write(folder: Path, files: dict[str, str | bytes]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        (folder / name).write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return folder


@pytest.fixture(scope="module")
def electronics(tmp_path_factory):
    root = tmp_path_factory.mktemp("amazon2014-5core")
    write(root / NAME, {REVIEWS_FILE: gz(REVIEW_LINES), META_FILE: gz(META_LINES)})
    return load(NAME, data_dir=root)


def test_events_timestamps_and_counts(electronics):
    events = electronics.events
    assert len(electronics) == 6 and electronics.n_users == 3 and electronics.n_items == 4
    assert electronics.timed and electronics.feature_structure == "flat"
    expected = pd.DataFrame(REVIEWS)[["reviewerID", "asin", "overall", "unixReviewTime"]]
    expected.columns = ["user", "item", "rating", "timestamp"]
    expected = expected.sort_values(["user", "timestamp", "item"], kind="stable").reset_index(drop=True)
    expected = expected.astype({"user": object, "item": object, "rating": np.float32, "timestamp": np.int64})
    pd.testing.assert_frame_equal(events, expected)
    a1 = events[events["user"] == "A1"]
    assert list(a1["item"]) == ["0528881469", "0594451647"]  # the ASIN keeps its leading zero
    first = pd.Timestamp(int(a1["timestamp"].iloc[0]), unit="s", tz="UTC")
    assert first == pd.Timestamp("2013-06-04", tz="UTC")


def test_category_is_the_leaf_of_the_last_path(electronics):
    items = electronics.items
    assert set(items.index) == set(LEAVES)  # the unreviewed product is dropped, as ATRank/DIN drop it
    assert {asin: items.loc[asin, "features"] for asin in LEAVES} == LEAVES
    assert items.loc["0594451647", "title"] == "Kid's tablet"
    assert items.loc["0528881469", "title"] == "GPS unit"  # the first of the repeated lines
    assert items.loc["B00004SB92", "title"] == ""
    assert json.loads(items.loc["0528881469", "categories"]) == [
        ["Electronics", "Car & Vehicle Electronics", "Car Electronics", "GPS & Navigation"],
        ["Electronics", "GPS & Navigation"]]
    assert json.loads(items.loc["B00000J1QK", "categories"]) == []
    # one category id per item, as the candidate models embed it
    vocab = Vocabulary.fit(electronics.events["item"])
    ids, names = item_categories(electronics.items, vocab, electronics.feature_structure)
    assert list(names) == ["<none>", "GPS & Navigation", "Tablets"]
    assert dict(zip(vocab.tokens[1:], ids[1:], strict=True)) == {
        "0528881469": 1, "0594451647": 2, "B00000J1QK": 0, "B00004SB92": 0}


def test_leaf_rule_function():
    assert amazon_reviews.leaf_category([("A", "B", "C"), ("A", "D")]) == "D"
    assert amazon_reviews.leaf_category([]) == ""


def test_builder_logs_what_the_metadata_lacks(tmp_path, caplog):
    write(tmp_path / "data" / NAME, {REVIEWS_FILE: gz(REVIEW_LINES), META_FILE: gz(META_LINES)})
    with caplog.at_level(logging.INFO):
        load(NAME, data_dir=tmp_path / "data", cache_dir=tmp_path / "cache")
    assert "1 duplicate product line(s) ignored" in caplog.text
    assert "1 of the 4 reviewed items have no product line" in caplog.text
    assert "3 products, 1 without a category path" in caplog.text


def test_without_metadata_plain_reviews(electronics, tmp_path, caplog):
    """The plain (not gzipped) reviews file alone: the same events, items without features."""
    folder = write(tmp_path / "data" / NAME, {"reviews_Electronics_5.json": "\n".join(REVIEW_LINES)})
    builder = amazon_reviews.Amazon2014FiveCore(config="electronics", source=folder,
                                                data_dir=str(tmp_path / "tfds"))
    assert "has no meta_Electronics.json.gz: its items have no features" in builder.info.description
    with caplog.at_level(logging.WARNING, logger="seqrec.datasets.amazon_reviews"):
        data = load(NAME, data_dir=tmp_path / "data", cache_dir=tmp_path / "cache")
    assert "no meta_Electronics.json.gz beside it" in caplog.text
    pd.testing.assert_frame_equal(data.events, electronics.events)
    assert (data.items["features"].map(len) == 0).all() and data.summary()["items_with_features"] == 0


# ---------------------------------------------------------------- status, registry and the download


def test_status_and_registry(tmp_path):
    for stem in amazon.STEMS:
        spec = REGISTRY[f"amazon-2014-{amazon.config_name(stem)}-5core"]
        assert spec.files[0].startswith(f"reviews_{stem}_5.json.gz") and spec.feature_structure == "flat"
        assert spec.url == f"{SNAP}reviews_{stem}_5.json.gz" and not spec.checksum_pinned
    name = "amazon-2014-clothing-shoes-and-jewelry-5core"
    assert status(name, tmp_path) == ("downloadable", f"{SNAP}reviews_Clothing_Shoes_and_Jewelry_5.json.gz")
    message = not_present_message(name, tmp_path)
    for part in ("reviews_Clothing_Shoes_and_Jewelry_5.json.gz", "download is not verified",
                 f"{SNAP}meta_Clothing_Shoes_and_Jewelry.json.gz", str(tmp_path / name)):
        assert part in message, message
    # the metadata, or the ratings-only file of the other 2014 builder, is not the 5-core dataset
    write(tmp_path / NAME, {META_FILE: gz(META_LINES), "ratings_Electronics.csv": "A1,0528881469,5.0,1\n"})
    assert status(NAME, tmp_path)[0] == "downloadable"
    with pytest.raises(DatasetNotFoundError, match=r"reviews_Electronics_5\.json\.gz"):
        load(NAME, data_dir=tmp_path)
    # one folder down is found too
    write(tmp_path / NAME / "Electronics", {REVIEWS_FILE: gz(REVIEW_LINES)})
    assert status(NAME, tmp_path) == ("present", str(tmp_path / NAME))


def test_a_category_registered_by_the_user(electronics, tmp_path):
    spec = register(amazon_2014_5core_spec(amazon.category("My_Shop")))
    try:
        assert spec.name == "amazon-2014-my-shop-5core"
        write(tmp_path / spec.name, {"reviews_My_Shop_5.json.gz": gz(REVIEW_LINES),
                                     "meta_My_Shop.json": "\n".join(META_LINES)})
        data = load(spec.name, data_dir=tmp_path, cache_dir=tmp_path / "cache")
        pd.testing.assert_frame_equal(data.events, electronics.events)
        pd.testing.assert_frame_equal(data.items, electronics.items)
    finally:
        del REGISTRY[spec.name]


class _Handler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        self.server.requests.append(self.path)


@pytest.fixture
def snap(tmp_path):
    """A local stand-in for snap.stanford.edu serving the two files."""
    root = write(tmp_path / "snap", {REVIEWS_FILE: gz(REVIEW_LINES), META_FILE: gz(META_LINES)})
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_Handler, directory=str(root)))
    server.requests = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server, root
    server.shutdown()
    server.server_close()


def test_download_is_logged_unverified_and_loads(snap, electronics, monkeypatch, tmp_path, caplog):
    server, root = snap
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    monkeypatch.setattr(amazon, "BASE_URL", f"http://127.0.0.1:{server.server_port}/")
    (tmp_path / "data").mkdir()
    with pytest.raises(DatasetNotFoundError, match="download=True"):
        load(NAME, data_dir=tmp_path / "data", cache_dir=tmp_path / "cache")
    assert server.requests == []
    with caplog.at_level(logging.INFO, logger="seqrec.datasets.amazon_reviews"):
        data = load(NAME, data_dir=tmp_path / "data", cache_dir=tmp_path / "cache", download=True)
    assert sorted(server.requests) == [f"/{META_FILE}", f"/{REVIEWS_FILE}"]
    assert "not verified" in caplog.text
    for name in (REVIEWS_FILE, META_FILE):
        assert f"sha256 {hashlib.sha256((root / name).read_bytes()).hexdigest()}" in caplog.text
    pd.testing.assert_frame_equal(data.events, electronics.events)
    pd.testing.assert_frame_equal(data.items, electronics.items)


# ---------------------------------------------------------------- bad input (each error names file and line)

BROKEN = {
    "a truncated review line": (
        {REVIEWS_FILE: gz([*REVIEW_LINES[:2], REVIEW_LINES[2][:40]])}, REVIEWS_FILE,
        ["line 3", "not valid JSON", "one review as a JSON object"]),
    "a review without its time": (
        {REVIEWS_FILE: gz([*REVIEW_LINES[:3], json.dumps({**REVIEWS[3], "unixReviewTime": None})])},
        REVIEWS_FILE, ["line 4", "'unixReviewTime' is null", "Every review needs reviewerID"]),
    "a review list, not an object": (
        {REVIEWS_FILE: gz(['["A1", "0528881469"]'])}, REVIEWS_FILE, ["line 1", "not a review object"]),
    "an empty reviews file": ({REVIEWS_FILE: gz([""])}, REVIEWS_FILE, ["holds no reviews"]),
    "a truncated gzip file": (
        {REVIEWS_FILE: gz(REVIEW_LINES)[:-12]}, REVIEWS_FILE,
        ["truncated or corrupt", f"Download it again from {SNAP}{REVIEWS_FILE}"]),
    "a malformed product line": (
        {REVIEWS_FILE: gz(REVIEW_LINES), META_FILE: gz([META_LINES[0], "{'asin': '0594451647', 'title': "])},
        META_FILE, ["line 2", "neither a Python dict literal", "Each line must hold one product"]),
    "categories that are not paths": (
        {REVIEWS_FILE: gz(REVIEW_LINES),
         META_FILE: gz([META_LINES[0], "{'asin': '0594451647', 'categories': 'Electronics'}"])},
        META_FILE, ["line 2", "'categories' must be a list of category paths"]),
    "a product without an asin": (
        {REVIEWS_FILE: gz(REVIEW_LINES), META_FILE: gz([META_LINES[0], "{'title': 'x', 'categories': []}"])},
        META_FILE, ["line 2 has no 'asin'", "Every product line needs one"]),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_bad_input_names_file_line_and_fix(case, tmp_path):
    files, culprit, parts = BROKEN[case]
    folder = write(tmp_path / "data" / NAME, files)
    with pytest.raises(DataError) as err:
        load(NAME, data_dir=tmp_path / "data", cache_dir=tmp_path / "cache")
    message = str(err.value)
    for part in [str(folder / culprit), *parts]:
        assert part in message, message
