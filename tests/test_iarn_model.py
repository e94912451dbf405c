"""The IARN model and its variants; its training pipeline never lets later events into a history."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from seqrec.experiments import iarn as experiment
from seqrec.experiments.pipeline import fit
from seqrec.models import iarn
from seqrec.training import IARNMethod

N_USERS, N_ITEMS, N_FEATURES, DEPTH = 40, 60, 6, 3


@pytest.fixture(scope="module")
def prepared(synthetic_small):
    """The synthetic data after IARN's protocol (the smoke profile's stand-in for MovieLens)."""
    return experiment.preparer(experiment.rating_only)(experiment.SMOKE, "synthetic-small", synthetic_small)


def batch(seed=0, b=8, lu=7, li=9):
    rng = np.random.default_rng(seed)
    um = np.arange(lu)[None] >= rng.integers(0, lu, b)[:, None]
    im = np.arange(li)[None] >= rng.integers(0, li, b)[:, None]
    return {"user_items": (rng.integers(1, N_ITEMS, (b, lu)) * um).astype("int32"), "user_mask": um,
            "item_users": (rng.integers(1, N_USERS, (b, li)) * im).astype("int32"), "item_mask": im,
            "item_features": (rng.random((b, N_FEATURES)) < 0.4).astype("float32"),
            "item_path": np.sort(rng.integers(0, N_FEATURES, (b, DEPTH)), 1)[:, ::-1].astype("int32"),
            "user_ratings": (rng.integers(1, 6, (b, lu)) * um).astype("float32"),
            "item_ratings": (rng.integers(1, 6, (b, li)) * im).astype("float32")}


CONFIGS = [("iarn", "flat", False), ("iarn", "hierarchy", False), ("iarn", None, False),
           ("iarn", "flat", True), ("tagm", None, False), ("rnn", None, False), ("lstm", None, False)]


@pytest.mark.parametrize(("backbone", "structure", "rating_inputs"), CONFIGS)
def test_variants_predict_and_reload_equal(backbone, structure, rating_inputs, tmp_path):
    model = iarn.IARN(N_USERS, N_ITEMS, dim=5, hidden=8, attention_units=4, backbone=backbone,
                      feature_structure=structure, n_features=N_FEATURES, rating_inputs=rating_inputs)
    x = batch()
    y = model(x).numpy()
    assert y.shape == (8,) and np.isfinite(y).all()
    model.save(tmp_path / "m.keras")
    reloaded = keras.models.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(reloaded(x).numpy(), y, rtol=1e-5)
    assert reloaded.get_config()["backbone"] == backbone
    changed = dict(x, user_ratings=x["user_ratings"][::-1], item_ratings=x["item_ratings"][::-1])
    assert np.allclose(model(changed).numpy(), y) != rating_inputs  # ratings are read only if asked


def test_paper_variant_names():
    class Features:
        structure, size = "flat", N_FEATURES

    assert iarn.variant("IARN", N_USERS, N_ITEMS, features=Features()).feature_structure == "flat"
    assert iarn.variant("IARN-Plain", N_USERS, N_ITEMS).feature_structure is None
    assert iarn.variant("TAGM-backbone", N_USERS, N_ITEMS).backbone == "tagm"
    with pytest.raises(ValueError, match="needs item features"):
        iarn.variant("IARN", N_USERS, N_ITEMS)


def test_interacting_attention_depends_on_the_other_side_and_tagm_does_not():
    x = batch()
    other = dict(x, item_users=np.roll(x["item_users"], 1, axis=0), item_mask=np.roll(x["item_mask"], 1, 0))
    for backbone, interacts in (("iarn", True), ("tagm", False)):
        model = iarn.IARN(N_USERS, N_ITEMS, dim=5, hidden=8, backbone=backbone)
        a, b = model.attention(x), model.attention(other)
        assert a["user"].shape == (8, 7) and a["item"].shape == (8, 9)
        assert (np.asarray(a["user"])[~x["user_mask"]] == 0).all()
        assert (np.asarray(a["item"])[~x["item_mask"]] == 0).all()
        changed = not np.allclose(np.asarray(a["user"]), np.asarray(b["user"]))
        assert changed == interacts, backbone
    with pytest.raises(ValueError, match="no attention"):
        iarn.IARN(N_USERS, N_ITEMS, backbone="lstm").attention(x)


def test_user_gate_is_interacting_attention_fed_the_item_sides_last_and_first_states():
    """The wiring of Eq. 6: the user side's scores read the user contexts and the item side's summaries
    (->v_T, <-v_1), in that order; every weight random, so that a mis-wiring shows."""
    x = batch(seed=3)
    model = iarn.IARN(N_USERS, N_ITEMS, dim=5, hidden=8, attention_units=4, backbone="iarn")
    model(x)
    rng = np.random.default_rng(4)
    model.set_weights([rng.normal(scale=0.5, size=w.shape).astype(w.dtype) for w in model.get_weights()])
    encoded, masks = model._encode(x)
    user = model.user_context(encoded["user"], mask=masks["user"])
    item = model.item_context(encoded["item"], mask=masks["item"])
    expected = model.user_gate([user[0], user[1], item[2], item[3]], mask=masks["user"]).numpy()[..., 0]
    got = np.asarray(model.attention(x)["user"])
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    swapped = model.user_gate([user[0], user[1], item[3], item[2]], mask=masks["user"]).numpy()[..., 0]
    assert not np.allclose(got, swapped, atol=1e-4)  # the order of the item summaries matters
    own = model.user_gate([user[0], user[1], user[2], user[3]], mask=masks["user"]).numpy()[..., 0]
    assert not np.allclose(got, own, atol=1e-4)  # and they are the item side's, not the user's


def test_one_training_step_lowers_the_loss():
    keras.utils.set_random_seed(0)
    model = iarn.IARN(N_USERS, N_ITEMS, dim=5, hidden=8, feature_structure="flat", n_features=N_FEATURES)
    model.compile(optimizer=keras.optimizers.RMSprop(1e-2, clipvalue=10.0), loss="mse")
    x, y = batch(), np.linspace(1, 5, 8).astype("float32")
    before = model.evaluate(x, y, verbose=0)
    model.train_on_batch(x, y)
    assert model.evaluate(x, y, verbose=0) < before


def test_histories_hold_only_events_before_the_rating(prepared):
    method = IARNMethod("IARN", dim=4, hidden=4, epochs=1, max_history=6)
    method.setup(prepared.data)  # the histories a fit reads (no training needed to check them)
    data = prepared.data
    train = data.pairs("train")
    ds = method.dataset(train, label="rating")
    events = data.pairs("train")
    checked = 0
    for x, _ in ds.take(5):  # not shuffled: example n is training event n
        for k in range(len(x["user"])):
            u, t = events["user"][checked], events["time"][checked]
            assert int(x["user"][k]) == u and int(x["item"][k]) == events["item"][checked]
            ages = x["user_ages"][k].numpy()[x["user_mask"][k].numpy()]
            assert (ages > 0).all() and (x["item_ages"][k].numpy()[x["item_mask"][k].numpy()] > 0).all()
            earlier = events["item"][(events["user"] == u) & (events["time"] < t)][-6:]
            assert list(x["user_items"][k].numpy()[x["user_mask"][k].numpy()]) == list(earlier)
            checked += 1
    assert checked > 100
    assert "item_features" in next(iter(ds))[0]
    # a test rating's histories: the training events (batch, the default) or every event of any part
    # (online) strictly before its time, nothing later
    test = data.pairs("test")
    online = IARNMethod("IARN", dim=4, hidden=4, epochs=1, max_history=6, history="online")
    online.setup(prepared.data)
    for fitted, parts in ((method, ("train",)), (online, ("train", "valid", "test"))):
        every = [data.pairs(part) for part in parts]
        x, _ = next(iter(fitted.dataset(test, label="rating")))
        for k in range(len(x["user"])):
            u, t = test["user"][k], test["time"][k]
            before = np.concatenate([e["item"][(e["user"] == u) & (e["time"] < t)] for e in every])
            times = np.concatenate([e["time"][(e["user"] == u) & (e["time"] < t)] for e in every])
            kept = x["user_items"][k].numpy()[x["user_mask"][k].numpy()]
            assert sorted(kept) == sorted(before[np.argsort(times, kind="stable")][-6:])
            assert (x["user_ages"][k].numpy()[x["user_mask"][k].numpy()] > 0).all()


def test_score_all_matches_predict(prepared):
    method = IARNMethod("IARN-Plain", dim=4, hidden=4, epochs=1, max_history=6, jit_compile=False)
    fit(method, prepared.data, prepared.task)
    users, times = np.array([1, 5]), np.array([1_600_000_000, 1_550_000_000])
    scores = method.score_all(users, times)
    items = np.array([3, 7, 11])
    np.testing.assert_allclose(scores[1, items], method.predict(np.full(3, 5), items, np.full(3, times[1])),
                               rtol=1e-5)
    assert scores.shape == (2, prepared.data.items.size) and np.isneginf(scores[:, 0]).all()
    att = IARNMethod("IARN", dim=4, hidden=4, epochs=1, max_history=6, jit_compile=False)
    fit(att, prepared.data, prepared.task)
    out = att.attention([1, 2], [3, 4], [tf.int64.max // 8] * 2)
    assert out["user_scores"].shape == out["user_items"].shape == (2, 6)
