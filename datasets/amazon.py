"""tensorflow-datasets builder for the Amazon product data of 2014 (McAuley et al.), one config per category.

One config per category of the release (`STEMS`, e.g. ``electronics``, ``home-and-kitchen``,
``clothing-shoes-and-jewelry``, ``sports-and-outdoors``: IARN's four); `category` makes one for any other
file-name stem. Per category two files are read:

* ``ratings_<Category>.csv`` (required), the ratings-only file: ``user,item,rating,unix_timestamp``
  without a header line (a header line, as some copies add, is recognised and skipped: a first line
  whose rating and timestamp fields are not numbers);
* ``meta_<Category>.json.gz`` (optional; gzip or plain text, ``meta_<Category>.json`` too): one product
  per line, a Python dict literal (single quotes, not strict JSON; read with ``ast.literal_eval``,
  strict JSON is accepted too) with ``asin``, ``title`` (often missing), ``categories`` (a list of
  category paths, each a list of names from the root to the leaf), ``salesRank``, ``related``, ...

Records follow `seqrec.datasets.records` (one example per item) with the title, **one category path as
``features``** (ordered root -> leaf, ``feature_structure="hierarchy"``) and the extra field
``categories``: every path of the item as JSON, so that another choice can be made later.

**The path rule.** An item listed under several paths gets one of them (IARN's hierarchical encoder,
Eq. 12, follows one chain): among the paths whose root is the dataset's own top category (e.g.
``Electronics`` in ``meta_Electronics``), or among all paths when none is, the longest; ties go to the
path listed first. Empty names are dropped. An item without ``categories`` (or with only empty paths),
and every item when the metadata file is absent, has no features; the builder logs a warning then.

**Where the files come from**, in order: the ``source`` folder given to the builder, TFDS' manual
directory, else a download from snap.stanford.edu (``ratings_<Category>.csv`` and
``meta_<Category>.json.gz``). No checksum is published for these files, so none can be pinned and the
download is **not verified**; the sha256 of each downloaded file is logged.
"""

import ast
import functools
import hashlib
import json
import logging
import os
import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import tensorflow_datasets as tfds

from . import downloads, readers
from .errors import DataError, DatasetNotFoundError
from .records import RawFiles, item_examples, item_features_spec

log = logging.getLogger(__name__)

BASE_URL = "http://snap.stanford.edu/data/amazon/productGraph/categoryFiles/"
RATING_COLUMNS = ("user", "item", "rating", "timestamp")
EXTRA_TEXT = ("categories",)
ENCODINGS = ("utf-8", "latin-1")
HOMEPAGE = "https://jmcauley.ucsd.edu/data/amazon/"
CITATION = ("McAuley, Targett, Shi & van den Hengel, Image-based Recommendations on Styles and Substitutes, "
            "SIGIR 2015; He & McAuley, Ups and Downs, WWW 2016.")


@dataclass(frozen=True)
class Category:
    """One category of the 2014 data: its file names and its top category in the metadata paths."""

    config: str  # e.g. "home-and-kitchen"
    stem: str  # e.g. "Home_and_Kitchen", as in the file names
    root: str  # e.g. "Home & Kitchen", the first name of the category's own paths

    @property
    def ratings_file(self) -> str:
        return f"ratings_{self.stem}.csv"

    @property
    def meta_file(self) -> str:
        return f"meta_{self.stem}.json.gz"

    @property
    def meta_files(self) -> tuple[str, ...]:
        """Accepted names of the metadata file: gzipped or plain."""
        return (self.meta_file, self.meta_file.removesuffix(".gz"))

    @property
    def reviews_file(self) -> str:
        """The 5-core reviews (`seqrec.datasets.amazon_reviews`): users and items with 5 reviews or more."""
        return f"reviews_{self.stem}_5.json.gz"

    @property
    def reviews_files(self) -> tuple[str, ...]:
        """Accepted names of the 5-core reviews file: gzipped or plain."""
        return (self.reviews_file, self.reviews_file.removesuffix(".gz"))

    @property
    def ratings_url(self) -> str:
        return BASE_URL + self.ratings_file

    @property
    def reviews_url(self) -> str:
        return BASE_URL + self.reviews_file

    @property
    def meta_url(self) -> str:
        return BASE_URL + self.meta_file


STEMS = (  # the 24 per-category files of the 2014 release, as named there
    "Books", "Electronics", "Movies_and_TV", "CDs_and_Vinyl", "Clothing_Shoes_and_Jewelry",
    "Home_and_Kitchen", "Kindle_Store", "Sports_and_Outdoors", "Cell_Phones_and_Accessories",
    "Health_and_Personal_Care", "Toys_and_Games", "Video_Games", "Tools_and_Home_Improvement", "Beauty",
    "Apps_for_Android", "Office_Products", "Pet_Supplies", "Automotive", "Grocery_and_Gourmet_Food",
    "Patio_Lawn_and_Garden", "Baby", "Digital_Music", "Musical_Instruments", "Amazon_Instant_Video",
)
COMMA_ROOTS = {"Clothing_Shoes_and_Jewelry": "Clothing, Shoes & Jewelry",
               "Patio_Lawn_and_Garden": "Patio, Lawn & Garden"}


def config_name(stem: str) -> str:
    """The config (and dataset-name) part of a file-name stem: ``Movies_and_TV`` -> ``movies-and-tv``."""
    return stem.lower().replace("_", "-")


def category(stem: str) -> Category:
    """The 2014 category whose files are named after ``stem`` (``Home_and_Kitchen``); its top category in
    the metadata follows from it (``Home & Kitchen``)."""
    root = COMMA_ROOTS.get(stem, stem.replace("_and_", " & ").replace("_", " "))
    return Category(config_name(stem), stem, root)


CATEGORIES = {c.config: c for c in map(category, STEMS)}


def locate(category: Category, folder: str | os.PathLike) -> Path | None:
    """``folder`` when it holds the category's ratings file (at the top or one folder down)."""
    folder = Path(folder)
    if folder.is_dir() and readers.Source(folder).has(category.ratings_file):
        return folder
    return None


def find_files(category: Category, folder: str | os.PathLike) -> tuple[Path, Path | None]:
    """``(ratings file, metadata file or None)`` in ``folder``; a missing ratings file raises
    `DatasetNotFoundError`."""
    folder = Path(folder)
    source = readers.Source(folder)
    ratings = source.find(category.ratings_file)
    if ratings is None:
        raise DatasetNotFoundError(
            f"{folder}: Amazon 2014 {category.config} needs {category.ratings_file} (optional: "
            f"{category.meta_file}), at the top of the folder or one folder down. Download them from "
            f"{category.ratings_url} and {category.meta_url}.")
    meta = next((m for m in map(source.find, category.meta_files) if m is not None), None)
    return folder / ratings, (folder / meta if meta is not None else None)


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def download_unverified(dl_manager, urls: dict[str, str], logger: logging.Logger) -> dict[str, Path]:
    """Download ``urls`` (``{key: url}``) with TFDS' ``dl_manager``, returning ``{key: path}``.

    No checksum is published for the Amazon files, so none is checked: ``logger`` warns that the
    download is not verified and logs the sha256 of each downloaded file.
    """
    logger.warning("downloading %s; no checksum is published for them, so the download is not verified",
                   " and ".join(urls.values()))
    paths = downloads.download(dl_manager, urls)
    for key, url in urls.items():
        logger.info("downloaded %s: %s, sha256 %s (unverified: no published checksum)", url, paths[key],
                    sha256(Path(paths[key])))
    return {key: Path(paths[key]) for key in urls}


class AmazonConfig(tfds.core.BuilderConfig):
    """One category of the 2014 Amazon data as a builder config."""

    def __init__(self, *, category: Category, **kwargs):
        super().__init__(name=category.config, description=f"Amazon 2014 {category.root}", **kwargs)
        self.category = category


class CategoryBuilder:
    """What the two builders of the 2014 per-category files share (`Amazon2014` and
    `seqrec.datasets.amazon_reviews.Amazon2014FiveCore`): the dataset info, which says when a copy lacks
    the metadata file, and finding (``locate``, ``find_files``) or else downloading the category's main
    file (``main``: ``"ratings"`` or ``"reviews"``) and its metadata, logged to ``logger``. Mixed into a
    tfds builder with `RawFiles`; ``description(category)`` is each builder's own."""

    main = "ratings"
    logger = log
    locate = staticmethod(locate)
    find_files = staticmethod(find_files)

    def description(self, category: Category) -> str:
        raise NotImplementedError

    def _info(self) -> tfds.core.DatasetInfo:
        category = self.builder_config.category
        description = self.description(category)
        if self._source is not None and self.locate(category, self._source) is not None \
                and self.find_files(category, self._source)[1] is None:
            description += f" This copy has no {category.meta_file}: its items have no features."
        return tfds.core.DatasetInfo(builder=self, description=description,
                                     features=item_features_spec(extra_text=EXTRA_TEXT), homepage=HOMEPAGE,
                                     citation=CITATION)

    def _find_files(self, dl_manager) -> tuple[Path, Path | None]:
        category = self.builder_config.category
        folder, found = self._find_folder(dl_manager, functools.partial(self.locate, category))
        if found:
            return self.find_files(category, folder)
        urls = {self.main: getattr(category, f"{self.main}_url"), "meta": category.meta_url}
        paths = download_unverified(dl_manager, urls, self.logger)
        return paths[self.main], paths["meta"]

    def _split_generators(self, dl_manager):
        return {"full": self._generate_examples(*self._find_files(dl_manager))}


class Amazon2014(CategoryBuilder, RawFiles, tfds.core.GeneratorBasedBuilder):
    """Amazon 2014 ratings with timestamps, titles and one category path per item; one example per item."""

    name = "seqrec_amazon2014"
    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "One example per item: title, category path (root -> leaf) and ratings."}
    BUILDER_CONFIGS = [AmazonConfig(category=c) for c in CATEGORIES.values()]
    MANUAL_DOWNLOAD_INSTRUCTIONS = (
        "Place ratings_<Category>.csv and (optional) meta_<Category>.json.gz in the manual directory."
    )

    def description(self, category: Category) -> str:
        return (f"Amazon 2014 {category.root}: ratings with day-resolution timestamps; item titles and one "
                f"category path per item (root -> leaf) from {category.meta_file} when it is present. "
                "Without the metadata file the items have no features.")

    def _generate_examples(self, ratings: Path, meta: Path | None):
        category = self.builder_config.category
        events = parse_ratings(ratings)
        if meta is None:
            log.warning("%s: no %s beside it; the items have no titles and no category features",
                        ratings, category.meta_file)
            items = pd.DataFrame({"title": [], "features": [], "categories": []}, index=pd.Index([]))
        else:
            items = parse_metadata(meta, category)
        yield from item_examples(events, items, extra_text=EXTRA_TEXT)


def _is_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


def has_header_line(text: str) -> bool:
    """Whether a ratings-only file (``text``, without a byte order mark) starts with a header line:
    a first line whose 3rd and 4th fields (the rating and the timestamp) are not numbers."""
    first = text.split("\n", 1)[0].rstrip("\r").split(",")
    return len(first) >= 4 and not _is_number(first[2]) and not _is_number(first[3])


def rating_events(frame: pd.DataFrame, label: str, lines: int) -> pd.DataFrame:
    """The ``user, item, rating, timestamp`` (unix seconds) columns of a ratings-only file, read by
    `readers.read_delimited` (``lines`` header lines), as validated events."""
    return pd.DataFrame({
        "user": readers.ids(frame, "user", label, lines),
        "item": readers.ids(frame, "item", label, lines),
        "rating": readers.numbers(frame, "rating", label, lines),
        "timestamp": readers.timestamps(frame, "timestamp", label, lines, fmt="unix"),
    })


def parse_ratings(path: Path) -> pd.DataFrame:
    """A ``ratings_<Category>.csv`` file as events ``user, item, rating, timestamp``."""
    label = str(path)
    text = readers.decode_text(path.read_bytes(), label, ENCODINGS)
    if has_header_line(text.lstrip("\ufeff")):
        frame, lines = readers.read_delimited(text.lstrip("\ufeff"), label, sep=",")
        if len(frame.columns) != len(RATING_COLUMNS):
            raise DataError(
                f"{label}: the header line names {len(frame.columns)} columns {list(frame.columns)}; "
                "expected 4: user,item,rating,timestamp (the original files have no header line).")
        frame.columns = list(RATING_COLUMNS)
    else:
        frame, lines = readers.read_delimited(text, label, sep=",", names=RATING_COLUMNS)
    return rating_events(frame, label, lines)


def _record(line: str, label: str, number: int) -> dict:
    try:
        record = ast.literal_eval(line)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError) as literal_error:
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            raise DataError(
                f"{label}: line {number} is neither a Python dict literal (the 2014 format) nor JSON "
                f"({type(literal_error).__name__}: {literal_error}): {line[:120]!r}. Each line must hold "
                "one product, e.g. {'asin': '0132793040', 'categories': [['Electronics', ...]]}.") from None
    if not isinstance(record, dict):
        raise DataError(f"{label}: line {number} holds a {type(record).__name__}, not a product dict: "
                        f"{line[:120]!r}.")
    return record


def _paths(value, label: str, number: int) -> list[tuple[str, ...]]:
    """The ``categories`` value of a product as clean paths; a wrong shape raises `DataError`."""
    if not isinstance(value, list | tuple) or not all(
            isinstance(p, list | tuple) and all(isinstance(n, str) for n in p) for p in value):
        raise DataError(
            f"{label}: line {number}: 'categories' must be a list of category paths, each a list of "
            f"names from the root to the leaf, e.g. [['Electronics', 'Computers & Accessories']]; got "
            f"{str(value)[:120]!r}.")
    paths = [tuple(n.strip() for n in p if n.strip()) for p in value]
    return [p for p in paths if p]


def choose_path(paths: list[tuple[str, ...]], root: str) -> tuple[str, ...]:
    """The path rule: among the paths under ``root`` (or all, if none is), the longest; ties go to the
    first listed. ``()`` when there is no path."""
    own = [p for p in paths if p[0] == root] or paths
    return max(own, key=len, default=())  # max keeps the first of equal lengths


LEADING_ASIN = re.compile(r"""\s*\{\s*['"]asin['"]\s*:\s*['"]([^'"\\]+)['"]""")


def products(path: Path, url: str, wanted: Collection[str] | None = None
             ) -> Iterator[tuple[int, str, dict]]:
    """``(line number, ASIN, product dict)`` for each product line of a 2014 metadata file (gzip or plain),
    the first line of each ASIN; a later line of the same ASIN is skipped (and counted in a warning).

    With ``wanted``, only those ASINs are read: a line that starts with another ASIN
    (``{'asin': '...'``, as every line of the 2014 files does) is skipped without being parsed, which
    spares parsing the products a 5-core subset does not hold; a line that does not start so is
    parsed (and reported if malformed). An unreadable line raises `DataError` naming ``path`` and the
    line; an unreadable file says to download it again from ``url``.
    """
    label = str(path)
    seen: set[str] = set()
    lines = duplicates = 0
    for number, raw in readers.numbered_lines(path, url):
        line = readers.decode_text(raw, f"{label}: line {number}", ENCODINGS).strip()
        if not line:
            continue
        lines += 1
        if wanted is not None:
            leading = LEADING_ASIN.match(line)
            if leading is not None and leading.group(1).strip() not in wanted:
                continue
        record = _record(line, label, number)
        asin = record.get("asin")
        if not isinstance(asin, str) or not asin.strip():
            raise DataError(f"{label}: line {number} has no 'asin' (the product id): {line[:120]!r}. "
                            "Every product line needs one.")
        asin = asin.strip()
        if asin in seen:
            duplicates += 1
            continue
        seen.add(asin)
        if wanted is None or asin in wanted:
            yield number, asin, record
    if not lines:
        raise DataError(f"{label}: the file holds no products; expected one product per line.")
    if duplicates:
        log.warning("%s: %d duplicate product line(s) ignored (the first line of each ASIN is kept)",
                    label, duplicates)


def category_paths(record: dict, label: str, number: int) -> list[tuple[str, ...]]:
    """Every category path of a product (``categories``), names stripped, empty names and paths dropped."""
    return _paths(record.get("categories", []), label, number)


def title(record: dict) -> str:
    """A product's ``title`` as text (``""`` when missing or null)."""
    value = record.get("title", "")
    return "" if value is None else str(value)


def paths_json(paths: list[tuple[str, ...]]) -> str:
    """Every path of an item as JSON, the extra field ``categories``."""
    return json.dumps([list(p) for p in paths], ensure_ascii=False)


def parse_metadata(path: Path, category: Category) -> pd.DataFrame:
    """A ``meta_<Category>.json.gz`` file (gzip or plain) as items indexed by ASIN with ``title``,
    ``features`` (one category path, see `choose_path`) and ``categories`` (every path, as JSON)."""
    rows: dict[str, tuple[str, tuple[str, ...], str]] = {}
    for number, asin, record in products(path, category.meta_url):
        paths = category_paths(record, str(path), number)
        rows[asin] = (title(record), choose_path(paths, category.root), paths_json(paths))
    return product_items(rows, "categories", str(path), log)


def product_items(rows: dict[str, tuple[str, tuple[str, ...], str]], extra: str, label: str,
                  logger: logging.Logger) -> pd.DataFrame:
    """Items indexed by ASIN from ``rows`` (``{asin: (title, category path, extra field)}``) with
    ``title``, ``features`` (the path) and the extra Text field ``extra``; ``logger`` logs how many
    products there are and how many have no category path (``label`` names the metadata file)."""
    titles, features, extras = zip(*rows.values(), strict=True)
    items = pd.DataFrame({"title": list(titles), "features": list(features), extra: list(extras)},
                         index=pd.Index(list(rows), dtype=object))
    without = int((items["features"].map(len) == 0).sum())
    logger.info("%s: %d products, %d without a category path", label, len(items), without)
    return items
