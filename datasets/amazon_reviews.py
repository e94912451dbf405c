"""tensorflow-datasets builder for the Amazon 2014 **5-core reviews** with the metadata's categories, one
config per category: the data of ATRank, DIN and DMRAN (Amazon Electronics and Clothing).

One config per category of the 2014 release (`seqrec.datasets.amazon.STEMS`: ``electronics``,
``clothing-shoes-and-jewelry``, ...); `seqrec.datasets.amazon.category` makes one for any other file-name
stem. Per category two files are read:

* ``reviews_<Category>_5.json.gz`` (required; gzip or plain, ``reviews_<Category>_5.json`` too: the file's
  first bytes decide), the 5-core subset (every user and item has at least 5 reviews): one review per
  line, strict JSON (a Python dict literal is accepted too), of which ``reviewerID``, ``asin``,
  ``overall`` (the rating) and ``unixReviewTime`` (unix seconds, day resolution) are read, by the 2018
  builder's reader (`seqrec.datasets.amazon2018.parse_reviews`). Every line is kept; repeats are counted
  and logged (`seqrec.datasets.protocols.deduplicate` removes them).
* ``meta_<Category>.json.gz`` (optional; gzip or plain, ``meta_<Category>.json`` too): one product per line
  as a Python dict literal, read by `seqrec.datasets.amazon.products`; only the products that have
  reviews are kept (as ATRank's and DIN's ``1_convert_pd.py`` keep them).

**The category rule (ATRank's and DIN's).** An item's category is the **leaf** (the last name) of the
**last** path listed in its ``categories``: their ``2_remap_id.py`` maps ``categories`` with
``x[-1][-1]`` (read in zhougr1993/DeepInterestNetwork and jinze1994/ATRank, ``utils/2_remap_id.py``), and
numbers the distinct leaf *names* (801 in Electronics; two paths ending in the same name share the
category). Names are stripped and empty names and paths dropped first (the authors' code keeps them; it
would fail on an empty path). The category is the item's one **flat** feature (``features = (leaf,)``,
``feature_structure="flat"``), so `seqrec.datasets.features.item_categories` returns it; every path is
kept as JSON in the item field ``categories`` for another choice (e.g. `seqrec.datasets.amazon.choose_path`).
An item without a metadata line or without categories, and every item when the metadata file is absent,
has no feature; the builder logs how many.

**Where the files come from**, in order: the ``source`` folder given to the builder, TFDS' manual
directory, else a download from snap.stanford.edu (``reviews_<Category>_5.json.gz`` and
``meta_<Category>.json.gz``), **not verified** (no checksum is published; the sha256 of each downloaded
file is logged).
"""

import logging
import os
from pathlib import Path

import pandas as pd
import tensorflow_datasets as tfds

from . import readers
from .amazon import (
    CATEGORIES,
    EXTRA_TEXT,
    AmazonConfig,
    Category,
    CategoryBuilder,
    category_paths,
    paths_json,
    product_items,
    products,
    title,
)
from .amazon2018 import log_repeats, parse_reviews
from .errors import DatasetNotFoundError
from .records import RawFiles, item_examples

log = logging.getLogger(__name__)


def _first(source: readers.Source, names: tuple[str, ...]) -> str | None:
    return next((m for m in map(source.find, names) if m is not None), None)


def locate(category: Category, folder: str | os.PathLike) -> Path | None:
    """``folder`` when it holds the category's 5-core reviews file (at the top or one folder down)."""
    folder = Path(folder)
    if folder.is_dir() and _first(readers.Source(folder), category.reviews_files) is not None:
        return folder
    return None


def find_files(category: Category, folder: str | os.PathLike) -> tuple[Path, Path | None]:
    """``(reviews file, metadata file or None)`` in ``folder``; a missing reviews file raises
    `DatasetNotFoundError`."""
    folder = Path(folder)
    source = readers.Source(folder)
    reviews = _first(source, category.reviews_files)
    if reviews is None:
        raise DatasetNotFoundError(
            f"{folder}: Amazon 2014 {category.config} 5-core needs {category.reviews_file} (or "
            f"{category.reviews_files[1]}; optional: {category.meta_file} for titles and categories), at "
            f"the top of the folder or one folder down. Download them from {category.reviews_url} and "
            f"{category.meta_url}.")
    meta = _first(source, category.meta_files)
    return folder / reviews, (folder / meta if meta is not None else None)


def leaf_category(paths: list[tuple[str, ...]]) -> str:
    """The category rule: the last name of the last path (``""`` when there is none)."""
    return paths[-1][-1] if paths else ""


def parse_metadata(path: Path, category: Category, reviewed: set[str]) -> pd.DataFrame:
    """The products of ``meta_<Category>.json.gz`` that have reviews (``reviewed`` ASINs) as items indexed by
    ASIN with ``title``, ``features`` (``(leaf,)``, see `leaf_category`; ``()`` without categories) and
    ``categories`` (every path, as JSON)."""
    rows: dict[str, tuple[str, tuple[str, ...], str]] = {}
    for number, asin, record in products(path, category.meta_url, wanted=reviewed):
        paths = category_paths(record, str(path), number)
        leaf = leaf_category(paths)
        rows[asin] = (title(record), (leaf,) if leaf else (), paths_json(paths))
    missing = len(reviewed) - len(rows)
    if missing:
        log.warning("%s: %d of the %d reviewed items have no product line; they have no title and no "
                    "category", path, missing, len(reviewed))
    if not rows:
        return pd.DataFrame({"title": [], "features": [], "categories": []}, index=pd.Index([]))
    return product_items(rows, "categories", str(path), log)


class Amazon2014FiveCore(CategoryBuilder, RawFiles, tfds.core.GeneratorBasedBuilder):
    """Amazon 2014 5-core reviews with timestamps, titles and each item's leaf category; one example per
    item."""

    name = "seqrec_amazon2014_5core"
    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "One example per reviewed item: title, leaf category (ATRank's rule), every "
                              "category path as JSON, and its reviews."}
    BUILDER_CONFIGS = [AmazonConfig(category=c) for c in CATEGORIES.values()]
    MANUAL_DOWNLOAD_INSTRUCTIONS = (
        "Place reviews_<Category>_5.json.gz and (optional) meta_<Category>.json.gz in the manual directory."
    )
    main, logger = "reviews", log
    locate = staticmethod(locate)
    find_files = staticmethod(find_files)

    def description(self, category: Category) -> str:
        return (f"Amazon 2014 {category.root} 5-core reviews ({category.reviews_file}) with day-resolution "
                f"timestamps; titles and each item's category, the leaf of its last category path "
                f"(ATRank's and DIN's rule), from {category.meta_file} when it is present. Without the "
                "metadata file the items have no features.")

    def _generate_examples(self, reviews: Path, meta: Path | None):
        category = self.builder_config.category
        events = parse_reviews(reviews, category)
        log_repeats(events, str(reviews))
        if meta is None:
            log.warning("%s: no %s beside it; the items have no titles and no categories", reviews,
                        category.meta_file)
            items = pd.DataFrame({"title": [], "features": [], "categories": []}, index=pd.Index([]))
        else:
            items = parse_metadata(meta, category, set(events["item"]))
        yield from item_examples(events, items, extra_text=EXTRA_TEXT)
