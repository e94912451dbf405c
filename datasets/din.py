"""A reader of data preprocessed by DIN / ATRank (Zhou et al.): their integer ids, the item -> category list,
and their train and test tuples, e.g. ``../shared/data/amazon-electronics-din-preprocessed``.

DIN's ``utils/2_remap_id.py`` (zhougr1993/DeepInterestNetwork; ATRank, jinze1994/ATRank, shares it) numbers
the users, the items (ASINs in sorted order) and the categories (the leaf of each item's last category path,
see `seqrec.datasets.amazon_reviews`) from 0, and ``din/build_dataset.py`` turns each user's reviews, in time
order, into tuples. The three files, comma-separated, without a header line (the file names are arguments of
`read_din`; gzip, bz2 or zip copies are read too):

* ``cate_list.csv``: one category id per line; line *i* (0-based) is the category of item *i*;
* ``train_set_mini.csv``: ``user,"[h_1, ..., h_k]",target,label``: the user's first k items as the
  history, then its (k+1)-th item with label 1 or a random item with label 0; a one-item history may be
  unquoted (``[13150]``);
* ``test_set_mini.csv``: ``user,"[h_1, ..., h_{n-1}]","(positive, negative)"``: every item but the
  last as the history, the last item against one random negative.

The tuples hold **no times** and only samples of histories (not each user's whole log), so they are not
an `Interactions` log and are not a registered dataset: `read_din` returns them as they are
(`DinData`), and `din_test_pairs` turns the test tuples into padded arrays in the suite's item ids
(DIN id + 1, 0 for padding) that a candidate-scoring model scores, e.g. the paper's one-vs-one AUC
(DMRAN Eq. 23, ATRank's "AUC": `seqrec.evaluation.metrics.pair_auc` on the scores of the two
candidates). Time features (day buckets) cannot be computed from these files.
"""

import dataclasses
import os
from pathlib import Path

import numpy as np
import pandas as pd

from . import readers
from .errors import DataError, DatasetNotFoundError

CATEGORIES_FILE = "cate_list.csv"
TRAIN_FILE = "train_set_mini.csv"
TEST_FILE = "test_set_mini.csv"
TRAIN_COLUMNS = ("user", "history", "target", "label")
TEST_COLUMNS = ("user", "history", "pair")
ITEM_OFFSET = 1  # suite item id = DIN item id + 1; 0 is the padding item
HISTORY = r"\[\s*(?:\d+\s*(?:,\s*\d+\s*)*)?\]"  # "[3737, 19450]", "[13150]", "[]"
PAIR = r"^\(\s*(\d+)\s*,\s*(\d+)\s*\)$"  # "(57905, 11716)"
TRAIN_EXAMPLE = '104760,"[3737, 19450]",18486,1'
TEST_EXAMPLE = '91788,"[16942, 42346, 38112]","(57905, 11716)"'


class _Histories:
    """Rows with a history each, stored one after another: row k's history is
    ``history_items[history_offsets[k]:history_offsets[k + 1]]``, oldest first."""

    users: np.ndarray
    history_items: np.ndarray
    history_offsets: np.ndarray

    def __len__(self) -> int:
        return len(self.users)

    @property
    def lengths(self) -> np.ndarray:
        """The history length of each row, int64 [n]."""
        return np.diff(self.history_offsets)

    def history(self, row: int) -> np.ndarray:
        """The history of row ``row`` (DIN item ids, oldest first)."""
        return self.history_items[self.history_offsets[row]:self.history_offsets[row + 1]]

    @property
    def histories(self) -> list[np.ndarray]:
        """Every row's history, as a list of int32 arrays."""
        return np.split(self.history_items, self.history_offsets[1:-1]) if len(self) else []


@dataclasses.dataclass(frozen=True)
class DinTrain(_Histories):
    """DIN's training tuples, in file order.

    Attributes:
      users: int64 [n], DIN user ids.
      history_items: int32 [total], DIN item ids of every history, one after another (oldest first).
      history_offsets: int64 [n + 1], where each row's history starts in ``history_items``.
      targets: int32 [n], the item to score.
      labels: int8 [n], 1 for the user's next item, 0 for a random negative.
    """

    users: np.ndarray
    history_items: np.ndarray
    history_offsets: np.ndarray
    targets: np.ndarray
    labels: np.ndarray


@dataclasses.dataclass(frozen=True)
class DinTest(_Histories):
    """DIN's test tuples, in file order: one per user (its last item against one random negative).

    Attributes:
      users, history_items, history_offsets: as `DinTrain`.
      positives: int32 [n], the user's last item.
      negatives: int32 [n], the random negative drawn by DIN's ``build_dataset.py``.
    """

    users: np.ndarray
    history_items: np.ndarray
    history_offsets: np.ndarray
    positives: np.ndarray
    negatives: np.ndarray


@dataclasses.dataclass(frozen=True)
class DinData:
    """A DIN/ATRank-format folder as read by `read_din`.

    Attributes:
      folder: where the files were read.
      categories: int32 [n_items], ``categories[i]`` is the category of DIN item ``i``.
      train: the training tuples (``None`` when not read).
      test: the test tuples (``None`` when not read).
    """

    folder: Path
    categories: np.ndarray
    train: DinTrain | None
    test: DinTest | None

    @property
    def n_items(self) -> int:
        """Items in the id space (the length of the category list)."""
        return len(self.categories)

    @property
    def n_categories(self) -> int:
        """Categories in the id space (the largest category id + 1)."""
        return int(self.categories.max()) + 1 if len(self.categories) else 0


@dataclasses.dataclass(frozen=True)
class DinTestPairs:
    """DIN's test tuples as padded arrays in the suite's item ids (DIN id + `ITEM_OFFSET`, 0 for padding).

    Attributes:
      users: int64 [B], DIN user ids.
      items: int32 [B, L], each history (the latest ``max_len`` items), padded with 0 on the left
        (``padding="left"``, as `seqrec.training.candidate.KerasCandidate` reads its batches) or the right.
      mask: bool [B, L], True where ``items`` holds an item.
      positives, negatives: int32 [B], the two candidates of each row.
      categories: int32 [n_items + 1], the category of each suite item id: DIN category + 1, 0 for the
        padding item.
    """

    users: np.ndarray
    items: np.ndarray
    mask: np.ndarray
    positives: np.ndarray
    negatives: np.ndarray
    categories: np.ndarray

    @property
    def candidates(self) -> np.ndarray:
        """int32 [B, 2]: column 0 the positive, column 1 the negative."""
        return np.stack([self.positives, self.negatives], axis=1)

    @property
    def n_items(self) -> int:
        """The size of the suite's item vocabulary, padding included."""
        return len(self.categories)


def _path(folder: Path, name: str, what: str) -> Path:
    path = folder / name
    if not path.is_file():
        raise DatasetNotFoundError(
            f"{path}: file not found. A DIN/ATRank-preprocessed folder holds {CATEGORIES_FILE} (the "
            f"{what}: {CATEGORIES_FILE} is one category id per item, {TRAIN_FILE} {TRAIN_EXAMPLE!r} rows, "
            f"{TEST_FILE} {TEST_EXAMPLE!r} rows); pass the file names to read_din(folder, "
            "categories_file=..., train_file=..., test_file=...) if yours are named otherwise, or None to "
            "skip the train or test file.")
    return path


def _text(path: Path) -> str:
    data, _ = readers.read_file(path)
    return readers.decode_text(data, str(path), ("utf-8",)).lstrip("\ufeff")


def read_categories(path: Path) -> np.ndarray:
    """``cate_list.csv``: one non-negative integer per line, line *i* (0-based) the category of item *i*."""
    label = str(path)
    lines = pd.Series(_text(path).split("\n"), dtype=object).str.rstrip("\r")
    if len(lines) and lines.iloc[-1] == "":
        lines = lines.iloc[:-1]  # the final newline
    if not len(lines):
        raise DataError(f"{label}: the file is empty; expected one category id per item, one per line.")
    bad = ~lines.str.fullmatch(r"\s*\d+\s*").to_numpy(dtype=bool)
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise DataError(
            f"{label}: line {k + 1} is {lines.iloc[k][:120]!r}, not a category id: each line holds one "
            f"non-negative integer, line i the category of item i - 1, so no line may be blank or hold "
            f"anything else (a header line, an index column). Fix or remove that line.")
    return lines.astype(np.int64).to_numpy().astype(np.int32)


def _rows(path: Path, columns: tuple[str, ...]) -> tuple[pd.DataFrame, int]:
    label = str(path)
    return readers.read_delimited(_text(path), label, sep=",", names=columns)


def _bad(path: Path, frame: pd.DataFrame, lines: int, row: int, message: str, example: str) -> DataError:
    line = readers.line_number(frame, row, lines)
    return DataError(f"{path}: line {line}: {message}. Each line is {', '.join(frame.columns)}, e.g. "
                     f"{example}; fix or remove that line.")


def _histories(path: Path, frame: pd.DataFrame, lines: int, example: str) -> tuple[np.ndarray, np.ndarray]:
    """The history column as ``(items int32, offsets int64)``."""
    text = frame["history"].astype(str).str.strip()
    bad = ~text.str.fullmatch(HISTORY).to_numpy(dtype=bool)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise _bad(path, frame, lines, row, f"the history {text.iloc[row][:120]!r} is not a list of item ids "
                   "such as \"[3737, 19450]\" (quoted when it holds a comma)", example)
    inner = text.str.slice(1, -1).str.strip()
    filled = (inner != "").to_numpy()
    lengths = np.where(filled, inner.str.count(",").to_numpy() + 1, 0)
    values = ",".join(inner[filled]).split(",") if filled.any() else []
    items = np.asarray(values, dtype=str).astype(np.int64) if values else np.zeros(0, np.int64)
    return items, np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)


def _integers(path: Path, frame: pd.DataFrame, column: str, lines: int) -> np.ndarray:
    return readers.ids(frame, column, str(path), lines, integer=True).astype(np.int64).to_numpy()


def _check_items(path: Path, frame: pd.DataFrame, lines: int, example: str, n_items: int,
                 columns: dict[str, np.ndarray], history: tuple[np.ndarray, np.ndarray]) -> None:
    """Every item id must have a category: below ``n_items``, the length of the category list."""
    items, offsets = history
    found = []
    beyond = np.flatnonzero(items >= n_items)
    if len(beyond):
        found.append((int(np.searchsorted(offsets, beyond[0], side="right") - 1), "the history",
                      int(items[beyond[0]])))
    for name, values in columns.items():
        beyond = np.flatnonzero(values >= n_items)
        if len(beyond):
            found.append((int(beyond[0]), f"the {name}", int(values[beyond[0]])))
    if found:
        row, where, item = min(found)
        raise DataError(
            f"{path}: line {readers.line_number(frame, row, lines)}: item {item} in {where} is beyond the "
            f"category list, which lists {n_items} items (ids 0-{n_items - 1}). The tuples and the category "
            "list must come from the same preprocessing run (the same remap.pkl); e.g. "
            f"{example}.")


def read_train(path: Path, n_items: int) -> DinTrain:
    """DIN's training tuples ``user,"[history]",target,label``; item ids must lie below ``n_items``."""
    frame, lines = _rows(path, TRAIN_COLUMNS)
    users = _integers(path, frame, "user", lines)
    history = _histories(path, frame, lines, TRAIN_EXAMPLE)
    targets = _integers(path, frame, "target", lines)
    labels = _integers(path, frame, "label", lines)
    bad = np.flatnonzero(labels > 1)
    if len(bad):
        raise _bad(path, frame, lines, int(bad[0]), f"the label is {labels[bad[0]]}, not 0 or 1",
                   TRAIN_EXAMPLE)
    _check_items(path, frame, lines, TRAIN_EXAMPLE, n_items, {"target": targets}, history)
    return DinTrain(users, history[0].astype(np.int32), history[1], targets.astype(np.int32),
                    labels.astype(np.int8))


def read_test(path: Path, n_items: int) -> DinTest:
    """DIN's test tuples ``user,"[history]","(positive, negative)"``; item ids must lie below ``n_items``."""
    frame, lines = _rows(path, TEST_COLUMNS)
    users = _integers(path, frame, "user", lines)
    history = _histories(path, frame, lines, TEST_EXAMPLE)
    pairs = frame["pair"].astype(str).str.strip().str.extract(PAIR)
    bad = pairs[0].isna().to_numpy()
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise _bad(path, frame, lines, row, f"the candidates {frame['pair'].iloc[row][:120]!r} are not a "
                   "pair of item ids such as \"(57905, 11716)\" (the positive, then the negative)",
                   TEST_EXAMPLE)
    positives, negatives = (pairs[k].astype(np.int64).to_numpy() for k in (0, 1))
    _check_items(path, frame, lines, TEST_EXAMPLE, n_items,
                 {"positive": positives, "negative": negatives}, history)
    return DinTest(users, history[0].astype(np.int32), history[1], positives.astype(np.int32),
                   negatives.astype(np.int32))


def read_din(folder: str | os.PathLike, *, categories_file: str = CATEGORIES_FILE,
             train_file: str | None = TRAIN_FILE, test_file: str | None = TEST_FILE) -> DinData:
    """Read a DIN/ATRank-preprocessed folder: the category list and the train and test tuples.

    Args:
      folder: the folder holding the files.
      categories_file, train_file, test_file: their names in ``folder``; ``None`` skips the train or the
        test file (its field is then ``None``).

    Raises:
      DatasetNotFoundError: a file is missing (the message names it and the expected files).
      DataError: a malformed line (naming the file and the line) or an item id without a category.
    """
    folder = Path(folder)
    categories = read_categories(_path(folder, categories_file, "item -> category list"))
    train = read_train(_path(folder, train_file, "training tuples"), len(categories)) \
        if train_file is not None else None
    test = read_test(_path(folder, test_file, "test tuples"), len(categories)) \
        if test_file is not None else None
    return DinData(folder, categories, train, test)


def pad_histories(items: np.ndarray, offsets: np.ndarray, max_len: int | None = None,
                  padding: str = "left") -> tuple[np.ndarray, np.ndarray]:
    """``(padded int32 [n, L], mask bool [n, L])`` of histories stored as ``items`` and ``offsets`` (see
    `DinTrain`): each history's latest ``max_len`` items (all with ``None``), padded with 0 on the
    ``padding`` side (``"left"`` or ``"right"``); ``L`` is the longest kept history (at least 1)."""
    if padding not in ("left", "right"):
        raise ValueError(f"padding must be 'left' or 'right', got {padding!r}")
    lengths = np.diff(offsets)
    keep = lengths if max_len is None else np.minimum(lengths, max_len)
    width = max(int(keep.max(initial=0)), 1)
    rows = np.repeat(np.arange(len(lengths)), keep)
    within = np.arange(int(keep.sum())) - np.repeat(np.cumsum(keep) - keep, keep)
    source = offsets[:-1][rows] + (lengths - keep)[rows] + within
    columns = within if padding == "right" else width - keep[rows] + within
    padded = np.zeros((len(lengths), width), np.int32)
    mask = np.zeros((len(lengths), width), bool)
    padded[rows, columns] = items[source]
    mask[rows, columns] = True
    return padded, mask


def din_test_pairs(data: DinData, max_len: int | None = None, padding: str = "left") -> DinTestPairs:
    """DIN's test tuples of ``data`` as arrays a candidate model scores, in the suite's item ids (DIN id +
    `ITEM_OFFSET`; 0 pads): histories cut to the latest ``max_len`` items and padded (`pad_histories`),
    the positive and the negative of each row, and each item's category (DIN category + 1, 0 for
    padding)."""
    if data.test is None:
        raise DataError(f"{data.folder}: no test tuples were read; call read_din with test_file set.")
    test = data.test
    items, mask = pad_histories(test.history_items, test.history_offsets, max_len, padding)
    items = np.where(mask, items + ITEM_OFFSET, 0).astype(np.int32)
    categories = np.concatenate([[0], data.categories.astype(np.int64) + 1]).astype(np.int32)
    return DinTestPairs(test.users, items, mask, (test.positives + ITEM_OFFSET).astype(np.int32),
                        (test.negatives + ITEM_OFFSET).astype(np.int32), categories)
