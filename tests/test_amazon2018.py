"""Amazon 2018 through `seqrec.datasets.load`: the real Fashion 5-core reviews (every line kept, the
repeats counted and logged, `protocols.deduplicate` removing exactly them) and the real Magazine
ratings-only sample (item first) against their MANIFEST counts; headers, metadata in the 2018 format
(strict JSON, one ``category`` list with HTML entities and ``</span>`` debris) for ASINs of the real
reviews, gzip and plain files, the download (served locally), status and the command line, and bad
input (each error names the file, the line and the field)."""

import contextlib
import functools
import gzip
import hashlib
import http.server
import json
import logging
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

from seqrec.datasets import REGISTRY, DataError, DatasetNotFoundError, amazon2018, load, protocols, status
from seqrec.datasets.downloads import DownloadError
from seqrec.datasets.features import SEPARATOR, encode_item_features
from seqrec.datasets.registry import amazon_2018_spec, not_present_message, register
from seqrec.datasets.sequences import Vocabulary

UTC = "UTC"
FASHION = "amazon-2018-fashion"
MAGAZINE = "amazon-2018-magazine-subscriptions"
DEEPYETI = "https://deepyeti.ucsd.edu/jianmo/amazon/"
REVIEWS_FILE = "AMAZON_FASHION_5.json.gz"
META_FILE = "meta_AMAZON_FASHION.json.gz"


def utc(seconds) -> pd.Timestamp:
    return pd.Timestamp(int(seconds), unit="s", tz=UTC)


def real_reviews(shared_data: Path) -> Path:
    return shared_data / "amazon-2018-fashion-5core" / "AMAZON_FASHION_5.json"


def real_ratings(shared_data: Path) -> Path:
    return shared_data / "amazon-2018-magazine-ratings-sample" / "Magazine_Subscriptions.csv"


class Records(logging.Handler):
    """Collects the messages of a logger (module-scoped fixtures cannot use caplog)."""

    def __init__(self):
        super().__init__(logging.INFO)
        self.messages: list[tuple[int, str]] = []

    def emit(self, record):
        self.messages.append((record.levelno, record.getMessage()))

    def text(self, level: int = logging.INFO) -> str:
        return "\n".join(m for lvl, m in self.messages if lvl >= level)


@contextlib.contextmanager
def captured(name: str):
    logger, handler = logging.getLogger(name), Records()
    level = logger.level
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


@pytest.fixture(scope="module")
def fashion_and_log(data_dir, tmp_path_factory):
    """The real Fashion 5-core reviews prepared in a fresh cache, with what the builder logged."""
    with captured("seqrec.datasets.amazon2018") as records:
        data = load(FASHION, data_dir=data_dir, cache_dir=tmp_path_factory.mktemp("fashion-cache"))
    return data, records


@pytest.fixture(scope="module")
def fashion(fashion_and_log):
    return fashion_and_log[0]


@pytest.fixture(scope="module")
def magazine(data_dir):
    return load(MAGAZINE, data_dir=data_dir)


# ---------------------------------------------------------------- the real 5-core reviews


def test_fashion_5core_counts_match_manifest(fashion):
    events = fashion.events
    assert len(fashion) == 3_176  # every line, repeats included
    assert fashion.n_users == 406
    assert fashion.n_items == 31
    assert utc(events["timestamp"].min()) == pd.Timestamp("2009-12-25", tz=UTC)
    assert utc(events["timestamp"].max()) == pd.Timestamp("2018-07-05", tz=UTC)
    assert events["rating"].value_counts().to_dict() == {5.0: 2158, 4.0: 471, 3.0: 337, 1.0: 117, 2.0: 93}
    # line 1 (and its four repeats, one per size/colour variant): ALJ66O1Y6SLHA, B000K2PJ4K, 5.0, 1441324800
    row = events[(events["user"] == "ALJ66O1Y6SLHA") & (events["item"] == "B000K2PJ4K")]
    assert list(row["rating"]) == [5.0] * 5 and list(row["timestamp"]) == [1441324800] * 5
    # the last line: A135SGOQMVWABQ, B005AGO4LU, 5.0, 1529107200
    row = events[(events["user"] == "A135SGOQMVWABQ") & (events["item"] == "B005AGO4LU")]
    assert list(row["timestamp"]) == [1529107200]
    # without metadata: no titles, no features, but the structure is still a hierarchy
    assert fashion.feature_structure == "hierarchy"
    assert len(fashion.items) == 31 and (fashion.items["features"].map(len) == 0).all()
    assert (fashion.items["title"] == "").all() and (fashion.items["main_cat"] == "").all()


def test_fashion_repeats_are_kept_counted_and_logged(fashion_and_log, data_dir):
    fashion, records = fashion_and_log
    assert amazon2018.count_repeats(fashion.events) == (111, 134)
    summary = fashion.summary()  # kept with the data, not only logged once
    assert (summary["repeated_events"], summary["repeated_pairs"]) == (111, 134)
    warnings = records.text(logging.WARNING)
    assert f"{data_dir / FASHION / 'AMAZON_FASHION_5.json'}: 111 of 3176" in warnings
    assert "111 of 3176 events repeat an earlier (user, item, timestamp) exactly" in warnings
    assert "134 repeat an earlier (user, item) pair; all are kept" in warnings
    assert "seqrec.datasets.protocols.deduplicate" in warnings
    assert "no meta_AMAZON_FASHION.json.gz beside it" in warnings


def test_deduplicate_removes_exactly_the_repeats(fashion):
    events = fashion.events
    reports: list = []
    unique = protocols.deduplicate(events, reports=reports)
    assert len(unique) == 3_176 - 111
    assert reports[0].rows == (3_176, 3_065) and reports[0].users == (406, 406)
    triples = ["user", "item", "timestamp"]
    assert not unique.duplicated(triples).any()
    pd.testing.assert_frame_equal(unique[triples], events[triples].drop_duplicates().reset_index(drop=True))
    # the stricter reading, one event per user-item pair, removes the 134 pair repeats
    assert len(protocols.deduplicate(events, keys=("user", "item"))) == 3_176 - 134


def test_gzip_and_plain_reviews_load_the_same(fashion, shared_data, tmp_path):
    raw = real_reviews(shared_data).read_bytes()
    variants = {"gz": (REVIEWS_FILE, gzip.compress(raw)), "json": ("AMAZON_FASHION_5.json", raw),
                "plain named .gz": (REVIEWS_FILE, raw)}
    for key, (name, content) in variants.items():
        folder = tmp_path / key / FASHION
        folder.mkdir(parents=True)
        (folder / name).write_bytes(content)
        assert status(FASHION, tmp_path / key) == ("present", str(folder))
        copy = load(FASHION, data_dir=tmp_path / key, cache_dir=tmp_path / "cache")
        pd.testing.assert_frame_equal(copy.events, fashion.events, obj=key)


def test_every_category_of_the_release_and_one_of_your_own(fashion, shared_data, tmp_path):
    """All 29 categories are datasets whose file names follow from the category; a category not in the
    list is registered with public functions only and reads like the others."""
    assert len(amazon2018.STEMS) == 29
    for stem in amazon2018.STEMS:
        category = amazon2018.category(stem)
        spec = REGISTRY[f"amazon-2018-{category.config}"]
        assert spec.files[0].startswith(f"{stem}_5.json.gz") and spec.url.endswith(f"/{stem}_5.json.gz")
    beauty = REGISTRY["amazon-2018-all-beauty"]
    assert status(beauty.name, tmp_path) == ("downloadable",
                                             f"{DEEPYETI}categoryFilesSmall/All_Beauty_5.json.gz")
    assert amazon2018.category("Arts_Crafts_and_Sewing").title == "Arts Crafts & Sewing"
    own = amazon2018.category("My_Shop")
    spec = register(amazon_2018_spec(own))
    try:
        folder = tmp_path / spec.name
        folder.mkdir()
        (folder / "My_Shop_5.json").write_bytes(real_reviews(shared_data).read_bytes())
        copy = load(spec.name, data_dir=tmp_path, cache_dir=tmp_path / "cache")
        pd.testing.assert_frame_equal(copy.events, fashion.events)
    finally:
        del REGISTRY[spec.name]


# ---------------------------------------------------------------- the real ratings-only sample


def test_magazine_ratings_only_counts_match_manifest(magazine):
    events = magazine.events
    assert len(magazine) == 546
    assert magazine.n_users == 535
    assert magazine.n_items == 22
    assert utc(events["timestamp"].min()) == pd.Timestamp("2001-10-26", tz=UTC)
    assert utc(events["timestamp"].max()) == pd.Timestamp("2018-07-14", tz=UTC)
    # line 1: B00005N7P0,AH2IFH762VY5U,5.0,1005177600 -- the item (ASIN) first, then the reviewer
    row = events[(events["user"] == "AH2IFH762VY5U") & (events["item"] == "B00005N7P0")]
    assert list(row["rating"]) == [5.0] and list(row["timestamp"]) == [1005177600]
    assert events["item"].str.startswith("B0").all() and events["user"].str.startswith("A").all()
    assert magazine.feature_structure == "hierarchy" and (magazine.items["features"].map(len) == 0).all()


@pytest.mark.parametrize("header", ["item,user,rating,timestamp", "asin,reviewerID,overall,unixReviewTime",
                                    "\ufeffItem,User,Rating,Timestamp"])
def test_ratings_header_naming_the_item_first_is_skipped(magazine, shared_data, tmp_path, header):
    folder = tmp_path / MAGAZINE
    folder.mkdir()
    text = real_ratings(shared_data).read_text(encoding="utf-8")
    (folder / "Magazine_Subscriptions.csv").write_text(f"{header}\n{text}", encoding="utf-8")
    copy = load(MAGAZINE, data_dir=tmp_path)
    pd.testing.assert_frame_equal(copy.events, magazine.events)


@pytest.mark.parametrize("header", ["user,item,rating,timestamp", "reviewerID,asin,overall,unixReviewTime",
                                    "UserId,ItemId,rating,timestamp"])
def test_ratings_header_naming_the_user_first_is_refused(shared_data, tmp_path, header):
    folder = tmp_path / MAGAZINE
    folder.mkdir()
    text = real_ratings(shared_data).read_text(encoding="utf-8")
    (folder / "Magazine_Subscriptions.csv").write_text(f"{header}\n{text}", encoding="utf-8")
    with pytest.raises(DataError) as err:
        load(MAGAZINE, data_dir=tmp_path)
    message = str(err.value)
    for part in (str(folder / "Magazine_Subscriptions.csv"), "line 1, the header, names the user first",
                 "item,user,rating,timestamp. Put the columns in that order"):
        assert part in message, message


def test_reviews_win_over_the_ratings_only_file(tmp_path, caplog):
    folder = tmp_path / FASHION
    folder.mkdir()
    (folder / REVIEWS_FILE).write_bytes(gzip.compress(REVIEWS.encode()))
    (folder / "AMAZON_FASHION.csv").write_text("B000K2PJ4K,AOTHER,1.0,1000000000\n", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="seqrec.datasets.amazon2018"):
        data = load(FASHION, data_dir=tmp_path, cache_dir=tmp_path / "cache")
    assert "reading the reviews and ignoring" in caplog.text and "AMAZON_FASHION.csv" in caplog.text
    assert set(data.events["user"]) == {"ALJ66O1Y6SLHA", "A2XYZ", "A3XYZ"}
    # the ratings-only file alone is read
    (folder / REVIEWS_FILE).unlink()
    alone = load(FASHION, data_dir=tmp_path, cache_dir=tmp_path / "cache")
    assert list(alone.events["user"]) == ["AOTHER"] and list(alone.events["timestamp"]) == [1000000000]


# ---------------------------------------------------------------- metadata (2018 format), category rule

# Products of the real Fashion 5-core reviews, written as the 2018 metadata files write them: strict JSON,
# one `category` list per product, HTML entities, `</span>` debris and logo tags in `main_cat`. Titles and
# paths are made up for the test, with names of the 2018 Clothing, Shoes & Jewelry tree.
IMG = ('<img src="https://images-na.ssl-images-amazon.com/images/G/01/nav2/images/gui/amazon-fashion-store'
       '-new._CB520838675_.png" class="nav-categ-image" alt="AMAZON FASHION"/>')
META_RECORDS = [
    # entities in names and title; debris at the end of the path; a logo tag as main_cat
    {"asin": "B000K2PJ4K", "title": "Nike Boys&#39; Dri-FIT Shorts &amp; Tee",
     "category": ["Clothing, Shoes &amp; Jewelry", "Boys", "Clothing", "Active",
                  "</span></span></span>"], "main_cat": IMG, "also_buy": ["B0092UF54A"], "price": ""},
    # names stripped, empty ones dropped (&nbsp; is white space), debris in the middle dropped in place
    {"asin": "B0092UF54A", "title": "Running Shoe",
     "category": ["Clothing, Shoes & Jewelry", " Women ", "&nbsp;", "", "<a href=\"/b?node=679337011\">",
                  "Shoes", "Athletic"], "main_cat": "Amazon Fashion"},
    # an encoded tag is debris too, once decoded
    {"asin": "B005AGO4LU", "title": "Sunglasses", "category": ["Clothing, Shoes & Jewelry", "Men",
                                                               "&lt;/span&gt;", "Accessories"],
     "main_cat": "All Beauty"},
    # an empty list (common in the Fashion metadata), a null title
    {"asin": "B009MA34NY", "title": None, "category": [], "main_cat": "AMAZON FASHION"},
    # no category key at all
    {"asin": "B010RRWKT4", "title": "Socks"},
    # only debris
    {"asin": "B014IBJKNO", "category": ["</span></span></span>", " "], "main_cat": ""},
    # a product nobody reviewed in the 5-core file
    {"asin": "B0ZZZZZZZZ", "title": "Unreviewed", "category": ["Clothing, Shoes & Jewelry", "Women"]},
    # a repeated product line: the first is kept
    {"asin": "B000K2PJ4K", "title": "Another title", "category": ["Electronics"]},
]
EXPECTED_PATHS = {
    "B000K2PJ4K": ("Clothing, Shoes & Jewelry", "Boys", "Clothing", "Active"),
    "B0092UF54A": ("Clothing, Shoes & Jewelry", "Women", "Shoes", "Athletic"),
    "B005AGO4LU": ("Clothing, Shoes & Jewelry", "Men", "Accessories"),
    "B009MA34NY": (),
    "B010RRWKT4": (),
    "B014IBJKNO": (),
    "B0ZZZZZZZZ": ("Clothing, Shoes & Jewelry", "Women"),
}
META = "\n".join([*(json.dumps(r) for r in META_RECORDS[:5]), "", *(json.dumps(r) for r in META_RECORDS[5:])])
META += "\n"


def fashion_with_meta(root: Path, shared_data: Path, meta: bytes, name: str = META_FILE) -> Path:
    folder = root / FASHION
    folder.mkdir(parents=True)
    shutil.copyfile(real_reviews(shared_data), folder / "AMAZON_FASHION_5.json")
    (folder / name).write_bytes(meta)
    return folder


@pytest.fixture(scope="module")
def with_metadata(shared_data, tmp_path_factory):
    root = tmp_path_factory.mktemp("fashion-meta")
    fashion_with_meta(root, shared_data, gzip.compress(META.encode("utf-8")))
    with captured("seqrec.datasets.amazon2018") as records:
        data = load(FASHION, data_dir=root)
    return data, records


def test_metadata_paths_follow_the_category_rule(with_metadata, fashion):
    data, records = with_metadata
    items = data.items
    assert data.feature_structure == "hierarchy"
    assert {asin: items.loc[asin, "features"] for asin in EXPECTED_PATHS} == EXPECTED_PATHS
    assert items.loc["B000K2PJ4K", "title"] == "Nike Boys' Dri-FIT Shorts & Tee"
    assert items.loc["B009MA34NY", "title"] == "" and items.loc["B014IBJKNO", "title"] == ""
    assert items.loc["B000K2PJ4K", "main_cat"] == "AMAZON FASHION"  # the logo tag's alt text
    assert items.loc["B0092UF54A", "main_cat"] == "Amazon Fashion"
    assert items.loc["B010RRWKT4", "main_cat"] == ""
    # reviewed items without a metadata line have no features; the unreviewed product has no events
    assert items.loc["B016XAJLVO", "features"] == () and len(items) == 31 + 1
    assert data.n_items == 31
    pd.testing.assert_frame_equal(data.events, fashion.events)
    assert data.summary()["items_with_features"] == 4
    assert "1 repeated product line(s) ignored" in records.text(logging.WARNING)
    assert "7 products, 3 without a category path" in records.text()


def test_hierarchy_encoding_of_the_cleaned_paths(with_metadata):
    data, _ = with_metadata
    vocab = Vocabulary.fit(data.events["item"])
    encoded = encode_item_features(data.items, vocab, "hierarchy")
    names = list(encoded.names)

    def path(asin):
        return [names[k] for k in encoded.matrix[vocab.encode([asin])[0]] if k]

    for asin, expected in EXPECTED_PATHS.items():
        if asin in set(data.events["item"]):
            assert path(asin) == [SEPARATOR.join(expected[:k + 1]) for k in range(len(expected))], asin
    assert names[0] == "<none>"
    for name in names[1:]:
        assert "<" not in name and ">" not in name.replace(SEPARATOR, ""), name
        assert "&" not in name.replace(" & ", ""), name
    root = names.index("Clothing, Shoes & Jewelry")
    assert encoded.parents[root] == 0
    assert names[encoded.parents[names.index(SEPARATOR.join(EXPECTED_PATHS["B0092UF54A"]))]] == \
        "Clothing, Shoes & Jewelry>Women>Shoes"
    assert "Clothing, Shoes & Jewelry>Women" in names  # a node shared with the unreviewed product's path


def test_plain_metadata_gives_the_same_items(with_metadata, shared_data, tmp_path):
    for k, name in enumerate(("meta_AMAZON_FASHION.json", META_FILE)):
        fashion_with_meta(tmp_path / str(k), shared_data, META.encode("utf-8"), name=name)
        plain = load(FASHION, data_dir=tmp_path / str(k))
        pd.testing.assert_frame_equal(plain.items, with_metadata[0].items)
        assert plain.fingerprint() == with_metadata[0].fingerprint()


def test_2014_metadata_is_flagged(tmp_path, caplog):
    folder = tmp_path / FASHION
    folder.mkdir()
    (folder / REVIEWS_FILE).write_bytes(gzip.compress(REVIEWS.encode()))
    (folder / META_FILE).write_text("{'asin': 'B000K2PJ4K', 'categories': [['Clothing, Shoes & Jewelry']]}\n")
    with caplog.at_level(logging.WARNING, logger="seqrec.datasets.amazon2018"):
        data = load(FASHION, data_dir=tmp_path, cache_dir=tmp_path / "cache")
    assert "1 product(s) have the 2014 key 'categories'" in caplog.text
    assert data.items.loc["B000K2PJ4K", "features"] == ()


def test_category_and_main_cat_functions():
    assert amazon2018.category_path(["A &amp; B", "</span>", " C "], "f", 1) == ("A & B", "C")
    assert amazon2018.category_path(None, "f", 1) == ()
    assert amazon2018.main_category("<img src='x.png' alt='Digital Music'>") == "Digital Music"
    assert amazon2018.main_category("Movies &amp; TV") == "Movies & TV"


# ---------------------------------------------------------------- download (from a local server)


class _Handler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        self.server.requests.append(self.path)


@pytest.fixture(scope="module")
def deepyeti(shared_data, tmp_path_factory):
    """A local stand-in for deepyeti.ucsd.edu serving the real 5-core reviews and the metadata above."""
    root = tmp_path_factory.mktemp("deepyeti")
    (root / "categoryFilesSmall").mkdir()
    (root / "metaFiles2").mkdir()
    reviews = gzip.compress(real_reviews(shared_data).read_bytes())
    (root / "categoryFilesSmall" / REVIEWS_FILE).write_bytes(reviews)
    (root / "metaFiles2" / META_FILE).write_bytes(gzip.compress(META.encode("utf-8")))
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(_Handler, directory=str(root)))
    server.requests = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server, root
    server.shutdown()
    server.server_close()


def test_download_without_network_fails_within_seconds(monkeypatch, tmp_path):
    """TFDS retried for minutes (207 s measured for movielens-100k without a network)."""
    monkeypatch.setattr(amazon2018, "BASE_URL", "https://deepyeti.seqrec-offline.invalid/")
    start = time.perf_counter()
    with pytest.raises(DownloadError) as err:
        load(FASHION, data_dir=tmp_path / "data", cache_dir=tmp_path / "cache", download=True)
    assert time.perf_counter() - start < 60
    for part in ("Cannot reach deepyeti.seqrec-offline.invalid:443", REVIEWS_FILE, "no network",
                 str(tmp_path / "data" / FASHION)):
        assert part in str(err.value)
    assert isinstance(err.value, DatasetNotFoundError) and "pass download=True" not in str(err.value)


def test_download_is_logged_unverified_and_loads(deepyeti, with_metadata, monkeypatch, tmp_path, caplog):
    server, root = deepyeti
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    monkeypatch.setattr(amazon2018, "BASE_URL", f"http://127.0.0.1:{server.server_port}/")
    server.requests.clear()
    (tmp_path / "data").mkdir()
    url = f"{DEEPYETI}categoryFilesSmall/{REVIEWS_FILE}"
    assert status(FASHION, tmp_path / "data") == ("downloadable", url)
    with pytest.raises(DatasetNotFoundError, match="download=True"):
        load(FASHION, data_dir=tmp_path / "data", cache_dir=tmp_path / "cache")
    assert server.requests == []
    with caplog.at_level(logging.INFO, logger="seqrec.datasets.amazon2018"):
        data = load(FASHION, data_dir=tmp_path / "data", cache_dir=tmp_path / "cache", download=True)
    assert sorted(server.requests) == [f"/categoryFilesSmall/{REVIEWS_FILE}", f"/metaFiles2/{META_FILE}"]
    assert "not verified" in caplog.text
    for path in (root / "categoryFilesSmall" / REVIEWS_FILE, root / "metaFiles2" / META_FILE):
        assert f"sha256 {hashlib.sha256(path.read_bytes()).hexdigest()}" in caplog.text
    assert "111 of 3176 events repeat" in caplog.text
    assert data.source == url
    pd.testing.assert_frame_equal(data.events, with_metadata[0].events)
    pd.testing.assert_frame_equal(data.items, with_metadata[0].items)


# ---------------------------------------------------------------- status, registry, command line


CONFIGS = {"electronics": "Electronics", "cds-and-vinyl": "CDs_and_Vinyl", "movies-and-tv": "Movies_and_TV",
           "fashion": "AMAZON_FASHION", "magazine-subscriptions": "Magazine_Subscriptions"}


def test_status_and_registry(data_dir, tmp_path):
    assert status(FASHION, data_dir) == ("present", str(data_dir / FASHION))
    assert status(MAGAZINE, data_dir) == ("present", str(data_dir / MAGAZINE))
    for config, stem in CONFIGS.items():
        name = f"amazon-2018-{config}"
        spec = REGISTRY[name]
        assert spec.feature_structure == "hierarchy" and not spec.checksum_pinned
        assert spec.files[0].startswith(f"{stem}_5.json.gz") and f"{stem}.csv" in spec.files[0]
        assert spec.files[1].startswith(f"meta_{stem}.json.gz")
        assert status(name, tmp_path) == ("downloadable", f"{DEEPYETI}categoryFilesSmall/{stem}_5.json.gz")
        message = not_present_message(name, tmp_path)
        for part in (f"Dataset '{name}' is not present", f"{stem}_5.json.gz", f"{stem}.csv",
                     f"{DEEPYETI}metaFiles2/meta_{stem}.json.gz", f"{DEEPYETI}categoryFilesSmall/{stem}.csv",
                     "download is not verified", str(tmp_path / name)):
            assert part in message, (part, message)
    # the metadata alone is not the dataset
    (tmp_path / FASHION).mkdir()
    (tmp_path / FASHION / META_FILE).write_bytes(gzip.compress(META.encode()))
    assert status(FASHION, tmp_path)[0] == "downloadable"
    with pytest.raises(DatasetNotFoundError) as err:
        load(FASHION, data_dir=tmp_path)
    for part in (f"Dataset '{FASHION}' is not present", REVIEWS_FILE, "AMAZON_FASHION.csv"):
        assert part in str(err.value)
    with pytest.raises(DatasetNotFoundError, match=r"AMAZON_FASHION_5\.json\.gz .* or AMAZON_FASHION\.csv"):
        amazon2018.find_files(amazon2018.CATEGORIES["fashion"], tmp_path / FASHION)


def _cli(*args, cache_dir) -> subprocess.CompletedProcess:
    env = {**os.environ, "SEQREC_CACHE_DIR": str(cache_dir), "TF_CPP_MIN_LOG_LEVEL": "2"}
    return subprocess.run([sys.executable, "-m", "seqrec.datasets", *args], capture_output=True,
                          text=True, env=env, timeout=300, check=False)


def test_cli_lists_and_refuses_absent_amazon_2018(data_dir, cache_dir, tmp_path):
    listed = _cli("--data-dir", str(data_dir), cache_dir=cache_dir)
    assert listed.returncode == 0, listed.stderr
    rows = {line.split()[0]: line.split()[1:] for line in listed.stdout.splitlines()[2:]}
    assert rows[FASHION] == ["present", str(data_dir / FASHION)]
    assert rows[MAGAZINE] == ["present", str(data_dir / MAGAZINE)]
    for config in ("electronics", "cds-and-vinyl", "movies-and-tv"):
        assert rows[f"amazon-2018-{config}"][0] == "downloadable"
    absent = _cli("describe", "amazon-2018-electronics", "--data-dir", str(tmp_path), cache_dir=cache_dir)
    assert absent.returncode == 2 and absent.stdout == ""
    for part in ("Dataset 'amazon-2018-electronics' is not present", "Electronics_5.json.gz", "download=True",
                 str(tmp_path / "amazon-2018-electronics")):
        assert part in absent.stderr


# ---------------------------------------------------------------- bad input (tiny copies)

REVIEWS = "".join(json.dumps(r) + "\n" for r in (
    {"overall": 5.0, "reviewerID": "ALJ66O1Y6SLHA", "asin": "B000K2PJ4K", "unixReviewTime": 1441324800},
    {"overall": 4.0, "reviewerID": "A2XYZ", "asin": "B0092UF54A", "unixReviewTime": 1441411200},
    {"overall": 1.0, "reviewerID": "A3XYZ", "asin": "B005AGO4LU", "unixReviewTime": 1441497600},
))
LINES = REVIEWS.splitlines(keepends=True)
RATINGS_FILE = "AMAZON_FASHION.csv"
RATINGS = "B000K2PJ4K,ALJ66O1Y6SLHA,5.0,1441324800\nB0092UF54A,A2XYZ,4.0,1441411200\n" \
          "B005AGO4LU,A3XYZ,1.0,1441497600\n"
GOOD_META = json.dumps({"asin": "B000K2PJ4K", "category": ["Clothing, Shoes & Jewelry"]}) + "\n"
BROKEN = {
    "review not valid JSON": (
        {REVIEWS_FILE: LINES[0] + '{"overall": 4.0, "reviewerID": "A2XYZ", "asin": \n' + LINES[2]},
        REVIEWS_FILE, ["line 2, column", "not valid JSON", "one review as a JSON object"]),
    "review field missing": (
        {REVIEWS_FILE: LINES[0] + LINES[1] + LINES[2].replace(', "unixReviewTime": 1441497600', "")},
        REVIEWS_FILE, ["line 3: field 'unixReviewTime' is missing", "Every review needs reviewerID, asin"]),
    "review rating null": (
        {REVIEWS_FILE: LINES[0] + LINES[1].replace('"overall": 4.0', '"overall": null') + LINES[2]},
        REVIEWS_FILE, ["line 2: field 'overall' is null (must be a number)"]),
    "review rating text": (
        {REVIEWS_FILE: LINES[0] + LINES[1].replace('"overall": 4.0', '"overall": "four"') + LINES[2]},
        REVIEWS_FILE, ["line 2: field 'overall' must be a number, got 'four'"]),
    "review empty asin": (
        {REVIEWS_FILE: LINES[0] + LINES[1].replace('"B0092UF54A"', '""') + LINES[2]},
        REVIEWS_FILE, ["line 2: field 'asin' must be a non-empty string, got ''"]),
    "review line a list": (
        {REVIEWS_FILE: LINES[0] + '["A2XYZ", "B0092UF54A"]\n'}, REVIEWS_FILE,
        ["line 2 holds a JSON list, not a review object"]),
    "review not UTF-8": (
        {REVIEWS_FILE: LINES[0].encode() + LINES[1].replace("A2XYZ", "A2X\xe9Z").encode("latin-1")},
        REVIEWS_FILE, ["line 2 is not UTF-8"]),
    "empty reviews": ({REVIEWS_FILE: "\n\n"}, REVIEWS_FILE, ["holds no reviews"]),
    "truncated gzip reviews": (
        {REVIEWS_FILE: gzip.compress((REVIEWS * 200).encode())[:-30]}, REVIEWS_FILE,
        ["cannot read the file", "truncated or corrupt", f"{DEEPYETI}categoryFilesSmall/{REVIEWS_FILE}"]),
    "ratings non-numeric rating": (
        {RATINGS_FILE: RATINGS.replace(",4.0,", ",four,")}, RATINGS_FILE,
        ["column 'rating'", "line 2: 'four'", "must be a number"]),
    "ratings date for a timestamp": (
        {RATINGS_FILE: RATINGS.replace("1441497600", "2015-09-06")}, RATINGS_FILE,
        ["column 'timestamp'", "line 3: '2015-09-06'", "unix seconds"]),
    "ratings too many fields": (
        {RATINGS_FILE: RATINGS.replace("1441411200", "1441411200,extra")}, RATINGS_FILE,
        ["malformed line", "line 2"]),
    "ratings extra field on the first line": (  # pandas alone would shift every column silently
        {RATINGS_FILE: RATINGS.replace("1441324800", "1441324800,extra")}, RATINGS_FILE,
        ["line 1 has more ','-separated fields than the 4 expected (item,user,rating,timestamp)"]),
    "ratings with a comma at the end of every line": (
        {RATINGS_FILE: RATINGS.replace("\n", ",\n")}, RATINGS_FILE,
        ["line 1 has more ','-separated fields than the 4", "a ',' at the end of a line"]),
    "ratings extra field after a header line": (
        {RATINGS_FILE: "item,user,rating,timestamp\n" + RATINGS.replace("1441324800", "1441324800,x")},
        RATINGS_FILE, ["line 2 has more ','-separated fields than the 4 expected"]),
    "ratings empty user": (
        {RATINGS_FILE: RATINGS.replace("A3XYZ", "")}, RATINGS_FILE, ["column 'user'", "empty", "line 3"]),
    "ratings header with five columns": (
        {RATINGS_FILE: "item,user,rating,timestamp,helpful\n" + RATINGS.replace("\n", ",0\n")}, RATINGS_FILE,
        ["the header line names 5 columns", "expected 4: item,user,rating,timestamp"]),
    "meta not valid JSON": (
        {REVIEWS_FILE: REVIEWS,
         META_FILE: gzip.compress((GOOD_META + '{"asin": "B0092UF54A", "cat\n').encode())},
        META_FILE, ["line 2, column", "not valid JSON", "one product as a JSON object"]),
    "meta line a list": (
        {REVIEWS_FILE: REVIEWS, META_FILE: GOOD_META + '["B0092UF54A"]\n'}, META_FILE,
        ["line 2 holds a JSON list, not a product object"]),
    "meta without asin": (
        {REVIEWS_FILE: REVIEWS, META_FILE: GOOD_META + '{"title": "x"}\n'}, META_FILE,
        ["line 2 has no 'asin'"]),
    "meta category not a list": (
        {REVIEWS_FILE: REVIEWS, META_FILE: GOOD_META + '{"asin": "x", "category": "Clothing"}\n'}, META_FILE,
        ["line 2: 'category' must be a list of names from the root to the leaf", "'Clothing'"]),
    "meta category of paths (2014 shape)": (
        {REVIEWS_FILE: REVIEWS, META_FILE: GOOD_META + '{"asin": "x", "category": [["Clothing"]]}\n'},
        META_FILE, ["line 2: 'category' must be a list of names"]),
    "truncated gzip meta": (
        {REVIEWS_FILE: REVIEWS, META_FILE: gzip.compress((GOOD_META * 200).encode())[:-30]}, META_FILE,
        ["cannot read the file", "truncated or corrupt", f"{DEEPYETI}metaFiles2/{META_FILE}"]),
}


def load_broken(tmp_path: Path, files: dict[str, str | bytes]) -> str:
    folder = tmp_path / "data" / FASHION
    folder.mkdir(parents=True)
    for name, content in files.items():
        data = content.encode("utf-8") if isinstance(content, str) else content
        (folder / name).write_bytes(data)
    with pytest.raises(DataError) as err:
        load(FASHION, data_dir=tmp_path / "data", cache_dir=tmp_path / "cache")
    return str(err.value)


@pytest.mark.parametrize("case", list(BROKEN))
def test_bad_input_names_file_line_and_field(tmp_path, case):
    files, culprit, parts = BROKEN[case]
    message = load_broken(tmp_path, files)
    assert str(tmp_path / "data" / FASHION / culprit) in message, message
    for part in parts:
        assert part in message, message


@pytest.mark.parametrize("files", [{REVIEWS_FILE: REVIEWS, META_FILE: GOOD_META}, {RATINGS_FILE: RATINGS}])
def test_tiny_copies_load(tmp_path, files):
    """The unbroken tiny copies used above load, so each failure above is due to its one defect."""
    folder = tmp_path / "data" / FASHION
    folder.mkdir(parents=True)
    for name, content in files.items():
        (folder / name).write_text(content, encoding="utf-8")
    data = load(FASHION, data_dir=tmp_path / "data", cache_dir=tmp_path / "cache")
    assert (len(data), data.n_users, data.n_items) == (3, 3, 3)
    assert sorted(data.events["timestamp"]) == [1441324800, 1441411200, 1441497600]
    assert data.events.set_index("user").loc["A2XYZ", "item"] == "B0092UF54A"
