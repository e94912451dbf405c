"""Ante-RNN's image embedding with textual alignment (Eq. 1-5) and hardest-negative triplet loss (Eq. 6):
hand values, one word, parallel vectors, masks, pairwise similarities, shapes, finite differences,
serialisation and .keras reload."""

import numpy as np
import pytest
import tensorflow as tf
from layer_checks import numeric_gradient_check, output_shape_check, roundtrip

from seqrec.layers import HardestNegativeTripletLoss, TextImageAlignment

RNG = np.random.default_rng(21)


def softmax(x, axis):
    e = np.exp(x - x.max(axis, keepdims=True))
    return e / e.sum(axis, keepdims=True)


def cosine(a, b):
    return (a * b).sum(-1) / (np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1))


def by_hand(w_b, words, regions):
    """(v, S, alpha, R) of Eq. 1-5 for one text [N, D] and one image [M, D]."""
    alpha = softmax(np.tanh(words @ w_b @ regions.T), axis=0)  # [N, M], over the words
    aligned = alpha.T @ words  # a_j [M, D]
    relevance = cosine(regions, aligned)
    return relevance @ regions, relevance.mean(), alpha, relevance


def test_hand_value_and_masks():
    layer = TextImageAlignment()
    words = RNG.normal(size=(2, 5, 4)).astype("float32")
    regions = RNG.normal(size=(2, 3, 4)).astype("float32")
    word_mask = np.array([[True] * 3 + [False] * 2, [True] * 5])
    region_mask = np.array([[True] * 3, [True, True, False]])
    v, s, alpha, r = (np.asarray(t) for t in layer([words, regions], mask=[word_mask, region_mask],
                                                   return_alignment=True))
    w_b = layer.w_b.numpy()
    for b, (n, m) in enumerate(((3, 3), (5, 2))):
        want = by_hand(w_b, words[b, :n], regions[b, :m])
        for got, expected in zip((v[b], s[b], alpha[b, :n, :m], r[b, :m]), want, strict=True):
            np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-6)
    assert (alpha[0, 3:] == 0).all() and r[1, 2] == 0
    # padded words and regions may hold anything
    junk = words.copy()
    junk[0, 3:] = 9.0
    again = layer([junk, regions], mask=[word_mask, region_mask])
    np.testing.assert_allclose(np.asarray(again), v, rtol=1e-5)


@pytest.mark.filterwarnings("ignore:You are using a softmax over axis")  # one word: a softmax of one value
def test_one_word_is_aligned_to_every_region_and_parallel_vectors_have_relevance_one():
    layer = TextImageAlignment()
    word = RNG.normal(size=(1, 1, 4)).astype("float32")
    regions = RNG.normal(size=(1, 3, 4)).astype("float32")
    _, _, alpha, r = layer([word, regions], return_alignment=True)
    np.testing.assert_allclose(np.asarray(alpha), 1.0)  # a_j = e_1 for every region j
    np.testing.assert_allclose(np.asarray(r)[0], cosine(regions[0], word[0, 0][None]), rtol=1e-5)
    parallel = np.concatenate([2.0 * word, 0.5 * word], axis=1)  # regions along the word
    v, s, _, r = layer([word, parallel], return_alignment=True)
    np.testing.assert_allclose(np.asarray(r), 1.0, rtol=1e-5)
    np.testing.assert_allclose(np.asarray(s), 1.0, rtol=1e-5)
    np.testing.assert_allclose(np.asarray(v)[0], 2.5 * word[0, 0], rtol=1e-5)


def test_pairwise_similarity_diagonal_is_the_matched_similarity():
    layer = TextImageAlignment()
    words = RNG.normal(size=(3, 4, 4)).astype("float32")
    regions = RNG.normal(size=(3, 2, 4)).astype("float32")
    word_mask = np.array([[True] * 4, [True] * 2 + [False] * 2, [True] * 3 + [False]])
    region_mask = np.array([[True, False], [True, True], [True, True]])
    pairs = np.asarray(layer.pairwise_similarity(words, regions, word_mask, region_mask))
    assert pairs.shape == (3, 3)
    _, s, _, _ = layer([words, regions], mask=[word_mask, region_mask], return_alignment=True)
    np.testing.assert_allclose(np.diagonal(pairs), np.asarray(s), rtol=1e-5, atol=1e-6)
    _, expected, _, _ = by_hand(layer.w_b.numpy(), words[1, :2], regions[2])
    np.testing.assert_allclose(pairs[1, 2], expected, rtol=1e-4)


def test_triplet_loss_hardest_negative_and_margin():
    loss = HardestNegativeTripletLoss(margin=0.3, reduction=None)
    similarity = np.array([[0.9, 0.5, 0.1],    # text 0 with images 0, 1, 2
                           [0.5, 0.6, 0.2],
                           [0.7, 0.0, 0.4]], "float32")
    # image 0: positive 0.9, hardest other text 0.7 -> 0.1; image 1: 0.6 vs 0.5 -> 0.2;
    # image 2: 0.4 vs 0.2 -> 0.1
    np.testing.assert_allclose(np.asarray(loss(np.zeros(3), similarity)), [0.1, 0.2, 0.1], rtol=1e-5)
    beaten = np.array([[0.9, 0.1], [0.5, 0.8]], "float32")  # each positive beats every negative by 0.3+
    assert float(HardestNegativeTripletLoss(margin=0.3)(np.zeros(2), beaten)) == 0.0
    assert float(HardestNegativeTripletLoss(margin=0.3)(np.zeros(1), np.array([[0.5]], "float32"))) == 0.0
    assert HardestNegativeTripletLoss.from_config(loss.get_config()).margin == 0.3


def test_triplet_loss_trains_the_alignment():
    layer = TextImageAlignment(dtype="float64")
    words, regions = RNG.normal(size=(4, 3, 4)), RNG.normal(size=(4, 2, 4))
    layer([words, regions])
    with tf.GradientTape() as tape:
        value = HardestNegativeTripletLoss(margin=0.3)(np.zeros(4), layer.pairwise_similarity(words, regions))
    assert np.abs(tape.gradient(value, layer.w_b).numpy()).sum() > 0


@pytest.mark.parametrize("return_alignment", [False, True])
def test_shapes(return_alignment):
    inputs = [RNG.normal(size=(2, 5, 4)).astype("float32"), RNG.normal(size=(2, 3, 4)).astype("float32")]
    output_shape_check(TextImageAlignment(), inputs, return_alignment=return_alignment)


def test_gradients_and_reload(tmp_path):
    layer = TextImageAlignment(dtype="float64")
    inputs = [RNG.normal(size=(2, 5, 4)), RNG.normal(size=(2, 3, 4))]
    layer(inputs)
    numeric_gradient_check(layer, inputs, layer.w_b)
    roundtrip(TextImageAlignment(), [t.astype("float32") for t in inputs], tmp_path)
