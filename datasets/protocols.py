"""Preprocessing protocols of the five papers: filters, splits and their reports.

Every function takes an events table (columns ``user, item, rating, timestamp``, in the event order of
`seqrec.datasets.interactions`) and returns a new one, or a `Split`. Each filter reports how many rows,
users and items it removed: the report is logged, appended to ``reports`` when a list is passed, and a
filter that removes every interaction raises `ProtocolError` instead of returning an empty table.

Counts are counts of events (rows), so a user who consumed the same item twice counts two.

Paper protocols (`iarn`, `user_gru`, `dmran`, `mtam`, `ante_rnn`) compose these steps as each paper
states them; their docstrings quote the paper and say how ambiguities were read. Each is complete on
its own (callers add no step): it starts by removing exact repeats of an event, and ends by refusing a
split with nothing to rank and warning (`SmallDataWarning`) about one with fewer than `MIN_RANKABLE`
users or items.
"""

import dataclasses
import functools
import inspect
import logging
import warnings
from collections.abc import Collection, Sequence

import numpy as np
import pandas as pd

from .errors import ProtocolError, SmallDataWarning
from .interactions import sort_events

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class StepReport:
    """What one protocol step kept and removed."""

    step: str
    rows: tuple[int, int]
    users: tuple[int, int]
    items: tuple[int, int]
    note: str = ""

    @classmethod
    def compare(cls, step: str, before: pd.DataFrame, after: pd.DataFrame, note: str = ""):
        def count(frame):
            return len(frame), frame["user"].nunique(), frame["item"].nunique()

        b, a = count(before), count(after)
        return cls(step, (b[0], a[0]), (b[1], a[1]), (b[2], a[2]), note)

    def __str__(self) -> str:
        removed = (f"removed {self.rows[0] - self.rows[1]:,} rows, {self.users[0] - self.users[1]:,} "
                   f"users, {self.items[0] - self.items[1]:,} items")
        kept = f"kept {self.rows[1]:,} rows, {self.users[1]:,} users, {self.items[1]:,} items"
        return f"{self.step}: {removed}; {kept}" + (f" ({self.note})" if self.note else "")


def _record(report: StepReport, reports: list | None) -> None:
    log.info("%s", report)
    if reports is not None:
        reports.append(report)


SHOWN = 10  # a step's report spells out collections of at most this many values


def reported(fn):
    """Decorate a filter ``f(events, ...) -> events`` so that it reports what it removed.

    The step is named after the function and all its arguments (defaults included; a collection of more
    than ``SHOWN`` values by its size, e.g. ``items=<3,872 values>``). The decorated function takes an
    extra keyword ``reports``: a list to append the `StepReport` to.
    """
    signature = inspect.signature(fn)

    def shown(value) -> str:
        many = isinstance(value, set | frozenset | list | np.ndarray | pd.Index) and len(value) > SHOWN
        return f"<{len(value):,} values>" if many else repr(value)

    @functools.wraps(fn)
    def wrapper(events: pd.DataFrame, *args, reports: list | None = None, **kwargs):
        bound = signature.bind(events, *args, **kwargs)
        bound.apply_defaults()
        params = ", ".join(f"{k}={shown(v)}" for k, v in bound.arguments.items() if k != "events")
        out = fn(events, *args, **kwargs)
        report = StepReport.compare(f"{fn.__name__}({params})", events, out)
        if out.empty and not events.empty:
            raise ProtocolError(
                f"{report.step} removed every interaction ({report.rows[0]:,} rows of "
                f"{report.users[0]:,} users). Relax the step's thresholds or use a larger dataset.")
        _record(report, reports)
        return out

    return wrapper


@reported
def deduplicate(events: pd.DataFrame, keys: Sequence[str] = ("user", "item", "timestamp"),
                keep: str = "first") -> pd.DataFrame:
    """Drop repeated events.

    ``keys=("user", "item", "timestamp")`` removes exact repeats (the Amazon 2018 review files repeat
    reviews); ``keys=("user", "item")`` keeps only the first (``keep="first"``) or last interaction of
    each user-item pair.
    """
    return events.drop_duplicates(list(keys), keep=keep).reset_index(drop=True)


@reported
def binarize(events: pd.DataFrame, threshold: float | None = None) -> pd.DataFrame:
    """Turn ratings into implicit feedback: rating 1.0.

    ``threshold=None`` keeps every event as positive, "independent of their value" (UserGRU, Ante-RNN);
    a threshold keeps only events rated at least ``threshold``.
    """
    kept = events if threshold is None else events[events["rating"] >= threshold]
    return kept.assign(rating=np.float32(1.0)).reset_index(drop=True)


@reported
def filter_min_counts(events: pd.DataFrame, min_user: int = 0, min_item: int = 0,
                      iterate: bool = False) -> pd.DataFrame:
    """Keep users with at least ``min_user`` events and items with at least ``min_item`` events.

    One pass removes rare items first, then rare users. ``iterate=True`` repeats until nothing changes,
    so that both thresholds hold in the output (the result is then independent of the order).
    """
    while True:
        items = events["item"].map(events["item"].value_counts())
        kept = events[items >= min_item]
        users = kept["user"].map(kept["user"].value_counts())
        kept = kept[users >= min_user]
        if not iterate or len(kept) == len(events):
            return kept.reset_index(drop=True)
        events = kept


def k_core(events: pd.DataFrame, k: int, reports: list | None = None) -> pd.DataFrame:
    """The k-core: every user and item keeps at least ``k`` events (iterated to a fixed point)."""
    return filter_min_counts(events, k, k, iterate=True, reports=reports)


@reported
def subsample_users(events: pd.DataFrame, fraction: float, seed: int) -> pd.DataFrame:
    """Keep a seeded random ``fraction`` of users (or sessions, when sessions are the user column)."""
    users = np.sort(events["user"].unique())
    rng = np.random.default_rng(seed)
    chosen = rng.choice(users, size=max(1, round(fraction * len(users))), replace=False)
    return events[events["user"].isin(chosen)].reset_index(drop=True)


@reported
def subsample_events(events: pd.DataFrame, fraction: float, seed: int) -> pd.DataFrame:
    """Keep a seeded random ``fraction`` of events; each user's kept events stay in order."""
    rng = np.random.default_rng(seed)
    return events[rng.random(len(events)) < fraction].reset_index(drop=True)


@reported
def subsample_windows(events: pd.DataFrame, fraction: float, seed: int) -> pd.DataFrame:
    """Keep, for each user, one contiguous stretch of ``k = ceil(fraction * n)`` of the user's ``n``
    events (consecutive in event order), starting at a seeded random offset drawn uniformly from the
    ``n - k + 1`` possible starts. Every user keeps at least one event; ``fraction * n`` is rounded to 9
    decimals before the ceiling, so that 0.1 * 30 keeps 3 events, not 4. Offsets are drawn in user-id
    order, so the same events and seed give the same stretches.

    UserGRU (section 4.1.2) evaluates on "a 10% subsample" of LastFM-1K with an "average sequence length
    [of] 1 738": about a tenth of the 19,150,868 / 992 = 19,305 plays per user, so plays were sampled, not
    users (a tenth of the users would keep about 19,305 plays each). The paper does not say how. A
    contiguous stretch keeps the listening sessions (albums, playlists) whose succession the paper's
    discussion (section 4.3) relies on, whereas a random 10 % of the plays (`subsample_events`) would
    leave successive kept plays about ten plays apart.
    """
    if not 0 < fraction <= 1:
        raise ProtocolError(f"subsample_windows: fraction must be in (0, 1]; got {fraction!r}.")
    events = sort_events(events)
    sizes = events.groupby("user", sort=False).size().to_numpy()  # users in event (user-id) order
    keep = np.maximum(1, np.ceil(np.round(fraction * sizes, 9))).astype(np.int64)
    start = np.random.default_rng(seed).integers(0, sizes - keep + 1)
    position, _ = _positions(events)
    start, keep = np.repeat(start, sizes), np.repeat(keep, sizes)
    return events[(position >= start) & (position < start + keep)].reset_index(drop=True)


@dataclasses.dataclass
class Split:
    """Train, validation and test events of one protocol run, with the reports of every step."""

    train: pd.DataFrame
    valid: pd.DataFrame
    test: pd.DataFrame
    protocol: str
    reports: list[StepReport] = dataclasses.field(default_factory=list)
    warning: str = ""

    def events(self) -> pd.DataFrame:
        """All events of the three parts, in event order, with a ``part`` column."""
        parts = [f.assign(part=name) for name, f in
                 (("train", self.train), ("valid", self.valid), ("test", self.test))]
        return sort_events(pd.concat(parts, ignore_index=True))

    def describe(self) -> str:
        lines = [f"protocol: {self.protocol}"]
        lines += [f"  {r}" for r in self.reports]
        lines += [f"  WARNING: {self.warning}"] if self.warning else []
        for name in ("train", "valid", "test"):
            frame = getattr(self, name)
            lines.append(f"  {name}: {len(frame):,} events, {frame['user'].nunique():,} users, "
                         f"{frame['item'].nunique():,} items")
        return "\n".join(lines)


def _split_report(step: str, before: pd.DataFrame, parts: Sequence[pd.DataFrame], reports, note=""):
    after = pd.concat(parts, ignore_index=True)
    report = StepReport.compare(step, before, after, note)
    if not len(parts[0]):
        raise ProtocolError(f"{step} left no training events. Use a larger dataset or another split.")
    if not len(parts[-1]):
        raise ProtocolError(f"{step} left no test events. Use a larger dataset or another split.")
    _record(report, reports)


def _positions(events: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Each event's 0-based position in its user's sequence and the user's length (events must be in
    event order)."""
    position = events.groupby("user", sort=False).cumcount().to_numpy()
    length = events["user"].map(events["user"].value_counts()).to_numpy()
    return position, length


def time_split(events: pd.DataFrame, test_from: int, valid_from: int | None = None,
               reports: list | None = None) -> Split:
    """Global time cut (IARN): train before ``test_from`` (unix seconds), test from it on.

    With ``valid_from`` the training events from ``valid_from`` on become the validation part, so the
    validation set also lies after everything used for training.
    """
    events = sort_events(events)
    test = events[events["timestamp"] >= test_from]
    train = events[events["timestamp"] < test_from]
    valid = train.iloc[:0]
    if valid_from is not None:
        valid = train[train["timestamp"] >= valid_from]
        train = train[train["timestamp"] < valid_from]
    name = f"time_split(test_from={_date(test_from)}" + (
        f", valid_from={_date(valid_from)})" if valid_from is not None else ")")
    parts = [train.reset_index(drop=True), valid.reset_index(drop=True), test.reset_index(drop=True)]
    _split_report(name, events, parts, reports)
    return Split(*parts, protocol=name, reports=list(reports or []))


def _date(ts: int) -> str:
    return pd.Timestamp(ts, unit="s", tz="UTC").strftime("%Y-%m-%d")


def drop_unseen_items(split: Split, reports: list | None = None) -> Split:
    """Remove validation and test events whose item never occurs in training (UserGRU: "items not seen
    during training are filtered out from validation and test set")."""
    seen = set(split.train["item"].unique())
    valid = split.valid[split.valid["item"].isin(seen)].reset_index(drop=True)
    test = split.test[split.test["item"].isin(seen)].reset_index(drop=True)
    before = pd.concat([split.train, split.valid, split.test], ignore_index=True)
    _split_report("drop_unseen_items(valid, test)", before, [split.train, valid, test], reports)
    return dataclasses.replace(split, valid=valid, test=test, reports=list(reports or split.reports))


def user_ratio_split(events: pd.DataFrame, train: float = 0.9, valid: float = 0.05,
                     reports: list | None = None) -> Split:
    """Per-user chronological split: the first ``train`` share of each user's sequence for training,
    the next ``valid`` share for validation, the rest for testing, order kept.

    A user with ``n`` events gets ``round(train * n)`` training events and
    ``round((train + valid) * n) - round(train * n)`` validation events (Python's round: halves to
    even); the rest are test events. Short sequences can thus leave a user without validation or test
    events; the report counts such users.
    """
    events = sort_events(events)
    position, length = _positions(events)
    n_train = np.rint(length * train).astype(int)
    n_train_valid = np.rint(length * (train + valid)).astype(int)
    parts = [events[position < n_train],
             events[(position >= n_train) & (position < n_train_valid)],
             events[position >= n_train_valid]]
    parts = [p.reset_index(drop=True) for p in parts]
    no_test = events["user"].nunique() - parts[2]["user"].nunique()
    name = f"user_ratio_split(train={train}, valid={valid}, test={round(1 - train - valid, 6)})"
    _split_report(name, events, parts, reports, note=f"{no_test} users have no test event")
    return Split(*parts, protocol=name, reports=list(reports or []))


def leave_last_out(events: pd.DataFrame, min_events: int = 3, reports: list | None = None) -> Split:
    """Per user: the last event is the test target, the one before it the validation target, all
    earlier events are training events (every prefix of which is a training example; see
    `seqrec.datasets.pipelines`). Users with fewer than ``min_events`` events are dropped and counted.
    """
    if min_events < 3:
        raise ProtocolError("leave_last_out needs min_events >= 3: one training, one validation and "
                            "one test event per user.")
    events = sort_events(events)
    position, length = _positions(events)
    kept = length >= min_events
    dropped = events.loc[~kept, "user"].nunique()
    events, position, length = events[kept], position[kept], length[kept]
    parts = [events[position < length - 2], events[position == length - 2],
             events[position == length - 1]]
    parts = [p.reset_index(drop=True) for p in parts]
    name = f"leave_last_out(min_events={min_events})"
    _split_report(name, sort_events(events), parts, reports,
                  note=f"dropped {dropped} users with fewer than {min_events} events")
    return Split(*parts, protocol=name, reports=list(reports or []))


def holdout_split(events: pd.DataFrame, seed: int, train: float = 0.8, valid_share: float = 0.1,
                  reports: list | None = None) -> Split:
    """Ante-RNN: per user, the first ``train`` share of the time-ordered sequence for training and the
    rest for testing; then a seeded random ``valid_share`` of each user's training events is held out
    for validation ("we randomly hold-out 10% interaction history of each user from training set").

    The test part does not depend on ``seed``; only the train/validation partition does, which is what
    the paper repeats five times. A user gets ``round(valid_share * n_train)`` validation events.
    """
    events = sort_events(events)
    position, length = _positions(events)
    n_train = np.rint(length * train).astype(int)
    in_train = position < n_train
    training, test = events[in_train], events[~in_train]
    rng = np.random.default_rng(seed)
    noise = rng.random(len(training))
    rank = pd.Series(noise).groupby(training["user"].to_numpy()).rank(method="first").to_numpy()
    per_user = training["user"].map(training["user"].value_counts()).to_numpy()
    held = rank <= np.rint(per_user * valid_share)
    parts = [training[~held].reset_index(drop=True), training[held].reset_index(drop=True),
             test.reset_index(drop=True)]
    name = f"holdout_split(train={train}, valid_share={valid_share}, seed={seed})"
    _split_report(name, events, parts, reports)
    return Split(*parts, protocol=name, reports=list(reports or []))


# --- the papers' protocols -------------------------------------------------------------------------

IARN_CUTS = {"netflix": "2005-06-01", "movielens": "2010-01-01", "amazon": "2014-01-01"}


def unix(date: str) -> int:
    """Unix seconds of a UTC date ``YYYY-MM-DD``."""
    return int(pd.Timestamp(date, tz="UTC").timestamp())


MIN_RANKABLE = 20  # fewer users or items than this after a protocol: a loud warning


def _repeats_removed(events: pd.DataFrame, reports: list) -> pd.DataFrame:
    """A paper protocol's first step: exact repeats of an event (same user, item and second) removed and
    counted. Releases repeat rows (Amazon 2018 reviews, scrobbles logged twice); left in, a repeat
    becomes its own validation or test target, or sits in training and test at once."""
    return deduplicate(events, ("user", "item", "timestamp"), reports=reports)


def _checked(split: Split, minimum: int = MIN_RANKABLE) -> Split:
    """A paper protocol's last step: refuse a split with fewer than two users or items (nothing to
    rank), and warn (`SmallDataWarning`, logged, and written in ``split.describe()``) when it has fewer
    than ``minimum``: ranking metrics over a handful of items or users are noise."""
    events = split.events()
    users, items = events["user"].nunique(), events["item"].nunique()
    counts = f"{users:,} users and {items:,} items ({len(events):,} events)"
    if users < 2 or items < 2:
        raise ProtocolError(f"{split.protocol} left {counts}: nothing to rank. Lower the protocol's "
                            "thresholds or use a larger dataset.")
    if users < minimum or items < minimum:
        message = (f"{split.protocol} left only {counts}, fewer than {minimum}: its metrics will be "
                   "noise. Lower the thresholds or use a larger dataset.")
        warnings.warn(message, SmallDataWarning, stacklevel=3)
        log.warning("%s", message)
        split.warning = message
    return split


def iarn(events: pd.DataFrame, cut: str, valid_share: float = 0.1, min_count: int = 4) -> Split:
    """IARN (section 4.1): exact repeats removed, then "only users and items with more than 3 ratings
    are preserved" (read as at least ``min_count`` = 4, iterated to a fixed point so it holds in the
    output), then a global time cut at ``cut`` ("The data before these time stamps are treated as
    training data, while the rest are considered as the test data"). The paper's validation set is
    unspecified; we hold out the latest ``valid_share`` of training events in time, so validation, like
    test, lies after training. Figure 3 raises ``min_count`` ("constraining the minimum length of user
    and item input sequences").
    """
    reports: list[StepReport] = []
    events = _repeats_removed(events, reports)
    events = filter_min_counts(events, min_count, min_count, iterate=True, reports=reports)
    before = events[events["timestamp"] < unix(cut)]["timestamp"]
    valid_from = int(np.quantile(before, 1 - valid_share)) if valid_share and len(before) else None
    split = time_split(events, unix(cut), valid_from, reports=reports)
    split.protocol = f"iarn(cut={cut}, valid_share={valid_share}, min_count={min_count})"
    return _checked(split)


def user_gru(events: pd.DataFrame, fraction: float = 1.0, seed: int = 0) -> Split:
    """UserGRU (section 4.1.2): exact repeats removed; with ``fraction`` < 1, one contiguous stretch of
    that share of each user's events (`subsample_windows`, seeded: the paper's "10% subsample" of
    LastFM-1K); ratings binarised "independent of their value"; per-user chronological 90/5/5; items
    unseen in training removed from validation and test."""
    reports: list[StepReport] = []
    events = _repeats_removed(events, reports)
    if fraction < 1:
        events = subsample_windows(events, fraction, seed, reports=reports)
    events = binarize(events, reports=reports)
    split = user_ratio_split(events, 0.9, 0.05, reports=reports)
    split = drop_unseen_items(split, reports=reports)
    sample = f"{fraction:g} of each user's events (seed {seed}), " if fraction < 1 else ""
    split.protocol = f"user_gru({sample}binarize, 90/5/5 per user, drop unseen)"
    return _checked(split)


def evaluated_users(split: Split, n_users: int, seed: int, reports: list | None = None) -> Split:
    """Keep the validation and test events of a seeded random sample of ``n_users`` users (all of them
    when there are no more); every user's training events stay. A scaled-down evaluation: the models
    learn from every user, and validation and test cost what ``n_users`` users cost. The dropped
    held-out events reach no part of the run, so nothing after a kept user's training events leaks."""
    users = np.sort(split.test["user"].unique())
    chosen = users
    if len(users) > n_users:
        chosen = np.random.default_rng(seed).choice(users, size=n_users, replace=False)
    valid, test = (frame[frame["user"].isin(chosen)].reset_index(drop=True)
                   for frame in (split.valid, split.test))
    step = f"evaluated_users(n_users={n_users}, seed={seed})"
    before = pd.concat([split.train, split.valid, split.test], ignore_index=True)
    _split_report(step, before, [split.train, valid, test], reports,
                  note=f"validation and test events of {len(users) - len(chosen):,} users dropped; "
                       "their training events stay")
    return Split(split.train, valid, test, protocol=split.protocol, reports=list(reports or []))


def dmran(events: pd.DataFrame, user_fraction: float | None = None, seed: int = 0,
          eval_users: int | None = None) -> Split:
    """DMRAN (section 5.1): exact repeats removed; each user's first k behaviours predict the (k+1)-th
    in training and the first n-1 predict the last in testing. The paper has no validation set; we take
    the (n-1)-th behaviour as the validation target so that model selection never touches the test
    item. Scaled-down runs (the paper keeps and tests every user): ``user_fraction``, a seeded random
    share of the users first; ``eval_users``, validation and test on a seeded sample of that many users
    (`evaluated_users`), training on all."""
    reports: list[StepReport] = []
    events = _repeats_removed(events, reports)
    if user_fraction is not None:
        events = subsample_users(events, user_fraction, seed, reports=reports)
    split = leave_last_out(events, 3, reports=reports)
    if eval_users is not None:
        split = evaluated_users(split, eval_users, seed, reports=reports)
    sample = f"{user_fraction:g} of the users (seed {seed}), " if user_fraction is not None else ""
    tested = f", {eval_users:,} evaluated users (seed {seed})" if eval_users is not None else ""
    split.protocol = f"dmran({sample}leave-last-out with validation item{tested})"
    return _checked(split)


def mtam(events: pd.DataFrame, min_user: int = 10, min_item: int = 30, user_fraction: float | None = None,
         seed: int = 0) -> Split:
    """MTAM (section 6.1): exact repeats removed (the Amazon review files repeat reviews); with
    ``user_fraction``, a seeded random share of the users (the paper samples Yoochoose's sessions);
    then "We filter the users whose behavior lengths are less than 10 and items that appear less than
    30 times" (iterated to a fixed point, so both hold in the output), then leave-last-out with the
    second-to-last behaviour as validation target. Other thresholds are for small test data only."""
    reports: list[StepReport] = []
    events = _repeats_removed(events, reports)
    if user_fraction is not None:
        events = subsample_users(events, user_fraction, seed, reports=reports)
    events = filter_min_counts(events, min_user, min_item, iterate=True, reports=reports)
    split = leave_last_out(events, 3, reports=reports)
    sample = f"{user_fraction:g} of the users (seed {seed}), " if user_fraction is not None else ""
    split.protocol = (f"mtam({sample}min user {min_user}, min item {min_item}, leave-last-out with "
                      "validation item)")
    return _checked(split)


@reported
def keep_items(events: pd.DataFrame, items: Collection[str]) -> pd.DataFrame:
    """Keep the events of ``items`` only (e.g. the items that have an image)."""
    return events[events["item"].isin(set(items))].reset_index(drop=True)


@reported
def popular_items(events: pd.DataFrame, n: int) -> pd.DataFrame:
    """Keep the events of the ``n`` items with the most users (ties broken by item id)."""
    counts = events.groupby("item")["user"].nunique().rename("users").reset_index()
    kept = counts.sort_values(["users", "item"], ascending=[False, True], kind="stable")["item"].head(n)
    return events[events["item"].isin(set(kept))].reset_index(drop=True)


def ante_rnn(events: pd.DataFrame, seeds: Sequence[int] = (0, 1, 2, 3, 4), min_user: int = 20,
             items: Collection[str] | None = None, popular: int | None = None, users: int | None = None,
             sample_seed: int = 0) -> list[Split]:
    """Ante-RNN (section 4.1): exact repeats removed, ratings binarised, ``items`` kept only where given
    (a stand-in's items with a poster), then only "sequences with a minimum length of 20" (``min_user``),
    per-user chronological 80/20, 10 % of each user's training history held out at random for
    validation, repeated with five seeds. The item restriction comes before the length filter, so every
    kept user has ``min_user`` events of kept items.

    Pinterest's subset ("retaining the top 15,000 popular images and sampling 50,000 users who have
    interactions on these images"): ``popular`` keeps the events of the most popular items (by users),
    then ``users`` samples that many of the users left (seeded by ``sample_seed``, once for all
    repeats), both before the length filter. The paper gives Pinterest no minimum length (its average
    is 23); pass the ``min_user`` the split needs."""
    reports: list[StepReport] = []
    events = _repeats_removed(events, reports)
    events = binarize(events, reports=reports)
    if items is not None:
        events = keep_items(events, items, reports=reports)
    if popular is not None:
        events = popular_items(events, popular, reports=reports)
    n_users = events["user"].nunique()
    if users is not None and n_users > users:
        events = subsample_users(events, users / n_users, sample_seed, reports=reports)
    events = filter_min_counts(events, min_user, 0, reports=reports)
    subset = (f"{popular:,} most popular items, " if popular is not None else "") + (
        f"{users:,} users sampled (seed {sample_seed}), " if users is not None else "")
    splits = []
    for seed in seeds:
        split = holdout_split(events, seed, 0.8, 0.1, reports=list(reports))
        restricted = f"{len(set(items)):,} items given, " if items is not None else ""
        split.protocol = (f"ante_rnn(binarize, {restricted}{subset}min user {min_user}, 80/20 per user, "
                          f"10% validation, seed={seed})")
        splits.append(_checked(split))
    return splits
