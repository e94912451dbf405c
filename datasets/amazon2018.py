"""tensorflow-datasets builder for the Amazon Review Data of 2018 (Ni, Li & McAuley, EMNLP 2019).

One config per category of the release (`STEMS`: e.g. ``electronics``, ``cds-and-vinyl``,
``movies-and-tv``, MTAM's three, ``fashion`` for ``AMAZON_FASHION``, ``all-beauty``); `category` makes
one for any other file-name stem. Per category, the interactions come from the first of these that is
present:

1. ``<Cat>_5.json.gz`` or ``<Cat>_5.json``, the **5-core review file** (gzip or plain: the file's first
   bytes decide): one review per line as strict JSON, of which ``reviewerID``, ``asin``, ``overall``
   (the rating) and ``unixReviewTime`` (unix seconds, day resolution) are read;
2. ``<Cat>.csv``, the **ratings-only file**: ``item,user,rating,unix_timestamp`` without a header line.
   The 2018 files put the **item first** (the 2014 files put the user first); a header line, as some
   copies add, is recognised (its rating and timestamp fields are not numbers) and skipped, but one
   that names the user first is refused rather than silently read in the wrong order.

When both are present the reviews are read and the ratings-only file is ignored (a warning says so).

``meta_<Cat>.json.gz`` (optional; gzip or plain, ``meta_<Cat>.json`` too) holds one product per line as
strict JSON (a Python dict literal is accepted too) with ``asin``, ``title``, ``category`` (**one** list
of names from the root to the leaf), ``main_cat``, ... A product listed twice keeps its first line.

Records follow `seqrec.datasets.records` (one example per item) with the title (HTML entities decoded),
the category path as ``features`` (``feature_structure="hierarchy"``) and the extra field ``main_cat``
(HTML entities decoded; some files give it as an ``<img ... alt="Digital Music"/>`` logo tag, which is
replaced by its ``alt`` text).

**The category rule.** Each name of ``category`` has its HTML entities decoded (``&amp;`` -> ``&``) and
surrounding white space stripped; names that are then empty or contain ``<`` or ``>`` (HTML debris such
as ``</span></span></span>``, which the 2018 files carry at the end of some paths; ``>`` also separates
the levels of `seqrec.datasets.features`' hierarchy) are dropped, the others keep their order. A product
without ``category`` (or with only dropped names), and every item when the metadata file is absent,
has no features; the builder logs a warning then (and when products carry the 2014 key ``categories``
instead: the 2014 metadata is not read by this builder).

**Repeated reviews are kept.** The 2018 review files repeat some reviews (e.g. once per product
variant). The builder keeps every line, as the raw data has it, counts the reviews that repeat an
earlier ``(reviewerID, asin, unixReviewTime)`` and the ``(reviewerID, asin)`` pairs seen before, and
logs both; removing them is a protocol step, `seqrec.datasets.protocols.deduplicate`.

**Where the files come from**, in order: the ``source`` folder given to the builder, TFDS' manual
directory, else a download from deepyeti.ucsd.edu of the 5-core reviews (``categoryFilesSmall/``) and
the metadata (``metaFiles2/``); the ratings-only file (``categoryFilesSmall/<Cat>.csv``, beside the
5-core reviews; ``categoryFiles/`` holds the full reviews) is not downloaded, put it in the folder
yourself to use it. No checksum is published for these files, so none can be pinned and the download
is **not verified** beyond being readable; the sha256 of each downloaded file is logged.
"""

import ast
import functools
import html
import json
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import tensorflow_datasets as tfds

from . import readers
from .amazon import config_name, download_unverified, has_header_line, product_items, rating_events
from .errors import DataError, DatasetNotFoundError
from .interactions import count_repeats
from .records import RawFiles, item_examples, item_features_spec

log = logging.getLogger(__name__)

BASE_URL = "https://deepyeti.ucsd.edu/jianmo/amazon/"
RATING_COLUMNS = ("item", "user", "rating", "timestamp")
REVIEW_FIELDS = {"reviewerID": "user", "asin": "item", "overall": "rating", "unixReviewTime": "timestamp"}
EXTRA_TEXT = ("main_cat",)
ENCODINGS = ("utf-8", "latin-1")
HTMLISH = re.compile(r"[<>]")
IMG_ALT = re.compile(r"""<img\b[^>]*\balt\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.IGNORECASE)


@dataclass(frozen=True)
class Category:
    """One category of the 2018 data: its file-name stem and its name."""

    config: str  # e.g. "cds-and-vinyl"
    stem: str  # e.g. "CDs_and_Vinyl", as in the file names
    title: str  # e.g. "CDs & Vinyl"

    @property
    def reviews_file(self) -> str:
        return f"{self.stem}_5.json.gz"

    @property
    def reviews_files(self) -> tuple[str, ...]:
        """Accepted names of the 5-core review file: gzipped or plain."""
        return (self.reviews_file, self.reviews_file.removesuffix(".gz"))

    @property
    def ratings_file(self) -> str:
        return f"{self.stem}.csv"

    @property
    def meta_file(self) -> str:
        return f"meta_{self.stem}.json.gz"

    @property
    def meta_files(self) -> tuple[str, ...]:
        return (self.meta_file, self.meta_file.removesuffix(".gz"))

    @property
    def reviews_url(self) -> str:
        return f"{BASE_URL}categoryFilesSmall/{self.reviews_file}"

    @property
    def ratings_url(self) -> str:
        return f"{BASE_URL}categoryFilesSmall/{self.ratings_file}"

    @property
    def meta_url(self) -> str:
        return f"{BASE_URL}metaFiles2/{self.meta_file}"


STEMS = (  # the 29 per-category files of the 2018 release, as named there
    "AMAZON_FASHION", "All_Beauty", "Appliances", "Arts_Crafts_and_Sewing", "Automotive", "Books",
    "CDs_and_Vinyl", "Cell_Phones_and_Accessories", "Clothing_Shoes_and_Jewelry", "Digital_Music",
    "Electronics", "Gift_Cards", "Grocery_and_Gourmet_Food", "Home_and_Kitchen", "Industrial_and_Scientific",
    "Kindle_Store", "Luxury_Beauty", "Magazine_Subscriptions", "Movies_and_TV", "Musical_Instruments",
    "Office_Products", "Patio_Lawn_and_Garden", "Pet_Supplies", "Prime_Pantry", "Software",
    "Sports_and_Outdoors", "Tools_and_Home_Improvement", "Toys_and_Games", "Video_Games",
)
NAMED = {"AMAZON_FASHION": Category("fashion", "AMAZON_FASHION", "Amazon Fashion")}


def category(stem: str) -> Category:
    """The 2018 category whose files are named after ``stem`` (``All_Beauty`` -> config
    ``all-beauty``, ``All_Beauty_5.json.gz``, ``meta_All_Beauty.json.gz``)."""
    if stem in NAMED:
        return NAMED[stem]
    return Category(config_name(stem), stem, stem.replace("_and_", " & ").replace("_", " "))


CATEGORIES = {c.config: c for c in map(category, STEMS)}


@dataclass(frozen=True)
class Files:
    """The files of one category: the reviews or the ratings-only file (the one read), and metadata."""

    reviews: Path | None
    ratings: Path | None
    meta: Path | None

    @property
    def events(self) -> Path:
        return self.reviews if self.reviews is not None else self.ratings


def _first(source: readers.Source, names: tuple[str, ...]) -> str | None:
    return next((m for m in map(source.find, names) if m is not None), None)


def find_files(category: Category, folder: str | os.PathLike) -> Files:
    """The category's files in ``folder`` (at the top or one folder down); neither the reviews nor the
    ratings-only file raises `DatasetNotFoundError`."""
    folder = Path(folder)
    source = readers.Source(folder)
    reviews, ratings, meta = (_first(source, names) for names in (
        category.reviews_files, (category.ratings_file,), category.meta_files))
    if reviews is None and ratings is None:
        raise DatasetNotFoundError(
            f"{folder}: Amazon 2018 {category.config} needs {category.reviews_file} (the 5-core reviews; "
            f"{category.reviews_files[1]} too) or {category.ratings_file} (ratings only: item,user,rating,"
            f"timestamp), optional {category.meta_file}, at the top of the folder or one folder down. "
            f"Download them from {category.reviews_url} (or {category.ratings_url}) and "
            f"{category.meta_url}.")
    return Files(*(folder / m if m is not None else None for m in (reviews, ratings, meta)))


def locate(category: Category, folder: str | os.PathLike) -> Path | None:
    """``folder`` when it holds the category's reviews or ratings-only file, else ``None``."""
    folder = Path(folder)
    if not folder.is_dir():
        return None
    source = readers.Source(folder)
    return folder if _first(source, (*category.reviews_files, category.ratings_file)) else None


class Amazon2018Config(tfds.core.BuilderConfig):
    """One category of the 2018 Amazon data as a builder config."""

    def __init__(self, *, category: Category, **kwargs):
        super().__init__(name=category.config, description=f"Amazon 2018 {category.title}", **kwargs)
        self.category = category


class Amazon2018(RawFiles, tfds.core.GeneratorBasedBuilder):
    """Amazon 2018 reviews (or ratings) with timestamps, titles and category paths; one example per item."""

    name = "seqrec_amazon2018"
    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "One example per item: title, category path (root -> leaf), main_cat and "
                              "every review, repeats included."}
    BUILDER_CONFIGS = [Amazon2018Config(category=c) for c in CATEGORIES.values()]
    MANUAL_DOWNLOAD_INSTRUCTIONS = (
        "Place <Category>_5.json.gz (or the ratings-only <Category>.csv) and (optional) "
        "meta_<Category>.json.gz in the manual directory."
    )

    def _info(self) -> tfds.core.DatasetInfo:
        category = self.builder_config.category
        description = (
            f"Amazon 2018 {category.title}: the 5-core reviews {category.reviews_file} (or the "
            f"ratings-only {category.ratings_file}) with day-resolution timestamps, repeated reviews "
            f"kept; titles and one category path per item (root -> leaf) from {category.meta_file} when "
            "it is present. Without the metadata file the items have no features.")
        if self._source is not None and locate(category, self._source) is not None:
            files = find_files(category, self._source)
            description += f" This copy reads {files.events.name}."
            if files.meta is None:
                description += f" It has no {category.meta_file}: its items have no features."
        return tfds.core.DatasetInfo(
            builder=self,
            description=description,
            features=item_features_spec(extra_text=EXTRA_TEXT),
            homepage="https://nijianmo.github.io/amazon/index.html",
            citation="Ni, Li & McAuley, Justifying Recommendations using Distantly-Labeled Reviews and "
                     "Fine-Grained Aspects, EMNLP-IJCNLP 2019.",
        )

    def _find_files(self, dl_manager) -> Files:
        category = self.builder_config.category
        folder, found = self._find_folder(dl_manager, functools.partial(locate, category))
        if found:
            return find_files(category, folder)
        paths = download_unverified(dl_manager, {"reviews": category.reviews_url, "meta": category.meta_url},
                                    log)
        return Files(paths["reviews"], None, paths["meta"])

    def _split_generators(self, dl_manager):
        return {"full": self._generate_examples(self._find_files(dl_manager))}

    def _generate_examples(self, files: Files):
        category = self.builder_config.category
        if files.reviews is not None:
            if files.ratings is not None:
                log.warning("%s: both the 5-core reviews and %s are present; reading the reviews and "
                            "ignoring %s", files.reviews.parent, category.ratings_file, files.ratings)
            events = parse_reviews(files.reviews, category)
        else:
            events = parse_ratings(files.ratings)
        log_repeats(events, str(files.events))
        if files.meta is None:
            log.warning("%s: no %s beside it; the items have no titles and no category features",
                        files.events, category.meta_file)
            items = pd.DataFrame({"title": [], "features": [], "main_cat": []}, index=pd.Index([]))
        else:
            items = parse_metadata(files.meta, category)
        yield from item_examples(events, items, extra_text=EXTRA_TEXT)


def log_repeats(events: pd.DataFrame, label: str) -> None:
    exact, pairs = count_repeats(events)
    if exact or pairs:
        log.warning("%s: %d of %d events repeat an earlier (user, item, timestamp) exactly and %d repeat "
                    "an earlier (user, item) pair; all are kept (seqrec.datasets.protocols.deduplicate "
                    "removes them)", label, exact, len(events), pairs)


def _json_line(raw: bytes, label: str, number: int, what: str, example: str) -> dict | None:
    """One JSON-lines record as a dict (``None`` for a blank line); a Python dict literal is accepted
    as a fallback."""
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise DataError(f"{label}: line {number} is not UTF-8 ({err}); Amazon's review files are UTF-8 JSON "
                        "lines.") from None
    line = line.strip()
    if not line:
        return None
    try:
        record = json.loads(line)
    except json.JSONDecodeError as json_error:
        try:
            record = ast.literal_eval(line)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            raise DataError(
                f"{label}: line {number}, column {json_error.colno}: not valid JSON ({json_error.msg}): "
                f"{line[:120]!r}. Each line must hold one {what} as a JSON object, e.g. {example}."
            ) from None
    if not isinstance(record, dict):
        raise DataError(f"{label}: line {number} holds a JSON {type(record).__name__}, not a {what} "
                        f"object: {line[:120]!r}.")
    return record


REVIEW_EXAMPLE = ('{"reviewerID": "A2GJX2KCUSR0EI", "asin": "B000K2PJ4K", "overall": 5.0, '
                  '"unixReviewTime": 1441324800}')


def _review_value(record: dict, field: str, label: str, number: int):
    """A validated field of a review: non-empty string ids, numeric rating, integer unix time."""
    value = record.get(field)
    if field in ("reviewerID", "asin"):
        if isinstance(value, str) and value.strip():
            return value.strip()
        expected = "a non-empty string"
    elif isinstance(value, int | float) and not isinstance(value, bool):
        return value
    else:
        expected = "a number"
    problem = ("is missing" if field not in record else
               f"is null (must be {expected})" if value is None else f"must be {expected}, got {value!r}")
    raise DataError(f"{label}: line {number}: field '{field}' {problem}. Every review needs reviewerID, "
                    f"asin, overall and unixReviewTime, e.g. {REVIEW_EXAMPLE}.")


def parse_reviews(path: Path, category: Category) -> pd.DataFrame:
    """A 5-core review file (gzip or plain JSON lines) as events ``user, item, rating, timestamp``; every
    line is kept, repeats included."""
    label = str(path)
    columns: dict[str, list] = {name: [] for name in REVIEW_FIELDS.values()}
    for number, raw in readers.numbered_lines(path, category.reviews_url):
        record = _json_line(raw, label, number, "review", REVIEW_EXAMPLE)
        if record is None:
            continue
        for field, name in REVIEW_FIELDS.items():
            columns[name].append(_review_value(record, field, label, number))
    if not columns["user"]:
        raise DataError(f"{label}: the file holds no reviews; expected one JSON review per line.")
    times = np.asarray(columns["timestamp"])  # integers in the files; a fraction is floored
    return pd.DataFrame({
        "user": pd.Series(columns["user"], dtype=object),
        "item": pd.Series(columns["item"], dtype=object),
        "rating": np.asarray(columns["rating"], dtype=np.float32),
        "timestamp": np.floor(times).astype(np.int64) if times.dtype.kind == "f" else times.astype(np.int64),
    })


def parse_ratings(path: Path) -> pd.DataFrame:
    """A ratings-only ``<Cat>.csv`` (``item,user,rating,timestamp``) as events."""
    label = str(path)
    text = readers.decode_text(path.read_bytes(), label, ENCODINGS).lstrip("\ufeff")
    if has_header_line(text):
        frame, lines = readers.read_delimited(text, label, sep=",")
        names = [str(c).lower() for c in frame.columns]
        if len(names) != len(RATING_COLUMNS):
            raise DataError(
                f"{label}: the header line names {len(names)} columns {list(frame.columns)}; expected 4: "
                "item,user,rating,timestamp (the original files have no header line).")
        if any(word in names[0] for word in ("user", "reviewer")):
            raise DataError(
                f"{label}: line 1, the header, names the user first ({list(frame.columns)}); the 2018 "
                "ratings-only files are item,user,rating,timestamp. Put the columns in that order (the "
                "original files have no header line).")
        frame.columns = list(RATING_COLUMNS)
    else:
        frame, lines = readers.read_delimited(text, label, sep=",", names=RATING_COLUMNS)
    return rating_events(frame, label, lines)


def category_path(value, label: str, number: int) -> tuple[str, ...]:
    """The category rule (see the module docstring) applied to a product's ``category`` list."""
    if value is None:
        return ()
    if not isinstance(value, list | tuple) or not all(isinstance(n, str) for n in value):
        raise DataError(
            f"{label}: line {number}: 'category' must be a list of names from the root to the leaf, e.g. "
            f"[\"Electronics\", \"Computers & Accessories\"]; got {str(value)[:120]!r}.")
    names = (html.unescape(n).strip() for n in value)
    return tuple(n for n in names if n and not HTMLISH.search(n))


META_EXAMPLE = '{"asin": "B000K2PJ4K", "title": "...", "category": ["Clothing, Shoes & Jewelry", "Men"]}'


def _text(value) -> str:
    """A text field with its HTML entities decoded and surrounding white space stripped."""
    return "" if value is None else html.unescape(str(value)).strip()


def main_category(value) -> str:
    """``main_cat`` as text: a logo tag ``<img ... alt="Digital Music"/>`` becomes its ``alt`` text."""
    text = "" if value is None else str(value)
    found = IMG_ALT.search(text)
    return _text(next(g for g in found.groups() if g is not None) if found else text)


def parse_metadata(path: Path, category: Category) -> pd.DataFrame:
    """A ``meta_<Cat>.json.gz`` file (gzip or plain) as items indexed by ASIN with ``title``,
    ``features`` (the category path) and ``main_cat``."""
    label = str(path)
    rows: dict[str, tuple[str, tuple[str, ...], str]] = {}
    duplicates = legacy = 0
    for number, raw in readers.numbered_lines(path, category.meta_url):
        record = _json_line(raw, label, number, "product", META_EXAMPLE)
        if record is None:
            continue
        asin = record.get("asin")
        if not isinstance(asin, str) or not asin.strip():
            raise DataError(f"{label}: line {number} has no 'asin' (the product id); every "
                            f"product line needs one, e.g. {META_EXAMPLE}.")
        asin = asin.strip()
        if asin in rows:
            duplicates += 1
            continue
        legacy += "categories" in record and "category" not in record
        rows[asin] = (_text(record.get("title")),
                      category_path(record.get("category"), label, number),
                      main_category(record.get("main_cat")))
    if not rows:
        raise DataError(f"{label}: the file holds no products; expected one JSON product per line.")
    if duplicates:
        log.warning("%s: %d repeated product line(s) ignored (the first line of each asin is kept)",
                    label, duplicates)
    if legacy:
        log.warning("%s: %d product(s) have the 2014 key 'categories' and no 'category': this looks like "
                    "2014 metadata, whose paths this builder does not read (they get no features); use "
                    "the 2018 meta_<Cat>.json.gz", label, legacy)
    return product_items(rows, "main_cat", label, log)
