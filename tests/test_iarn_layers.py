"""IARN's layers: hand-computed values, masking, serialisation, .keras reload, finite differences."""

import keras
import numpy as np
import pytest
from layer_checks import numeric_gradient_check, relu, roundtrip, sigmoid

from seqrec.layers import (
    AttentionGatedCell,
    BidirectionalContext,
    FlatFeatureEncoder,
    HierarchicalFeatureEncoder,
    InnerProductRating,
    InteractingAttention,
    PReLUProjection,
    TemporalAttentionGate,
)

RNG = np.random.default_rng(0)


# --- attention-gated cell (Eq. 3-5) -------------------------------------------------------------------

def gated_rnn(units=3, dtype="float32"):
    return keras.layers.RNN(AttentionGatedCell(units, dtype=dtype), return_sequences=True, dtype=dtype)


def test_gate_zero_copies_the_state_and_one_takes_the_candidate():
    rnn = gated_rnn()
    x = RNG.normal(size=(1, 2, 4)).astype("float32")
    gates = np.array([[[1.0], [0.0]]], "float32")
    out = rnn(np.concatenate([x, gates], -1)).numpy()
    cell = rnn.cell
    W, H, b = cell.recurrent_kernel.numpy(), cell.kernel.numpy(), cell.bias.numpy()
    h1 = relu(x[0, 0] @ H + np.zeros(3) @ W + b)  # gate 1: the candidate
    np.testing.assert_allclose(out[0, 0], h1, rtol=1e-5)
    np.testing.assert_allclose(out[0, 1], out[0, 0], rtol=1e-6)  # gate 0: the state is copied
    half = rnn(np.concatenate([x, np.full_like(gates, 0.5)], -1)).numpy()
    h1 = 0.5 * relu(x[0, 0] @ H + b)
    h2 = 0.5 * h1 + 0.5 * relu(x[0, 1] @ H + h1 @ W + b)
    np.testing.assert_allclose(half[0, 1], h2, rtol=1e-5)


def test_gated_cell_masked_steps_keep_the_state():
    rnn = keras.layers.RNN(AttentionGatedCell(4))
    x = np.concatenate([RNG.normal(size=(2, 5, 3)), RNG.uniform(size=(2, 5, 1))], -1).astype("float32")
    mask = np.array([[False, False, True, True, True], [True, True, True, True, True]])
    padded = rnn(x, mask=mask).numpy()
    alone = rnn(x[:1, 2:]).numpy()
    np.testing.assert_allclose(padded[0], alone[0], rtol=1e-5)


def test_gated_cell_gradients_and_serialisation(tmp_path):
    rnn = gated_rnn(dtype="float64")
    x = np.concatenate([RNG.normal(size=(2, 4, 3)), RNG.uniform(size=(2, 4, 1))], -1)
    rnn(x)
    for weight in (rnn.cell.kernel, rnn.cell.recurrent_kernel, rnn.cell.bias):
        numeric_gradient_check(rnn, x, weight)
    roundtrip(keras.layers.RNN(AttentionGatedCell(3)), x.astype("float32"), tmp_path)


# --- bidirectional context (Eq. 7/9) --------------------------------------------------------------------

def test_bidirectional_context_matches_a_hand_recurrence():
    layer = BidirectionalContext(3)
    x = RNG.normal(size=(1, 4, 2)).astype("float32")
    forward, backward, last, first = (t.numpy() for t in layer(x))
    fw, bw = layer.rnn.forward_layer.cell, layer.rnn.backward_layer.cell
    h = np.zeros(3)
    for t in range(4):
        h = relu(x[0, t] @ fw.kernel.numpy() + h @ fw.recurrent_kernel.numpy() + fw.bias.numpy())
        np.testing.assert_allclose(forward[0, t], h, rtol=1e-5)
    np.testing.assert_allclose(last[0], h, rtol=1e-5)
    h = np.zeros(3)
    for t in reversed(range(4)):
        h = relu(x[0, t] @ bw.kernel.numpy() + h @ bw.recurrent_kernel.numpy() + bw.bias.numpy())
        np.testing.assert_allclose(backward[0, t], h, rtol=1e-5)
    np.testing.assert_allclose(first[0], h, rtol=1e-5)


def test_bidirectional_context_ignores_padding(tmp_path):
    layer = BidirectionalContext(4)
    x = RNG.normal(size=(1, 3, 2)).astype("float32")
    padded = np.concatenate([RNG.normal(size=(1, 2, 2)).astype("float32"), x], 1)  # junk in padding
    mask = np.array([[False, False, True, True, True]])
    a = [t.numpy() for t in layer(x)]
    b = [t.numpy() for t in layer(padded, mask=mask)]
    np.testing.assert_allclose(a[2], b[2], rtol=1e-5)  # ->h_T
    np.testing.assert_allclose(a[3], b[3], rtol=1e-5)  # <-h_1
    np.testing.assert_allclose(a[0], b[0][:, 2:], rtol=1e-5)
    np.testing.assert_allclose(a[1], b[1][:, 2:], rtol=1e-5)
    roundtrip(BidirectionalContext(4), x, tmp_path)


# --- attention gates (Eq. 6/8, TAGM) ---------------------------------------------------------------------

def test_interacting_attention_hand_value_mask_and_dependence_on_the_other_side(tmp_path):
    layer = InteractingAttention(5)
    fwd, bwd = RNG.normal(size=(2, 3, 4)), RNG.normal(size=(2, 3, 4))
    last, first = RNG.normal(size=(2, 6)), RNG.normal(size=(2, 6))
    inputs = [t.astype("float32") for t in (fwd, bwd, last, first)]
    mask = np.array([[True, True, True], [False, True, True]])
    scores = layer(inputs, mask=mask).numpy()
    L, b, M = layer.fusion.kernel.numpy(), layer.fusion.bias.numpy(), layer.score.kernel.numpy()
    ctx = np.concatenate([fwd[0, 1], bwd[0, 1], last[0], first[0]])
    np.testing.assert_allclose(scores[0, 1, 0], sigmoid(np.tanh(ctx @ L + b) @ M)[0], rtol=1e-5)
    assert scores[1, 0, 0] == 0 and ((scores > 0) & (scores < 1))[mask].all()
    other = [inputs[0], inputs[1], inputs[2] + 1.0, inputs[3]]
    assert not np.allclose(layer(other).numpy(), layer(inputs).numpy())
    roundtrip(InteractingAttention(5), inputs, tmp_path)


def test_temporal_gate_reads_only_its_own_side(tmp_path):
    layer = TemporalAttentionGate(5)
    fwd, bwd = (RNG.normal(size=(2, 3, 4)).astype("float32") for _ in range(2))
    scores = layer([fwd, bwd]).numpy()
    L, b, M = layer.fusion.kernel.numpy(), layer.fusion.bias.numpy(), layer.score.kernel.numpy()
    ctx = np.concatenate([fwd, bwd], -1)
    np.testing.assert_allclose(scores, sigmoid(np.tanh(ctx @ L + b) @ M), rtol=1e-5)
    roundtrip(TemporalAttentionGate(5), [fwd, bwd], tmp_path)


def test_context_and_head_gradients():
    context = BidirectionalContext(3, dtype="float64")
    x = RNG.normal(size=(2, 4, 2))
    context(x)
    for weight in (context.rnn.forward_layer.cell.kernel, context.rnn.backward_layer.cell.recurrent_kernel):
        numeric_gradient_check(context, x, weight)
    head = PReLUProjection(2, dtype="float64")
    h = RNG.normal(size=(3, 4))
    head(h)
    numeric_gradient_check(head, h, head.dense.kernel)


def test_gate_gradients():
    layer = InteractingAttention(3, dtype="float64")
    inputs = [RNG.normal(size=(2, 3, 2)), RNG.normal(size=(2, 3, 2)), RNG.normal(size=(2, 2)),
              RNG.normal(size=(2, 2))]
    layer(inputs)
    for weight in (layer.fusion.kernel, layer.score.kernel):
        numeric_gradient_check(layer, inputs, weight)


# --- feature encoders (Eq. 11, 12) -----------------------------------------------------------------------

def test_flat_encoder_sums_feature_maps_and_handles_featureless_items(tmp_path):
    layer = FlatFeatureEncoder(4)
    x = RNG.normal(size=(2, 3, 5)).astype("float32")
    features = np.array([[0, 1, 0, 1], [0, 0, 0, 0]], "float32")  # item 2 has no feature
    out = layer([x, features]).numpy()
    M = layer.matrices.numpy()
    np.testing.assert_allclose(out[0], x[0] @ (M[1] + M[3]), rtol=1e-5)
    np.testing.assert_allclose(out[1], x[1] @ M[0], rtol=1e-5)
    roundtrip(FlatFeatureEncoder(4), [x, features], tmp_path)


def test_hierarchical_encoder_applies_root_first_then_leaf(tmp_path):
    layer = HierarchicalFeatureEncoder(5)
    x = RNG.normal(size=(2, 3, 4)).astype("float32")
    layer([x, np.zeros((2, 3), "int32")])
    layer.matrices.assign(RNG.normal(size=(5, 4, 4)).astype("float32"))  # non-commuting maps
    M = layer.matrices.numpy()
    path = np.array([[1, 3, 4], [2, 0, 0]], "int32")  # root -> leaf; item 2 has a one-level path
    out = layer([x, path]).numpy()
    np.testing.assert_allclose(out[0], x[0] @ M[1] @ M[3] @ M[4], rtol=1e-4)
    np.testing.assert_allclose(out[1], x[1] @ M[2], rtol=1e-5)
    reversed_path = np.array([[4, 3, 1], [2, 0, 0]], "int32")
    assert not np.allclose(layer([x, reversed_path]).numpy()[0], out[0])
    # at initialisation the maps are close to the identity, so deep paths keep the scale of x
    fresh = HierarchicalFeatureEncoder(5)
    np.testing.assert_allclose(fresh([x, path]).numpy(), x, atol=0.1)
    roundtrip(HierarchicalFeatureEncoder(5), [x, path], tmp_path)


def test_encoder_gradients():
    layer = HierarchicalFeatureEncoder(4, dtype="float64")
    inputs = [RNG.normal(size=(2, 3, 3)), np.array([[1, 2], [3, 0]])]
    layer(inputs)
    numeric_gradient_check(layer, inputs, layer.matrices)


# --- heads (Eq. 1, 2) ---------------------------------------------------------------------------------

def test_prelu_head_and_inner_product(tmp_path):
    head = PReLUProjection(3)
    h = RNG.normal(size=(4, 5)).astype("float32")
    out = head(h).numpy()
    z = h @ head.dense.kernel.numpy() + head.dense.bias.numpy()
    alpha = head.prelu.alpha.numpy()
    np.testing.assert_allclose(out, np.where(z > 0, z, alpha * z), rtol=1e-5)
    u, v = RNG.normal(size=(4, 3)).astype("float32"), RNG.normal(size=(4, 3)).astype("float32")
    np.testing.assert_allclose(InnerProductRating()([u, v]).numpy(), (u * v).sum(1), rtol=1e-5)
    roundtrip(PReLUProjection(3), h, tmp_path)


@pytest.mark.parametrize("layer", [BidirectionalContext(2), PReLUProjection(2)])
def test_layers_registered_for_serialisation(layer):
    config = keras.saving.serialize_keras_object(layer)
    assert config["module"] is None or "seqrec" in str(config)
    assert type(keras.saving.deserialize_keras_object(config)) is type(layer)
