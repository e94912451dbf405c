"""IARN's interacting attention (Eq. 6/8) and TAGM's temporal attention gate: hand values, masks, the
dependence on the other side, shapes, finite differences, serialisation and .keras reload."""

import keras
import numpy as np
import pytest
from layer_checks import numeric_gradient_check, output_shape_check, roundtrip, sigmoid

from seqrec.layers import InteractingAttention, TemporalAttentionGate

RNG = np.random.default_rng(0)


def test_interacting_attention_hand_value_mask_and_dependence_on_the_other_side(tmp_path):
    layer = InteractingAttention(5)
    fwd, bwd = RNG.normal(size=(2, 3, 4)), RNG.normal(size=(2, 3, 4))
    last, first = RNG.normal(size=(2, 6)), RNG.normal(size=(2, 6))
    inputs = [t.astype("float32") for t in (fwd, bwd, last, first)]
    mask = np.array([[True, True, True], [False, True, True]])
    scores = layer(inputs, mask=mask).numpy()
    L, b, M = layer.fusion.kernel.numpy(), layer.fusion.bias.numpy(), layer.score.kernel.numpy()
    ctx = np.concatenate([fwd[0, 1], bwd[0, 1], last[0], first[0]])
    np.testing.assert_allclose(scores[0, 1, 0], sigmoid(np.tanh(ctx @ L + b) @ M)[0], rtol=1e-5, atol=1e-6)
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
    np.testing.assert_allclose(scores, sigmoid(np.tanh(ctx @ L + b) @ M), rtol=1e-5, atol=1e-6)
    roundtrip(TemporalAttentionGate(5), [fwd, bwd], tmp_path)


def test_temporal_gate_masks_steps_and_takes_the_first_of_propagated_masks():
    layer = TemporalAttentionGate(5)
    fwd, bwd = (RNG.normal(size=(2, 3, 4)).astype("float32") for _ in range(2))
    mask = np.array([[True, False, True], [False, True, True]])
    unmasked = layer([fwd, bwd]).numpy()
    scores = layer([fwd, bwd], mask=mask).numpy()
    np.testing.assert_array_equal(scores[~mask], 0.0)
    np.testing.assert_allclose(scores[mask], unmasked[mask], rtol=1e-6)
    np.testing.assert_array_equal(layer([fwd, bwd], mask=[mask, None]).numpy(), scores)  # Keras' list
    assert layer.compute_mask([fwd, bwd], mask) is None


def test_gate_gradients():
    layer = InteractingAttention(3, dtype="float64")
    inputs = [RNG.normal(size=(2, 3, 2)), RNG.normal(size=(2, 3, 2)), RNG.normal(size=(2, 2)),
              RNG.normal(size=(2, 2))]
    layer(inputs)
    for weight in (layer.fusion.kernel, layer.score.kernel):
        numeric_gradient_check(layer, inputs, weight)


def test_temporal_attention_gate_gradients():
    layer = TemporalAttentionGate(3, dtype="float64")
    inputs = [RNG.normal(size=(2, 3, 2)), RNG.normal(size=(2, 3, 2))]
    layer(inputs)
    for weight in (layer.fusion.kernel, layer.fusion.bias, layer.score.kernel):
        numeric_gradient_check(layer, inputs, weight)


def test_compute_output_shape_matches_a_call():
    fwd, bwd = (RNG.normal(size=(2, 3, 4)).astype("float32") for _ in range(2))
    last, first = (RNG.normal(size=(2, 6)).astype("float32") for _ in range(2))
    mask = np.array([[True, True, True], [False, True, True]])
    output_shape_check(TemporalAttentionGate(5), [fwd, bwd], mask=mask)
    output_shape_check(InteractingAttention(5), [fwd, bwd, last, first], mask=mask)
    assert InteractingAttention(5).compute_output_shape([(2, 3, 4), (2, 3, 4), (2, 6), (2, 6)]) == (2, 3, 1)


@pytest.mark.parametrize("cls", [InteractingAttention, TemporalAttentionGate])
def test_registered_for_serialisation(cls):
    assert keras.saving.get_registered_name(cls) == f"seqrec>{cls.__name__}"
