"""Ante-RNN's contextual attention (Eq. 15-20): a hand value with both time factors, the linear and
sigmoid transforms, the C-T_w and C-dt switches, equal scores and the average of Eq. 15, masks, shapes,
finite differences, serialisation and .keras reload."""

import numpy as np
import pytest
from layer_checks import numeric_gradient_check, output_shape_check, relu, roundtrip, sigmoid

from seqrec.layers import ContextualAttention

RNG = np.random.default_rng(24)


def window(b=2, w=5, d=4):
    items = RNG.normal(size=(b, w, d)).astype("float32")
    week = RNG.integers(0, 169, (b, w)).astype("int32")
    interval = RNG.integers(0, 169, (b, w)).astype("int32")
    return items, week, interval


def softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


@pytest.mark.parametrize("transform", ["linear", "sigmoid"])
def test_hand_value_and_mask(transform):
    layer = ContextualAttention(transform=transform)
    items, week, interval = window()
    mask = np.array([[False, False, True, True, True], [True] * 5])
    r, a = (np.asarray(t) for t in layer([items, week, interval], mask=mask, return_attention=True))
    # W_f [one_hot(T_w); one_hot(dt)] (Eq. 17), the sigmoid of it plus b_f (Eq. 18)
    w_f = np.concatenate([layer.week_table.numpy(), layer.interval_table.numpy()], 0).T  # [D, 338]
    one_hots = np.concatenate([np.eye(169)[week], np.eye(169)[interval]], -1)  # [B, w, 338]
    factors = one_hots @ w_f.T
    if transform == "sigmoid":
        factors = sigmoid(factors + layer.b_f.numpy())
    joined = np.concatenate([factors, items], -1)
    scores = relu(joined @ layer.g_hidden.kernel.numpy() + layer.g_hidden.bias.numpy())
    scores = (scores @ layer.g_score.kernel.numpy() + layer.g_score.bias.numpy())[..., 0]
    for b, real in enumerate(mask):
        weights = softmax(scores[b, real])  # Eq. 19
        np.testing.assert_allclose(a[b, real], weights, rtol=1e-5)
        np.testing.assert_allclose(r[b], weights @ items[b, real], rtol=1e-5, atol=1e-6)  # Eq. 20
    assert (a[0, :2] == 0).all()


def test_equal_scores_and_the_plain_average_are_eq_15():
    items, week, interval = window()
    mask = np.array([[False, True, True, True, True], [True] * 5])
    average = ContextualAttention(attention=False)
    r = np.asarray(average([items, week, interval], mask=mask))
    np.testing.assert_allclose(r[0], items[0, 1:].mean(0), rtol=1e-5)
    np.testing.assert_allclose(r[1], items[1].mean(0), rtol=1e-5)
    assert average.weights == []
    layer = ContextualAttention()
    layer([items, week, interval])
    layer.g_score.kernel.assign(np.zeros_like(layer.g_score.kernel.numpy()))  # every G(i~_j) equal
    np.testing.assert_allclose(np.asarray(layer([items, week, interval], mask=mask)), r, rtol=1e-5)


def test_switches_drop_their_factor():
    items, week, interval = window()
    moved_week, moved_interval = (week + 7) % 169, (interval + 11) % 169
    for use_week, use_interval in ((True, False), (False, True), (False, False)):
        layer = ContextualAttention(use_week=use_week, use_interval=use_interval)
        base = np.asarray(layer([items, week, interval]))
        np.testing.assert_equal(hasattr(layer, "week_table"), use_week)
        np.testing.assert_equal(hasattr(layer, "interval_table"), use_interval)
        same_week = np.allclose(np.asarray(layer([items, moved_week, interval])), base)
        same_interval = np.allclose(np.asarray(layer([items, week, moved_interval])), base)
        assert same_week is not use_week and same_interval is not use_interval
    with pytest.raises(ValueError, match="transform"):
        ContextualAttention(transform="relu")


def test_leading_axes():
    layer = ContextualAttention()
    items, week, interval = window(b=6)
    r = np.asarray(layer([items.reshape(2, 3, 5, 4), week.reshape(2, 3, 5), interval.reshape(2, 3, 5)]))
    np.testing.assert_allclose(r.reshape(6, 4), np.asarray(layer([items, week, interval])), rtol=1e-5,
                               atol=1e-6)


@pytest.mark.parametrize("return_attention", [False, True])
def test_shapes(return_attention):
    output_shape_check(ContextualAttention(), list(window()), return_attention=return_attention)


def test_gradients_and_reload(tmp_path):
    layer = ContextualAttention(transform="sigmoid", dtype="float64")
    items, week, interval = window()
    inputs = [items.astype("float64"), week, interval]
    layer(inputs)
    for weight in (layer.week_table, layer.interval_table, layer.b_f, layer.g_hidden.kernel):
        numeric_gradient_check(layer, inputs, weight)
    roundtrip(ContextualAttention(hidden=3), list(window()), tmp_path)
