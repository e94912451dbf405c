"""tensorflow-datasets builder for a user's own interaction log (CSV, TSV or parquet, plain or compressed
with gzip, bz2 or zip).

The user names the columns::

    from seqrec.datasets import LogFormat, load_log
    log = load_log("clicks.tsv.gz", LogFormat(user="session", item="sku", timestamp="ts",
                                              time_format="iso", rating=None))

``rating=None`` marks implicit feedback (every event gets rating 1.0). An optional ``features`` column
holds item features separated by ``feature_sep`` (flat, or a category path root -> leaf with
``feature_structure="hierarchy"``); an item's features are taken from its first event. An optional
``behavior`` column keeps only the events whose behaviour type is one of ``keep`` (``pv``, ``buy``...).
What reading left out (rows of other behaviours, columns not used) is logged and listed in the
`Interactions` notes. The prepared records are cached per file content and format, so editing the file
re-prepares them.

`add_arguments` and `log_format` give the same format as command-line flags (``--log PATH --log-user
session ...``), for ``python -m seqrec.datasets describe --log`` and the reproduce scripts.
"""

import argparse
import dataclasses
import hashlib
import io
import logging
import os
from pathlib import Path

import pandas as pd
import tensorflow_datasets as tfds

from . import locations, readers
from .errors import DataError, DatasetNotFoundError
from .interactions import Interactions
from .records import LocalCode, item_examples, item_features_spec, prepare, read_item_records

log = logging.getLogger(__name__)

SEPARATORS = {".csv": ",", ".tsv": "\t", ".tab": "\t", ".txt": "\t", ".dat": "::"}


@dataclasses.dataclass(frozen=True)
class LogFormat:
    """How to read an interaction log.

    Attributes:
      user, item, timestamp: column names.
      rating: rating column, or ``None`` for implicit feedback (rating 1.0).
      time_format: ``auto`` (unix time in the unit its magnitude implies, else ISO 8601), ``unix``,
        ``unix_ms``, ``unix_us``, ``unix_ns``, ``iso`` or a ``strftime`` pattern (`readers.timestamps`).
      sep: field separator; ``None`` infers it from the suffix (.csv ``,``, .tsv/.tab/.txt tab,
        .dat ``::``; of ``clicks.csv`` for ``clicks.csv.gz``). Ignored for parquet.
      names: column names for a file without a header line.
      encoding: text encodings to try in order.
      features, feature_sep, feature_structure: optional item-feature column.
      title: optional item-title column.
      behavior, keep: optional behaviour-type column, and the values of it whose events are kept
        (given together).
    """

    user: str = "user"
    item: str = "item"
    timestamp: str = "timestamp"
    rating: str | None = "rating"
    time_format: str = "auto"
    sep: str | None = None
    names: tuple[str, ...] | None = None
    encoding: tuple[str, ...] = ("utf-8", "latin-1")
    features: str | None = None
    feature_sep: str = "|"
    feature_structure: str = "flat"
    title: str | None = None
    behavior: str | None = None
    keep: tuple[str, ...] = ()

    def __post_init__(self):
        for name in ("names", "keep", "encoding"):
            if getattr(self, name) is not None:
                object.__setattr__(self, name, tuple(getattr(self, name)))
        if bool(self.behavior) != bool(self.keep):
            raise ValueError("LogFormat: give the behaviour column and the values to keep together "
                             f"(behavior={self.behavior!r}, keep={self.keep!r})")

    def columns(self) -> list[str]:
        return [c for c in (self.user, self.item, self.timestamp, self.rating, self.features,
                            self.title, self.behavior) if c is not None]


def log_name(path: str | os.PathLike) -> str:
    """A log's dataset name: its file name without the format and compression suffixes (``clicks`` for
    ``clicks.csv.gz``)."""
    return Path(readers.uncompressed_name(path)).stem


def read_log(path: str | os.PathLike, fmt: LogFormat,
             notes: list[str] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Parse a log into ``(events, items)`` with the validation of `seqrec.datasets.readers`; what was
    left out (columns not used, events of other behaviours) is logged and appended to ``notes``."""
    path = Path(path)
    if not path.is_file():
        raise DatasetNotFoundError(f"{path}: no such file. Pass the path of your interaction log.")
    label = str(path)
    data, name = readers.read_file(path)
    suffix = Path(name).suffix
    if suffix == ".parquet":
        try:
            frame = pd.read_parquet(io.BytesIO(data))
        except (OSError, ValueError) as err:  # pyarrow's ArrowInvalid is a ValueError
            raise DataError(f"{label}: cannot read the file as parquet ({err}). Write it again with "
                            "DataFrame.to_parquet, or pass a CSV/TSV log.") from err
        missing = [c for c in fmt.columns() if c not in frame.columns]
        if missing:
            raise DataError(f"{label}: missing column(s) {missing}; found {list(frame.columns)}. "
                            "Name your columns in LogFormat(user=..., item=..., timestamp=...).")
        if frame.empty:
            raise DataError(f"{label}: the file has no rows.")
        if pd.api.types.is_datetime64_any_dtype(frame[fmt.timestamp]):
            frame[fmt.timestamp] = frame[fmt.timestamp].dt.strftime("%Y-%m-%dT%H:%M:%S%z")
            fmt = dataclasses.replace(fmt, time_format="iso")
        header = 1
    else:
        sep = fmt.sep or SEPARATORS.get(suffix)
        if sep is None:
            raise DataError(f"{label}: cannot infer the separator from suffix '{suffix}'; "
                            "pass LogFormat(sep=...).")
        text = readers.decode_text(data, label, fmt.encoding)
        frame, header = readers.read_delimited(text, label, sep=sep, names=fmt.names,
                                               required=fmt.columns())
        readers.check_field_counts(frame, text, label, sep, header)
    notes = notes if notes is not None else []
    unused = [str(c) for c in frame.columns if c not in fmt.columns()]
    if unused:
        notes.append(f"columns not used: {', '.join(unused)}")
    frame = frame[fmt.columns()].astype(str)
    rating = (readers.numbers(frame, fmt.rating, label, header) if fmt.rating is not None
              else pd.Series(1.0, index=frame.index, dtype="float32"))
    events = pd.DataFrame({
        "user": readers.ids(frame, fmt.user, label, header),
        "item": readers.ids(frame, fmt.item, label, header),
        "rating": rating,
        "timestamp": readers.timestamps(frame, fmt.timestamp, label, header, fmt.time_format),
    })
    if fmt.behavior is not None:
        behavior = frame[fmt.behavior].str.strip()
        kept = behavior.isin(fmt.keep).to_numpy()
        if not kept.any():
            raise DataError(f"{label}: no row has '{fmt.behavior}' in {list(fmt.keep)}; its values are "
                            f"{sorted(behavior.unique())[:20]}. Pass the values to keep.")
        notes.append(f"kept the {kept.sum():,} rows whose '{fmt.behavior}' is one of {', '.join(fmt.keep)}; "
                     f"removed {(~kept).sum():,} rows of other behaviours")
        events, frame = events[kept], frame[kept]
    for note in notes:
        log.warning("%s: %s", label, note)
    first = frame.assign(item=events["item"]).drop_duplicates("item").set_index("item")
    items = pd.DataFrame(index=first.index)
    items["title"] = first[fmt.title].astype(str) if fmt.title else ""
    items["features"] = (
        first[fmt.features].astype(str).map(lambda v: tuple(x for x in v.split(fmt.feature_sep) if x))
        if fmt.features else [()] * len(first))
    return events, items


class InteractionLogConfig(tfds.core.BuilderConfig):
    """A log file and its format; the config name carries a fingerprint of both."""

    def __init__(self, *, path: Path, fmt: LogFormat):
        stat = path.stat()
        key = hashlib.sha256(f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{fmt}".encode())
        super().__init__(name=f"log-{key.hexdigest()[:16]}", description=str(path))
        self.path, self.fmt = path, fmt


class InteractionLog(LocalCode, tfds.core.GeneratorBasedBuilder):
    """A user's interaction log, one example per item (`seqrec.datasets.records`)."""

    name = "seqrec_interaction_log"
    VERSION = tfds.core.Version("1.1.0")
    RELEASE_NOTES = {"1.0.0": "One example per item.",
                     "1.1.0": "What reading left out is kept in the metadata's notes."}

    def _info(self) -> tfds.core.DatasetInfo:
        return tfds.core.DatasetInfo(builder=self, features=item_features_spec(),
                                     metadata=tfds.core.MetadataDict())

    def _split_generators(self, dl_manager):
        return {"full": self._generate_examples()}

    def _generate_examples(self):
        notes: list[str] = []
        events, items = read_log(self.builder_config.path, self.builder_config.fmt, notes)
        self.info.metadata["notes"] = notes
        yield from item_examples(events, items)


def load_log(path: str | os.PathLike, fmt: LogFormat | None = None, *, name: str | None = None,
             cache_dir: str | os.PathLike | None = None) -> Interactions:
    """Read a user's interaction log through the `InteractionLog` builder (default `LogFormat()`), named
    ``name`` (default `log_name`)."""
    fmt = fmt or LogFormat()
    path = Path(path)
    if not path.is_file():
        raise DatasetNotFoundError(f"{path}: no such file. Pass the path of your interaction log.")
    builder = InteractionLog(config=InteractionLogConfig(path=path, fmt=fmt),
                             data_dir=str(locations.cache_dir(cache_dir) / "tfds"))
    prepare(builder)
    events, items, _ = read_item_records(builder)
    return Interactions(name or log_name(path), events, items,
                        feature_structure=fmt.feature_structure if fmt.features else "none",
                        source=str(path), notes=tuple(builder.info.metadata.get("notes", ())))


FLAGS = {"user": "--log-user", "item": "--log-item", "timestamp": "--log-time", "rating": "--log-rating",
         "sep": "--log-sep", "time_format": "--log-time-format", "names": "--log-columns",
         "behavior": "--log-behavior", "keep": "--log-keep"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``--log`` flags: a user's own log and its `LogFormat` (read back with `log_format`)."""
    group = parser.add_argument_group("your own log", "run or describe your own interaction log (CSV, TSV, "
                                      ".dat or parquet, plain or .gz/.bz2/.zip); the column flags name "
                                      "its columns (default: user, item, timestamp, rating)")
    group.add_argument("--log", metavar="PATH", help="the log file")
    group.add_argument("--log-columns", metavar="A,B,...",
                       help="the names of the columns of a file without a header line, in order")
    group.add_argument("--log-user", metavar="COLUMN", help="the user column")
    group.add_argument("--log-item", metavar="COLUMN", help="the item column")
    group.add_argument("--log-time", metavar="COLUMN", help="the time column")
    group.add_argument("--log-rating", metavar="COLUMN", help="the rating column, or 'none' for implicit "
                       "feedback (every event rated 1)")
    group.add_argument("--log-sep", metavar="SEP", help="the field separator (default from the suffix: .csv "
                       "',', .tsv/.tab/.txt tab, .dat '::'); '\\t' or 'tab' for a tab")
    group.add_argument("--log-time-format", metavar="FORMAT",
                       help="auto (default), unix, unix_ms, unix_us, unix_ns, iso or a strftime pattern")
    group.add_argument("--log-behavior", metavar="COLUMN",
                       help="a behaviour-type column: keep only the events whose value is in --log-keep")
    group.add_argument("--log-keep", metavar="A,B,...", help="the behaviour values to keep (e.g. pv,buy)")


def log_format(args: argparse.Namespace) -> LogFormat | None:
    """The `LogFormat` of the flags of `add_arguments` (None without ``--log``); a column flag without
    ``--log``, or flags that do not fit together, raise ``ValueError``."""
    given = {field: getattr(args, flag[2:].replace("-", "_")) for field, flag in FLAGS.items()}
    given = {field: value for field, value in given.items() if value is not None}
    if args.log is None:
        if given:
            raise ValueError(f"{', '.join(FLAGS[f] for f in given)}: only with --log PATH (the log they "
                             "describe)")
        return None
    for field in ("names", "keep"):
        if field in given:
            given[field] = tuple(v.strip() for v in given[field].split(","))
    if given.get("rating", "").lower() == "none":
        given["rating"] = None
    if "sep" in given:
        given["sep"] = {"\\t": "\t", "tab": "\t"}.get(given["sep"], given["sep"])
    return LogFormat(**given)
