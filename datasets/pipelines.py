"""`tf.data` pipelines that turn a protocol's `Split` into training and evaluation examples.

Everything is vectorised: examples are described by integer offsets into a `SequenceTable` and each
batch gathers its windows with one `tf.gather` (`seqrec.datasets.sequences.gather_windows`). Shuffling
is seeded by the run's seed and the epoch (an `EpochClock`, which a trainer sets at the start of every epoch),
and so are the negatives' stateless seeds: epoch k gets the same examples in the same order whether training
started at epoch 0 or resumed at k.

Time quantities are computed in int64 and handed to models as float32 *differences* (a unix time does
not fit float32's precision): ``gaps`` (seconds since the previous event of the same user, 0 for the
first), ``ages`` (seconds between a history event and the target's time) and ``target_gap``.
"""

import dataclasses
import heapq

import numpy as np
import pandas as pd
import tensorflow as tf

from .features import ItemFeatures, encode_item_features
from .interactions import Interactions
from .negatives import NegativeSampler
from .protocols import Split
from .sequences import SequenceTable, Vocabulary, gather_windows

AUTOTUNE = tf.data.AUTOTUNE
PARTS = ("train", "valid", "test")


@dataclasses.dataclass
class SequenceData:
    """A `Split` encoded for the pipelines.

    Attributes:
      split: the protocol's split.
      users, items: vocabularies fitted on every event of the split (index 0 = padding).
      by_user: all events grouped by user (values = item indices), in event order.
      parts: the part of each ``by_user`` position: 0 train, 1 valid, 2 test.
      item_info, feature_structure: the dataset's item table (`Interactions.items`: titles, features)
        and how its features are organised, when encoded with the `Interactions`.
    """

    split: Split
    users: Vocabulary
    items: Vocabulary
    by_user: SequenceTable
    parts: np.ndarray
    item_info: pd.DataFrame | None = None
    feature_structure: str = "none"

    @classmethod
    def encode(cls, split: Split, interactions: Interactions | None = None) -> "SequenceData":
        events = split.events()
        users, items = Vocabulary.fit(events["user"]), Vocabulary.fit(events["item"])
        by_user = SequenceTable.build(users.encode(events["user"]), items.encode(events["item"]),
                                      events["timestamp"], events["rating"], n_groups=users.size)
        parts = events["part"].map({p: i for i, p in enumerate(PARTS)}).to_numpy()[by_user.rows]
        if interactions is None:
            return cls(split, users, items, by_user, parts.astype(np.int8))
        return cls(split, users, items, by_user, parts.astype(np.int8), interactions.items,
                   interactions.feature_structure)

    def targets(self, part: str, min_history: int = 1) -> np.ndarray:
        """Positions in ``by_user`` of the ``part`` events that have at least ``min_history`` earlier
        events of the same user: each is the target of one next-item example whose prefix is every
        earlier event (leave-last-out's "every prefix a training example")."""
        positions = np.flatnonzero(self.parts == PARTS.index(part))
        history = positions - self.by_user.offsets[self.by_user.group_of(positions)]
        return positions[history >= min_history]

    def pairs(self, part: str) -> dict[str, np.ndarray]:
        """The ``part`` events as arrays ``user``, ``item`` (int32), ``rating`` (float32), ``time``
        (int64 unix seconds), in event order."""
        t = self.by_user
        keep = np.flatnonzero(self.parts == PARTS.index(part))
        return {"user": t.group_of(keep).astype(np.int32), "item": t.values[keep],
                "rating": t.ratings[keep], "time": t.times[keep]}

    def history_tables(self, parts: tuple[str, ...] = PARTS) -> tuple[SequenceTable, SequenceTable]:
        """``(by_user, by_item)`` tables of the events of ``parts``: the user histories (items) and the
        item histories (users) that IARN reads. Pass ``("train",)`` so that no validation or test
        event is ever part of a history."""
        t = self.by_user
        keep = np.isin(self.parts, [PARTS.index(p) for p in parts])
        users = t.group_of(np.flatnonzero(keep))
        by_user = SequenceTable.build(users, t.values[keep], t.times[keep], t.ratings[keep],
                                      n_groups=self.users.size)
        by_item = SequenceTable.build(t.values[keep], users, t.times[keep], t.ratings[keep],
                                      n_groups=self.items.size)
        return by_user, by_item

    def item_features(self) -> ItemFeatures | None:
        """The items' flat features or category paths as arrays aligned with ``items``
        (`seqrec.datasets.features.encode_item_features`); None when the data has none."""
        if self.item_info is None or self.feature_structure not in ("flat", "hierarchy"):
            return None
        return encode_item_features(self.item_info, self.items, self.feature_structure)

    def negative_sampler(self) -> NegativeSampler:
        """A sampler whose positives are every event of every part."""
        t = self.by_user
        return NegativeSampler(t.group_of(np.arange(len(t))), t.values, self.items.size)


class EpochClock:
    """The epoch a training pipeline serves: its shuffle and its negatives are seeded with the run's seed
    and this epoch. Every iteration over a pipeline reads the clock once, when it starts, and advances it
    (``tick``), so a pipeline iterated by hand reshuffles every pass; a trainer also sets ``epoch`` at the
    start of each Keras epoch (`seqrec.training.checkpoints.ClockCallback`), so that a fit resumed at
    epoch k reads epoch k's data, not epoch 0's."""

    def __init__(self, epoch: int = 0):
        self.epoch = epoch

    def tick(self) -> int:
        """The current epoch, then advance."""
        epoch, self.epoch = self.epoch, self.epoch + 1
        return epoch

    def epochs(self) -> tf.data.Dataset:
        """One int64 element per iteration over the dataset: the epoch it serves (`tick`)."""
        return tf.data.Dataset.from_generator(lambda: iter([self.tick()]),
                                              output_signature=tf.TensorSpec((), tf.int64))


def _fold(seed: int, stream: int, *data) -> tf.Tensor:
    """A stateless seed (int64 [2]) for ``stream`` (0: the shuffle, 1: negatives) of the run's ``seed``,
    folded with ``data`` (the epoch, the batch)."""
    out = tf.constant([seed, stream], tf.int64)
    for value in data:
        out = tf.random.experimental.stateless_fold_in(out, tf.cast(value, tf.int64))
    return out


def _finish(ds: tf.data.Dataset, label: str | None, n_negatives: int, sampler, seed: int):
    if n_negatives:
        if sampler is None:
            raise ValueError("n_negatives needs a NegativeSampler (SequenceData.negative_sampler()).")
        ds = ds.map(lambda x: {**x, "negatives": sampler.sample(x["user"], n_negatives,
                                                                _fold(seed, 1, x["_epoch"], x["_batch"]))},
                    num_parallel_calls=AUTOTUNE, deterministic=True)
    ds = ds.map(lambda x: {k: v for k, v in x.items() if k not in ("_epoch", "_batch")})
    if label is not None:
        ds = ds.map(lambda x: ({k: v for k, v in x.items() if k != label}, x[label]))
    return ds.prefetch(AUTOTUNE)


def _batched(index: dict[str, np.ndarray], batch_size: int, shuffle: bool, seed: int,
             drop_remainder: bool, clock: EpochClock | None) -> tf.data.Dataset:
    """Batches of the rows of ``index``, each with its ``_epoch`` and ``_batch`` number (the negatives'
    seeds); shuffled, the order is a stateless permutation seeded with (``seed``, the clock's epoch)."""
    clock = clock or EpochClock()
    n = len(next(iter(index.values())))
    columns = {k: tf.constant(v) for k, v in index.items()}
    stop = n - n % batch_size if drop_remainder else n

    def epoch(e):
        order = tf.range(n, dtype=tf.int64)
        if shuffle:
            order = tf.random.experimental.stateless_shuffle(order, _fold(seed, 0, e))
        return tf.data.Dataset.range(0, stop, batch_size).map(lambda start: {
            **{k: tf.gather(v, order[start:start + batch_size]) for k, v in columns.items()},
            "_epoch": e, "_batch": start // batch_size})

    batches = -(-stop // batch_size)
    return clock.epochs().flat_map(epoch).apply(tf.data.experimental.assert_cardinality(batches))


def _assembled(ds: tf.data.Dataset, assemble) -> tf.data.Dataset:
    """``assemble`` on every batch of `_batched`, keeping its ``_epoch`` and ``_batch``."""
    return ds.map(lambda b: {**assemble(b), "_epoch": b["_epoch"], "_batch": b["_batch"]},
                  num_parallel_calls=AUTOTUNE, deterministic=True)


def _history(values, times, starts, ends, max_len, padding, reference=None, group_starts=None):
    """Windows plus float32 time differences: ``gaps`` to the previous event of the group (the event
    before the window counts when the window was truncated; ``group_starts`` defaults to ``starts``)
    and ``ages`` before ``reference``."""
    w = gather_windows(values, times, starts, ends, max_len, padding)
    group_starts = starts if group_starts is None else group_starts
    has_prev = w["mask"] & (w["index"] - 1 >= group_starts[:, None])
    prev = tf.gather(times, tf.maximum(w["index"] - 1, 0))
    out = {"values": w["values"], "mask": w["mask"], "times": w["times"], "index": w["index"],
           "gaps": tf.cast(tf.where(has_prev, w["times"] - prev, 0), tf.float32)}
    if reference is not None:
        out["ages"] = tf.cast(tf.where(w["mask"], reference[:, None] - w["times"], 0), tf.float32)
    return out


def _ratings_of(window: dict, ratings: tf.Tensor) -> tf.Tensor:
    """The ratings of a window's events (0 on padding)."""
    return tf.where(window["mask"], tf.gather(ratings, window["index"]), 0.0)


def next_item_dataset(table: SequenceTable, targets: np.ndarray, *, max_len: int, batch_size: int,
                      padding: str = "left", shuffle: bool = False, seed: int = 0,
                      sampler: NegativeSampler | None = None, n_negatives: int = 0,
                      label: str | None = None, drop_remainder: bool = False,
                      clock: EpochClock | None = None) -> tf.data.Dataset:
    """Next-item examples: the events before each target position, truncated to the latest ``max_len``.

    Args:
      table: events grouped by user (`SequenceData.by_user`).
      targets: target positions in ``table`` (`SequenceData.targets`).
      label: a key to split off as the Keras label (e.g. ``"target"``), or ``None`` for plain dicts.
      clock: the `EpochClock` that seeds the shuffle and the negatives (a trainer's; default a new one).

    Yields batches of: ``items`` int32 [B, L], ``mask`` bool [B, L], ``gaps`` and ``ages`` float32
    [B, L], ``times`` int64 [B, L] (each event's unix time, 0 on padding), ``user`` int32 [B],
    ``target`` int32 [B], ``target_time`` int64 [B], ``target_gap``
    float32 [B] (seconds since the last history event, 0 without history), and ``negatives`` int32
    [B, n_negatives] when asked.
    """
    targets = np.asarray(targets, np.int64)
    groups = table.group_of(targets)
    index = {"start": table.offsets[groups], "end": targets, "user": groups.astype(np.int32)}
    values, times = tf.constant(table.values), tf.constant(table.times)

    def assemble(batch):
        target_time = tf.gather(times, batch["end"])
        h = _history(values, times, batch["start"], batch["end"], max_len, padding, target_time)
        has_history = batch["end"] > batch["start"]
        last = tf.gather(times, tf.maximum(batch["end"] - 1, 0))
        return {"items": h["values"], "mask": h["mask"], "gaps": h["gaps"], "ages": h["ages"],
                "times": h["times"],
                "user": batch["user"], "target": tf.gather(values, batch["end"]),
                "target_time": target_time,
                "target_gap": tf.cast(tf.where(has_history, target_time - last, 0), tf.float32)}

    ds = _assembled(_batched(index, batch_size, shuffle, seed, drop_remainder, clock), assemble)
    return _finish(ds, label, n_negatives, sampler, seed)


def _chunks(table: SequenceTable, size: int) -> tuple[np.ndarray, ...]:
    """Each group's sequence cut into consecutive chunks of ``size`` inputs (every event but the group's
    last is an input; its target is the event after it): ``(chunks per group, group of each chunk, its
    number within the group, its first input's position, its number of inputs)``."""
    lengths = np.diff(table.offsets) - 1
    chunks = np.where(lengths > 0, -(-lengths // size), 0)
    groups = np.repeat(np.arange(table.n_groups), chunks)
    chunk_no = np.arange(len(groups)) - np.repeat(np.cumsum(chunks) - chunks, chunks)
    starts = table.offsets[groups] + chunk_no * size
    sizes = np.minimum(size, table.offsets[groups + 1] - 1 - starts)
    return chunks, groups, chunk_no, starts.astype(np.int64), sizes.astype(np.int64)


def sequence_dataset(table: SequenceTable, *, max_len: int, batch_size: int, shuffle: bool = False,
                     seed: int = 0, label: str | None = None, sampler: NegativeSampler | None = None,
                     n_negatives: int = 0, drop_remainder: bool = False,
                     clock: EpochClock | None = None) -> tf.data.Dataset:
    """Whole-sequence examples for models that predict at every step (loss at all positions).

    Each user's sequence is cut into consecutive chunks of ``max_len`` inputs; input ``j`` of a chunk
    predicts the event after it, so every event but a user's first is a target exactly once. Chunks are
    right-padded.

    Yields batches of: ``items`` int32 [B, L], ``targets`` int32 [B, L], ``mask`` bool [B, L],
    ``gaps`` float32 [B, L] (seconds since the previous input), ``target_gaps`` float32 [B, L]
    (seconds from each input to its target), ``times`` int64 [B, L] (each input's unix time, 0 on
    padding) and ``user`` int32 [B]; ``negatives`` int32 [B, n_negatives] when asked (items the row's
    user never interacted with, redrawn every epoch, as in `next_item_dataset`). ``clock``: as in
    `next_item_dataset`.
    """
    _, groups, _, starts, sizes = _chunks(table, max_len)
    index = {"start": starts.astype(np.int64), "size": sizes.astype(np.int64),
             "group_start": table.offsets[groups], "user": groups.astype(np.int32)}
    values, times = tf.constant(table.values), tf.constant(table.times)

    def assemble(batch):
        ends = batch["start"] + batch["size"]
        inputs = _history(values, times, batch["start"], ends, max_len, "right",
                          group_starts=batch["group_start"])
        # the targets are the same window shifted by one event
        nxt = gather_windows(values, times, batch["start"] + 1, ends + 1, max_len, "right")
        gaps = tf.cast(tf.where(nxt["mask"], nxt["times"] - inputs["times"], 0), tf.float32)
        return {"items": inputs["values"], "targets": nxt["values"], "mask": inputs["mask"],
                "gaps": inputs["gaps"], "target_gaps": gaps, "user": batch["user"],
                "times": inputs["times"]}

    ds = _assembled(_batched(index, batch_size, shuffle, seed, drop_remainder, clock), assemble)
    return _finish(ds, label, n_negatives, sampler, seed)


def lane_dataset(table: SequenceTable, *, lanes: int, steps: int, seed: int = 0,
                 clock: EpochClock | None = None) -> tf.data.Dataset:
    """Session-parallel batches for stateful training with truncated back-propagation through time.

    Each user's sequence is cut into consecutive chunks of ``steps`` inputs, as in `sequence_dataset`
    (input ``j`` predicts the event after it). A batch has ``lanes`` rows; each lane works through its
    users' chunks in order, one chunk per batch, and takes the next user when one ends (the
    session-parallel mini-batches of Hidasi et al. 2016; the user goes to the lane that frees first, so
    lanes end together). A model carries each lane's state from batch to batch and starts from zero where
    ``reset`` is set (a lane's first chunk of a user, or an idle lane). Users are shuffled with
    ``seed + epoch``, the epoch read from ``clock`` (`EpochClock`) as each iteration starts: every Keras
    epoch is a new order, and a resumed fit's epoch k is epoch k's.

    Yields batches of: ``items``, ``targets`` int32 [lanes, steps], ``mask`` bool [lanes, steps]
    (right-padded; an idle lane is all False), ``user`` int32 [lanes], ``reset`` bool [lanes].
    """
    chunks, groups, chunk_no, starts, sizes = _chunks(table, steps)
    clock = clock or EpochClock()

    def schedule():
        order = np.random.default_rng(seed + clock.tick()).permutation(np.flatnonzero(chunks))
        heap = [(0, lane) for lane in range(lanes)]
        lane_of, begin = np.zeros(table.n_groups, np.int64), np.zeros(table.n_groups, np.int64)
        for user in order:
            load, lane = heapq.heappop(heap)
            lane_of[user], begin[user] = lane, load
            heapq.heappush(heap, (load + int(chunks[user]), lane))
        grid = np.full((max(load for load, _ in heap), lanes), -1, np.int64)
        grid[begin[groups] + chunk_no, lane_of[groups]] = np.arange(len(groups))
        yield from grid

    values, times = tf.constant(table.values), tf.constant(table.times)
    index = {"start": tf.constant(starts), "size": tf.constant(sizes), "chunk": tf.constant(chunk_no),
             "user": tf.constant(groups.astype(np.int32))}

    def assemble(ids):
        valid = ids >= 0
        pick = {k: tf.gather(v, tf.maximum(ids, 0)) for k, v in index.items()}
        ends = pick["start"] + tf.where(valid, pick["size"], 0)
        inputs = gather_windows(values, times, pick["start"], ends, steps, "right")
        nxt = gather_windows(values, times, pick["start"] + 1, ends + 1, steps, "right")
        return {"items": inputs["values"], "targets": nxt["values"], "mask": inputs["mask"],
                "user": tf.where(valid, pick["user"], 0), "reset": ~valid | (pick["chunk"] == 0)}

    ds = tf.data.Dataset.from_generator(schedule, output_signature=tf.TensorSpec((lanes,), tf.int64))
    return ds.map(assemble, num_parallel_calls=AUTOTUNE, deterministic=True).prefetch(AUTOTUNE)


def rating_pairs_dataset(by_user: SequenceTable, by_item: SequenceTable, users, items, ratings, times,
                         *, user_len: int, item_len: int, batch_size: int, padding: str = "left",
                         shuffle: bool = False, seed: int = 0, label: str | None = None,
                         drop_remainder: bool = False, sampler: NegativeSampler | None = None,
                         clock: EpochClock | None = None) -> tf.data.Dataset:
    """IARN examples: a (user, item, rating, time) with the user's and the item's histories.

    The user's history holds the items the user rated, and the item's history the users who rated it,
    **strictly before** the rating's time (`SequenceTable.count_before`), truncated to the latest
    ``user_len`` / ``item_len`` events: nothing at or after the predicted rating's time reaches its
    inputs.

    Yields batches of: ``user``, ``item`` int32 [B], ``rating`` float32 [B], ``time`` int64 [B],
    ``user_items``, ``user_mask``, ``user_ages``, ``user_ratings`` [B, user_len] and ``item_users``,
    ``item_mask``, ``item_ages``, ``item_ratings`` [B, item_len] (ages in seconds before the rating;
    the ratings given at those earlier events, 0 on padding).
    With a ``sampler`` (BPR-style ranking), each pair also gets a ``negative``: an item the user never
    had in training (`NegativeSampler`; redrawn every epoch when shuffled, else the same every pass), with
    its history before the same time under
    the same keys prefixed ``negative_`` (``negative_item``, ``negative_item_users``, ...). ``clock``: as
    in `next_item_dataset`.
    """
    users = np.asarray(users, np.int64)
    items = np.asarray(items, np.int64)
    times = np.asarray(times, np.int64)
    index = {
        "user": users.astype(np.int32), "item": items.astype(np.int32),
        "rating": np.asarray(ratings, np.float32), "time": times,
        "user_start": by_user.offsets[users], "user_end": by_user.count_before(users, times),
        "item_start": by_item.offsets[items], "item_end": by_item.count_before(items, times),
    }
    u_values, u_times = tf.constant(by_user.values), tf.constant(by_user.times)
    i_values, i_times = tf.constant(by_item.values), tf.constant(by_item.times)
    u_ratings, i_ratings = tf.constant(by_user.ratings), tf.constant(by_item.ratings)

    def assemble(batch):
        u = _history(u_values, u_times, batch["user_start"], batch["user_end"], user_len, padding,
                     batch["time"])
        i = _history(i_values, i_times, batch["item_start"], batch["item_end"], item_len, padding,
                     batch["time"])
        return {"user": batch["user"], "item": batch["item"], "rating": batch["rating"],
                "time": batch["time"], "user_items": u["values"], "user_mask": u["mask"],
                "user_ages": u["ages"], "user_ratings": _ratings_of(u, u_ratings),
                "item_users": i["values"], "item_mask": i["mask"], "item_ages": i["ages"],
                "item_ratings": _ratings_of(i, i_ratings)}

    ds = _assembled(_batched(index, batch_size, shuffle, seed, drop_remainder, clock), assemble)
    if sampler is not None:
        ds = _with_negative_items(ds, by_item, item_len, padding, sampler, seed, redraw=shuffle)
    return _finish(ds, label, 0, None, seed)


def _with_negative_items(ds: tf.data.Dataset, by_item: SequenceTable, item_len: int, padding: str,
                         sampler: NegativeSampler, seed: int, redraw: bool) -> tf.data.Dataset:
    """`rating_pairs_dataset`'s batches with a sampled negative item per pair and its history strictly
    before the pair's time: events of item g sit at ``offsets[g]:offsets[g + 1]`` in time order, so the
    count before t is a search for ``g * 2^32 + t`` among the events' keys (times below 2^32)."""
    groups = np.repeat(np.arange(len(by_item.offsets) - 1, dtype=np.int64), np.diff(by_item.offsets))
    keys = tf.constant(groups * (1 << 32) + by_item.times)
    offsets, values, times = (tf.constant(x) for x in (by_item.offsets, by_item.values, by_item.times))
    ratings = tf.constant(by_item.ratings)

    def add(x):
        s = _fold(seed, 1, x["_epoch"] if redraw else 0, x["_batch"])
        item = tf.cast(sampler.sample(x["user"], 1, s)[:, 0], tf.int64)
        end = tf.searchsorted(keys, item * (1 << 32) + x["time"], side="left", out_type=tf.int64)
        h = _history(values, times, tf.gather(offsets, item), end, item_len, padding, x["time"])
        return {**x, "negative_item": tf.cast(item, tf.int32), "negative_item_users": h["values"],
                "negative_item_mask": h["mask"], "negative_item_ages": h["ages"],
                "negative_item_ratings": _ratings_of(h, ratings)}

    return ds.map(add, num_parallel_calls=AUTOTUNE, deterministic=True)
