"""DMRAN, its variants and its neural baselines (`seqrec.models.dmran`, `dmran_baselines`): what each
variant drops, candidate scores independent of the other candidates and of padding, the penalty and L2
losses, serialisation, and the trainer's sampled pairs."""

import keras
import numpy as np
import pytest

from seqrec.models import DMRAN, ATRank, BiLSTM, CNNPooling
from seqrec.models.dmran import VARIANTS, variant

RNG = np.random.default_rng(11)
SMALL = {"item_dim": 4, "category_dim": 4}


def batch(b=3, length=12, c=5, n_items=30, pad=(0, 4, 9)):
    """Left-padded histories (row k has ``pad[k]`` padded slots), their buckets and candidates."""
    items = RNG.integers(1, n_items, (b, length)).astype("int32")
    mask = np.ones((b, length), bool)
    for row, n in enumerate(pad):
        items[row, :n], mask[row, :n] = 0, False
    buckets = RNG.integers(0, 12, (b, length)).astype("int32") * mask
    return {"items": items, "mask": mask, "buckets": buckets,
            "candidates": RNG.integers(1, n_items, (b, c)).astype("int32")}


MODELS = {
    **{name: (lambda name=name: variant(name, 30, 6, rows=3, heads=2, penalty=0.1, **SMALL))
       for name in VARIANTS},
    "ATRank": lambda: ATRank(30, 6, heads=2, **SMALL),
    "Bi-LSTM": lambda: BiLSTM(30, 6, **SMALL),
    "Bi-LSTM+Attention": lambda: BiLSTM(30, 6, attention=True, **SMALL),
    "CNN+Pooling": lambda: CNNPooling(30, 6, **SMALL),
}


def built(name):
    model = MODELS[name]()
    model.set_item_categories(RNG.integers(0, 6, 30))
    return model


@pytest.mark.parametrize("name", sorted(MODELS))
def test_scores_per_candidate_are_independent_of_the_others_and_of_padding(name):
    model = built(name)
    x = batch()
    scores = np.asarray(model(x))
    assert scores.shape == (3, 5) and np.isfinite(scores).all()
    one = np.asarray(model({**x, "candidates": x["candidates"][:, 2:3]}))
    np.testing.assert_allclose(one[:, 0], scores[:, 2], rtol=1e-5, atol=1e-6)
    # more left padding, and junk in the padded slots, change nothing
    wider = {k: np.concatenate([np.zeros((3, 4), v.dtype), v], 1) if k != "candidates" else v
             for k, v in x.items()}
    wider["items"][:, :4] = RNG.integers(1, 30, (3, 4))
    wider["buckets"][:, :4] = 7
    np.testing.assert_allclose(np.asarray(model(wider)), scores, rtol=1e-4, atol=1e-5)
    x["items"][1, :4] = 5
    np.testing.assert_allclose(np.asarray(model(x)), scores, rtol=1e-4, atol=1e-5)


def test_variants_drop_their_part():
    full, item, feature, no_time = (built(name) for name in ("DMRAN", "DMRAN_Item", "DMRAN_Feature",
                                                              "DMRAN_No_Time"))
    x = batch()
    for model in (full, item, feature, no_time):
        model(x)
    names = {model.name: {layer.name for layer in model.layers} for model in (full, item, feature)}
    assert {"item_attention", "feature_attention", "fusion"} <= names["dmran"]
    assert "feature_attention" not in names["dmran_item"] and "fusion" not in names["dmran_item"]
    assert "item_attention" not in names["dmran_feature"] and "feature_attention" in names["dmran_feature"]
    moved = {**x, "buckets": (x["buckets"] + 3) % 12 * x["mask"]}
    np.testing.assert_array_equal(np.asarray(no_time(x)), np.asarray(no_time(moved)))
    assert not np.allclose(np.asarray(full(x)), np.asarray(full(moved)))
    rows = full.attention(x)
    assert sorted(rows) == ["row_1", "row_2", "row_3"] and rows["row_1"].shape == (3, 12)
    assert feature.attention(x) == {}
    with pytest.raises(ValueError, match="unknown DMRAN variant"):
        variant("DMRAN_Both", 30)


def test_losses_penalty_and_l2():
    x = batch()
    model = built("DMRAN")
    model(x)
    assert len(model.losses) >= 2  # the batch L2 and the redundancy penalty, plus the kernels' L2
    free = variant("DMRAN", 30, 6, rows=3, heads=2, penalty=0.0, l2=0.0, **SMALL)
    free.set_item_categories(RNG.integers(0, 6, 30))
    free(x)
    assert free.losses == []


@pytest.mark.parametrize("name", ["DMRAN", "ATRank", "CNN+Pooling"])
def test_save_and_reload(name, tmp_path):
    model = built(name)
    x = batch()
    expected = np.asarray(model(x))
    path = tmp_path / "m.keras"
    model.save(path)
    reloaded = keras.models.load_model(path)
    np.testing.assert_allclose(np.asarray(reloaded(x)), expected, rtol=1e-5, atol=1e-6)


def test_without_categories_the_item_embedding_has_the_full_width():
    model = DMRAN(30, 0, rows=2, heads=2, **SMALL)
    assert np.asarray(model(batch())).shape == (3, 5)
    assert model.item_embedding.embeddings.shape == (30, 8)


def test_cnn_refuses_histories_shorter_than_its_filters():
    with pytest.raises(ValueError, match="at least 10"):
        CNNPooling(30, 6, **SMALL)(batch(length=6, pad=(0, 1, 2)))


def test_atrank_attention_maps_read_only_real_behaviours_and_follow_the_candidate():
    model, x = built("ATRank"), batch()
    maps = model.attention(x)
    assert sorted(maps) == ["candidate_head_1", "candidate_head_2", "self_head_1", "self_head_2"]
    for weights in maps.values():
        weights = np.asarray(weights)
        np.testing.assert_allclose(weights.sum(-1), 1.0, rtol=1e-5)
        assert (weights[~x["mask"]] == 0).all()
    other = model.attention({**x, "candidates": x["candidates"][:, ::-1]})
    assert not np.allclose(other["candidate_head_1"], maps["candidate_head_1"])
    np.testing.assert_allclose(other["self_head_1"], maps["self_head_1"])
