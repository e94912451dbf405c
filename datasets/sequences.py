"""Integer vocabularies and time-ordered event tables, the input of every `tf.data` pipeline.

Index 0 of every vocabulary is reserved for padding, so real users and items are ``1..size-1``.
"""

import dataclasses

import numpy as np
import pandas as pd
import tensorflow as tf

from .errors import DataError

PAD = 0


@dataclasses.dataclass(frozen=True)
class Vocabulary:
    """Maps original ids (str) to contiguous integers; ``tokens[0]`` is the padding token."""

    tokens: np.ndarray

    @classmethod
    def fit(cls, values) -> "Vocabulary":
        """A vocabulary of the sorted distinct values."""
        return cls(np.concatenate([["<pad>"], np.sort(pd.unique(np.asarray(values, dtype=object)))]
                                  ).astype(object))

    @property
    def size(self) -> int:
        """Number of indices including the padding index 0."""
        return len(self.tokens)

    def encode(self, values) -> np.ndarray:
        """int32 indices of ``values``; an id missing from the vocabulary raises `DataError`."""
        index = pd.Index(self.tokens[1:]).get_indexer(np.asarray(values, dtype=object))
        if (index < 0).any():
            missing = np.asarray(values, dtype=object)[index < 0][0]
            raise DataError(f"id {missing!r} is not in the vocabulary ({self.size - 1} ids); build "
                            "the vocabulary from every event the pipeline reads.")
        return (index + 1).astype(np.int32)

    def decode(self, indices) -> np.ndarray:
        return self.tokens[np.asarray(indices)]


@dataclasses.dataclass
class SequenceTable:
    """Events grouped by a key and time-ordered within each group (a CSR layout).

    Grouped by user, ``values`` are item indices (a user's history); grouped by item, they are user
    indices (an item's history, as IARN reads it). Ties in time keep the order of the rows given to
    `build`, which callers pass in the documented event order.

    Attributes:
      offsets: int64 [n_groups + 1]; group ``g`` occupies ``offsets[g]:offsets[g + 1]``.
      values, times, ratings: per event, int32 / int64 unix seconds / float32.
      rows: int64, the index of each event in the arrays given to `build`.
    """

    offsets: np.ndarray
    values: np.ndarray
    times: np.ndarray
    ratings: np.ndarray
    rows: np.ndarray

    @classmethod
    def build(cls, keys, values, times, ratings=None, n_groups: int | None = None) -> "SequenceTable":
        keys = np.asarray(keys, dtype=np.int64)
        times = np.asarray(times, dtype=np.int64)
        order = np.lexsort((np.arange(len(keys)), times, keys))
        n_groups = int(keys.max()) + 1 if n_groups is None else n_groups
        offsets = np.zeros(n_groups + 1, dtype=np.int64)
        np.cumsum(np.bincount(keys, minlength=n_groups), out=offsets[1:])
        ratings = np.ones(len(keys), np.float32) if ratings is None else np.asarray(ratings, np.float32)
        return cls(offsets, np.asarray(values, np.int32)[order], times[order], ratings[order],
                   order.astype(np.int64))

    def __len__(self) -> int:
        return len(self.values)

    @property
    def n_groups(self) -> int:
        return len(self.offsets) - 1

    def group_of(self, positions) -> np.ndarray:
        """The group of each event position."""
        return (np.searchsorted(self.offsets, positions, side="right") - 1).astype(np.int64)

    def count_before(self, groups, times) -> np.ndarray:
        """For each ``(group, time)``, the end position of the group's events strictly before ``time``:
        the window ``[offsets[group], end)`` holds exactly the earlier events. Vectorised by a binary
        search on a composite (group, time) key."""
        groups = np.asarray(groups, np.int64)
        low = int(self.times.min()) if len(self.times) else 0
        span = np.int64(2**32)
        if len(self.times) and int(self.times.max()) - low >= span:
            raise DataError("timestamps span more than 2**32 seconds; cannot index them.")
        table_keys = self.group_of(np.arange(len(self))) * span + (self.times - low)
        query = groups * span + np.clip(np.asarray(times, np.int64) - low, 0, span - 1)
        return np.searchsorted(table_keys, query, side="left").astype(np.int64)

def gather_windows(values: tf.Tensor, times: tf.Tensor, starts: tf.Tensor, ends: tf.Tensor,
                   max_len: int, padding: str = "left") -> dict[str, tf.Tensor]:
    """Gather the events ``[max(start, end - max_len), end)`` of each row of a batch.

    Args:
      values, times: per-event tensors of a `SequenceTable`.
      starts, ends: int64 [batch]; the window ends before ``ends`` (exclusive) and never crosses
        ``starts`` (the group's first event). Older events beyond ``max_len`` are truncated.
      padding: ``"left"`` puts the most recent event last (padding first), ``"right"`` puts the
        oldest kept event first (padding last).

    Returns:
      ``values`` int32 [batch, max_len] (0 on padding), ``times`` int64 (0 on padding), ``mask`` bool,
      ``index`` int64 (the table position of each kept event, 0 on padding).
    """
    steps = tf.range(max_len, dtype=tf.int64)[None, :]
    length = tf.minimum(ends - starts, max_len)[:, None]
    if padding == "left":
        index = ends[:, None] - max_len + steps
        mask = steps >= max_len - length
    elif padding == "right":
        index = ends[:, None] - length + steps
        mask = steps < length
    else:
        raise ValueError(f"padding must be 'left' or 'right', got {padding!r}")
    index = tf.where(mask, index, tf.zeros_like(index))
    return {
        "values": tf.where(mask, tf.gather(values, index), tf.zeros([], values.dtype)),
        "times": tf.where(mask, tf.gather(times, index), tf.zeros([], times.dtype)),
        "mask": mask,
        "index": index,
    }
