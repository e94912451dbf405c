"""Full-ranking evaluation over the whole catalogue, chunked so memory stays bounded.

A scorer turns one batch of evaluation examples into scores over every item ([batch, n_items]); the
evaluator ranks the batch's targets (`seqrec.evaluation.metrics`) and keeps only per-row metrics, so
at most one batch of scores is in memory (one per replica under a mirrored strategy, `over_replicas`):
256 rows x 60k items is 61 MB of float32. The batch size of the evaluation dataset is the chunk size.
"""

import dataclasses
import functools
import itertools
import pickle
from collections.abc import Callable, Iterable, Iterator

import numpy as np
import pandas as pd
import tensorflow as tf

from . import metrics, stats


@dataclasses.dataclass
class RankingResult:
    """Per-row metrics of one evaluation (a row is one test example; ``user`` groups rows).

    Attributes:
      rows: one row per evaluated example: ``user`` and a column per metric (NaN without targets).
      protocol: a short description (metrics, ties, exclusion, candidates) for table headers.
    """

    rows: pd.DataFrame
    protocol: str = ""

    @property
    def n_without_targets(self) -> int:
        metric = next(c for c in self.rows.columns if c != "user")
        return int(self.rows[metric].isna().sum())

    def mean(self) -> dict[str, float]:
        """Average over rows that have targets."""
        return {c: float(self.rows[c].mean()) for c in self.rows.columns if c != "user"}

    def standard_errors(self) -> dict[str, float]:
        """Bootstrap standard error over users of each metric's mean (`seqrec.evaluation.stats`)."""
        return {c: stats.standard_error(self.rows["user"], self.rows[c]) for c in self.rows.columns
                if c != "user"}

    def per_user(self) -> pd.DataFrame:
        """Mean of each metric per user (the unit of paired significance tests)."""
        return self.rows.groupby("user").mean()


def items_mask(items, n_items: int) -> tf.Tensor:
    """bool [B, n_items]: True at every non-padding item listed in ``items`` [B, M]."""
    items = tf.convert_to_tensor(items, tf.int32)
    rows = tf.broadcast_to(tf.range(tf.shape(items)[0])[:, None], tf.shape(items))
    where = tf.boolean_mask(tf.stack([rows, items], -1), items > 0)
    hits = tf.scatter_nd(where, tf.ones(tf.shape(where)[0], tf.int32), [tf.shape(items)[0], n_items])
    return hits > 0


class ScoreError(ValueError):
    """A method's scores cannot be ranked: NaN or infinite values, or a row listing a target twice."""


def evaluate_ranking(batches: Iterable[dict], ks: Iterable[int], ties: str = "pessimistic",
                     with_auc: bool = False, protocol: str = "", method: str = "the method") -> RankingResult:
    """Rank each batch's targets among all items and collect per-row metrics.

    Args:
      batches: dicts with ``scores`` float [B, N] (or a function of no argument that returns them, called
        where the batch is evaluated: its replica's device under a mirrored strategy, `over_replicas`),
        ``targets`` int [B] or [B, T] (0 = none, each item at most once per row), ``user`` [B], and
        optionally ``exclude`` bool [B, N] (items not ranked for that row) and ``sampled`` int [B], one
        sampled negative item per row: the row's ``sampled_auc`` is then 1 when its (first) target
        scores above that item, 0.5 on a tie and 0 below (ATRank's and DMRAN's AUC, Eq. 23 with one
        negative; ties count one half, as everywhere).
      ks: cut-offs.
      ties: the tie rule of the top-K metrics' ranks (`seqrec.evaluation.metrics.TIES`).
      with_auc: also compute the per-row AUC against every ranked non-target item (ties count one
        half, `seqrec.evaluation.metrics.auc`).
      method: the method's name, for error messages.

    Raises:
      ScoreError: a score other than the padding column's is NaN or infinite (a NaN compares false
        with everything, so it would rank every target first: metrics of 1.0 from a diverged model), or
        a row lists a target twice (it would count twice). The message names the method, the rows
        (positions in evaluation order) and their users, and how many.
    """
    frames, bad, bad_users, seen = [], [], [], 0
    for batch, kept in over_replicas(_statistics, batches):
        targets = _targets(batch)
        _check_targets(targets, batch["user"], seen, method)
        rows = np.flatnonzero(~kept["finite"])
        bad += list(seen + rows)
        bad_users += list(np.asarray(batch["user"])[rows])
        seen += len(targets)
        if bad:  # keep counting bad rows, but stop collecting metrics that cannot be reported
            continue
        counts = kept["counts"]
        row = {"user": np.asarray(batch["user"])}
        row.update(metrics.at_k(metrics.ranks(counts, ties), counts["valid"], ks))
        if with_auc:
            row["auc"] = metrics.auc(counts)
        if "sampled" in batch:
            row["sampled_auc"] = kept["sampled_auc"]
        frames.append(pd.DataFrame(row))
    if bad:
        raise ScoreError(
            f"{method}: NaN or infinite scores in {len(bad):,} of {seen:,} evaluation rows (rows "
            f"{_some(bad)}; users {_some(bad_users)}). Ranking such scores is meaningless; the model has "
            "probably diverged: lower its learning rate, clip its gradients, or check its inputs for NaN.")
    return RankingResult(pd.concat(frames, ignore_index=True),
                         protocol=protocol or f"full ranking, ties {ties}")


def _targets(batch: dict) -> np.ndarray:
    targets = np.asarray(batch["targets"])
    return targets[:, None] if targets.ndim == 1 else targets


def _statistics(batch: dict) -> dict:
    """What `evaluate_ranking` keeps of one batch's scores (computed here when ``scores`` is a function):
    whether each row's scores are finite, where its targets fall (`seqrec.evaluation.metrics.target_counts`)
    and, with ``sampled``, its one-pair AUC."""
    scores = batch["scores"]() if callable(batch["scores"]) else batch["scores"]
    targets = _targets(batch)
    kept = {"finite": tf.reduce_all(tf.math.is_finite(tf.convert_to_tensor(scores)[:, 1:]), 1).numpy(),
            "counts": metrics.target_counts(scores, targets, batch.get("exclude"))}
    if "sampled" in batch:
        kept["sampled_auc"] = metrics.pair_auc(scores, targets[:, 0], batch["sampled"])
    return kept


def over_replicas(work: Callable[[dict], dict], batches: Iterable[dict]) -> Iterator[tuple[dict, dict]]:
    """``(batch, work(batch))`` for each batch, in order, sharded across batches over the replicas of the
    strategy in scope (a trainer's validation; `seqrec.experiments.pipeline`'s tests): under a
    `tf.distribute.MirroredStrategy` or `MultiWorkerMirroredStrategy` of R replicas, R batches at a time
    are evaluated concurrently, batch k of a round on replica k, on its device with its copy of the
    model's variables (``strategy.run``), so evaluation does not run on one device while the others
    wait. On a cluster every worker iterates the same batches and receives the others' results
    (`_gathered`); ``work``'s results must be picklable there. Elsewhere one batch at a time on the
    default device."""
    strategy = tf.distribute.get_strategy()
    sharding = (tf.distribute.MirroredStrategy, tf.distribute.MultiWorkerMirroredStrategy)
    replicas = strategy.num_replicas_in_sync if isinstance(strategy, sharding) else 1
    cluster = isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy) and replicas > 1
    batches = iter(batches)
    while chunk := list(itertools.islice(batches, replicas)):
        if replicas == 1:
            yield chunk[0], work(chunk[0])
            continue
        results = [None] * replicas

        def on_replica(chunk=chunk, results=results):
            context = tf.distribute.get_replica_context()
            k = int(context.replica_id_in_sync_group)
            results[k] = work(chunk[k]) if k < len(chunk) else None  # idle in the last round
            if cluster:
                results[:] = _gathered(context, results[k])

        strategy.run(on_replica)
        yield from zip(chunk, results[:len(chunk)], strict=True)


def _gathered(context: tf.distribute.ReplicaContext, value) -> list:
    """Every replica's ``value`` (any picklable object), in replica order, from inside ``strategy.run`` on
    a cluster: pickled to bytes and exchanged with two all-gathers (the sizes, then the bytes padded to a
    power of two, which bounds the shapes the collective is traced for; one int32 each: collectives take
    no uint8)."""
    blob = np.frombuffer(pickle.dumps(value), np.uint8).astype(np.int32)
    sizes = context.all_gather(tf.constant([len(blob)]), axis=0)
    width = 1 << int(tf.reduce_max(sizes) - 1).bit_length()
    padded = tf.constant(np.pad(blob, (0, width - len(blob)))[None])
    blobs = context.all_gather(padded, axis=0).numpy()
    return [pickle.loads(b[:n].astype(np.uint8).tobytes()) for b, n in zip(blobs, sizes.numpy(), strict=True)]


def _check_targets(targets: np.ndarray, users, offset: int, method: str) -> None:
    ordered = np.sort(targets, axis=1)
    repeated = ((ordered[:, 1:] == ordered[:, :-1]) & (ordered[:, 1:] > 0)).any(1)
    if repeated.any():
        rows = np.flatnonzero(repeated)
        raise ScoreError(
            f"{method}: {len(rows):,} evaluation row(s) list a target item twice (rows "
            f"{_some(offset + rows)}, users {_some(np.asarray(users)[rows])}); a repeated target would "
            "count twice. List each target item once per row.")


def _some(values, shown: int = 5) -> str:
    values = [str(v) for v in values]
    more = f", ... ({len(values) - shown:,} more)" if len(values) > shown else ""
    return ", ".join(values[:shown]) + more


def score_batches(score_fn: Callable[[dict], tf.Tensor], dataset: tf.data.Dataset, n_items: int,
                  target_key: str = "target", exclude_key: str | None = None) -> Iterable[dict]:
    """Adapt a dataset of evaluation examples to `evaluate_ranking`'s batches.

    ``score_fn(batch)`` returns scores [B, n_items] (called by `evaluate_ranking`, on the batch's replica);
    ``exclude_key`` names a padded item list in the batch (e.g. ``"items"``, the history) whose items are
    not ranked.
    """
    for batch in dataset:
        out = {"scores": functools.partial(score_fn, batch), "targets": batch[target_key],
               "user": batch["user"]}
        if exclude_key is not None:
            out["exclude"] = items_mask(batch[exclude_key], n_items)
        yield out
