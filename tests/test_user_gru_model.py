"""UserGRU's next-item models, their stateful training batches and the whole-history evaluation task; and on
synthetic data where each user has a stable preference, the user-based GRUs beat the standard GRU."""

import keras
import numpy as np
import pandas as pd
import pytest
from tests_paths import REFERENCE

from seqrec.datasets import protocols
from seqrec.datasets.pipelines import SequenceData, lane_dataset
from seqrec.evaluation.tasks import SequenceTask
from seqrec.experiments import usergru
from seqrec.experiments.pipeline import RunOptions, fit
from seqrec.layers import AttentionalUserGRUCell
from seqrec.models.user_gru import VARIANTS, UserGRU
from seqrec.training import StatefulNextItem


def stable_preferences(n_users=150, n_items=100, favourites=5, length=80, noise=0.5, seed=0) -> SequenceData:
    """Each user plays a random one of their own ``favourites`` items, or with probability ``noise`` any
    item: the preference never changes, while the history shows it only through noisy draws."""
    rng = np.random.default_rng(seed)
    frames = []
    for u in range(n_users):
        own = rng.choice(n_items, favourites, replace=False)
        items = np.where(rng.random(length) < noise, rng.integers(0, n_items, length),
                         rng.choice(own, length))
        frames.append(pd.DataFrame({"user": f"u{u}", "item": [f"i{i}" for i in items],
                                    "timestamp": 10**9 + 60 * np.arange(length), "rating": 1.0}))
    return SequenceData.encode(protocols.user_gru(pd.concat(frames, ignore_index=True)))


@pytest.fixture(scope="module")
def data():
    return stable_preferences(n_users=30, length=47)


def test_lanes_cover_every_training_pair_once_in_order(data):
    table = data.history_tables(("train",))[0]
    ds = lane_dataset(table, lanes=4, steps=5, seed=1)
    batches = [{k: v.numpy() for k, v in b.items()} for b in ds]
    pairs = []
    for lane in range(4):
        user, last = None, None
        for b in batches:
            if b["reset"][lane]:
                user, last = b["user"][lane], None
            if not b["mask"][lane].any():
                continue
            assert b["user"][lane] == user  # a lane keeps its user until the next reset
            span = table.offsets[user], table.offsets[user + 1]
            seq = table.values[span[0]:span[1]]
            n = int(b["mask"][lane].sum())
            assert b["mask"][lane][:n].all()  # right-padded
            start = 0 if last is None else last
            np.testing.assert_array_equal(b["items"][lane][:n], seq[start:start + n])
            np.testing.assert_array_equal(b["targets"][lane][:n], seq[start + 1:start + n + 1])
            last = start + n
            pairs += [(user, start + j) for j in range(n)]
    expected = [(u, j) for u in range(table.n_groups)
                for j in range(max(0, int(table.offsets[u + 1] - table.offsets[u]) - 1))]
    assert sorted(pairs) == sorted(expected)


def test_lanes_reshuffle_every_epoch_and_repeat_with_the_seed(data):
    table = data.history_tables(("train",))[0]

    def users(ds):
        return tuple(np.concatenate([b["user"].numpy() for b in ds]))

    ds = lane_dataset(table, lanes=4, steps=5, seed=1)
    first, second = users(ds), users(ds)
    assert first != second
    assert users(lane_dataset(table, lanes=4, steps=5, seed=1)) == first


def test_groups_hold_each_target_once_with_its_whole_history(data):
    task = SequenceTask(max_targets=7, max_users=3)
    t, seen = data.by_user, []
    for group in task.groups(data, "test"):
        assert len(group["user"]) <= 3
        for k in range(len(group["row"])):
            user = group["user"][group["row"][k]]
            pos = group["position"][k]
            history = t.values[t.offsets[user]:t.offsets[user] + pos]
            np.testing.assert_array_equal(group["items"][group["row"][k], :pos], history)
            assert group["target"][k] == t.values[t.offsets[user] + pos]
            seen.append(t.offsets[user] + pos)
    np.testing.assert_array_equal(np.sort(seen), data.targets("test"))


def test_seen_items_are_excluded_only_when_asked(data):
    class Flat:
        def sequence_scores(self, group):
            return np.zeros((len(group["row"]), data.items.size), np.float32)

    t = data.by_user
    batch = next(SequenceTask(exclude_seen=True).batches(Flat(), data, "test"))
    for k in range(len(batch["targets"])):
        user = batch["user"][k]
        history = t.values[t.offsets[user]:data.targets("test")[k]]
        assert set(np.flatnonzero(batch["exclude"][k].numpy())) == set(history)
    assert "exclude" not in next(SequenceTask().batches(Flat(), data, "test"))


@pytest.mark.parametrize("variant", VARIANTS)
def test_carried_state_equals_one_pass(variant):
    model = UserGRU(20, 5, variant, units=8, lanes=2)
    rng = np.random.default_rng(0)
    items = rng.integers(1, 20, (2, 10)).astype("int32")
    user = np.array([1, 3], "int32")
    mask = np.ones((2, 10), bool)
    whole = model({"items": items, "mask": mask, "user": user}).numpy()
    parts = [model({"items": items[:, s], "mask": mask[:, s], "user": user,
                    "reset": np.array([r, r])}).numpy()
             for s, r in ((slice(0, 4), True), (slice(4, 10), False))]
    np.testing.assert_allclose(np.concatenate(parts, 1), whole, atol=1e-5)
    assert whole.shape == (2, 10, 20)


@pytest.mark.parametrize("variant", VARIANTS)
def test_save_and_reload(variant, tmp_path):
    model = UserGRU(20, 5, variant, units=8, lanes=2)
    batch = {"items": np.array([[1, 2, 3]], "int32"), "mask": np.ones((1, 3), bool),
             "user": np.array([2], "int32")}
    before = model(batch).numpy()
    model.save(tmp_path / "m.keras")
    again = keras.saving.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(again(batch).numpy(), before, atol=1e-6)


def test_user_penalty_only_on_the_user_side_in_training():
    batch = {"items": np.array([[1, 2]], "int32"), "mask": np.ones((1, 2), bool),
             "user": np.array([2], "int32")}
    model = UserGRU(20, 5, "linear", units=8, lanes=1, user_l2=0.01)
    model(batch)
    model.encode(batch, training=True)
    user = model.user_embedding(batch["user"]).numpy()
    np.testing.assert_allclose(float(model.losses[-1]), 0.01 * (user ** 2).sum(), rtol=1e-5)
    standard = UserGRU(20, 5, "standard", units=8, lanes=1)
    standard.encode(batch, training=True)
    assert not standard.losses


def test_sequence_scores_equal_per_prefix_scores(data, tmp_path):
    method = StatefulNextItem("GRU", lambda d: UserGRU(d.items.size, d.users.size, "attentional", units=8,
                                                         lanes=4), epochs=1, lanes=4, eval_steps=3)
    fit(method, data, SequenceTask(), RunOptions(logdir=str(tmp_path)), folder="run")
    # TensorBoard: the gate over the first users' latest training events, as an image and a text
    attention = [p for p in (tmp_path / "run" / "GRU" / "attention").iterdir() if "tfevents" in p.name]
    assert len(attention) == 1 and attention[0].stat().st_size > 1000
    # the gate of `attention` is the cell's own xi (Eq. 8), as the cell returns it with return_attention
    batch = {"items": data.by_user.values[None, 1:9].astype(np.int32), "mask": np.ones((1, 8), bool),
             "user": np.array([1], np.int32)}
    cell = AttentionalUserGRUCell(8, 8, return_attention=True)
    rnn = keras.layers.RNN(cell, return_sequences=True)
    x = method.model.step_inputs(batch)
    rnn(x)
    cell.set_weights(method.model.rnn.cell.get_weights())
    xi = rnn(x).numpy()[..., 8:].mean(-1)
    np.testing.assert_allclose(method.model.attention(batch).numpy(), xi, atol=1e-5)
    group = next(iter(SequenceTask(max_users=4).groups(data, "valid")))
    scores = method.sequence_scores(group).numpy()
    for k in range(0, len(group["row"]), 5):
        r, pos = group["row"][k], group["position"][k]
        prefix = {"items": group["items"][r:r + 1, :pos], "mask": group["mask"][r:r + 1, :pos],
                  "user": group["user"][r:r + 1]}
        np.testing.assert_allclose(scores[k], method.model(prefix)[0, -1].numpy(), atol=1e-4)


def test_user_grus_beat_the_standard_gru_on_stable_preferences():
    data = stable_preferences()
    task = SequenceTask(ks=(20,))
    mrr = {}
    for variant in VARIANTS:
        def build(d, v=variant):
            return UserGRU(d.items.size, d.users.size, v, units=32, lanes=16)

        method = StatefulNextItem(variant, build, epochs=12, learning_rate=5e-3, patience=12, lanes=16)
        fit(method, data, task)
        mrr[variant] = task.evaluate(method, data, "test").mean()["mrr@20"]
    chance = 1 / 100
    assert mrr["standard"] > 5 * chance
    for variant in VARIANTS[1:]:
        assert mrr[variant] > mrr["standard"], mrr


def test_paper_profile_and_methods_follow_table_1():
    paper = usergru.PROFILES["paper"]
    assert (paper.units, paper.lanes, paper.epochs, paper.factor_epochs) == (1000, 1000, 10, 30)
    assert paper.scaled == ()
    methods = {spec.name: spec.build() for spec in usergru.methods(paper)}
    assert list(methods) == list(pd.read_csv(REFERENCE / "usergru_table2.csv")["method"].unique())
    gru = methods["Rectified Linear User-based GRU"]
    assert (gru.steps, gru.clipnorm, gru.learning_rate, gru.epochs) == (20, 5.0, 1e-3, 10)
    assert gru.hyperparameters["omega"] == 0.2
    model = gru.build(stable_preferences(n_users=5, length=20))
    assert model.config | {"n_items": 0, "n_users": 0} == {
        "n_items": 0, "n_users": 0, "variant": "rectified", "units": 1000, "lanes": 1000, "item_keep": 0.8,
        "user_keep": 0.5, "user_l2": 0.01, "init_scale": 0.1, "omega": 0.2}
    assert methods["Item-based k-NN"].hyperparameters["neighbours"] == 100
    assert methods["Exp. Dec. Item-based k-NN"].hyperparameters["decay"] == 1.0
    assert methods["Seq. Matrix Factorization"].hyperparameters["window"] == 2
    for name in ("Matrix Factorization", "Seq. Matrix Factorization"):
        assert {k: methods[name].hyperparameters[k] for k in ("dim", "epochs", "learning_rate")} == {
            "dim": 20, "epochs": 30, "learning_rate": 0.01}
