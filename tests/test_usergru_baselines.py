"""UserGRU's Table 2 baselines (Donkers et al. 2017): item-based k-NN and its time-decayed counterpart
(`seqrec.models.ItemKNN`), BPR-MF and sequential MF (`seqrec.models.SequentialMF`), and their
`SequenceTask` adapters (`seqrec.training.adapters`).

Hand-computed similarities and scores on a 3-user, 5-item log; cosine against scikit-learn; top-k
truncation and its tie rule; decay weights; no method reads a target or anything after it; sequential
MF's window; training on a log whose next item is a function of the previous one; end to end."""

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.metrics.pairwise import cosine_similarity

from seqrec.datasets import protocols
from seqrec.datasets.negatives import NegativeSampler
from seqrec.datasets.pipelines import SequenceData
from seqrec.evaluation.tasks import SequenceTask
from seqrec.experiments import usergru
from seqrec.experiments.pipeline import fit
from seqrec.models import BPR, ItemKNN, SequentialMF, TopPop
from seqrec.models.knn import cosine_top_k
from seqrec.models.seq_mf import previous_items
from seqrec.training import FactorAdapter, NeighbourAdapter, SequentialFactorAdapter, windows_before

DAY = 86400
# users 1..3, items 1..5 (0 = padding); item 5 has no training event
TINY = {"user": np.array([1, 1, 1, 2, 2, 3, 3]), "item": np.array([1, 2, 3, 1, 2, 2, 4])}
C12, C13, C23 = 2 / np.sqrt(6), 1 / np.sqrt(2), 1 / np.sqrt(3)  # cos(1,2), cos(1,3), cos(2,3) = cos(2,4)
TINY_S = np.array([  # rows: history item, columns: candidate
    [0, 0, 0, 0, 0, 0],
    [0, 0, C12, C13, 0, 0],
    [0, C12, 0, C23, C23, 0],
    [0, C13, C23, 0, 0, 0],
    [0, 0, C23, 0, 0, 0],
    [0, 0, 0, 0, 0, 0],
])


def tiny_knn(**kw) -> ItemKNN:
    knn = ItemKNN(**kw)
    knn.fit(TINY, 4, 6)
    return knn


# --- item-based k-NN --------------------------------------------------------------------------------
def test_cosine_by_hand_and_top_k_truncation():
    np.testing.assert_allclose(tiny_knn().similarity.toarray(), TINY_S, atol=1e-12)
    one = tiny_knn(neighbours=1).similarity.toarray()
    expected = np.zeros_like(TINY_S)
    for row, col in [(1, 2), (2, 1), (3, 1), (4, 2)]:
        expected[row, col] = TINY_S[row, col]
    np.testing.assert_allclose(one, expected, atol=1e-12)
    # k = 2: item 2's second neighbour is a tie between items 3 and 4 (both 1/sqrt 3): the smaller index stays
    two = tiny_knn(neighbours=2).similarity.toarray()
    np.testing.assert_allclose(two[2], [0, C12, 0, C23, 0, 0], atol=1e-12)


@pytest.mark.parametrize("k", [4, 40])
def test_cosine_matches_sklearn_in_blocks(k):
    rng = np.random.default_rng(3)
    users = rng.integers(1, 25, 300)
    items = np.minimum(rng.geometric(0.08, 300), 29)  # skewed popularity, many ties, repeats
    s = cosine_top_k(users, items, 25, 30, k, block_cells=70)  # 2 item rows per block
    dense = np.zeros((25, 30))
    dense[users, items] = 1.0
    ref = cosine_similarity(dense.T)
    np.fill_diagonal(ref, 0.0)
    got = s.toarray()
    assert isinstance(s, sp.csr_matrix) and s.shape == (30, 30)
    if k >= 29:
        np.testing.assert_allclose(got, ref, atol=1e-12)
        return
    assert (np.diff(s.indptr) <= k).all() and (np.diff(s.indptr) == np.minimum(k, (ref > 0).sum(1))).all()
    kept = got > 0
    np.testing.assert_allclose(got[kept], ref[kept], atol=1e-12)
    for row in range(30):  # the kept values are the row's k largest, every dropped value is not larger
        top = np.sort(ref[row])[::-1][:k]
        np.testing.assert_allclose(np.sort(got[row][kept[row]])[::-1], top[top > 0], atol=1e-12)
        if kept[row].any():
            assert ref[row][~kept[row]].max(initial=0) <= got[row][kept[row]].min() + 1e-12


def test_time_independent_scores_by_hand():
    knn = tiny_knn()
    scores = knn.score_sequence([1, 3, 2], [0, DAY, 2 * DAY], [2])[0]  # history: items 1 and 3
    np.testing.assert_allclose(scores[[1, 2, 3]], [C13, C12 + C23, C13], rtol=1e-6)
    # items 4 and 5 have no similarity to the history: below every positive score, by popularity
    assert scores[4] < 0 and scores[5] < 0 and scores[4] > scores[5]
    # a history without neighbours ranks every item by training popularity (item 2 > 1 > 3 = 4 > 5)
    alone = knn.score_sequence([5, 1], [0, 0], [1])[0]
    assert alone[2] > alone[1] > alone[3] == alone[4] > alone[5]


def test_decay_weights_and_scores_by_hand():
    knn = tiny_knn(decay=1.0)
    times = np.array([0, DAY, 3 * DAY, 10 * DAY])
    w = knn.weights(times, [3, 1, 2])
    np.testing.assert_allclose(w, [[np.exp(-3), np.exp(-2), 1], [1, 0, 0], [np.exp(-1), 1, 0]], rtol=1e-12)
    half_day = ItemKNN(decay=1.0, time_unit=DAY / 2).weights(times, [3])
    np.testing.assert_allclose(half_day, [[np.exp(-6), np.exp(-4), 1]], rtol=1e-12)
    # history 1 (at day 0), 3 (at day 2): item 2 scores e^-2 cos(1,2) + cos(3,2)
    s = knn.score_sequence([1, 3, 4], [0, 2 * DAY, 100 * DAY], [2])[0]
    np.testing.assert_allclose(s[[1, 2, 3]], [C13, np.exp(-2) * C12 + C23, np.exp(-2) * C13], rtol=1e-6)
    # the history in the other order (item 3 at day 0, item 1 at day 2), two targets at once
    s2 = knn.score_sequence([3, 1, 4], [0, 2 * DAY, 3 * DAY], [2, 1])
    np.testing.assert_allclose(s2[0, [1, 2, 3]], [np.exp(-2) * C13, np.exp(-2) * C23 + C12, C13], rtol=1e-6)
    np.testing.assert_allclose(s2[1, [1, 2]], [C13, C23], rtol=1e-6)
    # the same gaps later in time give the same scores (only differences of times matter)
    shifted = knn.score_sequence([1, 3, 4], np.array([0, 2 * DAY, 0]) + 10**9, [2])[0]
    np.testing.assert_allclose(shifted, s, rtol=1e-6)


def random_sequence(rng, n_items=30, length=60):
    items = rng.integers(1, n_items, length)
    times = np.cumsum(rng.integers(0, 3 * DAY, length)) + 1_500_000_000
    return items, times


def test_decay_zero_equals_time_independent_and_histories_agree():
    rng = np.random.default_rng(0)
    train = {"user": rng.integers(1, 20, 400), "item": rng.integers(1, 30, 400)}
    items, times = random_sequence(rng)
    positions = np.array([59, 1, 30, 17, 45])
    plain, zero, decayed = ItemKNN(neighbours=5), ItemKNN(neighbours=5, decay=0.0), ItemKNN(neighbours=5,
                                                                                         decay=1.0)
    for knn in (plain, zero, decayed):
        knn.fit(train, 20, 30)
    base = plain.score_sequence(items, times, positions)
    np.testing.assert_allclose(zero.score_sequence(items, times, positions), base, rtol=1e-6)
    assert not np.allclose(decayed.score_sequence(items, times, positions), base)
    # a batch of left-padded histories gives the per-sequence scores
    width = positions.max()
    batch = np.zeros((len(positions), width), np.int64)
    batch_times = np.zeros((len(positions), width), np.int64)
    mask = np.zeros((len(positions), width), bool)
    for k, p in enumerate(positions):
        batch[k, width - p:], batch_times[k, width - p:], mask[k, width - p:] = items[:p], times[:p], True
    for knn in (plain, decayed):
        np.testing.assert_allclose(knn.score_histories(batch, mask, batch_times),
                                   knn.score_sequence(items, times, positions), rtol=1e-5, atol=1e-7)
    # chunked scoring (tiny blocks) gives the same scores
    small = ItemKNN(neighbours=5, decay=1.0, block_cells=64)
    small.fit(train, 20, 30)
    np.testing.assert_allclose(small.score_sequence(items, times, positions),
                               decayed.score_sequence(items, times, positions), rtol=1e-5, atol=1e-7)


# --- sequential MF ----------------------------------------------------------------------------------
def test_previous_items_by_hand():
    users = np.array([1, 2, 1, 1, 2, 1])
    items = np.array([5, 7, 6, 8, 9, 4])
    np.testing.assert_array_equal(previous_items(users, items, 2),
                                  [[0, 0], [0, 0], [5, 0], [6, 5], [7, 0], [8, 6]])
    group_items = np.array([[3, 4, 5, 6], [7, 8, 0, 0]])
    np.testing.assert_array_equal(windows_before(group_items, [0, 0, 1, 0], [1, 3, 1, 2], 2),
                                  [[3, 0], [5, 4], [7, 0], [4, 3]])


def successor_log(n_users=120, n_items=40, seed=0) -> pd.DataFrame:
    """Each user's next item is a fixed function of the previous one (a random 40-cycle), from a random
    start, 20 to 38 events a user, an event every few hours."""
    rng = np.random.default_rng(seed)
    cycle = rng.permutation(n_items)
    after = np.empty(n_items, int)
    after[cycle] = np.roll(cycle, -1)
    rows = []
    for u in range(n_users):
        item, t = int(rng.integers(n_items)), 1_500_000_000 + int(rng.integers(0, 10 * DAY))
        for _ in range(int(rng.integers(20, 39))):
            rows.append((f"u{u:03d}", f"i{item:02d}", 1.0, t))
            item, t = int(after[item]), t + int(rng.integers(1, 12 * 3600))
    events = pd.DataFrame(rows, columns=["user", "item", "rating", "timestamp"])
    return events.astype({"rating": np.float32, "timestamp": np.int64})


@pytest.fixture(scope="module")
def fitted():
    """The successor log under the UserGRU protocol, with every Table 2 baseline fitted (short training)."""
    data = SequenceData.encode(protocols.user_gru(successor_log()))
    task = SequenceTask(max_users=64)
    methods = {spec.name: spec.build() for spec in usergru.baselines(epochs=12)}
    methods["Matrix Factorization"].kwargs["batch_size"] = 64
    methods["Seq. Matrix Factorization"].kwargs.update(batch_size=64, patience=12)
    methods["TopPop"] = FactorAdapter("TopPop", TopPop)
    info = {name: fit(m, data, task) for name, m in methods.items()}
    return data, task, methods, info


def test_sequential_mf_window_is_the_two_previous_items(fitted):
    data, task, methods, _ = fitted
    model = methods["Seq. Matrix Factorization"].model
    n = model.network
    P_, Z, Q, b = (n.P.embeddings.numpy(), n.Z.embeddings.numpy(), n.Q.embeddings.numpy(),
                   n.b.embeddings.numpy()[:, 0])
    users, windows = np.array([1, 2, 3]), np.array([[4, 7], [5, 0], [0, 0]])
    scores = model.score_windows(users, windows)
    assert scores.shape == (3, data.items.size) and scores.dtype == np.float32
    hand = np.stack([P_[1] + Z[4] + Z[7], P_[2] + Z[5], P_[3]]) @ Q.T + b
    np.testing.assert_allclose(scores, hand, rtol=1e-5, atol=1e-5)
    # through the adapter: the items at position - 1 and position - 2 matter, position - 3 does not
    group = next(task.groups(data, "test"))
    k = int(np.flatnonzero(group["position"] >= 3)[0])
    row, pos = group["row"][k], group["position"][k]
    method = methods["Seq. Matrix Factorization"]
    base = method.sequence_scores(group)[k]
    np.testing.assert_allclose(base, model.score_windows([group["user"][row]],
                                                         [[group["items"][row, pos - 1],
                                                           group["items"][row, pos - 2]]])[0],
                               rtol=1e-6, atol=1e-6)  # two float32 products of different batch shapes
    for back, changes in [(3, False), (2, True), (1, True)]:
        other = {**group, "items": group["items"].copy()}
        other["items"][row, pos - back] = 1 + group["items"][row, pos - back] % (data.items.size - 1)
        assert np.allclose(method.sequence_scores(other)[k], base) != changes, back


def test_sequential_mf_validation_scores_the_current_weights(fitted):
    """Early stopping reads the validation AUC after every epoch: it must score the weights as they are
    then, not those cached at an earlier call."""
    data, _, methods, _ = fitted
    model = methods["Seq. Matrix Factorization"].model
    train, valid = data.pairs("train"), data.pairs("valid")
    auc, metric = model._validation(valid, NegativeSampler(train["user"], train["item"], data.items.size))
    before = auc()
    q = model.network.Q.embeddings
    saved = q.numpy()
    q.assign(np.random.default_rng(0).normal(size=saved.shape).astype("float32"))
    try:
        assert metric == "auc" and auc() != before
    finally:
        q.assign(saved)
        model._after_weights_change()  # drop what the perturbed weights left in the model's caches


def test_sequential_mf_trains_and_beats_popularity(fitted):
    data, task, methods, info = fitted
    loss = info["Seq. Matrix Factorization"]["history"]["loss"]
    assert loss[-1] < 0.5 * loss[0]
    seq = task.evaluate(methods["Seq. Matrix Factorization"], data, "test").mean()
    pop = task.evaluate(methods["TopPop"], data, "test").mean()
    assert seq["mrr@20"] > pop["mrr@20"] + 0.2 and seq["recall@20"] > 0.8


def test_sequential_mf_validation_and_training_windows():
    rng = np.random.default_rng(1)
    users = np.repeat(np.arange(1, 6), 6)
    items = rng.integers(1, 12, 30)
    times = np.tile(np.arange(6) * DAY, 5)
    train = {"user": users, "item": items, "time": times}
    model = SequentialMF(6, 12, dim=4, epochs=1, seed=0)
    model.fit(train, negative_sampler=NegativeSampler(users, items, 12))
    # the latest 2 training events strictly before the time, most recent first
    np.testing.assert_array_equal(model.training_windows([1, 1, 1, 2], [0, 3 * DAY, 10 * DAY, DAY]),
                                  [[0, 0], [items[2], items[1]], [items[5], items[4]], [items[6], 0]])
    np.testing.assert_array_equal(model.training_windows([3]), [[items[17], items[16]]])
    # validation events continue each sequence: the second validation event of a user has the first in
    # its window
    vw = model._validation_windows(np.array([1, 1]), np.array([9, 10]), np.array([7 * DAY, 8 * DAY]))
    np.testing.assert_array_equal(vw, [[items[5], items[4]], [9, items[5]]])
    pred = model.predict([1], [3], [10 * DAY])
    np.testing.assert_allclose(pred, model.score_windows([1], [[items[5], items[4]]])[:, 3], rtol=1e-5)


# --- adapters ---------------------------------------------------------------------------------------
def test_no_method_reads_the_target_or_later(fitted):
    """Scramble every event at and after each target's position (items and times): its scores stay."""
    data, task, methods, _ = fitted
    group = next(task.groups(data, "valid"))
    keep = np.arange(8)  # the first 8 users, every position >= 1 of each as a target
    lengths = group["mask"][keep].sum(1)
    rows = np.concatenate([np.full(n - 1, r) for r, n in enumerate(lengths)])
    positions = np.concatenate([np.arange(1, n) for n in lengths])
    g = {"user": group["user"][keep], "items": group["items"][keep], "times": group["times"][keep],
         "mask": group["mask"][keep], "row": rows, "position": positions,
         "target": group["items"][keep][rows, positions]}
    rng = np.random.default_rng(0)
    for name, method in methods.items():
        base = method.sequence_scores(g)
        assert base.shape == (len(rows), data.items.size)
        for k in rng.choice(len(rows), 25, replace=False):
            r, p = rows[k], positions[k]
            scrambled = {**g, "items": g["items"].copy(), "times": g["times"].copy()}
            scrambled["items"][r, p:] = rng.integers(1, data.items.size, g["items"].shape[1] - p)
            scrambled["times"][r, p:] = rng.integers(0, 2 * 10**9, g["items"].shape[1] - p)
            np.testing.assert_allclose(method.sequence_scores(scrambled)[k], base[k], rtol=1e-6, atol=1e-7,
                                       err_msg=f"{name} target {k}")
    # the check can fail: scrambling the event just before a target changes the sequence methods' scores
    k = int(np.flatnonzero(positions >= 2)[0])
    before = {**g, "items": g["items"].copy()}
    last = g["items"][rows[k], positions[k] - 1]
    before["items"][rows[k], positions[k] - 1] = 1 + last % (data.items.size - 1)
    for name in ("Item-based k-NN", "Exp. Dec. Item-based k-NN", "Seq. Matrix Factorization"):
        assert not np.allclose(methods[name].sequence_scores(before)[k], methods[name].sequence_scores(g)[k])


def test_neighbours_from_training_events_only(fitted):
    data, _, methods, _ = fitted
    train = data.pairs("train")
    expected = cosine_top_k(train["user"], train["item"], data.users.size, data.items.size, 100)
    got = methods["Item-based k-NN"].model.similarity
    assert (got != expected).nnz == 0
    everything = data.by_user
    with_test = cosine_top_k(everything.group_of(np.arange(len(everything))), everything.values,
                             data.users.size, data.items.size, 100)
    assert (got != with_test).nnz > 0


def test_user_factor_method_scores_by_user(fitted):
    data, task, methods, info = fitted
    method = methods["Matrix Factorization"]
    assert isinstance(method.model, BPR) and method.hyperparameters["dim"] == 20
    assert info["Matrix Factorization"]["valid_metric"] == "auc"
    group = next(task.groups(data, "test"))
    scores = method.sequence_scores(group)
    np.testing.assert_allclose(scores, method.model.score_all(group["user"][group["row"]]), atol=1e-5)
    first = group["row"] == np.bincount(group["row"]).argmax()  # every target of a user: the same scores
    assert first.sum() > 1 and np.allclose(scores[first], scores[first][0], atol=1e-5)


def test_end_to_end_sequence_task(fitted):
    data, task, methods, _ = fitted
    n_targets = len(data.targets("test"))
    results = {name: task.evaluate(m, data, "test") for name, m in methods.items()}
    for name, result in results.items():
        mean = result.mean()
        assert len(result.rows) == n_targets, name
        assert 0 <= mean["mrr@20"] <= mean["recall@20"] <= 1, name
    # the next item is the successor of the previous one: among the unseen items, the time-decayed k-NN
    # (whose latest event weighs most) beats the time-independent one, which beats popularity
    unseen = SequenceTask(max_users=64, exclude_seen=True)
    mrr = {name: unseen.evaluate(methods[name], data, "test").mean()["mrr@20"]
           for name in ("Exp. Dec. Item-based k-NN", "Item-based k-NN", "TopPop")}
    assert mrr["Exp. Dec. Item-based k-NN"] > 0.9 > mrr["Item-based k-NN"] > mrr["TopPop"] + 0.1
    # constructor defaults follow Table 1
    assert NeighbourAdapter(neighbours=100).hyperparameters == {"neighbours": 100, "decay": None,
                                                                "time_unit": DAY}
    assert FactorAdapter("MF", BPR, dim=20).factory is BPR
    assert SequentialFactorAdapter().factory is SequentialMF
