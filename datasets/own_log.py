"""tensorflow-datasets builder for a user's own interaction log (CSV, TSV or parquet).

The user names the columns::

    from seqrec.datasets import LogFormat, load_log
    log = load_log("clicks.tsv", LogFormat(user="session", item="sku", timestamp="ts",
                                           time_format="iso", rating=None))

``rating=None`` marks implicit feedback (every event gets rating 1.0). An optional ``features`` column
holds item features separated by ``feature_sep`` (flat, or a category path root -> leaf with
``feature_structure="hierarchy"``); an item's features are taken from its first event. The prepared
records are cached per file content and format, so editing the file re-prepares them.
"""

import dataclasses
import hashlib
import os
from pathlib import Path

import pandas as pd
import tensorflow_datasets as tfds

from . import locations, readers
from .errors import DataError, DatasetNotFoundError
from .interactions import Interactions
from .records import LocalCode, item_examples, item_features_spec, read_item_records

SEPARATORS = {".csv": ",", ".tsv": "\t", ".tab": "\t", ".txt": "\t", ".dat": "::"}


@dataclasses.dataclass(frozen=True)
class LogFormat:
    """How to read an interaction log.

    Attributes:
      user, item, timestamp: column names.
      rating: rating column, or ``None`` for implicit feedback (rating 1.0).
      time_format: ``auto``, ``unix``, ``unix_ms``, ``iso`` or a ``strftime`` pattern.
      sep: field separator; ``None`` infers it from the suffix (.csv ``,``, .tsv/.tab/.txt tab,
        .dat ``::``). Ignored for parquet.
      names: column names for a file without a header line.
      encoding: text encodings to try in order.
      features, feature_sep, feature_structure: optional item-feature column.
      title: optional item-title column.
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

    def columns(self) -> list[str]:
        return [c for c in (self.user, self.item, self.timestamp, self.rating, self.features,
                            self.title) if c is not None]


def read_log(path: str | os.PathLike, fmt: LogFormat) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Parse a log into ``(events, items)`` with the validation of `seqrec.datasets.readers`."""
    path = Path(path)
    if not path.is_file():
        raise DatasetNotFoundError(f"{path}: no such file. Pass the path of your interaction log.")
    label = str(path)
    if path.suffix == ".parquet":
        try:
            frame = pd.read_parquet(path)
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
        frame, header = frame[fmt.columns()].astype(str), 1
    else:
        sep = fmt.sep or SEPARATORS.get(path.suffix)
        if sep is None:
            raise DataError(f"{label}: cannot infer the separator from suffix '{path.suffix}'; "
                            "pass LogFormat(sep=...).")
        text = readers.decode_text(path.read_bytes(), label, fmt.encoding)
        frame, header = readers.read_delimited(text, label, sep=sep, names=fmt.names,
                                               required=fmt.columns())
    rating = (readers.numbers(frame, fmt.rating, label, header) if fmt.rating is not None
              else pd.Series(1.0, index=frame.index, dtype="float32"))
    events = pd.DataFrame({
        "user": readers.ids(frame, fmt.user, label, header),
        "item": readers.ids(frame, fmt.item, label, header),
        "rating": rating,
        "timestamp": readers.timestamps(frame, fmt.timestamp, label, header, fmt.time_format),
    })
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
    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "One example per item."}

    def _info(self) -> tfds.core.DatasetInfo:
        return tfds.core.DatasetInfo(builder=self, features=item_features_spec())

    def _split_generators(self, dl_manager):
        return {"full": self._generate_examples()}

    def _generate_examples(self):
        events, items = read_log(self.builder_config.path, self.builder_config.fmt)
        yield from item_examples(events, items)


def load_log(path: str | os.PathLike, fmt: LogFormat | None = None, *, name: str | None = None,
             cache_dir: str | os.PathLike | None = None) -> Interactions:
    """Read a user's interaction log through the `InteractionLog` builder (default `LogFormat()`)."""
    fmt = fmt or LogFormat()
    path = Path(path)
    if not path.is_file():
        raise DatasetNotFoundError(f"{path}: no such file. Pass the path of your interaction log.")
    builder = InteractionLog(config=InteractionLogConfig(path=path, fmt=fmt),
                             data_dir=str(locations.cache_dir(cache_dir) / "tfds"))
    builder.download_and_prepare()
    events, items, _ = read_item_records(builder)
    return Interactions(name or path.stem, events, items,
                        feature_structure=fmt.feature_structure if fmt.features else "none",
                        source=str(path))
