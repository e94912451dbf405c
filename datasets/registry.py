"""Dataset names, their status, and `load`.

Names are ``<family>-<variant>`` (``movielens-100k``, ``synthetic-small``, ...). A dataset's raw files
live in ``<data_dir>/<name>/`` (see `seqrec.datasets.locations`). Its status is:

* ``present``: the raw files are in the data directory;
* ``embedded``: not in the data directory, but a copy ships inside this package;
* ``generated``: synthetic, made on demand;
* ``downloadable``: absent, but `load(..., download=True)` fetches it from its public address;
* ``missing``: absent, and it has no public download: the error says which files to put where.
"""

import dataclasses
import functools
import hashlib
import logging
import os
from collections.abc import Callable
from pathlib import Path

import tensorflow_datasets as tfds

from . import (
    amazon,
    amazon2018,
    amazon_reviews,
    lastfm,
    locations,
    movielens,
    netflix,
    pinterest,
    rechorus,
    sequence_files,
    synthetic,
    tianchi,
    yoochoose,
)
from .downloads import DownloadError
from .errors import DatasetNotFoundError
from .interactions import Interactions
from .records import prepare, read_item_records

log = logging.getLogger(__name__)

STATUSES = ("present", "embedded", "generated", "downloadable", "missing")


@dataclasses.dataclass(frozen=True)
class DatasetSpec:
    """How to find, build and describe one dataset.

    Attributes:
      name: ``<family>-<variant>``.
      summary: one line for listings.
      files: the raw files expected in ``<data_dir>/<name>/`` (first the required ones).
      make_builder: ``(source or None, tfds_data_dir) -> tfds builder``; ``None`` source means the
        builder fetches its files itself (embedded copy, download or generation).
      locate: ``folder -> source or None``: the raw files in the dataset's folder.
      url: public download address, if any.
      embedded: a copy ships with the package.
      generated: synthetic data made on demand.
      feature_structure: how the items' ``features`` are organised.
      checksum_pinned: the download at ``url`` is checked against a pinned size/hash; ``False`` where
        none can be pinned (the publisher gives none, or regenerates the file): it is not verified.
      note: said when the dataset is not present (e.g. why there is no download).
      folder: the folder under the data directory that holds the files (default: ``name``; datasets
        published together can share one).
      timed: False when the files hold no times (`Interactions.timed`).
    """

    name: str
    summary: str
    files: tuple[str, ...]
    make_builder: Callable[[Path | None, str], tfds.core.DatasetBuilder]
    locate: Callable[[Path], Path | None] = lambda folder: None
    url: str | None = None
    embedded: bool = False
    generated: bool = False
    feature_structure: str = "none"
    checksum_pinned: bool = False
    note: str = ""
    folder: str | None = None
    timed: bool = True


REGISTRY: dict[str, DatasetSpec] = {}


def register(spec: DatasetSpec) -> DatasetSpec:
    REGISTRY[spec.name] = spec
    return spec


def _builder(cls: type[tfds.core.DatasetBuilder], **config: str
             ) -> Callable[[Path | None, str], tfds.core.DatasetBuilder]:
    """A ``make_builder`` for the raw-file builder class ``cls`` (``config=`` names one of its configs)."""
    return lambda source, tfds_dir: cls(source=source, data_dir=tfds_dir, **config)


def _movielens_spec(release: movielens.Release) -> DatasetSpec:
    optional = [f"{f} (optional)" for f in release.optional_files]
    return DatasetSpec(
        name=f"movielens-{release.config}",
        summary=f"MovieLens {release.config}: ratings, timestamps, titles, genres"
        + (", tags, links" if release.layout == "csv" else ", tags" if release.layout == "dat"
           else ""),
        files=(*release.required_files, *optional, f"or the archive {release.archive}"),
        make_builder=_builder(movielens.MovieLens, config=release.config),
        locate=functools.partial(movielens.locate, release),
        url=release.url,
        embedded=release.config == "latest-small",
        feature_structure="flat",
        checksum_pinned=release.sha256 is not None or release.md5 is not None,
    )


def _netflix_spec() -> DatasetSpec:
    return DatasetSpec(
        name="netflix-prize",
        summary="Netflix Prize: ratings 1-5 with dates, titles, years of release",
        files=netflix.EXPECTED,
        make_builder=_builder(netflix.Netflix),
        locate=netflix.locate,
        feature_structure="none",
        note="Netflix withdrew the public download, so there is none: use your own copy of the data.",
    )


def _category_builder(cls, config_cls, category) -> Callable[[Path | None, str], tfds.core.DatasetBuilder]:
    """A ``make_builder`` for an Amazon category: the builder's own config when it has one by that name,
    else a config made for the category (a category registered by the user)."""
    known = {c.name for c in cls.BUILDER_CONFIGS}
    config = category.config if category.config in known else config_cls(category=category)
    return lambda source, tfds_dir: cls(source=source, data_dir=tfds_dir, config=config)


def amazon_2014_spec(category: amazon.Category) -> DatasetSpec:
    """The dataset ``amazon-2014-<config>`` of a 2014 category (`seqrec.datasets.amazon.category`): pass it
    to `register` for a category not in the release's list."""
    return DatasetSpec(
        name=f"amazon-2014-{category.config}",
        summary=f"Amazon 2014 {category.root}: ratings, timestamps, titles, one category path per item",
        files=(category.ratings_file, f"{category.meta_file} (optional: titles, category paths)"),
        make_builder=_category_builder(amazon.Amazon2014, amazon.AmazonConfig, category),
        locate=functools.partial(amazon.locate, category),
        url=category.ratings_url,
        feature_structure="hierarchy",
        note=f"The download also fetches {category.meta_url}; the sha256 of each downloaded file is "
             "logged.",
    )


def amazon_2014_5core_spec(category: amazon.Category) -> DatasetSpec:
    """The dataset ``amazon-2014-<config>-5core`` of a 2014 category: its 5-core reviews with each item's
    leaf category (`seqrec.datasets.amazon_reviews`); pass it to `register` for a category not in the
    release's list."""
    return DatasetSpec(
        name=f"amazon-2014-{category.config}-5core",
        summary=f"Amazon 2014 {category.root} 5-core reviews: ratings, timestamps, titles, the leaf category "
                "per item (ATRank's rule)",
        files=(f"{category.reviews_file} (or {category.reviews_files[1]})",
               f"{category.meta_file} (optional: titles, categories)"),
        make_builder=_category_builder(amazon_reviews.Amazon2014FiveCore, amazon.AmazonConfig, category),
        locate=functools.partial(amazon_reviews.locate, category),
        url=category.reviews_url,
        feature_structure="flat",
        note=f"The download also fetches {category.meta_url}; the sha256 of each downloaded file is "
             "logged.",
    )


def amazon_2018_spec(category: amazon2018.Category) -> DatasetSpec:
    """The dataset ``amazon-2018-<config>`` of a 2018 category (`seqrec.datasets.amazon2018.category`)."""
    return DatasetSpec(
        name=f"amazon-2018-{category.config}",
        summary=f"Amazon 2018 {category.title}: 5-core reviews (or ratings only), timestamps, titles, "
                "category paths",
        files=(f"{category.reviews_file} (5-core reviews; or {category.reviews_files[1]}, or the "
               f"ratings-only {category.ratings_file})",
               f"{category.meta_file} (optional: titles, category paths)"),
        make_builder=_category_builder(amazon2018.Amazon2018, amazon2018.Amazon2018Config, category),
        locate=functools.partial(amazon2018.locate, category),
        url=category.reviews_url,
        feature_structure="hierarchy",
        note=f"The download also fetches {category.meta_url}; the sha256 of each downloaded file is "
             f"logged. The ratings-only {category.ratings_url} is not downloaded: put it in the folder "
             "yourself to use it instead of the 5-core reviews.",
    )


def _yoochoose_spec() -> DatasetSpec:
    return DatasetSpec(
        name="yoochoose-clicks",
        summary="YOOCHOOSE clicks (RecSys Challenge 2015): sessions as users, implicit, item categories",
        files=(f"{yoochoose.CLICKS_FILE} (or one yoochoose-clicks*.dat)",),
        make_builder=_builder(yoochoose.Yoochoose),
        locate=yoochoose.locate,
        feature_structure="flat",
        note="The RecSys Challenge 2015 site no longer serves the data (CC BY-NC-ND 4.0, YOOCHOOSE GmbH), "
             "so there is no download: extract yoochoose-clicks.dat from your copy of yoochoose-data.7z.",
    )


def _tianchi_spec() -> DatasetSpec:
    return DatasetSpec(
        name="tianchi-mobile",
        summary="Tianchi mobile (Alibaba, Ali Mobile in MTAM): clicks, collects, carts, buys; categories",
        files=(f"{tianchi.USER_FILES[0]} (or {tianchi.USER_FILES[1]})",
               f"{tianchi.ITEM_FILES[0]} (optional; or {tianchi.ITEM_FILES[1]})"),
        make_builder=_builder(tianchi.TianchiMobile),
        locate=tianchi.locate,
        feature_structure="flat",
        note=f"Alibaba distributes the data only to logged-in Tianchi users ({tianchi.HOMEPAGE}), so "
             "there is no download: use your own copy.",
    )


def _lastfm_spec() -> DatasetSpec:
    return DatasetSpec(
        name="lastfm-1k",
        summary="Last.fm 1K users (Celma): plays with timestamps, implicit, songs as (artist, track name)",
        files=(lastfm.PLAYS_FILE, f"or the archive {lastfm.ARCHIVE}"),
        make_builder=_builder(lastfm.LastFM1K),
        locate=lastfm.locate,
        url=lastfm.URL,
        feature_structure="none",
        note="The sha256 of the downloaded archive is logged. UserGRU evaluates on a 10 % subsample: "
             "seqrec.datasets.protocols.subsample_windows.",
    )


def _sequence_files_spec(fileset: sequence_files.FileSet) -> DatasetSpec:
    shared = "amazon-2014-beauty-sports-5core-sequences"
    return DatasetSpec(
        name=fileset.config,
        summary=fileset.description + " (one line per user)",
        files=(fileset.items, *([fileset.times] if fileset.times else [])),
        make_builder=_builder(sequence_files.SequenceFiles, config=fileset.config),
        locate=functools.partial(sequence_files.locate, fileset),
        folder=shared if fileset.times else None,
        timed=fileset.times is not None,
        note="Research copies of the Amazon 2014 data without a public download of this preprocessing: "
             "see their MANIFEST.md for the source repository.",
    )


def _rechorus_spec() -> DatasetSpec:
    return DatasetSpec(
        name="amazon-grocery-rechorus",
        summary="Amazon 2014 Grocery and Gourmet Food 5-core as preprocessed by ReChorus: day-resolution "
                "times, one category per item",
        files=(rechorus.EVENT_FILES[0], f"{rechorus.META_FILE} (optional: categories)"),
        make_builder=_builder(rechorus.ReChorus),
        locate=rechorus.locate,
        feature_structure="flat",
        note="ReChorus (github.com/THUwangcy/ReChorus) commits the files in its data/ folder.",
    )


def _pinterest_spec() -> DatasetSpec:
    return DatasetSpec(
        name="pinterest-iccv",
        summary="Pinterest (Geng et al., ICCV 2015; Ante-RNN's Pinterest): boards as users, images as items, "
                "image URLs, optional descriptions, no times",
        files=(pinterest.BOARDS, pinterest.PINS,
               f"{pinterest.DESCRIPTIONS} (optional: im_name,description, collected by the user)"),
        make_builder=_builder(pinterest.Pinterest),
        locate=pinterest.locate,
        timed=False,
        note=f"No scripted download: the authors share pinterest_iccv from {pinterest.URL} (Google Drive).",
    )


def _synthetic_spec(preset: str) -> DatasetSpec:
    return DatasetSpec(
        name=f"synthetic-{preset}",
        summary=f"synthetic log with planted gap/user structure ({synthetic.PRESETS[preset]})",
        files=(),
        make_builder=lambda source, tfds_dir: synthetic.Synthetic(config=preset, data_dir=tfds_dir),
        generated=True,
        feature_structure="flat",
    )


for _release in movielens.RELEASES.values():
    register(_movielens_spec(_release))
register(_netflix_spec())
for _category in amazon.CATEGORIES.values():
    register(amazon_2014_spec(_category))
for _category in amazon.CATEGORIES.values():
    register(amazon_2014_5core_spec(_category))
for _category2018 in amazon2018.CATEGORIES.values():
    register(amazon_2018_spec(_category2018))
register(_yoochoose_spec())
register(_tianchi_spec())
register(_lastfm_spec())
for _fileset in sequence_files.FILESETS.values():
    register(_sequence_files_spec(_fileset))
register(_rechorus_spec())
register(_pinterest_spec())
for _preset in synthetic.PRESETS:
    register(_synthetic_spec(_preset))


def get(name: str) -> DatasetSpec:
    """The spec of dataset ``name``; an unknown name lists the known ones."""
    if name not in REGISTRY:
        raise DatasetNotFoundError(
            f"Unknown dataset '{name}'. Known datasets: {', '.join(sorted(REGISTRY))}. "
            "Run `python -m seqrec.datasets` to see their status; for your own log use "
            "seqrec.datasets.load_log(path, LogFormat(...)).")
    return REGISTRY[name]


def status(name: str, data_dir: str | os.PathLike | None = None) -> tuple[str, str]:
    """``(status, where)`` of a dataset; ``status`` is one of `STATUSES`."""
    spec = get(name)
    folder = locations.data_dir(data_dir) / (spec.folder or name)
    found = spec.locate(folder)
    if found is not None:
        return "present", str(found)
    if spec.embedded:
        return "embedded", "inside the seqrec package"
    if spec.generated:
        return "generated", "made on demand"
    if spec.url:
        return "downloadable", spec.url
    return "missing", str(folder)


def first_loadable(names, data_dir: str | os.PathLike | None = None) -> str | None:
    """The first of ``names`` that `load` can read without a download (present, embedded or
    generated), or ``None``: how a script picks a paper's dataset or the substitute that stands in."""
    for name in names:
        if status(name, data_dir)[0] in ("present", "embedded", "generated"):
            return name
    return None


def not_present_message(name: str, data_dir: str | os.PathLike | None = None, offer_download: bool = True
                        ) -> str:
    """Where to put dataset ``name``'s files (and, with ``offer_download``, how to download it)."""
    spec = get(name)
    folder = locations.data_dir(data_dir) / (spec.folder or name)
    message = (
        f"Dataset '{name}' is not present: expected {', '.join(spec.files)} in {folder}. "
        f"Put the files there, or point --data-dir (or ${locations.DATA_DIR_ENV}) at the folder "
        f"that holds '{spec.folder or name}/'.")
    if spec.url and offer_download:
        message += (f" It can be downloaded from {spec.url}: run `python -m seqrec.datasets "
                    f"download {name}` or pass download=True.")
        if not spec.checksum_pinned:
            message += " No checksum can be pinned for it, so the download is not verified."
    if spec.note:
        message += f" {spec.note}"
    return message


def _fingerprint(source: Path) -> str:
    """Cheap identity of raw files (paths, sizes, modification times) keying the prepared cache."""
    files = [source] if source.is_file() else sorted(p for p in source.rglob("*") if p.is_file())
    digest = hashlib.sha256()
    for path in files:
        stat = path.stat()
        digest.update(f"{path.relative_to(source.parent)}|{stat.st_size}|{stat.st_mtime_ns}".encode())
    return digest.hexdigest()[:16]


def load(name: str, data_dir: str | os.PathLike | None = None,
         cache_dir: str | os.PathLike | None = None, download: bool = False) -> Interactions:
    """Load dataset ``name`` as `Interactions`, preparing its tensorflow-datasets records if needed.

    Raw files come from ``<data_dir>/<name>/``; without them the embedded or generated copy is used,
    or, with ``download=True``, the public download. Otherwise `DatasetNotFoundError` says which files
    to put where.
    """
    spec = get(name)
    state, where = status(name, data_dir)
    if (state == "downloadable" and not download) or state == "missing":
        raise DatasetNotFoundError(not_present_message(name, data_dir))
    source = Path(where) if state == "present" else None
    key = _fingerprint(source) if source is not None else state
    tfds_dir = locations.cache_dir(cache_dir) / "tfds" / name / key
    with locations.exclusive(tfds_dir):  # the builder is made inside: it reads records made meanwhile
        builder = spec.make_builder(source, str(tfds_dir))
        try:
            prepare(builder, download_dir=str(locations.cache_dir(cache_dir) / "downloads"),
                    download_config=tfds.download.DownloadConfig(verify_ssl=True))
        except DownloadError as err:
            raise DownloadError(f"{err} {not_present_message(name, data_dir, offer_download=False)}") from err
    events, items, tags = read_item_records(builder)
    log.info("loaded %s (%s) from %s", name, state, where)
    return Interactions(name, events, items, feature_structure=spec.feature_structure, tags=tags,
                        source=where if state != "downloadable" else spec.url, timed=spec.timed)
