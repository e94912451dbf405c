"""Evaluation tasks: what is predicted, on which examples, and how it is scored.

* `NextItemTask`: the next item after every prefix, truncated to the latest events the method reads, ranked
  among the whole catalogue (MTAM, DMRAN, Ante-RNN protocols) or among sampled candidates;
  `SelectThenTest` validates with one and tests with another (DMRAN).
* `SequenceTask`: the next item after every event, with the user's whole history, never truncated
  (UserGRU: recurrent models carry their state through sequences of thousands of events).
* `RatingTask`: IARN's evaluation: RMSE and MAE of predicted ratings (rating models only) and, for
  every method, the per-user AUC of the user's held-out items against every item the user never rated.

A method passed to a task satisfies the task's contract (`seqrec.training.contracts`): a
`NextItemMethod` (``scores(batch) -> [B, n_items]`` with its ``max_len`` and ``padding``), a
`SequenceMethod` (``sequence_scores(group) -> [n_targets, n_items]``, see `SequenceTask.groups`) or a
`RatingMethod` (``predict(users, items, times) -> ratings`` and ``score_all(users, times) -> [B, n_items]``;
``times`` is when the prediction is made, so that time-aware models read only earlier events).

Every task also says how a method is selected on validation data (`selection`, `validation_score`): the
pipeline hands that score to the trainer, which never reads the test part.
"""

import dataclasses
import functools
from collections.abc import Iterator, Sequence

import numpy as np
import pandas as pd
import tensorflow as tf

from seqrec.datasets.pipelines import PARTS, SequenceData, next_item_dataset

from . import metrics, stats
from .ranking import RankingResult, ScoreError, evaluate_ranking, items_mask, score_batches


class _RankingSelection:
    """Model selection of a ranking task: the mean of ``monitor`` on the validation part, higher is
    better."""

    def selection(self, method) -> tuple[str, str]:
        """``(metric, mode)`` that model selection on validation uses for ``method``."""
        return self.monitor, "max"

    def validation_score(self, method, data: SequenceData) -> float:
        """``method``'s mean ``monitor`` on the validation part."""
        return self.evaluate(method, data, "valid").mean()[self.monitor]


@dataclasses.dataclass
class NextItemTask(_RankingSelection):
    """Next-item prediction evaluated by full ranking of the whole catalogue.

    Validation and test examples are the validation and test events, each with every earlier event of
    its user as history, cut to the latest ``method.max_len`` events and padded on ``method.padding``'s
    side (the history a method reads is its own setting, `seqrec.training.NextItemMethod`).
    ``exclude_seen`` removes every earlier item of the user from the ranking (off for repeat-consumption
    data). ``batch_size`` examples are scored at a time.

    DMRAN's metrics: ``with_auc`` adds each example's AUC against every ranked item (with
    ``exclude_seen``: every item the user has not interacted with), ``sampled_auc`` the paper's AUC
    against one sampled negative (`sampled_negatives`, frozen by ``seed``): both count ties as one half.

    ``candidates=k`` ranks each target among ``k`` sampled negatives (frozen by ``seed``) instead of the
    whole catalogue, and says so in `describe`: the cheap validation of models whose score of an item
    depends on the item (DMRAN, ATRank), which a method's ``candidate_scores(batch, candidates)`` computes
    for the candidates alone; other methods' full ``scores`` are read at the candidates.
    """

    ks: Sequence[int] = (10,)
    batch_size: int = 256
    exclude_seen: bool = False
    ties: str = "pessimistic"
    monitor: str = "ndcg@10"
    with_auc: bool = False
    sampled_auc: bool = False
    seed: int = 0
    candidates: int | None = None

    def __post_init__(self):
        if self.candidates and self.sampled_auc:
            raise ValueError("NextItemTask: sampled_auc reads the full ranking's scores; with candidates=k "
                             "use with_auc, which is then the AUC against the k sampled items")

    def describe(self) -> str:
        aucs = ((", AUC against every ranked item" if self.with_auc else "")
                + (f", AUC against one sampled negative per example (frozen, seed {self.seed})"
                   if self.sampled_auc else ""))
        if self.candidates:
            return (f"next item ranked among {self.candidates} sampled items the user never interacted with "
                    f"(frozen, seed {self.seed}; not full ranking), ties {self.ties}, each method reading "
                    f"its own latest max_len events of the history{aucs}")
        return (f"next item, full ranking over all items, ties {self.ties}, "
                f"{'seen items excluded' if self.exclude_seen else 'seen items ranked'}, "
                f"each method reading its own latest max_len events of the history{aucs}")

    def sampled_negatives(self, data: SequenceData, part: str, k: int = 1) -> np.ndarray:
        """``k`` negatives per ``part`` example: items the user has no event with in any part, drawn once
        with the task's seed (the same for every method and every run), int32 [n_examples] (``k=1``) or
        [n_examples, k]."""
        users = data.by_user.group_of(data.targets(part))
        negatives = data.negative_sampler().sample_numpy(users, k, self.seed)
        return negatives[:, 0] if k == 1 else negatives

    def eval_dataset(self, data: SequenceData, part: str, max_len: int, padding: str = "left"
                     ) -> tf.data.Dataset:
        """Batches of the ``part`` examples with histories of the latest ``max_len`` events (and, with
        ``exclude_seen``, ``seen``: every earlier item)."""
        targets = data.targets(part)
        if not self.exclude_seen:
            return next_item_dataset(data.by_user, targets, max_len=max_len, batch_size=self.batch_size,
                                     padding=padding)
        longest = int(np.diff(data.by_user.offsets).max())
        ds = next_item_dataset(data.by_user, targets, max_len=max(longest, max_len),
                               batch_size=self.batch_size, padding="left")

        def crop(x):  # the model sees the latest max_len events; every earlier item is excluded
            return {**x, "seen": x["items"], "items": x["items"][:, -max_len:],
                    "mask": x["mask"][:, -max_len:], "gaps": x["gaps"][:, -max_len:],
                    "ages": x["ages"][:, -max_len:], "times": x["times"][:, -max_len:]}

        return ds.map(crop)

    def evaluate(self, method, data: SequenceData, part: str) -> RankingResult:
        """Rank every item for each ``part`` example with ``method.scores`` (a
        `seqrec.training.NextItemMethod`)."""
        dataset = self.eval_dataset(data, part, method.max_len, method.padding)
        if self.candidates:
            negatives = self.sampled_negatives(data, part, self.candidates).reshape(-1, self.candidates)
            batches = _candidate_batches(method, dataset, negatives)
        else:
            batches = score_batches(method.scores, dataset, data.items.size,
                                    exclude_key="seen" if self.exclude_seen else None)
        if self.sampled_auc:
            batches = _with_sampled(batches, self.sampled_negatives(data, part))
        return evaluate_ranking(batches, self.ks, self.ties, with_auc=self.with_auc, protocol=self.describe(),
                                method=_name(method))


@dataclasses.dataclass
class SelectThenTest:
    """Model selection with one task and the test with another: ``valid`` scores the validation part
    (a trainer's per-epoch score and `selection`), ``test`` the test part. DMRAN validates every epoch
    among sampled candidates (`NextItemTask` ``candidates=k``, cheap for models that score each item
    with its own user representation) and tests once with full ranking."""

    valid: NextItemTask
    test: NextItemTask

    @property
    def monitor(self) -> str:
        return self.valid.monitor

    def describe(self) -> str:
        return f"validation: {self.valid.describe()}; test: {self.test.describe()}"

    def selection(self, method) -> tuple[str, str]:
        return self.valid.selection(method)

    def validation_score(self, method, data: SequenceData) -> float:
        return self.valid.validation_score(method, data)

    def evaluate(self, method, data: SequenceData, part: str) -> RankingResult:
        """``method`` on ``part``: the test part with ``test``, any other with ``valid``."""
        return (self.test if part == "test" else self.valid).evaluate(method, data, part)


@dataclasses.dataclass
class SequenceTask(_RankingSelection):
    """Next-item prediction after every event of a part, each target with its user's whole history.

    Every validation (test) event with at least one earlier event is one target; its history is every
    earlier event of the user, of any part (UserGRU 4.1: the validation and test events continue each
    user's sequence "while maintaining the order"). Users are scored in groups (`groups`) so that a
    recurrent model runs once over each sequence instead of once per prefix. Full ranking over all
    items; seen items stay in the ranking unless ``exclude_seen``.

    Args:
      ks: cut-offs (UserGRU 4.1.1: 20).
      max_targets: at most this many targets per group (bounds the [targets, n_items] score matrix),
        except that a user's targets are never split between groups.
      max_users: at most this many users per group.
      monitor: the validation metric for early stopping.
    """

    ks: Sequence[int] = (20,)
    max_targets: int = 1024
    max_users: int = 256
    ties: str = "pessimistic"
    monitor: str = "mrr@20"
    exclude_seen: bool = False

    def describe(self) -> str:
        return (f"next item after every event, whole history (never truncated), full ranking over all "
                f"items, ties {self.ties}, "
                f"{'seen items excluded' if self.exclude_seen else 'seen items ranked'}")

    def groups(self, data: SequenceData, part: str) -> Iterator[dict]:
        """Groups of users with targets in ``part``, users of similar length together. Each group:

        * ``user`` int [G]; ``items`` int32 [G, T], ``times`` int64 [G, T] (unix seconds), ``mask`` bool
          [G, T]: each user's events in order up to the last target of the part, right-padded;
        * ``row``, ``position`` int [n]: target k is ``items[row[k], position[k]]``, and its history is
          ``items[row[k], :position[k]]``; ``target`` int32 [n] the target items.
        """
        t = data.by_user
        targets = data.targets(part)
        users = t.group_of(targets)
        order_users, first = np.unique(users, return_index=True)
        last = np.r_[first[1:], len(targets)] - 1  # targets are sorted by user, then position
        lengths = targets[last] - t.offsets[order_users] + 1
        counts = last - first + 1
        order = np.argsort(lengths, kind="stable")
        start = 0
        while start < len(order):
            stop, n = start, 0
            while stop < len(order) and stop - start < self.max_users and (
                    stop == start or n + counts[order[stop]] <= self.max_targets):
                n += counts[order[stop]]
                stop += 1
            yield self._group(t, targets, order_users, first, counts, lengths, order[start:stop])
            start = stop

    @staticmethod
    def _group(t, targets, users, first, counts, lengths, chosen) -> dict:
        width = int(lengths[chosen].max())
        steps = np.arange(width)
        mask = steps[None, :] < lengths[chosen][:, None]
        index = np.where(mask, t.offsets[users[chosen]][:, None] + steps[None, :], 0)
        rows = np.repeat(np.arange(len(chosen)), counts[chosen])
        picked = np.concatenate([targets[first[u]:first[u] + counts[u]] for u in chosen])
        return {"user": users[chosen], "items": np.where(mask, t.values[index], 0).astype(np.int32),
                "times": np.where(mask, t.times[index], 0), "mask": mask, "row": rows,
                "position": picked - t.offsets[users[chosen]][rows], "target": t.values[picked]}

    def batches(self, method, data: SequenceData, part: str) -> Iterator[dict]:
        """`evaluate_ranking`'s batches: one per group, with ``exclude`` (every item of the target's
        history) when ``exclude_seen``."""
        for group in self.groups(data, part):
            out = {"scores": functools.partial(method.sequence_scores, group), "targets": group["target"],
                   "user": group["user"][group["row"]]}
            if self.exclude_seen:
                before = np.arange(group["items"].shape[1])[None, :] < group["position"][:, None]
                seen = np.where(before, group["items"][group["row"]], 0)
                out["exclude"] = items_mask(seen, data.items.size)
            yield out

    def evaluate(self, method, data: SequenceData, part: str) -> RankingResult:
        return evaluate_ranking(self.batches(method, data, part), self.ks, self.ties,
                                protocol=self.describe(), method=_name(method))


@dataclasses.dataclass
class RatingResult:
    """Rating errors (one row per predicted rating; ``None`` for a method that does not predict
    ratings) and per-user AUC rows."""

    errors: pd.DataFrame | None
    auc: RankingResult
    clip: tuple[float, float] | None

    def mean(self) -> dict[str, float]:
        out = {"AUC": float(self.auc.rows["auc"].mean())} if len(self.auc.rows) else {}
        if self.errors is not None:
            out["RMSE"] = metrics.rmse(self.errors["rating"], self.errors["prediction"], self.clip)
            out["MAE"] = metrics.mae(self.errors["rating"], self.errors["prediction"], self.clip)
        return out

    def standard_errors(self) -> dict[str, float]:
        """Bootstrap standard errors over users (`seqrec.evaluation.stats.standard_error`) of the AUC and,
        for rating models, of RMSE and MAE."""
        rows = self.auc.rows
        out = {"AUC": stats.standard_error(rows["user"], rows["auc"])} if len(rows) else {}
        if self.errors is not None:
            pred = self.errors["prediction"].to_numpy()
            if self.clip is not None:
                pred = np.clip(pred, *self.clip)
            error = pred - self.errors["rating"].to_numpy()
            out["RMSE"] = stats.standard_error(self.errors["user"], error ** 2, root=True)
            out["MAE"] = stats.standard_error(self.errors["user"], np.abs(error))
        return out

    def of_users(self, users) -> "RatingResult":
        """The result restricted to ``users`` (e.g. the users with training ratings)."""
        rows = self.auc.rows
        auc = dataclasses.replace(self.auc, rows=rows[rows["user"].isin(users)].reset_index(drop=True))
        errors = self.errors
        if errors is not None:
            errors = errors[errors["user"].isin(users)].reset_index(drop=True)
        return RatingResult(errors, auc, self.clip)

    def per_user(self) -> pd.DataFrame:
        """Per user: AUC and, for rating models, the squared and absolute errors averaged over the
        user's ratings (the unit of paired t-tests)."""
        out = self.auc.rows.set_index("user")[["auc"]].rename(columns={"auc": "AUC"})
        if self.errors is not None:
            pred = self.errors["prediction"].to_numpy()
            if self.clip is not None:
                pred = np.clip(pred, *self.clip)
            err = self.errors.assign(SE=(pred - self.errors["rating"]) ** 2,
                                     AE=np.abs(pred - self.errors["rating"]))
            out = out.join(err.groupby("user")[["SE", "AE"]].mean(), how="outer")
        return out


@dataclasses.dataclass
class RatingTask:
    """IARN's evaluation of a rating or ranking model.

    * RMSE and MAE over every rating of the part, with predictions clipped to ``clip`` (the rating
      scale; the authors' code clips to [1, 5]) when given; only for methods with
      ``predicts_ratings``.
    * AUC per user (unless ``ranking=False``): the user's distinct items of the part against every
      item the user never rated (items the user rated in any other part are left out of the
      ranking), averaged over users. With
      ``auc_users`` only a seeded sample of the part's users is ranked (the authors' code samples
      500 or 1,000); the sample is the same for every method. A user's items are scored at the time of
      the user's first event of the part.
    * Items without a training rating (``known_items_only``, the default) are left out for every method
      alike: their validation and test ratings are not scored, and they are neither a user's AUC target
      nor a candidate; a user left without a target is not ranked. No method has learned anything about
      such an item from ratings (its parameters are where they were initialised; HieVH could place it by
      its category path, IARN read its features, but the others could not), so all are scored on the
      same ratings; `cold_items` counts what is left out. Users without a training rating stay (most
      of IARN's test users on a time split): no method has trained parameters of its own for them, so
      each predicts them from what it learned of the items (biases, item histories).
    """

    clip: tuple[float, float] | None = None
    auc_users: int | None = None
    seed: int = 0
    batch_users: int = 32
    ranking: bool = True
    known_items_only: bool = True

    def describe(self) -> str:
        users = "all test users" if self.auc_users is None else f"{self.auc_users} sampled test users"
        clip = f", predictions clipped to {list(self.clip)}" if self.clip else ""
        known = (" (items without a training rating left out for every method)" if self.known_items_only
                 else "")
        if not self.ranking:
            return f"RMSE/MAE over every test rating{clip}, no ranking{known}"
        return (f"RMSE/MAE over every test rating{clip}; AUC per user over the user's test items "
                f"against every item the user never rated (full catalogue, a tie counting one half), "
                f"{users}{known}")

    def known_items(self, data: SequenceData) -> np.ndarray:
        """bool [n_items]: the items that may be scored (every real item unless ``known_items_only``,
        then those with a training rating)."""
        if not self.known_items_only:
            return np.arange(data.items.size) > 0
        known = np.zeros(data.items.size, bool)
        known[data.pairs("train")["item"]] = True
        return known

    def cold_items(self, data: SequenceData, part: str) -> tuple[int, int]:
        """``(ratings, items)`` of ``part`` whose item has no training rating: left out of the evaluation
        when ``known_items_only``."""
        items = data.pairs(part)["item"]
        cold = ~self.known_items(data)[items] if self.known_items_only else np.zeros(len(items), bool)
        return int(cold.sum()), len(np.unique(items[cold]))

    def auc_targets(self, data: SequenceData, part: str) -> tuple[np.ndarray, ...]:
        """``(users, times, targets [U, T], rated [U, R])``: the evaluated users, the time of each one's
        first event of the part, their distinct items of the part (0-padded) and the items they rated
        in the other parts (0-padded)."""
        t, known = data.by_user, self.known_items(data)
        scored = (data.parts == PARTS.index(part)) & known[t.values]
        users = np.unique(t.group_of(np.flatnonzero(scored)))
        if self.auc_users is not None and len(users) > self.auc_users:
            users = np.sort(np.random.default_rng(self.seed).choice(users, self.auc_users, replace=False))
        targets, rated, times = [], [], []
        for user in users:
            span = slice(t.offsets[user], t.offsets[user + 1])
            in_part = data.parts[span] == PARTS.index(part)
            targets.append(np.unique(t.values[span][in_part & scored[span]]))
            rated.append(np.setdiff1d(t.values[span][~in_part], targets[-1]))
            times.append(t.times[span][in_part].min())
        return users, np.asarray(times, np.int64), _pad(targets), _pad(rated)

    def selection(self, method) -> tuple[str, str]:
        """``(metric, mode)`` of model selection on validation: RMSE (lower is better) for a method
        that predicts ratings, else AUC."""
        return ("rmse", "min") if method.predicts_ratings else ("auc", "max")

    def validation_score(self, method, data: SequenceData) -> float:
        """``method``'s validation RMSE, or its validation AUC when it does not predict ratings."""
        means = self.evaluate(method, data, "valid", ranking=not method.predicts_ratings).mean()
        return means["RMSE"] if method.predicts_ratings else means["AUC"]

    def evaluate(self, method, data: SequenceData, part: str, ranking: bool | None = None) -> RatingResult:
        """Score ``method`` on ``part``; ``ranking=False`` (default: the task's ``ranking``) skips the
        AUC, e.g. to select a rating model on validation RMSE or for figures of RMSE only."""
        ranking = self.ranking if ranking is None else ranking
        errors, known = None, self.known_items(data)
        if method.predicts_ratings:
            pairs = data.pairs(part)
            pairs = {k: v[known[pairs["item"]]] for k, v in pairs.items()}
            prediction = np.asarray(method.predict(pairs["user"], pairs["item"], pairs["time"]))
            bad = np.flatnonzero(~np.isfinite(prediction))
            if len(bad):
                raise ScoreError(
                    f"{_name(method)}: {len(bad):,} of {len(prediction):,} predicted {part} ratings are NaN "
                    f"or infinite (users {', '.join(map(str, pairs['user'][bad][:5]))}); the model has "
                    "probably diverged: lower its learning rate or check its inputs.")
            errors = pd.DataFrame({"user": pairs["user"], "item": pairs["item"],
                                   "rating": pairs["rating"], "prediction": prediction})
        users, times, targets, rated = (self.auc_targets(data, part) if ranking
                                        else (np.zeros(0, int),) * 4)

        def batches():
            for start in range(0, len(users), self.batch_users):
                chunk = slice(start, start + self.batch_users)
                scores = method.score_all(users[chunk], times[chunk])
                yield {"scores": tf.cast(scores, tf.float32),
                       "targets": targets[chunk], "user": users[chunk],
                       "exclude": items_mask(rated[chunk], data.items.size) | ~known}

        auc = (evaluate_ranking(batches(), ks=(), with_auc=True, protocol=self.describe(),
                                method=_name(method))
               if len(users) else RankingResult(pd.DataFrame({"user": [], "auc": []})))
        return RatingResult(errors, auc, self.clip)


def _candidate_batches(method, dataset: tf.data.Dataset, negatives: np.ndarray) -> Iterator[dict]:
    """`evaluate_ranking` batches over each row's candidates only: column 0 the padding item (never
    ranked), column 1 the target, then the row's sampled negatives."""
    start = 0
    for batch in dataset:
        size = len(batch["user"])
        candidates = np.concatenate([np.zeros((size, 1), np.int32), batch["target"].numpy()[:, None],
                                     negatives[start:start + size]], axis=1)
        start += size
        if hasattr(method, "candidate_scores"):
            scores = method.candidate_scores(batch, candidates)
        else:
            scores = tf.gather(method.scores(batch), candidates, batch_dims=1)
        yield {"scores": scores, "targets": np.ones(size, np.int32), "user": batch["user"]}


def _with_sampled(batches: Iterator[dict], negatives: np.ndarray) -> Iterator[dict]:
    """``batches`` with each row's sampled negative (``sampled``), in evaluation order."""
    start = 0
    for batch in batches:
        size = len(batch["user"])
        yield {**batch, "sampled": negatives[start:start + size]}
        start += size


def _name(method) -> str:
    """A method's table name (for error messages), or its class name."""
    return getattr(method, "name", type(method).__name__)


def _pad(rows: Sequence[np.ndarray]) -> np.ndarray:
    width = max((len(r) for r in rows), default=0)
    out = np.zeros((len(rows), max(width, 1)), np.int32)
    for k, r in enumerate(rows):
        out[k, :len(r)] = r
    return out
