"""MTAM's time-aware attention (Eq. 16-20) and multi-hop memory reader (Eq. 23-25): hand values, the
plain kernel, masks and bands, shapes, finite differences, serialisation and .keras reload."""

import keras
import numpy as np
import pytest
from layer_checks import numeric_gradient_check, output_shape_check, roundtrip, sigmoid

from seqrec.layers import MultiHopMemoryReader, TimeAwareAttention

RNG = np.random.default_rng(1)


def softmax(x, axis=-1):
    e = np.exp(x - x.max(axis, keepdims=True))
    return e / e.sum(axis, keepdims=True)


def attention_inputs(b=2, lq=3, lk=5, d=4):
    q, k, v = (RNG.normal(size=(b, n, d)).astype("float32") for n in (lq, lk, lk))
    tq = RNG.uniform(0, 10, (b, lq)).astype("float32")
    tk = RNG.uniform(-50, 0, (b, lk)).astype("float32")
    return [q, k, v, tq, tk]


def reader_inputs():
    intent = RNG.normal(size=(2, 4)).astype("float32")
    memory = RNG.normal(size=(2, 5, 4)).astype("float32")
    t_mem = -RNG.uniform(0, 100, (2, 5)).astype("float32")
    t_query = np.zeros(2, "float32")
    mask = np.array([[True] * 3 + [False] * 2, [True] * 5])
    return [intent, memory, t_query, t_mem], mask


def test_time_aware_attention_with_gate_one_is_scaled_dot_product():
    layer = TimeAwareAttention()
    inputs = attention_inputs()
    layer(inputs)
    layer.b_g.assign(np.full((1, 1), 1e4, "float32"))
    q, k, v = inputs[:3]
    expected = softmax(np.einsum("bqd,bkd->bqk", q, k) / np.sqrt(4)) @ v
    np.testing.assert_allclose(layer(inputs).numpy(), expected, rtol=1e-5, atol=1e-6)
    plain = TimeAwareAttention(time_aware=False)  # the ablation's kernel: no gate, no weights
    np.testing.assert_allclose(plain(inputs).numpy(), expected, rtol=1e-5, atol=1e-6)
    assert plain.weights == []


def test_time_aware_attention_hand_gate_masks_and_reload(tmp_path):
    layer = TimeAwareAttention()
    inputs = attention_inputs()
    mask = np.array([[True, True, False, True, False], [False] * 5])
    layer(inputs)
    for name in ("w_delta", "b_delta", "b_tau", "w_g_delta", "w_g_tau", "b_g"):  # not their initial 1 / 0,
        getattr(layer, name).assign(RNG.normal(size=(1, 1)).astype("float32"))  # so a mis-wiring shows
    out, weights = layer(inputs, mask=mask, return_attention=True)
    q, k, v, tq, tk = inputs
    w = {name: getattr(layer, name).numpy() for name in
         ("w_delta", "b_delta", "w_tau", "b_tau", "w_g_delta", "w_g_tau", "b_g")}
    delta = np.tanh(np.log(np.abs(tq[:, :, None] - tk[:, None, :]) + 1) * w["w_delta"] + w["b_delta"])
    tau = np.tanh(np.einsum("bqd,de,bke->bqk", q, w["w_tau"], k) + w["b_tau"])
    g = sigmoid(delta * w["w_g_delta"] + tau * w["w_g_tau"] + w["b_g"])
    logits = np.einsum("bqd,bkd->bqk", q, k) * g / 2.0
    logits[0][:, ~mask[0]] = -np.inf
    expected = softmax(logits[0]) @ v[0]
    np.testing.assert_allclose(out.numpy()[0], expected, rtol=1e-5, atol=1e-6)
    assert (np.asarray(weights)[0][:, ~mask[0]] == 0).all()
    assert (out.numpy()[1] == 0).all()  # no key allowed: zeros
    roundtrip(TimeAwareAttention(), inputs, tmp_path)


@pytest.mark.filterwarnings("ignore:You are using a softmax over axis -1")  # the 1-key prefix
def test_time_aware_attention_band_mask_and_propagated_masks():
    layer = TimeAwareAttention()
    inputs = attention_inputs(lq=4, lk=4)
    band = np.tril(np.ones((4, 4), bool))[None].repeat(2, 0)
    out, weights = layer(inputs, mask=band, return_attention=True)
    np.testing.assert_array_equal(np.asarray(weights)[~band], 0.0)
    np.testing.assert_allclose(np.asarray(weights).sum(-1), 1.0, rtol=1e-5, atol=1e-6)
    for j in range(4):  # query j sees keys 0..j only: the same as attending over that prefix alone
        alone = layer([inputs[0][:, j:j + 1], inputs[1][:, :j + 1], inputs[2][:, :j + 1],
                       inputs[3][:, j:j + 1], inputs[4][:, :j + 1]]).numpy()
        np.testing.assert_allclose(out.numpy()[:, j:j + 1], alone, rtol=1e-5, atol=1e-6)
    # a list of masks is what Keras propagates from the inputs: not an attention mask, ignored
    np.testing.assert_array_equal(layer(inputs, mask=[None] * 5).numpy(), layer(inputs).numpy())


def test_position_gate_option_and_gradients():
    layer = TimeAwareAttention("position", max_key_len=6)
    inputs = attention_inputs(lq=3, lk=5)
    assert layer(inputs).shape == (2, 3, 4) and layer.w_delta.shape == (6,)
    with pytest.raises(ValueError, match="max_key_len"):
        TimeAwareAttention("position")
    layer64 = TimeAwareAttention(dtype="float64")
    inputs64 = [t.astype("float64") for t in inputs]
    layer64(inputs64)
    for weight in (layer64.w_tau, layer64.w_delta, layer64.b_g):
        numeric_gradient_check(layer64, inputs64, weight)


def test_memory_reader_hops_residual_and_band_mask(tmp_path):
    intent = RNG.normal(size=(2, 4)).astype("float32")
    memory = RNG.normal(size=(2, 5, 4)).astype("float32")
    t_mem = -RNG.uniform(0, 100, (2, 5)).astype("float32")
    t_query = np.zeros(2, "float32")
    mask = np.array([[True] * 3 + [False] * 2, [True] * 5])
    assert np.array_equal(MultiHopMemoryReader(0)([intent, memory, t_query, t_mem], mask=mask), intent)
    reader = MultiHopMemoryReader(2)
    out, weights = reader([intent, memory, t_query, t_mem], mask=mask, return_attention=True)
    c = intent
    for w_q, att in zip(reader.w_q, reader.attentions, strict=True):
        read = att([np.asarray(c @ w_q.numpy())[:, None], memory @ reader.w_k.numpy(),
                    memory @ reader.w_v.numpy(), t_query[:, None], t_mem], mask=mask).numpy()[:, 0]
        c = c + read
    np.testing.assert_allclose(out.numpy(), c, rtol=1e-5, atol=1e-6)
    assert len(weights) == 2
    # one query per position under a band mask equals one call per position
    seq = RNG.normal(size=(1, 4, 4)).astype("float32")
    times = np.array([[0.0, 3.0, 7.0, 20.0]], "float32")
    band = np.tril(np.ones((4, 4), bool))[None]
    all_at_once = reader([seq, seq, times, times], mask=band).numpy()
    for j in range(4):
        alone = reader([seq[:, j], seq[:, :j + 1], times[:, j], times[:, :j + 1]]).numpy()
        np.testing.assert_allclose(all_at_once[:, j], alone, rtol=1e-5, atol=1e-6)
    roundtrip(MultiHopMemoryReader(2), [intent, memory, t_query, t_mem], tmp_path)


def test_memory_reader_ignores_padded_slots():
    reader = MultiHopMemoryReader(2)
    inputs, mask = reader_inputs()
    out = reader(inputs, mask=mask).numpy()
    junk = [t.copy() for t in inputs]
    junk[1][0, 3:] = RNG.normal(size=(2, 4)) * 10  # the first row's padded slots
    junk[3][0, 3:] = -1000.0
    np.testing.assert_allclose(reader(junk, mask=mask).numpy(), out, rtol=1e-6)
    assert not np.allclose(reader(junk).numpy()[0], out[0])  # without the mask they are read
    assert reader.weights and MultiHopMemoryReader(0).weights == []


def test_memory_reader_gradients():
    reader = MultiHopMemoryReader(2, dtype="float64")
    inputs, mask = reader_inputs()
    inputs = [t.astype("float64") for t in inputs]
    reader(inputs, mask=mask)
    for weight in (reader.w_k, reader.w_v, reader.w_q[0], reader.w_q[1], reader.attentions[0].w_tau,
                   reader.attentions[1].b_g):
        numeric_gradient_check(lambda x: reader(x, mask=mask), inputs, weight)


@pytest.mark.parametrize("return_attention", [False, True])
def test_compute_output_shape_matches_a_call(return_attention):
    output_shape_check(TimeAwareAttention(), attention_inputs(lq=3, lk=5, d=4),
                       return_attention=return_attention)
    output_shape_check(TimeAwareAttention("position", 6), attention_inputs(lq=3, lk=5),
                       return_attention=return_attention)
    output_shape_check(TimeAwareAttention(time_aware=False), attention_inputs(),
                       return_attention=return_attention)
    q, k = RNG.normal(size=(2, 3, 4)).astype("float32"), RNG.normal(size=(2, 5, 4)).astype("float32")
    v = RNG.normal(size=(2, 5, 6)).astype("float32")  # values of another size
    inputs = [q, k, v, np.zeros((2, 3), "float32"), np.zeros((2, 5), "float32")]
    output_shape_check(TimeAwareAttention(), inputs, return_attention=return_attention)
    assert TimeAwareAttention().compute_output_shape([(2, 3, 4), (2, 5, 4), (2, 5, 6), (2, 3), (2, 5)]) \
        == (2, 3, 6)
    reader_in, mask = reader_inputs()
    for hops in (0, 1, 3):
        output_shape_check(MultiHopMemoryReader(hops), reader_in, mask=mask,
                           return_attention=return_attention)
        seq = RNG.normal(size=(2, 4, 4)).astype("float32")  # one query per position
        times = np.sort(RNG.uniform(0, 9, (2, 4)), -1).astype("float32")
        output_shape_check(MultiHopMemoryReader(hops), [seq, seq, times, times],
                           mask=np.tril(np.ones((4, 4), bool))[None].repeat(2, 0),
                           return_attention=return_attention)
    assert MultiHopMemoryReader(2).compute_output_shape([(2, 4), (2, 5, 4), (2,), (2, 5)], True) \
        == ((2, 4), [(2, 1, 5), (2, 1, 5)])


@pytest.mark.parametrize("cls", [TimeAwareAttention, MultiHopMemoryReader])
def test_registered_for_serialisation(cls):
    assert keras.saving.get_registered_name(cls) == f"seqrec>{cls.__name__}"


def test_position_gate_indexes_parameters_by_recency_not_by_slot():
    """A left-padded row and a causal band over a right-padded window give each key the same recency."""
    layer = TimeAwareAttention("position", max_key_len=4)
    left = np.array([[[False, False, True, True, True]]])  # the latest event in the last slot
    band = np.tril(np.ones((5, 5), bool))[None] & np.array([True, True, True, False, False])[None, None]
    np.testing.assert_array_equal(layer.recency(left)[0, 0, 2:], [2, 1, 0])
    np.testing.assert_array_equal(layer.recency(band)[0, 2, :3], [2, 1, 0])  # query 2 reads keys 0-2
    np.testing.assert_array_equal(layer.recency(np.ones((1, 1, 6), bool))[0, 0], [3, 3, 3, 2, 1, 0])  # capped
