"""The Ante-RNN model (`seqrec.models.ante_rnn`): one causal pass equals scoring every prefix alone, no
step reads a later behaviour, evaluation's once-per-item encoding equals encoding every behaviour, each
variant and attention setting reads exactly its inputs, the triplet term trains the alignment, and a
saved model reloads."""

import keras
import numpy as np
import pytest

from seqrec.models.ante_rnn import ATTENTION_SETTINGS, VARIANTS, variant

RNG = np.random.default_rng(31)
N_ITEMS, N_WORDS, TOPICS, N, M, F = 12, 20, 3, 5, 4, 6


def built(name="Ante-RNN", setting="T+C", **kwargs):
    model = variant(name, setting, n_items=N_ITEMS, n_words=N_WORDS, n_topics=TOPICS, words_per_item=N,
                    regions_per_item=M, region_width=F, dim=8, window=3, triplet_items=6, **kwargs)
    words = RNG.integers(1, N_WORDS, (N_ITEMS, N))
    words[:, 3:] *= RNG.random((N_ITEMS, 2)) < 0.5  # some texts shorter than N
    words[0] = 0
    regions = RNG.normal(size=(N_ITEMS, M, F)).astype("float32")
    regions[0] = 0
    model.set_item_content(words, regions)
    return model


def batch(b=2, length=6):
    hours = np.cumsum(RNG.exponential(40.0, (b, length)), axis=1).astype("float32")
    return {"items": RNG.integers(1, N_ITEMS, (b, length)).astype("int32"),
            "mask": np.ones((b, length), bool),
            "topics": RNG.dirichlet(np.ones(TOPICS), (b, length)).astype("float32"), "hours": hours,
            "week_hour": RNG.integers(0, 168, (b, length)).astype("int32")}


def left_padded(x, k, length):
    """The first k behaviours of each row, left-padded to ``length`` with junk in the padded slots."""
    out = {}
    for key, value in x.items():
        pad = np.zeros((value.shape[0], length - k, *value.shape[2:]), value.dtype)
        if key != "mask":
            pad += RNG.integers(1, 5, pad.shape).astype(value.dtype)
        out[key] = np.concatenate([pad, value[:, :k]], axis=1)
    return out


def test_one_pass_equals_every_prefix_alone_and_ignores_later_behaviours():
    model = built()
    x = batch()
    logits = np.asarray(model(x))
    assert logits.shape == (2, 6, N_ITEMS)
    prefix_model = model.with_mode(False, 6)
    for k in (1, 3, 6):
        alone = np.asarray(prefix_model(left_padded(x, k, 6)))
        np.testing.assert_allclose(alone, logits[:, k - 1], rtol=1e-4, atol=1e-5)
    later = {key: value.copy() for key, value in x.items()}
    later["items"][:, 4:] = RNG.integers(1, N_ITEMS, (2, 2))
    later["hours"][:, 4:] += 1000.0
    later["topics"][:, 4:] = RNG.dirichlet(np.ones(TOPICS), (2, 2))
    np.testing.assert_allclose(np.asarray(model(later))[:, :4], logits[:, :4], rtol=1e-5, atol=1e-6)


def test_evaluation_encodes_each_distinct_item_once_with_the_same_result():
    model = built()
    items = batch(b=3, length=6)["items"]  # 18 behaviours of at most 11 distinct items
    gathered = model.content(items, training=False)
    each = model._encoded(items)
    for a, b in zip(gathered, each, strict=True):
        assert a.shape == b.shape
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-6, atol=1e-6)


def changed(model, x, key, value):
    """Whether replacing input ``key`` changes the GRU states at all (an unread input leaves them
    bit-identical; at initialisation a read one may move them by only ~1e-6)."""
    return not np.array_equal(np.asarray(model.states({**x, key: value})), np.asarray(model.states(x)))


def test_each_variant_and_setting_reads_its_inputs():
    x = batch()
    other_topics = RNG.dirichlet(np.ones(TOPICS), (2, 6)).astype("float32")
    other_weeks = (x["week_hour"] + 50) % 168
    text = built("t-Ante-RNN")
    image = built("v-Ante-RNN")
    text(x), image(x)
    text.item_regions.assign(RNG.normal(size=(N_ITEMS, M, F)).astype("float32"))
    assert changed(text, x, "topics", other_topics) and not changed(image, x, "topics", other_topics)
    before = np.asarray(text(x))
    text.item_regions.assign(np.zeros((N_ITEMS, M, F), "float32"))
    np.testing.assert_allclose(np.asarray(text(x)), before, rtol=1e-6)  # text only: the images unread
    for setting, switches in ATTENTION_SETTINGS.items():
        model = built(setting=setting)
        reads_week = switches["context"] == "attention" and switches.get("use_week", True)
        assert changed(model, x, "topics", other_topics) is switches["topical"], setting
        assert changed(model, x, "week_hour", other_weeks) is reads_week, setting
    for name in VARIANTS:
        assert np.isfinite(np.asarray(built(name)(x))).all()
    with pytest.raises(ValueError, match="unknown Ante-RNN variant"):
        variant("Ante-CNN")
    with pytest.raises(ValueError, match="unknown attention setting"):
        variant("Ante-RNN", "T+X")


def test_triplet_term_in_training_only_and_reload(tmp_path):
    model = built()
    x = batch()
    model(x)
    assert model.losses and all(float(loss) >= 0 for loss in model.losses)  # L2 terms only
    count = len(model.losses)
    model(x, training=True)
    assert len(model.losses) == count + 1
    weights = np.asarray(model.attention(x))
    assert weights.shape == (2, 6, 3) and np.allclose(weights.sum(-1), 1.0, atol=1e-5)
    assert (weights[:, 0, :2] == 0).all()  # the first step's window holds the step alone
    path = tmp_path / "ante.keras"
    model.save(path)
    reloaded = keras.models.load_model(path)
    np.testing.assert_allclose(np.asarray(reloaded(x)), np.asarray(model(x)), rtol=1e-5, atol=1e-6)
