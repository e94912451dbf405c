"""Amazon 2014 through `seqrec.datasets.load`: the real head of ``ratings_Electronics.csv`` against its
MANIFEST counts (with the third-party header line, and without it as in the originals), metadata in the
2014 format (Python dict literals) for ASINs of that head and the path rule, the download (served
locally), status, and bad input (each error names the file and the line)."""

import functools
import gzip
import hashlib
import http.server
import json
import logging
import shutil
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from seqrec.datasets import REGISTRY, DataError, DatasetNotFoundError, amazon, load, status
from seqrec.datasets.features import SEPARATOR, encode_item_features
from seqrec.datasets.registry import not_present_message
from seqrec.datasets.sequences import Vocabulary

UTC = "UTC"
NAME = "amazon-2014-electronics"
SNAP = "http://snap.stanford.edu/data/amazon/productGraph/categoryFiles/"


def utc(seconds) -> pd.Timestamp:
    return pd.Timestamp(int(seconds), unit="s", tz=UTC)


def real_ratings(shared_data: Path) -> Path:
    return shared_data / "amazon-2014-electronics-ratings-head" / "ratings_Electronics.csv"


@pytest.fixture(scope="module")
def head(data_dir):
    """The real head, as committed: with a header line, no metadata."""
    return load(NAME, data_dir=data_dir)


# ---------------------------------------------------------------- the real ratings head


def test_ratings_head_counts_match_manifest(head):
    events = head.events
    assert len(head) == 50_698
    assert head.n_users == 47_141
    assert head.n_items == 3_529
    assert utc(events["timestamp"].min()) == pd.Timestamp("1998-12-04", tz=UTC)
    assert utc(events["timestamp"].max()) == pd.Timestamp("2014-07-22", tz=UTC)
    assert not events.duplicated(["user", "item"]).any()
    assert set(events["rating"].unique()) == {1.0, 2.0, 3.0, 4.0, 5.0}
    # line 2 (the first data line): AKM1MP6P0OYPR,0132793040,5.0,1365811200 -- the ASIN keeps its zero
    row = events[(events["user"] == "AKM1MP6P0OYPR") & (events["item"] == "0132793040")]
    assert list(row["rating"]) == [5.0] and list(row["timestamp"]) == [1365811200]
    assert events["item"].min() == "0132793040" and events["item"].max() == "B00004TRD9"
    # without metadata: items have no title and no features, but the structure is still a hierarchy
    assert head.feature_structure == "hierarchy"
    assert len(head.items) == 3_529
    assert (head.items["features"].map(len) == 0).all() and (head.items["title"] == "").all()


def test_headerless_original_format_loads_the_same(head, shared_data, tmp_path):
    lines = real_ratings(shared_data).read_text(encoding="utf-8").splitlines(keepends=True)
    assert lines[0] == "UserId,ItemId,rating,timestamp\n"
    folder = tmp_path / NAME
    folder.mkdir()
    (folder / "ratings_Electronics.csv").write_text("".join(lines[1:]), encoding="utf-8")
    assert status(NAME, tmp_path) == ("present", str(folder))
    original = load(NAME, data_dir=tmp_path)
    pd.testing.assert_frame_equal(original.events, head.events)


def test_without_metadata_the_builder_says_so(tmp_path, caplog):
    folder = tmp_path / "data" / NAME
    folder.mkdir(parents=True)
    (folder / "ratings_Electronics.csv").write_text(RATINGS, encoding="utf-8")
    builder = amazon.Amazon2014(config="electronics", source=folder, data_dir=str(tmp_path / "tfds"))
    assert "has no meta_Electronics.json.gz: its items have no features" in builder.info.description
    with caplog.at_level(logging.WARNING, logger="seqrec.datasets.amazon"):
        data = load(NAME, data_dir=tmp_path / "data", cache_dir=tmp_path / "cache")
    assert "no meta_Electronics.json.gz beside it" in caplog.text
    assert len(data) == 3 and (data.items["features"].map(len) == 0).all()


# ---------------------------------------------------------------- metadata (2014 format) and the path rule

# Products of the real ratings head, written as the 2014 metadata files write them: Python dict literals
# (repr), single quotes unless the string holds one. Titles and paths are made up for the test, with
# category names of the 2014 Electronics tree.
META_LINES = [
    # two paths: the one under the dataset's own root wins over a longer one under another root
    "{'asin': '0132793040', 'title': 'Blend modes training DVD', 'salesRank': {'Electronics': 195}, "
    "'categories': [['Electronics', 'Computers & Accessories', 'Cables & Accessories', "
    "'Monitor Accessories'], "
    "['Books', 'Arts & Photography', 'Photography & Video', 'Equipment, Techniques & Reference', "
    "'Digital Photography']], 'related': {'also_bought': ['0321732944', 'B00001P4ZH']}}",
    # two paths of the same length: the first listed
    "{'asin': '0321732944', 'title': 'Video editing course', 'categories': [['Electronics', "
    "'Computers & Accessories', 'Cables & Accessories'], ['Electronics', 'Accessories & Supplies', "
    "'Audio & Video Accessories']]}",
    # three paths: the longest; a title holding a single quote is written in double quotes
    "{'asin': 'B00001P4ZH', 'title': \"Stereo headphones (collector's edition)\", 'price': 39.99, "
    "'categories': [['Electronics'], ['Electronics', 'Home Audio', 'Stereo Components', 'Speakers'], "
    "['Electronics', 'Portable Audio & Video']]}",
    # no categories at all (common in the 2014 files), and no title either
    "{'asin': '0439886341', 'title': 'A product without categories'}",
    "{'asin': '0511189877', 'categories': [[]], 'imUrl': 'http://ecx.images-amazon.com/images/I/x.jpg'}",
    "",  # a blank line is skipped
    # only other roots: the longest of all
    "{'asin': 'B00004T8R2', 'categories': [['Camera & Photo', 'Accessories'], "
    "['Cell Phones & Accessories', 'Accessories', 'Chargers']]}",
    # names are stripped and empty names dropped
    "{'asin': '0528881469', 'categories': [['Electronics', ' Computers & Accessories ', '', "
    "'Laptop Accessories']]}",
    # strict JSON (not a Python literal: true, null) is accepted too
    '{"asin": "B00001WRSJ", "title": null, "in_stock": true, "categories": [["Electronics", '
    '"Camera & Photo", "Digital Cameras"]]}',
    # a product nobody rated in the head
    "{'asin': 'B00ZZZZZZZ', 'title': 'Unrated', 'categories': [['Electronics', 'Home Audio']]}",
]
EXPECTED_PATHS = {
    "0132793040": ("Electronics", "Computers & Accessories", "Cables & Accessories", "Monitor Accessories"),
    "0321732944": ("Electronics", "Computers & Accessories", "Cables & Accessories"),
    "B00001P4ZH": ("Electronics", "Home Audio", "Stereo Components", "Speakers"),
    "0439886341": (),
    "0511189877": (),
    "B00004T8R2": ("Cell Phones & Accessories", "Accessories", "Chargers"),
    "0528881469": ("Electronics", "Computers & Accessories", "Laptop Accessories"),
    "B00001WRSJ": ("Electronics", "Camera & Photo", "Digital Cameras"),
    "B00ZZZZZZZ": ("Electronics", "Home Audio"),
}
META = "\n".join(META_LINES) + "\n"


def with_meta(root: Path, shared_data: Path, meta: bytes, name: str = "meta_Electronics.json.gz") -> Path:
    folder = root / NAME
    folder.mkdir(parents=True)
    shutil.copyfile(real_ratings(shared_data), folder / "ratings_Electronics.csv")
    (folder / name).write_bytes(meta)
    return folder


@pytest.fixture(scope="module")
def with_metadata(shared_data, tmp_path_factory):
    root = tmp_path_factory.mktemp("amazon-meta")
    with_meta(root, shared_data, gzip.compress(META.encode("utf-8")))
    return load(NAME, data_dir=root)


def test_metadata_paths_follow_the_rule(with_metadata, head):
    items = with_metadata.items
    assert with_metadata.feature_structure == "hierarchy"
    assert {asin: items.loc[asin, "features"] for asin in EXPECTED_PATHS} == EXPECTED_PATHS
    assert items.loc["B00001P4ZH", "title"] == "Stereo headphones (collector's edition)"
    assert items.loc["0511189877", "title"] == "" and items.loc["B00001WRSJ", "title"] == ""
    # every path is kept, as JSON, in the extra field 'categories'
    assert json.loads(items.loc["0132793040", "categories"])[1][0] == "Books"
    assert json.loads(items.loc["0439886341", "categories"]) == []
    # the unrated product is an item without events; the events are those of the head
    assert len(items) == 3_529 + 1 and with_metadata.n_items == 3_529
    pd.testing.assert_frame_equal(with_metadata.events, head.events)
    assert with_metadata.summary()["items_with_features"] == 7  # the 9 products less the 2 without


def test_hierarchy_encoding_of_the_chosen_paths(with_metadata):
    vocab = Vocabulary.fit(with_metadata.events["item"])
    encoded = encode_item_features(with_metadata.items, vocab, "hierarchy")
    names = list(encoded.names)
    assert encoded.structure == "hierarchy" and encoded.matrix.shape == (vocab.size, 4)

    def path(asin):
        return [names[k] for k in encoded.matrix[vocab.encode([asin])[0]] if k]

    cables = "Electronics>Computers & Accessories>Cables & Accessories"
    assert path("0132793040") == ["Electronics", "Electronics>Computers & Accessories", cables,
                                  f"{cables}>Monitor Accessories"]
    for asin, expected in EXPECTED_PATHS.items():
        if asin in set(with_metadata.events["item"]):
            assert path(asin) == [SEPARATOR.join(expected[:k + 1]) for k in range(len(expected))], asin
    assert path("0439886341") == [] and path("B00004TRD9") == []  # no categories / no metadata line
    leaf = names.index("Electronics>Home Audio>Stereo Components>Speakers")
    assert names[encoded.parents[leaf]] == "Electronics>Home Audio>Stereo Components"
    assert encoded.parents[names.index("Cell Phones & Accessories")] == 0  # another root
    assert "Books" not in names and "Electronics>Home Audio" in names


def test_plain_metadata_file_gives_the_same_items(with_metadata, shared_data, tmp_path):
    # a plain-text copy, named .json or (as a browser that decompressed it may leave it) .json.gz
    for k, name in enumerate(("meta_Electronics.json", "meta_Electronics.json.gz")):
        with_meta(tmp_path / str(k), shared_data, META.encode("utf-8"), name=name)
    for k in range(2):
        plain = load(NAME, data_dir=tmp_path / str(k))
        pd.testing.assert_frame_equal(plain.items, with_metadata.items)
    assert plain.fingerprint() == with_metadata.fingerprint()


# ---------------------------------------------------------------- download (from a local server)


class _Handler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        self.server.requests.append(self.path)


@pytest.fixture(scope="module")
def snap(shared_data, tmp_path_factory):
    """A local stand-in for snap.stanford.edu serving the real ratings head and the metadata above."""
    root = tmp_path_factory.mktemp("snap")
    shutil.copyfile(real_ratings(shared_data), root / "ratings_Electronics.csv")
    (root / "meta_Electronics.json.gz").write_bytes(gzip.compress(META.encode("utf-8")))
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_Handler, directory=str(root)))
    server.requests = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server, root
    server.shutdown()
    server.server_close()


def test_download_is_logged_unverified_and_loads(snap, with_metadata, monkeypatch, tmp_path, caplog):
    server, root = snap
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    monkeypatch.setattr(amazon, "BASE_URL", f"http://127.0.0.1:{server.server_port}/")
    server.requests.clear()
    (tmp_path / "data").mkdir()
    assert status(NAME, tmp_path / "data") == ("downloadable", SNAP + "ratings_Electronics.csv")
    with pytest.raises(DatasetNotFoundError, match="download=True"):
        load(NAME, data_dir=tmp_path / "data", cache_dir=tmp_path / "cache")
    assert server.requests == []
    with caplog.at_level(logging.INFO, logger="seqrec.datasets.amazon"):
        data = load(NAME, data_dir=tmp_path / "data", cache_dir=tmp_path / "cache", download=True)
    assert sorted(server.requests) == ["/meta_Electronics.json.gz", "/ratings_Electronics.csv"]
    assert "not verified" in caplog.text
    for name in ("ratings_Electronics.csv", "meta_Electronics.json.gz"):
        digest = hashlib.sha256((root / name).read_bytes()).hexdigest()
        assert f"sha256 {digest}" in caplog.text
    downloads = [p for p in (tmp_path / "cache" / "downloads").rglob("*") if p.is_file()
                 and not p.name.endswith(".INFO")]
    assert len(downloads) == 2
    assert data.source == SNAP + "ratings_Electronics.csv"
    pd.testing.assert_frame_equal(data.events, with_metadata.events)
    pd.testing.assert_frame_equal(data.items, with_metadata.items)
    assert data.fingerprint() == with_metadata.fingerprint()


# ---------------------------------------------------------------- status and registry


def test_status_and_registry(data_dir, tmp_path):
    assert status(NAME, data_dir) == ("present", str(data_dir / NAME))
    for config, stem in (("electronics", "Electronics"), ("home-and-kitchen", "Home_and_Kitchen"),
                         ("clothing-shoes-and-jewelry", "Clothing_Shoes_and_Jewelry"),
                         ("sports-and-outdoors", "Sports_and_Outdoors")):
        name = f"amazon-2014-{config}"
        spec = REGISTRY[name]
        assert spec.feature_structure == "hierarchy" and not spec.checksum_pinned
        assert spec.files[0] == f"ratings_{stem}.csv" and spec.files[1].startswith(f"meta_{stem}.json.gz")
        assert status(name, tmp_path) == ("downloadable", f"{SNAP}ratings_{stem}.csv")
        message = not_present_message(name, tmp_path)
        for part in (f"ratings_{stem}.csv", f"{SNAP}meta_{stem}.json.gz", "download is not verified",
                     str(tmp_path / name)):
            assert part in message
    # the metadata alone is not the dataset
    (tmp_path / NAME).mkdir()
    (tmp_path / NAME / "meta_Electronics.json.gz").write_bytes(gzip.compress(META.encode()))
    assert status(NAME, tmp_path)[0] == "downloadable"
    with pytest.raises(DatasetNotFoundError, match=r"ratings_Electronics\.csv"):
        load(NAME, data_dir=tmp_path)


def test_every_category_of_the_release():
    """All 24 categories of the 2014 release are datasets; names and metadata roots follow from the
    file-name stem."""
    assert len(amazon.STEMS) == 24
    for stem in amazon.STEMS:
        assert REGISTRY[f"amazon-2014-{amazon.config_name(stem)}"].files[0] == f"ratings_{stem}.csv"
    roots = {c.config: c.root for c in amazon.CATEGORIES.values()}
    assert roots["clothing-shoes-and-jewelry"] == "Clothing, Shoes & Jewelry"
    assert roots["patio-lawn-and-garden"] == "Patio, Lawn & Garden"
    assert roots["movies-and-tv"] == "Movies & TV" and roots["apps-for-android"] == "Apps for Android"


def test_path_rule_function():
    paths = [("Books", "A", "B", "C"), ("Electronics", "X"), ("Electronics", "Y")]
    assert amazon.choose_path(paths, "Electronics") == ("Electronics", "X")
    assert amazon.choose_path(paths, "Sports & Outdoors") == ("Books", "A", "B", "C")
    assert amazon.choose_path([], "Electronics") == ()


# ---------------------------------------------------------------- bad input (tiny copies)

RATINGS = ("AKM1MP6P0OYPR,0132793040,5.0,1365811200\n"
           "A2CX7LUOHB2NDG,0321732944,5.0,1341100800\n"
           "A2NWSAGRHCP8N5,0439886341,1.0,1367193600\n")


def load_broken(tmp_path: Path, files: dict[str, str | bytes], error=DataError) -> str:
    folder = tmp_path / "data" / NAME
    folder.mkdir(parents=True)
    for name, content in files.items():
        (folder / name).write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    with pytest.raises(error) as err:
        load(NAME, data_dir=tmp_path / "data", cache_dir=tmp_path / "cache")
    return str(err.value)


RATINGS_FILE = "ratings_Electronics.csv"
META_FILE = "meta_Electronics.json.gz"
GOOD_META = "{'asin': '0132793040', 'categories': [['Electronics', 'Computers & Accessories']]}\n"
BROKEN = {
    "non-numeric rating": (
        {RATINGS_FILE: RATINGS.replace(",1.0,", ",one,")}, RATINGS_FILE,
        ["column 'rating'", "line 3: 'one'", "must be a number"]),
    "bad timestamp after a header line": (
        {RATINGS_FILE: "UserId,ItemId,rating,timestamp\n" + RATINGS.replace("1341100800", "2012-07-01")},
        RATINGS_FILE, ["column 'timestamp'", "line 3: '2012-07-01'", "unix seconds"]),
    "empty user": (
        {RATINGS_FILE: RATINGS.replace("A2NWSAGRHCP8N5", "")}, RATINGS_FILE,
        ["column 'user'", "empty", "line 3"]),
    "too many fields": (
        {RATINGS_FILE: RATINGS.replace("1341100800", "1341100800,extra")}, RATINGS_FILE,
        ["malformed line", "line 2"]),
    "header with five columns": (
        {RATINGS_FILE: "user,item,rating,timestamp,helpful\n" + RATINGS.replace("\n", ",0\n")}, RATINGS_FILE,
        ["the header line names 5 columns", "expected 4"]),
    "empty ratings file": ({RATINGS_FILE: ""}, RATINGS_FILE, ["the file is empty"]),
    "unparsable metadata line": (
        {RATINGS_FILE: RATINGS, META_FILE: gzip.compress(
            (GOOD_META + "{'asin': '0321732944', 'categories': [['Electronics'\n").encode())}, META_FILE,
        ["line 2 is neither a Python dict literal", "nor JSON", "one product"]),
    "metadata line that is not a dict": (
        {RATINGS_FILE: RATINGS, META_FILE: GOOD_META + "['0321732944', 'Electronics']\n"}, META_FILE,
        ["line 2 holds a list, not a product dict"]),
    "metadata line without asin": (
        {RATINGS_FILE: RATINGS, META_FILE: "{'title': 'x'}\n"}, META_FILE, ["line 1 has no 'asin'"]),
    "categories not a list of paths": (
        {RATINGS_FILE: RATINGS, META_FILE: GOOD_META + "{'asin': 'x', 'categories': 'Electronics'}\n"},
        META_FILE, ["line 2: 'categories' must be a list of category paths"]),
    "truncated gzip": (
        {RATINGS_FILE: RATINGS, META_FILE: gzip.compress((GOOD_META * 50).encode())[:-30]}, META_FILE,
        ["cannot read the file", "truncated or corrupt"]),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_bad_input_names_file_and_line(tmp_path, case):
    files, culprit, parts = BROKEN[case]
    message = load_broken(tmp_path, files)
    assert str(tmp_path / "data" / NAME / culprit) in message, message
    for part in parts:
        assert part in message, message


def test_tiny_copies_load(tmp_path):
    """The unbroken tiny copies used above load, so each failure above is due to its one defect."""
    folder = tmp_path / "data" / NAME
    folder.mkdir(parents=True)
    (folder / RATINGS_FILE).write_text(RATINGS, encoding="utf-8")
    (folder / META_FILE).write_bytes(gzip.compress(GOOD_META.encode()))
    data = load(NAME, data_dir=tmp_path / "data", cache_dir=tmp_path / "cache")
    assert (len(data), data.n_users, data.n_items) == (3, 3, 3)
    assert data.items.loc["0132793040", "features"] == ("Electronics", "Computers & Accessories")
    assert np.array_equal(np.sort(data.events["timestamp"].to_numpy()), [1341100800, 1365811200, 1367193600])
