"""tf.data pipelines: windows against brute force, no leakage, seeded shuffling and negatives."""

import numpy as np
import pandas as pd
import pytest
import tensorflow as tf

from seqrec.datasets import DataError, protocols
from seqrec.datasets.interactions import sort_events
from seqrec.datasets.negatives import NegativeSampler
from seqrec.datasets.pipelines import (
    SequenceData,
    next_item_dataset,
    rating_pairs_dataset,
    sequence_dataset,
)
from seqrec.datasets.sequences import SequenceTable, Vocabulary, gather_windows


def random_events(seed=0, n_users=12, n_items=15, n=200):
    """Random events with many timestamp ties (times in 0..60)."""
    rng = np.random.default_rng(seed)
    events = pd.DataFrame({
        "user": [f"u{k}" for k in rng.integers(0, n_users, n)],
        "item": [f"i{k}" for k in rng.integers(0, n_items, n)],
        "rating": rng.integers(1, 6, n).astype(np.float32),
        "timestamp": rng.integers(0, 60, n).astype(np.int64) * 1000 + 1_000_000,
    })
    return sort_events(events.astype({"user": object, "item": object}))


def collect(ds):
    out = {}
    for batch in ds:
        for key, value in batch.items():
            out.setdefault(key, []).append(value.numpy())
    return {k: np.concatenate(v) for k, v in out.items()}


def test_vocabulary_round_trip_and_padding():
    vocab = Vocabulary.fit(["b", "a", "b", "c"])
    assert vocab.size == 4 and vocab.tokens[0] == "<pad>"
    codes = vocab.encode(["c", "a"])
    assert codes.dtype == np.int32 and list(codes) == [3, 1]
    assert list(vocab.decode(codes)) == ["c", "a"]
    with pytest.raises(DataError, match="not in the vocabulary"):
        vocab.encode(["zzz"])


def test_count_before_matches_brute_force():
    rng = np.random.default_rng(1)
    keys, values, times = rng.integers(0, 5, 300), rng.integers(1, 9, 300), rng.integers(0, 40, 300)
    table = SequenceTable.build(keys, values, times, n_groups=5)
    qg, qt = rng.integers(0, 5, 100), rng.integers(-5, 45, 100)
    ends = table.count_before(qg, qt)
    for g, t, end in zip(qg, qt, ends, strict=True):
        start = table.offsets[g]
        assert end - start == int(((keys == g) & (times < t)).sum())
        assert (table.times[start:end] < t).all()


def test_gather_windows_left_and_right_padding():
    values = tf.constant([10, 11, 12, 13, 14], tf.int32)
    times = tf.constant([1, 2, 3, 4, 5], tf.int64)
    starts, ends = tf.constant([0, 0, 2], tf.int64), tf.constant([4, 1, 2], tf.int64)
    left = gather_windows(values, times, starts, ends, 3, "left")
    right = gather_windows(values, times, starts, ends, 3, "right")
    assert left["values"].numpy().tolist() == [[11, 12, 13], [0, 0, 10], [0, 0, 0]]
    assert right["values"].numpy().tolist() == [[11, 12, 13], [10, 0, 0], [0, 0, 0]]
    assert right["mask"].numpy().tolist() == [[True] * 3, [True, False, False], [False] * 3]
    assert left["times"].numpy().tolist()[1] == [0, 0, 1]


@pytest.mark.parametrize("padding", ["left", "right"])
def test_next_item_examples_match_brute_force(padding):
    split = protocols.leave_last_out(random_events())
    data = SequenceData.encode(split)
    max_len = 4
    targets = data.targets("train")
    got = collect(next_item_dataset(data.by_user, targets, max_len=max_len, batch_size=7,
                                    padding=padding))
    events = split.events()
    users, items = data.users.encode(events["user"]), data.items.encode(events["item"])
    times = events["timestamp"].to_numpy()
    n_checked = 0
    for k in range(len(targets)):
        user = got["user"][k]
        seq = np.flatnonzero(users == user)  # event order of this user
        target_pos = np.flatnonzero((items[seq] == got["target"][k]) & (times[seq] == got["target_time"][k]))
        pos = target_pos[0]
        history = seq[max(0, pos - max_len):pos]
        kept = got["items"][k][got["mask"][k]]
        assert list(kept) == list(items[history])
        assert got["mask"][k].sum() == len(history)
        if padding == "left":
            assert got["mask"][k][-1] == (len(history) > 0)
        else:
            assert got["mask"][k][0] == (len(history) > 0)
        ages = got["ages"][k][got["mask"][k]]
        assert np.allclose(ages, got["target_time"][k] - times[history])
        gaps = got["gaps"][k][got["mask"][k]]
        prev = [times[seq[p - 1]] if p > 0 else times[seq[p]] for p in range(max(0, pos - max_len), pos)]
        assert np.allclose(gaps, times[history] - np.array(prev))
        if len(history):
            assert got["target_gap"][k] == got["target_time"][k] - times[history[-1]]
        n_checked += 1
    assert n_checked == len(targets) > 50


def test_next_item_history_never_reaches_the_target_or_later(ml_small):
    split = protocols.mtam(ml_small.events)
    data = SequenceData.encode(split)
    for part in ("train", "valid", "test"):
        got = collect(next_item_dataset(data.by_user, data.targets(part), max_len=50, batch_size=512))
        # ages are target_time - history time: never negative, so nothing after the target leaks
        assert (got["ages"][got["mask"]] >= 0).all()
    test = collect(next_item_dataset(data.by_user, data.targets("test"), max_len=50, batch_size=512))
    valid = collect(next_item_dataset(data.by_user, data.targets("valid"), max_len=50, batch_size=512))
    # the test example's history ends with the validation item of the same user
    order_t, order_v = np.argsort(test["user"]), np.argsort(valid["user"])
    assert (test["items"][order_t][:, -1] == valid["target"][order_v]).all()


def test_shuffling_is_seeded_and_reshuffles_each_epoch():
    data = SequenceData.encode(protocols.leave_last_out(random_events()))
    targets = data.targets("train")

    def order(ds):
        return np.concatenate([b["target_time"].numpy() * 1000 + b["user"].numpy() for b in ds])

    ds = next_item_dataset(data.by_user, targets, max_len=3, batch_size=16, shuffle=True, seed=5)
    again = next_item_dataset(data.by_user, targets, max_len=3, batch_size=16, shuffle=True, seed=5)
    first, second = order(ds), order(ds)
    assert (first == order(again)).all()
    assert not (first == second).all() and sorted(first) == sorted(second)


def test_negatives_are_never_positives_and_are_seeded(ml_small):
    data = SequenceData.encode(protocols.mtam(ml_small.events))
    sampler = data.negative_sampler()
    ds = next_item_dataset(data.by_user, data.targets("train"), max_len=10, batch_size=1024,
                           sampler=sampler, n_negatives=20, seed=3)
    got = collect(ds)
    negatives = got["negatives"]
    users = np.repeat(got["user"], negatives.shape[1])
    assert not sampler.is_positive(users, negatives.ravel()).any()
    assert negatives.min() >= 1 and negatives.max() < data.items.size
    # every positive pair is known to the sampler, so the check above is meaningful
    assert sampler.is_positive(got["user"], got["target"]).all()
    again = collect(next_item_dataset(data.by_user, data.targets("train"), max_len=10,
                                      batch_size=1024, sampler=sampler, n_negatives=20, seed=3))
    assert (again["negatives"] == negatives).all()
    frozen = sampler.sample_numpy(np.arange(1, data.users.size), 50, seed=9)
    assert (frozen == sampler.sample_numpy(np.arange(1, data.users.size), 50, seed=9)).all()
    assert not sampler.is_positive(np.repeat(np.arange(1, data.users.size), 50), frozen.ravel()).any()


def test_sampler_rejects_a_user_without_negatives():
    with pytest.raises(DataError, match="every item"):
        NegativeSampler([1, 1, 1], [1, 2, 3], n_items=4)


def test_sampler_names_a_user_with_almost_no_negatives():
    items = np.arange(1, 1000)
    sampler = NegativeSampler(np.r_[np.ones(998, int), 2], np.r_[items[:998], 1], n_items=1000)
    with pytest.raises(DataError, match="user index 1 has interacted with 998 of the 999 items"):
        sampler.sample_numpy(np.ones(50, int), 20, seed=0)


def test_sequence_dataset_targets_every_event_once():
    split = protocols.leave_last_out(random_events(n=400))
    data = SequenceData.encode(split)
    table = data.history_tables(("train",))[0]
    got = collect(sequence_dataset(table, max_len=3, batch_size=5))
    mask = got["mask"]
    assert mask.sum() == sum(max(0, n - 1) for n in np.diff(table.offsets))
    for k in range(len(mask)):
        user = got["user"][k]
        seq = table.values[table.offsets[user]:table.offsets[user + 1]]
        inputs, targets = got["items"][k][mask[k]], got["targets"][k][mask[k]]
        # each input is followed by its target in the user's sequence
        joined = "".join(f",{v}" for v in seq) + ","
        assert all(f",{a},{b}," in joined for a, b in zip(inputs, targets, strict=True))
    assert (got["target_gaps"][mask] >= 0).all()


def test_rating_pairs_histories_are_strictly_before_the_rating(ml_100k):
    split = protocols.iarn(ml_100k.events, "1998-03-01")
    data = SequenceData.encode(split)
    test = split.test
    users, items = data.users.encode(test["user"]), data.items.encode(test["item"])
    ds = rating_pairs_dataset(*data.history_tables(), users, items, test["rating"],
                              test["timestamp"], user_len=20, item_len=30, batch_size=1000)
    got = collect(ds)
    assert (got["user_ages"][got["user_mask"]] > 0).all()
    assert (got["item_ages"][got["item_mask"]] > 0).all()
    events = split.events()
    e_user, e_item = data.users.encode(events["user"]), data.items.encode(events["item"])
    e_time = events["timestamp"].to_numpy()
    for k in np.random.default_rng(0).choice(len(test), 40, replace=False):
        u, i, t = got["user"][k], got["item"][k], got["time"][k]
        before_u = np.flatnonzero((e_user == u) & (e_time < t))[-20:]
        assert list(got["user_items"][k][got["user_mask"][k]]) == list(e_item[before_u])
        before_i = np.flatnonzero((e_item == i) & (e_time < t))
        expect = e_user[before_i][np.lexsort((np.arange(len(before_i)), e_time[before_i]))][-30:]
        assert list(got["item_users"][k][got["item_mask"][k]]) == list(expect)


def test_rating_pairs_unchanged_when_future_events_change(ml_100k):
    """Leakage test: rewriting every event after a cut leaves the histories before it unchanged."""
    cut = protocols.unix("1998-01-01")
    events = ml_100k.events
    early = events[events["timestamp"] < cut]
    future = events[events["timestamp"] >= cut].copy()
    future["item"] = future["item"].sample(frac=1.0, random_state=0).to_numpy()  # scrambled future

    def histories(all_events):
        split = protocols.Split(all_events, all_events.iloc[:0], all_events.iloc[:0], "all")
        data = SequenceData.encode(split)
        q = early.iloc[::50]
        return collect(rating_pairs_dataset(
            *data.history_tables(), data.users.encode(q["user"]), data.items.encode(q["item"]),
            q["rating"], q["timestamp"], user_len=15, item_len=15, batch_size=512)), data

    a, da = histories(sort_events(pd.concat([early, events[events["timestamp"] >= cut]])))
    b, db = histories(sort_events(pd.concat([early, future])))
    for key, vocab in (("user_items", "items"), ("item_users", "users")):
        va, vb = getattr(da, vocab), getattr(db, vocab)
        assert (va.decode(a[key]) == vb.decode(b[key])).all()


def test_trivial_keras_model_trains_end_to_end(ml_small):
    """The pipelines feed a Keras model: mean of history embeddings, full softmax over all items."""
    import keras

    keras.utils.set_random_seed(0)
    data = SequenceData.encode(protocols.mtam(ml_small.events))
    n_items = data.items.size
    train = next_item_dataset(data.by_user, data.targets("train"), max_len=20, batch_size=256,
                              shuffle=True, seed=0, label="target")
    train = train.map(lambda x, y: ((x["items"], x["mask"]), y))

    items_in = keras.Input((20,), dtype="int32")
    mask_in = keras.Input((20,), dtype="bool")
    emb = keras.layers.Embedding(n_items, 32)(items_in)
    weights = keras.ops.expand_dims(keras.ops.cast(mask_in, "float32"), -1)
    pooled = keras.ops.sum(emb * weights, 1) / keras.ops.maximum(keras.ops.sum(weights, 1), 1.0)
    logits = keras.layers.Dense(n_items)(pooled)
    model = keras.Model([items_in, mask_in], logits)
    model.compile(optimizer=keras.optimizers.Adam(1e-2),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    history = model.fit(train, epochs=2, verbose=0, shuffle=False)
    losses = history.history["loss"]
    assert losses[-1] < losses[0] < np.log(n_items)
