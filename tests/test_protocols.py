"""Filters and splits of the five papers: invariants on real MovieLens data and hand-made cases."""

import numpy as np
import pandas as pd
import pytest

from seqrec.datasets import ProtocolError, protocols
from seqrec.datasets.interactions import sort_events


def frame(rows):
    """events from (user, item, timestamp[, rating]) tuples"""
    out = pd.DataFrame([r if len(r) == 4 else (*r, 1.0) for r in rows],
                       columns=["user", "item", "timestamp", "rating"])
    return sort_events(out.astype({"user": object, "item": object, "timestamp": np.int64,
                                   "rating": np.float32}))


def test_tie_rule_orders_equal_timestamps_by_item_independently_of_row_order():
    rows = [("u", "b", 5), ("u", "a", 5), ("u", "c", 1), ("v", "z", 5)]
    first = frame(rows)
    second = frame(rows[::-1])
    pd.testing.assert_frame_equal(first, second)
    assert list(first[first.user == "u"]["item"]) == ["c", "a", "b"]


def test_deduplicate_exact_repeats_and_pairs():
    events = frame([("u", "a", 1), ("u", "a", 1), ("u", "a", 2), ("v", "a", 1)])
    reports = []
    exact = protocols.deduplicate(events, reports=reports)
    assert len(exact) == 3
    pairs = protocols.deduplicate(events, keys=("user", "item"))
    assert sorted(map(tuple, pairs[["user", "timestamp"]].to_numpy())) == [("u", 1), ("v", 1)]
    assert reports[0].rows == (4, 3) and "deduplicate" in reports[0].step


def test_binarize_all_or_by_threshold():
    events = frame([("u", "a", 1, 1.0), ("u", "b", 2, 4.5), ("v", "a", 3, 3.0)])
    assert (protocols.binarize(events)["rating"] == 1.0).all() and len(protocols.binarize(events)) == 3
    reports = []
    kept = protocols.binarize(events, 3.0, reports=reports)
    assert list(kept["item"]) == ["b", "a"] and (kept["rating"] == 1.0).all()
    assert reports[0].rows == (3, 2) and reports[0].users == (2, 2)


def test_min_count_one_pass_differs_from_fixed_point():
    # one pass drops item b, then users u and w; that leaves items a and c with one event each
    events = frame([("u", "a", 1), ("u", "b", 2), ("v", "a", 3), ("v", "c", 4), ("w", "c", 5),
                    ("x", "p", 1), ("x", "q", 2), ("y", "p", 3), ("y", "q", 4)])
    one = protocols.filter_min_counts(events, min_user=2, min_item=2)
    fixed = protocols.filter_min_counts(events, min_user=2, min_item=2, iterate=True)
    assert set(one["user"]) == {"v", "x", "y"} and one["item"].value_counts()["a"] == 1
    assert set(fixed["user"]) == {"x", "y"} and set(fixed["item"]) == {"p", "q"}


def test_k_core_invariants_and_idempotence_on_movielens(ml_small):
    core = protocols.k_core(ml_small.events, 20)
    assert core["user"].value_counts().min() >= 20
    assert core["item"].value_counts().min() >= 20
    assert len(protocols.k_core(core, 20)) == len(core)
    # maximality: the 20-core contains the 25-core
    inner = protocols.k_core(ml_small.events, 25)
    merged = inner.merge(core, how="left", indicator=True)
    assert (merged["_merge"] == "both").all()


def test_filter_that_empties_data_raises_protocol_error(ml_small):
    with pytest.raises(ProtocolError, match="removed every interaction"):
        protocols.filter_min_counts(ml_small.events, min_user=10**6)


def test_reports_count_removed_rows_users_items(ml_small):
    reports = []
    out = protocols.filter_min_counts(ml_small.events, 10, 30, iterate=True, reports=reports)
    r = reports[-1]
    assert r.rows == (len(ml_small.events), len(out))
    assert r.users == (ml_small.n_users, out["user"].nunique())
    assert r.items == (ml_small.n_items, out["item"].nunique())
    assert "removed" in str(r) and f"{len(ml_small.events) - len(out):,} rows" in str(r)


def test_subsampling_is_seeded(ml_small):
    a = protocols.subsample_users(ml_small.events, 0.25, seed=3)
    b = protocols.subsample_users(ml_small.events, 0.25, seed=3)
    c = protocols.subsample_users(ml_small.events, 0.25, seed=4)
    pd.testing.assert_frame_equal(a, b)
    assert set(a["user"]) != set(c["user"])
    assert a["user"].nunique() == round(0.25 * ml_small.n_users)
    # all events of a chosen user are kept
    user = a["user"].iloc[0]
    assert (a["user"] == user).sum() == (ml_small.events["user"] == user).sum()
    e = protocols.subsample_events(ml_small.events, 0.1, seed=0)
    assert 0.08 < len(e) / len(ml_small.events) < 0.12
    assert e.equals(sort_events(e))


def test_time_split_puts_everything_before_the_cut_in_training(ml_small):
    cut, valid_from = protocols.unix("2010-01-01"), protocols.unix("2008-01-01")
    split = protocols.time_split(ml_small.events, cut, valid_from)
    assert split.train["timestamp"].max() < valid_from <= split.valid["timestamp"].min()
    assert split.valid["timestamp"].max() < cut <= split.test["timestamp"].min()
    assert len(split.train) + len(split.valid) + len(split.test) == len(ml_small.events)


def test_user_ratio_split_is_chronological_per_user(ml_small):
    split = protocols.user_ratio_split(ml_small.events, 0.9, 0.05)
    sizes = {name: getattr(split, name)["user"].value_counts() for name in ("train", "valid", "test")}
    n = ml_small.events["user"].value_counts()
    user = n.index[0]
    assert sizes["train"][user] == round(0.9 * n[user])
    assert sizes["train"][user] + sizes["valid"][user] == round(0.95 * n[user])
    last_train = split.train.groupby("user")["timestamp"].max()
    first_valid = split.valid.groupby("user")["timestamp"].min()
    first_test = split.test.groupby("user")["timestamp"].min()
    last_valid = split.valid.groupby("user")["timestamp"].max()
    common = first_valid.index.intersection(first_test.index)
    assert (last_train[first_valid.index] <= first_valid).all()
    assert (last_valid[common] <= first_test[common]).all()


def test_hand_sizes_of_ratio_split():
    events = frame([("u", f"i{k}", k) for k in range(20)])
    split = protocols.user_ratio_split(events, 0.9, 0.05)
    assert (len(split.train), len(split.valid), len(split.test)) == (18, 1, 1)
    assert list(split.test["item"]) == ["i19"] and list(split.valid["item"]) == ["i18"]


def test_drop_unseen_items():
    events = frame([("u", "a", 1), ("u", "b", 2), ("u", "new", 3), ("v", "a", 1), ("v", "b", 2),
                    ("v", "a", 3)])
    split = protocols.Split(events.iloc[[0, 1, 3, 4]], events.iloc[[2]], events.iloc[[5]], "hand")
    reports = []
    out = protocols.drop_unseen_items(split, reports=reports)
    assert out.valid.empty and list(out.test["item"]) == ["a"]
    assert reports[0].rows == (6, 5) and reports[0].items == (3, 2)


def test_leave_last_out_targets_and_dropped_users():
    events = frame([("u", "a", 1), ("u", "b", 2), ("u", "c", 3), ("u", "d", 4), ("short", "a", 1),
                    ("short", "b", 2)])
    reports = []
    split = protocols.leave_last_out(events, reports=reports)
    assert list(split.test["item"]) == ["d"] and list(split.valid["item"]) == ["c"]
    assert list(split.train["item"]) == ["a", "b"]
    assert "dropped 1 users" in str(reports[0])
    with pytest.raises(ProtocolError):
        protocols.leave_last_out(events, min_events=2)


def test_holdout_split_fixed_test_varying_validation(ml_small):
    a = protocols.holdout_split(ml_small.events, seed=0)
    b = protocols.holdout_split(ml_small.events, seed=1)
    pd.testing.assert_frame_equal(a.test, b.test)
    assert not a.valid.equals(b.valid)
    n_train = (a.train["user"].value_counts() + a.valid["user"].value_counts()).dropna()
    valid = a.valid["user"].value_counts()
    assert (valid == np.rint(n_train[valid.index] * 0.1)).all()
    # validation events come from the first 80 % of each user's sequence
    last_train_part = pd.concat([a.train, a.valid]).groupby("user")["timestamp"].max()
    first_test = a.test.groupby("user")["timestamp"].min()
    assert (last_train_part[first_test.index] <= first_test).all()


def test_paper_protocols_on_movielens(ml_small):
    e = ml_small.events
    iarn = protocols.iarn(e, "2010-01-01")
    assert iarn.train["timestamp"].max() < iarn.valid["timestamp"].min()
    assert iarn.test["timestamp"].min() >= protocols.unix("2010-01-01")
    mtam = protocols.mtam(e)
    kept = pd.concat([mtam.train, mtam.valid, mtam.test])
    assert kept["user"].value_counts().min() >= 10 and kept["item"].value_counts().min() >= 30
    assert mtam.test["user"].is_unique and mtam.valid["user"].is_unique
    gru = protocols.user_gru(e)
    assert set(gru.test["item"]) <= set(gru.train["item"]) and (gru.train["rating"] == 1).all()
    splits = protocols.ante_rnn(e)
    assert len(splits) == 5 and all(s.test.equals(splits[0].test) for s in splits)
    dmran = protocols.dmran(e)
    assert len(dmran.test) == ml_small.n_users
    assert "leave_last_out" in dmran.describe() and "train:" in dmran.describe()


def _lengths(events):
    return events.groupby("user").size().to_dict()


def test_subsample_windows_keeps_one_contiguous_stretch_per_user():
    events = frame([("u", f"i{k}", k) for k in range(30)] + [("v", f"j{k}", k) for k in range(7)]
                   + [("w", "a", 1)])
    reports = []
    out = protocols.subsample_windows(events, 0.1, seed=0, reports=reports)
    # ceil(0.1 * 30) = 3 (not 4, as 0.1 * 30 = 3.0000000000000004 in floating point), ceil(0.7) = 1
    assert _lengths(out) == {"u": 3, "v": 1, "w": 1}
    assert out.equals(sort_events(out))
    for user, group in out.groupby("user"):
        positions = events.index[events["user"] == user].get_indexer(
            events.index[(events["user"] == user) & events["item"].isin(group["item"])])
        assert list(positions) == list(range(positions[0], positions[0] + len(group)))
    r = reports[0]
    assert r.rows == (38, 5) and r.users == (3, 3) and r.items == (38, 5)
    assert r.step == "subsample_windows(fraction=0.1, seed=0)"
    assert "removed 33 rows, 0 users, 33 items" in str(r)


def test_subsample_windows_fraction_seeds_and_contiguity_on_movielens(ml_small):
    events = ml_small.events
    a = protocols.subsample_windows(events, 0.1, seed=0)
    b = protocols.subsample_windows(events, 0.1, seed=0)
    c = protocols.subsample_windows(events, 0.1, seed=1)
    pd.testing.assert_frame_equal(a, b)
    assert not a.equals(c)
    n = events["user"].value_counts()
    kept = a["user"].value_counts()
    assert set(kept.index) == set(n.index)
    assert (kept == np.ceil(np.round(0.1 * n[kept.index], 9)).astype(int)).all()
    assert 0.1 <= len(a) / len(events) < 0.1 + n.size / len(events)
    # each user's kept events are consecutive in the user's event order
    position = events.groupby("user", sort=False).cumcount()
    keyed = events.assign(position=position).merge(a, on=["user", "item", "timestamp", "rating"])
    spans = keyed.groupby("user")["position"].agg(["min", "max", "size"])
    assert (spans["max"] - spans["min"] + 1 == spans["size"]).all()
    # starts vary: not always the beginning or the end of the sequence
    assert 0 < (spans["min"] == 0).mean() < 1
    full = protocols.subsample_windows(events, 1.0, seed=5)
    pd.testing.assert_frame_equal(full, events)


def test_subsample_windows_rejects_bad_fractions():
    events = frame([("u", "a", 1)])
    for fraction in (0, -0.1, 1.5):
        with pytest.raises(ProtocolError, match="fraction must be in"):
            protocols.subsample_windows(events, fraction, seed=0)


def _logged_twice(n_users=30, n_items=30, per_user=12, seed=0):
    """Every event appears twice (as in Amazon 2018 review files); times are days from 2009-12-20."""
    rng = np.random.default_rng(seed)
    start = protocols.unix("2009-12-20")
    rows = [(f"u{u}", f"i{i}", start + 86_400 * (t + u % 5))
            for u in range(n_users)
            for t, i in enumerate(rng.choice(n_items, per_user, replace=False))]
    return frame(rows + rows)


PAPER_PROTOCOLS = {
    "iarn": lambda e: [protocols.iarn(e, "2009-12-30", min_count=2)],
    "user_gru": lambda e: [protocols.user_gru(e)],
    "dmran": lambda e: [protocols.dmran(e)],
    "mtam": lambda e: [protocols.mtam(e, min_user=3, min_item=2)],
    "ante_rnn": lambda e: protocols.ante_rnn(e, seeds=(0,), min_user=3),
}


@pytest.mark.parametrize("name", PAPER_PROTOCOLS)
def test_paper_protocol_alone_removes_repeated_events(name):
    events = _logged_twice()
    for split in PAPER_PROTOCOLS[name](events):
        kept = split.events()
        assert not kept.duplicated(["user", "item", "timestamp"]).any()
        first = split.reports[0]
        assert first.step.startswith("deduplicate") and first.rows == (720, 360)
        later = pd.concat([split.valid, split.test])
        # no evaluated event is also a training event, and no test event is its own validation target
        keys = ["user", "item", "timestamp"]
        assert later.merge(split.train, on=keys).empty
        assert split.test.merge(split.valid, on=keys).empty


def test_mtam_user_sample_is_part_of_the_protocol():
    events = _logged_twice(n_users=40)
    split = protocols.mtam(events, min_user=3, min_item=2, user_fraction=0.5, seed=1)
    assert [r.step.split("(")[0] for r in split.reports] == [
        "deduplicate", "subsample_users", "filter_min_counts", "leave_last_out"]
    assert split.events()["user"].nunique() == 20 and "0.5 of the users (seed 1)" in split.protocol
    again = protocols.mtam(events, min_user=3, min_item=2, user_fraction=0.5, seed=1)
    pd.testing.assert_frame_equal(split.test, again.test)


def test_dmran_user_sample_is_part_of_the_protocol():
    events = _logged_twice(n_users=40)
    split = protocols.dmran(events, user_fraction=0.5, seed=2)
    steps = [r.step.split("(")[0] for r in split.reports]
    assert steps == ["deduplicate", "subsample_users", "leave_last_out"]
    assert split.events()["user"].nunique() == 20 and "0.5 of the users (seed 2)" in split.protocol
    pd.testing.assert_frame_equal(split.test, protocols.dmran(events, user_fraction=0.5, seed=2).test)


def test_dmran_evaluated_users_keep_every_training_event():
    events = _logged_twice(n_users=40)
    full = protocols.dmran(events)
    split = protocols.dmran(events, eval_users=15, seed=3)
    assert [r.step.split("(")[0] for r in split.reports][-1] == "evaluated_users"
    pd.testing.assert_frame_equal(split.train, full.train)
    assert split.test["user"].nunique() == 15 and set(split.valid["user"]) == set(split.test["user"])
    kept = full.test[full.test["user"].isin(split.test["user"])].reset_index(drop=True)
    pd.testing.assert_frame_equal(split.test, kept)  # the kept users' targets are unchanged
    assert "25 users dropped" in str(split.reports[-1]) and "15 evaluated users (seed 3)" in split.protocol
    again = protocols.dmran(events, eval_users=15, seed=3)
    pd.testing.assert_frame_equal(split.valid, again.valid)
    assert len(protocols.dmran(events, eval_users=100).test) == len(full.test)  # no more users: all


def test_user_gru_subsample_is_part_of_the_protocol():
    split = protocols.user_gru(_logged_twice(per_user=24), fraction=0.5, seed=0)
    assert [r.step.split("(")[0] for r in split.reports][:3] == ["deduplicate", "subsample_windows",
                                                                  "binarize"]
    assert split.reports[1].rows == (720, 360) and "0.5 of each user's events" in split.protocol


def test_protocol_warns_about_few_users_or_items_and_refuses_nothing_to_rank():
    events = _logged_twice(n_users=8, n_items=30, per_user=6)
    with pytest.warns(protocols.SmallDataWarning, match=r"only 8 users and \d+ items"):
        split = protocols.dmran(events)
    assert "WARNING: dmran" in split.describe()
    one_item = frame([(f"u{u}", "a", t) for u in range(30) for t in range(4)])
    with pytest.raises(ProtocolError, match=r"30 users and 1 items .*nothing to rank"):
        protocols.dmran(one_item)
    # a paper's thresholds on a small log: the counts are in the warning
    with pytest.warns(protocols.SmallDataWarning, match="fewer than 20"):
        protocols.mtam(_logged_twice(n_users=12), min_user=3, min_item=2)


def test_ante_rnn_keeps_given_items_then_users_with_20_events():
    events = _logged_twice(n_users=30, per_user=24)
    items = sorted(events["item"].unique())[::2]
    splits = protocols.ante_rnn(events, seeds=(0, 1), items=items, min_user=10)
    steps = [r.step.split("(")[0] for r in splits[0].reports]
    assert steps[-4:] == ["binarize", "keep_items", "filter_min_counts", "holdout_split"]
    kept = splits[0].events()
    assert set(kept["item"]) <= set(items) and kept["user"].value_counts().min() >= 10
    dropped = events[events["item"].isin(items)].drop_duplicates(["user", "item", "timestamp"])
    assert kept["user"].nunique() == (dropped["user"].value_counts() >= 10).sum()
    assert "items given, min user 10" in splits[1].protocol and splits[0].test.equals(splits[1].test)
    assert f"keep_items(items=<{len(items):,} values>)" in splits[0].describe()  # a long list by its size
