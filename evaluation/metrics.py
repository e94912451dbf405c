"""Exactly defined metrics: rating errors, ranking metrics at K, and the AUC variants of the papers.

**Ranking.** A row ranks every item of the catalogue except the padding index 0 and the row's
excluded items (e.g. items the user has already seen, when a protocol asks for it; a target is never
excluded). Its targets (one for next-item protocols, a set for held-out-items protocols) are placed in
the ranked list by score.

**Ties** of the top-K metrics are broken deterministically. ``ties="pessimistic"`` (the default) ranks a
target after every non-target item with the same score; ``"average"`` counts half of them, which is the
convention of scikit-learn's ``roc_auc_score`` and ``ndcg_score``; ``"optimistic"`` counts none. Targets
tied with each other are ordered by item index (this never changes a set metric). Hence all-equal scores
give a target the last rank among the non-targets under the pessimistic rule. AUC always counts a tie as
one half.

With ``n`` targets in a row and target ranks ``r`` (1-based positions in the ranked list):

* ``hr@K``: 1 if any target is in the top K (the hit ratio); for one target it equals ``recall@K``;
* ``recall@K``: targets in the top K / ``n``; ``precision@K``: targets in the top K / K;
* ``ndcg@K``: sum over targets in the top K of ``1 / log2(r + 1)``, divided by the ideal
  ``sum_{i=1..min(n, K)} 1 / log2(i + 1)``;
* ``mrr@K``: ``1 / min(r)`` when ``min(r) <= K``, else 0 (the UserGRU paper: "The rank is set to zero
  if it is above k");
* ``auc``: per row, the share of (target, non-target) pairs ordered correctly among the ranked items,
  averaged over the row's targets; a tie counts one half (Mann-Whitney, scikit-learn), whatever the
  top-K rule;
* ``pair_auc``: the same for one target against one sampled negative (1, 0.5 or 0): ATRank's and
  DMRAN's reported AUC, whose mean over users is the share of users whose positive beats their negative.

A K larger than the catalogue is allowed (every target is then a hit). Rows without targets get NaN
and are left out of averages by the evaluator, which reports how many there were.
"""

import functools

import numpy as np
import tensorflow as tf

TIES = ("pessimistic", "average", "optimistic")
COUNT_MAX_TARGETS = 16  # rows with at most this many targets are counted by comparison, others by sorting


def _tie_weight(ties: str) -> float:
    if ties not in TIES:
        raise ValueError(f"ties must be one of {TIES}, got {ties!r}")
    return {"pessimistic": 1.0, "average": 0.5, "optimistic": 0.0}[ties]


def rmse(y_true, y_pred, clip: tuple[float, float] | None = None) -> float:
    """Root mean squared error; ``clip=(low, high)`` clips predictions to the rating scale first."""
    y_pred = np.asarray(y_pred, np.float64)
    if clip is not None:
        y_pred = np.clip(y_pred, *clip)
    return float(np.sqrt(np.mean((np.asarray(y_true, np.float64) - y_pred) ** 2)))


def mae(y_true, y_pred, clip: tuple[float, float] | None = None) -> float:
    """Mean absolute error; ``clip=(low, high)`` clips predictions to the rating scale first."""
    y_pred = np.asarray(y_pred, np.float64)
    if clip is not None:
        y_pred = np.clip(y_pred, *clip)
    return float(np.mean(np.abs(np.asarray(y_true, np.float64) - y_pred)))


def target_counts(scores, targets, exclude=None) -> dict[str, np.ndarray]:
    """Where each target falls among the ranked items of its row (vectorised; one compiled graph per
    number of targets per row).

    Args:
      scores: float [B, N] over the whole catalogue (column 0 = padding, never ranked).
      targets: int [B, T] distinct target items per row, 0 = no target.
      exclude: optional bool [B, N]: items not ranked in that row (targets are ranked regardless).

    Returns numpy arrays: ``greater`` / ``equal`` [B, T]: non-target ranked items scoring higher /
    equal; ``above`` [B, T]: other targets placed before this one (higher score, or equal score and
    lower index); ``negatives`` [B]: non-target ranked items; ``valid`` [B, T]: real targets.
    """
    targets = tf.convert_to_tensor(targets, tf.int32)
    counter = _counter(int(targets.shape[1]), exclude is not None, COUNT_MAX_TARGETS)
    inputs = [tf.cast(scores, tf.float32), targets]  # a mixed-precision model may score in (b)float16
    if exclude is not None:
        inputs.append(tf.convert_to_tensor(exclude, tf.bool))
    return {k: v.numpy() for k, v in counter(*inputs).items()}


@functools.cache
def _counter(n_targets: int, with_exclude: bool, count_max_targets: int):
    """`_count` compiled for rows of ``n_targets`` targets (the comparison path depends on it)."""
    signature = [tf.TensorSpec([None, None], tf.float32), tf.TensorSpec([None, n_targets], tf.int32)]
    if with_exclude:
        signature.append(tf.TensorSpec([None, None], tf.bool))
    return tf.function(lambda *x: _count(*x, count_max_targets=count_max_targets), input_signature=signature)


def _count(scores, targets, exclude=None, count_max_targets: int = 16) -> dict[str, tf.Tensor]:
    n_rows, n_items = tf.shape(scores)[0], tf.shape(scores)[1]
    valid = targets > 0
    rows = tf.broadcast_to(tf.range(n_rows)[:, None], tf.shape(targets))
    where = tf.boolean_mask(tf.stack([rows, targets], -1), valid)
    is_target = tf.scatter_nd(where, tf.ones(tf.shape(where)[0], tf.int32), [n_rows, n_items]) > 0
    removed = tf.broadcast_to(tf.range(n_items)[None, :] == 0, [n_rows, n_items])
    if exclude is not None:
        removed |= exclude
    removed &= ~is_target
    ranked = tf.where(removed, tf.constant(-np.inf, tf.float32), scores)
    t_scores = tf.gather(scores, targets, batch_dims=1)
    above_all, equal_all = _compare(ranked, t_scores, count_max_targets)
    # counts over all ranked items, then remove the targets' own contributions
    t_valid = valid[:, None, :]
    higher = tf.reduce_sum(tf.cast(t_valid & (t_scores[:, None, :] > t_scores[:, :, None]), tf.int32), 2)
    same = tf.reduce_sum(tf.cast(t_valid & (t_scores[:, None, :] == t_scores[:, :, None]), tf.int32), 2)
    before = tf.reduce_sum(tf.cast(t_valid & (t_scores[:, None, :] == t_scores[:, :, None])
                                   & (targets[:, None, :] < targets[:, :, None]), tf.int32), 2)
    n_ranked = n_items - tf.reduce_sum(tf.cast(removed, tf.int32), 1)
    return {
        "greater": above_all - higher,
        "equal": equal_all - same,
        "above": higher + before,
        "negatives": n_ranked - tf.reduce_sum(tf.cast(valid, tf.int32), 1),
        "valid": valid,
    }



def _compare(ranked: tf.Tensor, t_scores: tf.Tensor, count_max_targets: int) -> tuple[tf.Tensor, tf.Tensor]:
    """Items of each row scoring above / equal to each target score: [B, T] int32 each.

    Few targets per row: one O(N) comparison per target, cheaper than sorting whole rows; many targets:
    one sort and binary searches."""
    n_targets = t_scores.shape[1]
    if n_targets is not None and n_targets <= count_max_targets:
        above = [tf.reduce_sum(tf.cast(ranked > t_scores[:, j:j + 1], tf.int32), 1)
                 for j in range(n_targets)]
        equal = [tf.reduce_sum(tf.cast(ranked == t_scores[:, j:j + 1], tf.int32), 1)
                 for j in range(n_targets)]
        return tf.stack(above, 1), tf.stack(equal, 1)
    order = tf.sort(ranked, axis=1)
    left = tf.searchsorted(order, t_scores, side="left")
    right = tf.searchsorted(order, t_scores, side="right")
    return tf.shape(ranked)[1] - right, right - left


def ranks(counts: dict[str, np.ndarray], ties: str = "pessimistic") -> np.ndarray:
    """1-based positions of the targets in the ranked list (float for ``average`` ties)."""
    return 1 + counts["greater"] + _tie_weight(ties) * counts["equal"] + counts["above"]


def at_k(target_ranks, valid, ks) -> dict[str, np.ndarray]:
    """``hr``, ``recall``, ``precision``, ``ndcg`` and ``mrr`` at every K in ``ks``, per row (NaN for
    rows without targets), from target ranks [B, T] (`ranks`) and ``valid`` [B, T]."""
    valid = np.asarray(valid, bool)
    r = np.where(valid, target_ranks, np.inf)
    n = valid.sum(1)
    has = n > 0
    out = {}
    for k in ks:
        hit = valid & (r <= k)
        hits = hit.sum(1)
        ideal = (1.0 / np.log2(np.arange(2, k + 2)))
        idcg = np.cumsum(ideal)[np.clip(np.minimum(n, k) - 1, 0, None)]
        dcg = np.where(hit, 1.0 / np.log2(np.where(hit, r, 1) + 1), 0.0).sum(1)
        best = r.min(1, initial=np.inf)
        out[f"hr@{k}"] = np.where(has, (hits > 0).astype(float), np.nan)
        out[f"recall@{k}"] = np.where(has, hits / np.maximum(n, 1), np.nan)
        out[f"precision@{k}"] = np.where(has, hits / k, np.nan)
        out[f"ndcg@{k}"] = np.where(has, dcg / idcg, np.nan)
        out[f"mrr@{k}"] = np.where(has, np.where(best <= k, 1.0 / best, 0.0), np.nan)
    return out


def pair_auc(scores, positives, negatives) -> np.ndarray:
    """Per row, whether the positive item scores above the negative one: 1, 0.5 on a tie, else 0
    (float64 [B]); the one-pair AUC of ATRank and DMRAN (Eq. 23 with one negative per user)."""
    scores = tf.convert_to_tensor(scores)
    rows = tf.range(tf.shape(scores)[0])

    def pick(items):
        return tf.gather_nd(scores, tf.stack([rows, tf.cast(items, tf.int32)], 1)).numpy()

    positive, negative = pick(positives), pick(negatives)
    return (positive > negative) + 0.5 * (positive == negative)


def auc(counts: dict[str, np.ndarray], ties: str = "average") -> np.ndarray:
    """Per row: the share of (target, non-target) pairs ranked correctly, averaged over targets.

    A tie counts one half by default: the Mann-Whitney statistic, as the papers and scikit-learn's
    ``roc_auc_score`` define AUC, so that chance (and a constant scorer) is 0.5. The pessimistic rule, which
    guards the top-K metrics against constant scorers, would give a constant scorer AUC 0.

    With the row's excluded items as "items the user interacted with", this is IARN's per-user AUC of
    held-out items against every item the user never interacted with. A row without any ranked
    non-target item has no pair to order: its AUC is NaN (scikit-learn refuses such a row)."""
    negatives = counts["negatives"][:, None].astype(float)
    valid = counts["valid"] & (negatives > 0)  # without a ranked non-target AUC is undefined (NaN)
    wins = negatives - counts["greater"] - _tie_weight(ties) * counts["equal"]
    per_target = np.where(valid, wins / np.maximum(negatives, 1), 0.0)
    n = valid.sum(1)
    return np.where(n > 0, per_target.sum(1) / np.maximum(n, 1), np.nan)
