"""tensorflow-datasets builder for logs published as one line per user, the text format of S3-Rec,
CoSeRec, ICLRec and TiCoSeRec (and of DMRAN's Amazon stand-ins here).

* an **item file**: ``user item_1 item_2 ...`` per line, separated by spaces (or tabs), the items in time
  order;
* an optional **time file**, line by line aligned with the item file: ``user t_1 t_2 ...``, unix
  seconds (TiCoSeRec's ``*_time_org_rank.txt``), the same user and as many times as items on every line,
  never decreasing.

**Without a time file** the log has the order of events and nothing else. Each user's events get their
position as timestamp (0, 1, 2, ... seconds), which keeps that order through every protocol; the
`Interactions` are marked ``timed=False``, so that a script can mark what needs real times (time
gaps, time buckets, time cuts) as not applicable instead of computing it from positions.

Items have no metadata in this format. Every event has rating 1.0 (the format keeps no ratings).

Each `SequenceFiles` config names its files (`FILESETS`); `fileset` makes one for any other names.
"""

import functools
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import tensorflow_datasets as tfds

from . import readers
from .errors import DataError, DatasetNotFoundError
from .records import RawFiles, item_examples, item_features_spec

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FileSet:
    """One dataset in the one-line-per-user format: its item file and, if any, its time file."""

    config: str  # the dataset's registry name
    items: str
    times: str | None
    description: str


FILESETS = {f.config: f for f in (
    FileSet("amazon-2014-clothing-5core-sequences", "Clothing.txt", None,
            "Amazon 2014 Clothing, Shoes and Jewelry 5-core (DMRAN's Clothing): 39,387 users, 23,033 items, "
            "no times"),
    FileSet("amazon-2014-beauty-5core-sequences", "Beauty_item_org_rank.txt", "Beauty_time_org_rank.txt",
            "Amazon 2014 Beauty 5-core with day-resolution times (TiCoSeRec's copy)"),
    FileSet("amazon-2014-sports-5core-sequences", "Sports_item_org_rank.txt", "Sports_time_org_rank.txt",
            "Amazon 2014 Sports and Outdoors 5-core with day-resolution times (TiCoSeRec's copy)"),
)}


def locate(fileset: FileSet, folder: str | os.PathLike) -> Path | None:
    """``folder`` when it holds the fileset's item file, else ``None``."""
    folder = Path(folder)
    return folder if folder.is_dir() and readers.Source(folder).has(fileset.items) else None


def parse_lines(path: Path) -> list[tuple[int, str, list[str]]]:
    """``(line number, user, values)`` of every non-empty line of a one-line-per-user file."""
    label = str(path)
    text = readers.decode_text(path.read_bytes(), label, ("utf-8", "latin-1"))
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        fields = line.split()
        if not fields:
            continue
        if len(fields) < 2:
            raise DataError(f"{label}: line {number} holds the user {fields[0]!r} and no event. Every line "
                            "must be 'user value_1 value_2 ...' (at least one value); remove the line or "
                            "add the user's events.")
        rows.append((number, fields[0], fields[1:]))
    if not rows:
        raise DataError(f"{label}: the file holds no line 'user item_1 item_2 ...'.")
    return rows


def read_events(items_path: Path, times_path: Path | None) -> pd.DataFrame:
    """The events ``user, item, rating 1.0, timestamp`` of an item file and its optional time file."""
    rows = parse_lines(items_path)
    users = [user for _, user, _ in rows]
    seen: dict[str, int] = {}
    for number, user, _ in rows:
        if user in seen:
            raise DataError(f"{items_path}: user {user!r} has two lines ({seen[user]} and {number}); the "
                            "format holds one line per user: join them in time order.")
        seen[user] = number
    lengths = np.array([len(values) for _, _, values in rows])
    if times_path is None:
        times = np.concatenate([np.arange(n) for n in lengths])
    else:
        time_rows = parse_lines(times_path)
        if len(time_rows) != len(rows):
            raise DataError(f"{times_path}: {len(time_rows)} lines, but {items_path} has {len(rows)}; the "
                            "time file must have one line per line of the item file, in the same order.")
        parts = []
        for (number, user, values), (_, time_user, stamps) in zip(rows, time_rows, strict=True):
            if time_user != user or len(stamps) != len(values):
                raise DataError(f"{times_path}: line {number} is user {time_user!r} with {len(stamps)} "
                                f"times, but line {number} of {items_path} is user {user!r} with "
                                f"{len(values)} items; the two files must be aligned line by line.")
            try:
                stamp = np.array(stamps, dtype=np.int64)
            except ValueError:
                raise DataError(f"{times_path}: line {number} has a time that is not a whole number of unix "
                                f"seconds: {' '.join(stamps[:5])} ...") from None
            if (np.diff(stamp) < 0).any():
                raise DataError(f"{times_path}: line {number} (user {user!r}) has decreasing times; the "
                                "items of a line must be in time order.")
            parts.append(stamp)
        times = np.concatenate(parts)
    events = pd.DataFrame({"user": np.repeat(users, lengths),
                           "item": np.concatenate([values for _, _, values in rows]),
                           "rating": np.ones(int(lengths.sum()), np.float32), "timestamp": times})
    log.info("%s: %d events of %d users on %d items%s", items_path, len(events), len(rows),
             events["item"].nunique(), "" if times_path else "; no time file: positions as timestamps")
    return events


class SequenceFiles(RawFiles, tfds.core.GeneratorBasedBuilder):
    """One-line-per-user logs (item file and optional time file), one config per `FileSet`."""

    name = "seqrec_sequence_files"
    VERSION = tfds.core.Version("1.0.0")
    RELEASE_NOTES = {"1.0.0": "One example per item: its events (rating 1.0), no metadata."}
    MANUAL_DOWNLOAD_INSTRUCTIONS = "Place the item file (and the time file, if any) in the manual directory."
    BUILDER_CONFIGS = [tfds.core.BuilderConfig(name=f.config, description=f.description)
                       for f in FILESETS.values()]

    def _info(self) -> tfds.core.DatasetInfo:
        return tfds.core.DatasetInfo(builder=self, description=self.builder_config.description,
                                     features=item_features_spec())

    def _split_generators(self, dl_manager):
        fileset = FILESETS[self.builder_config.name]
        folder, found = self._find_folder(dl_manager, functools.partial(locate, fileset))
        if not found:
            raise DatasetNotFoundError(f"{folder}: {fileset.config} needs {fileset.items}"
                                       f"{f' and {fileset.times}' if fileset.times else ''}.")
        source = readers.Source(folder)
        times = source.find(fileset.times) if fileset.times else None
        if fileset.times and times is None:
            raise DatasetNotFoundError(f"{folder}: {fileset.config} needs {fileset.times} beside "
                                       f"{fileset.items} (the times of its events).")
        return {"full": self._generate_examples(folder / source.find(fileset.items),
                                                folder / times if times else None)}

    def _generate_examples(self, items: Path, times: Path | None):
        events = read_events(items, times)
        yield from item_examples(events, pd.DataFrame({"title": [], "features": []}))

