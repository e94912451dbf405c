"""User-based GRU cells (Donkers et al. 2017, Eq. 3-10): hand-computed steps, the special cases the paper
implies (xi = 0 is a standard GRU, thresholds at minus infinity give the linear cell, omega scales the middle
band), masking, shapes and ``compute_output_shape``, gradients against finite differences, serialisation
and .keras reload."""

import inspect

import keras
import numpy as np
import pytest
import tensorflow as tf
from layer_checks import cell_output_shape_check, numeric_gradient_check, roundtrip, sigmoid

from seqrec.layers import AttentionalUserGRUCell, LinearUserGRUCell, RectifiedLinearUserGRUCell
from seqrec.layers.user_gru import rectify_user

RNG = np.random.default_rng(6)
CELLS = [LinearUserGRUCell, RectifiedLinearUserGRUCell, AttentionalUserGRUCell]


def seeded(cls, units=3, user_dim=4, dtype="float32", **kwargs):
    """A cell with seeded initialisers, so that the tests are deterministic."""
    init = {"kernel_initializer": keras.initializers.GlorotUniform(seed=1),
            "recurrent_initializer": keras.initializers.Orthogonal(seed=2),
            "bias_initializer": keras.initializers.RandomUniform(-0.1, 0.1, seed=3)}
    return cls(units, user_dim, dtype=dtype, **{**init, **kwargs})


def step_input(batch=2, item_dim=4, user_dim=4, steps=None, dtype="float32"):
    shape = (batch,) if steps is None else (batch, steps)
    return RNG.normal(size=(*shape, item_dim + user_dim)).astype(dtype)


def gru_by_hand(cell, previous, item, user):
    """Eq. 3-5 in numpy with the cell's weights, for given (already integrated) item and user inputs."""
    n = cell.units
    k, ku, rk, b = (w.numpy() for w in (cell.kernel, cell.user_kernel, cell.recurrent_kernel, cell.bias))
    x = item @ k + user @ ku + b
    u = sigmoid(x[:, :n] + previous @ rk[:, :n])
    r = sigmoid(x[:, n:2 * n] + previous @ rk[:, n:2 * n])
    candidate = np.tanh(x[:, 2 * n:] + (r * previous) @ rk[:, 2 * n:])
    return (1 - u) * previous + u * candidate


def standard_gru_by_hand(cell, previous, item):
    """A standard GRU step on the item alone (no user input), with the cell's item and recurrent weights."""
    return gru_by_hand(cell, previous, item, np.zeros((item.shape[0], cell.user_dim)))


def rectified_by_hand(cell, previous, item, user):
    kappa = np.concatenate([previous, item, user], -1) @ cell.threshold_kernel.numpy()
    kappa = kappa + cell.threshold_bias.numpy()
    k1, k2 = kappa[:, :cell.user_dim], kappa[:, cell.user_dim:]
    filtered = np.where(user < k1, 0.0, np.where(user < k2, cell.omega * user, user))
    return gru_by_hand(cell, previous, item, filtered)


def attention_by_hand(cell, previous, item, user):
    context = np.concatenate([previous, item, user], -1)
    return sigmoid(context @ cell.attention_kernel.numpy() + cell.attention_bias.numpy())


def attentional_by_hand(cell, previous, item, user):
    xi = attention_by_hand(cell, previous, item, user)
    return gru_by_hand(cell, previous, (1 - xi) * item, xi * user)


def call_step(cell, x, previous):
    if not cell.built:
        cell.build(x.shape)
    out, states = cell(x, [previous])
    return out.numpy(), states[0].numpy()


# --- shapes -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("cls", CELLS)
def test_shapes_inside_rnn(cls):
    user_dim = 4
    item_dim = 4 if cls is AttentionalUserGRUCell else 6  # linear and rectified take any item size
    x = step_input(batch=2, item_dim=item_dim, user_dim=user_dim, steps=5)
    rnn = keras.layers.RNN(seeded(cls, 3, user_dim), return_sequences=True, return_state=True)
    sequence, state = rnn(x)
    assert sequence.shape == (2, 5, 3) and state.shape == (2, 3)
    np.testing.assert_allclose(sequence.numpy()[:, -1], state.numpy(), rtol=1e-6)
    assert rnn.cell.kernel.shape == (item_dim, 9) and rnn.cell.user_kernel.shape == (user_dim, 9)
    if cls is RectifiedLinearUserGRUCell:
        assert rnn.cell.threshold_kernel.shape == (3 + item_dim + user_dim, 2 * user_dim)
    if cls is AttentionalUserGRUCell:
        assert rnn.cell.attention_kernel.shape == (3 + 2 * user_dim, user_dim)


def test_attentional_cell_can_return_its_gate():
    x = step_input(steps=5)
    rnn = keras.layers.RNN(seeded(AttentionalUserGRUCell, return_attention=True), return_sequences=True)
    out = rnn(x).numpy()
    assert out.shape == (2, 5, 3 + 4)
    plain = keras.layers.RNN(seeded(AttentionalUserGRUCell), return_sequences=True)
    plain(x)
    plain.set_weights(rnn.get_weights())
    np.testing.assert_allclose(out[..., :3], plain(x).numpy(), rtol=1e-6)  # the state part is unchanged
    cell, previous = rnn.cell, out[:, 0, :3]
    xi = attention_by_hand(cell, previous, x[:, 1, :4], x[:, 1, 4:])
    np.testing.assert_allclose(out[:, 1, 3:], xi, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(("cls", "item_dim", "kwargs", "output_size"), [
    (LinearUserGRUCell, 6, {}, 3),
    (RectifiedLinearUserGRUCell, 6, {}, 3),
    (AttentionalUserGRUCell, 4, {}, 3),
    (AttentionalUserGRUCell, 4, {"return_attention": True}, 3 + 4),
])
def test_compute_output_shape_matches_a_call(cls, item_dim, kwargs, output_size):
    cell = seeded(cls, 3, 4, **kwargs)
    # a generator of its own: the module's RNG sequence (which the later tests draw from) stays unchanged
    step = np.random.default_rng(16).normal(size=(2, item_dim + 4)).astype("float32")
    cell_output_shape_check(cell, step)
    assert cell.compute_output_shape((2, item_dim + 4)) == (2, output_size) == (2, cell.output_size)


def test_invalid_arguments():
    with pytest.raises(ValueError, match="no item features"):
        LinearUserGRUCell(3, 4).build((None, 4))
    with pytest.raises(ValueError, match="one size"):
        AttentionalUserGRUCell(3, 4).build((None, 9))
    with pytest.raises(ValueError, match="omega"):
        RectifiedLinearUserGRUCell(3, 4, omega=1.5)
    with pytest.raises(ValueError, match="threshold_gradient"):
        RectifiedLinearUserGRUCell(3, 4, threshold_gradient="relu")
    with pytest.raises(ValueError, match="temperature"):
        RectifiedLinearUserGRUCell(3, 4, temperature=0.0)


# --- hand-computed steps ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("cls", "by_hand", "item_dim"), [
    (LinearUserGRUCell, gru_by_hand, 5),
    (RectifiedLinearUserGRUCell, rectified_by_hand, 5),
    (AttentionalUserGRUCell, attentional_by_hand, 4),
])
def test_one_step_by_hand(cls, by_hand, item_dim):
    cell = seeded(cls, 3, 4)
    x = step_input(batch=3, item_dim=item_dim, user_dim=4)
    previous = RNG.normal(size=(3, 3)).astype("float32")
    out, state = call_step(cell, x, previous)
    expected = by_hand(cell, previous, x[:, :item_dim], x[:, item_dim:])
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(state, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(("cls", "by_hand"), [
    (LinearUserGRUCell, gru_by_hand), (RectifiedLinearUserGRUCell, rectified_by_hand),
    (AttentionalUserGRUCell, attentional_by_hand)])
def test_recurrence_inside_rnn_by_hand(cls, by_hand):
    rnn = keras.layers.RNN(seeded(cls), return_sequences=True)
    x = step_input(batch=2, steps=4)
    out = rnn(x).numpy()
    h = np.zeros((2, 3), "float32")
    for t in range(4):
        h = by_hand(rnn.cell, h, x[:, t, :4], x[:, t, 4:])
        np.testing.assert_allclose(out[:, t], h, rtol=1e-5, atol=1e-6)


def test_update_gate_weighs_the_candidate():
    """Eq. 5 as h = (1 - u) h_prev + u k: u -> 1 takes the candidate, u -> 0 copies the previous state."""
    cell = seeded(LinearUserGRUCell)
    x = step_input()
    previous = RNG.normal(size=(2, 3)).astype("float32")
    cell.build(x.shape)
    bias = cell.bias.numpy()
    cell.bias.assign(np.concatenate([np.full(3, -1e4), bias[3:]]).astype("float32"))
    np.testing.assert_allclose(call_step(cell, x, previous)[0], previous, rtol=1e-6)
    cell.bias.assign(np.concatenate([np.full(3, 1e4), bias[3:]]).astype("float32"))
    k, ku, rk = cell.kernel.numpy(), cell.user_kernel.numpy(), cell.recurrent_kernel.numpy()
    r = sigmoid(x[:, :4] @ k[:, 3:6] + x[:, 4:] @ ku[:, 3:6] + previous @ rk[:, 3:6] + bias[3:6])
    candidate = np.tanh(x[:, :4] @ k[:, 6:] + x[:, 4:] @ ku[:, 6:] + (r * previous) @ rk[:, 6:] + bias[6:])
    np.testing.assert_allclose(call_step(cell, x, previous)[0], candidate, rtol=1e-5, atol=1e-6)


# --- rectified-linear: bands, omega, thresholds at minus infinity, the gradient -------------------------

# five user components: below kappa1; middle band; above kappa2; kappa2 < kappa1 (empty band); tie at kappa1
BAND_USER = np.array([[-0.5, 0.3, 0.7, 0.4, 0.3]], "float32")
BAND_K1 = np.array([[0.0, 0.0, 0.0, 0.2, 0.3]], "float32")
BAND_K2 = np.array([[0.5, 0.5, 0.5, -1.0, 0.9]], "float32")


@pytest.mark.parametrize("omega", [0.2, 0.5])
def test_rectifier_bands_and_omega_by_hand(omega):
    expected = np.array([[0.0, omega * 0.3, 0.7, 0.4, omega * 0.3]], "float32")
    for mode in ("surrogate", "exact"):
        out = rectify_user(BAND_USER, BAND_K1, BAND_K2, omega, mode).numpy()
        np.testing.assert_allclose(out, expected, rtol=1e-6)
    # the same inside the cell: thresholds set through the bias of Eq. 7, the cell equals the linear cell
    # fed the filtered user embedding
    cell = seeded(RectifiedLinearUserGRUCell, 3, 5, omega=omega)
    linear = seeded(LinearUserGRUCell, 3, 5)
    item = RNG.normal(size=(1, 2)).astype("float32")
    previous = RNG.normal(size=(1, 3)).astype("float32")
    cell.build((None, 7))
    linear.build((None, 7))
    cell.threshold_kernel.assign(np.zeros((10, 10), "float32"))
    cell.threshold_bias.assign(np.concatenate([BAND_K1[0], BAND_K2[0]]))
    for name in ("kernel", "user_kernel", "recurrent_kernel", "bias"):
        getattr(linear, name).assign(getattr(cell, name))
    out, _ = call_step(cell, np.concatenate([item, BAND_USER], -1), previous)
    filtered, _ = call_step(linear, np.concatenate([item, expected], -1), previous)
    np.testing.assert_allclose(out, filtered, rtol=1e-6)
    np.testing.assert_allclose(out, gru_by_hand(cell, previous, item, expected), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("mode", ["surrogate", "exact"])
def test_rectified_with_thresholds_at_minus_infinity_is_the_linear_cell(mode):
    rnn = keras.layers.RNN(seeded(RectifiedLinearUserGRUCell, threshold_gradient=mode), return_sequences=True)
    linear = keras.layers.RNN(seeded(LinearUserGRUCell), return_sequences=True)
    x = step_input(steps=5)
    rnn(x)
    linear(x)
    rnn.cell.threshold_bias.assign(np.full(8, -np.inf, "float32"))
    for name in ("kernel", "user_kernel", "recurrent_kernel", "bias"):
        getattr(linear.cell, name).assign(getattr(rnn.cell, name))
    np.testing.assert_allclose(rnn(x).numpy(), linear(x).numpy(), rtol=1e-6, atol=1e-7)
    rnn.cell.threshold_bias.assign(np.zeros(8, "float32"))  # finite thresholds do filter
    assert not np.allclose(rnn(x).numpy(), linear(x).numpy(), atol=1e-3)


def test_rectifier_gradient_surrogate_and_exact_by_hand():
    omega, temperature = 0.2, 0.3
    e, k1, k2 = (tf.constant(RNG.normal(size=(3, 6))) for _ in range(3))
    weights = RNG.normal(size=(3, 6))
    grads, values = {}, {}
    for mode in ("surrogate", "exact"):
        with tf.GradientTape(persistent=True) as tape:
            tape.watch([e, k1, k2])
            out = rectify_user(e, k1, k2, omega, mode, temperature)
            loss = tf.reduce_sum(out * weights)
        values[mode] = out.numpy()
        grads[mode] = [tape.gradient(loss, v) for v in (e, k1, k2)]
    np.testing.assert_array_equal(values["surrogate"], values["exact"])  # the forward pass is exact
    e, k1, k2 = e.numpy(), k1.numpy(), k2.numpy()
    factor = np.where(e < k1, 0.0, np.where(e < k2, omega, 1.0))
    s1, s2 = sigmoid((e - k1) / temperature), sigmoid((e - k2) / temperature)
    d_k1 = -s1 * (1 - s1) / temperature * (omega + (1 - omega) * s2)
    d_k2 = -s1 * (1 - omega) * s2 * (1 - s2) / temperature
    surrogate = grads["surrogate"]
    np.testing.assert_allclose(surrogate[0].numpy(), weights * (factor - e * (d_k1 + d_k2)), rtol=1e-10)
    np.testing.assert_allclose(surrogate[1].numpy(), weights * e * d_k1, rtol=1e-10)
    np.testing.assert_allclose(surrogate[2].numpy(), weights * e * d_k2, rtol=1e-10)
    exact = grads["exact"]
    np.testing.assert_allclose(exact[0].numpy(), weights * factor, rtol=1e-12)
    for g in exact[1:]:  # the thresholds only enter comparisons: no gradient at all
        assert g is None or not np.any(tf.convert_to_tensor(g).numpy())


def test_threshold_parameters_learn_only_with_the_surrogate():
    x = step_input(steps=4, dtype="float64")
    norms = {}
    for mode in ("surrogate", "exact"):
        rnn = keras.layers.RNN(seeded(RectifiedLinearUserGRUCell, dtype="float64", threshold_gradient=mode),
                               dtype="float64")
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(tf.square(rnn(x)))
        grad = tape.gradient(loss, [rnn.cell.threshold_kernel, rnn.cell.threshold_bias])
        norms[mode] = sum(0.0 if g is None else float(tf.norm(g)) for g in grad)
    assert norms["exact"] == 0.0 and norms["surrogate"] > 1e-3


# --- attentional: xi = 0 is a standard GRU; near one at initialisation --------------------------------

def test_attentional_with_xi_zero_is_a_standard_gru_step():
    cell = seeded(AttentionalUserGRUCell)
    x = step_input(batch=3)
    previous = RNG.normal(size=(3, 3)).astype("float32")
    cell.build(x.shape)
    cell.attention_bias.assign(np.full(4, -1e4, "float32"))  # xi = sigmoid(-1e4) = 0 exactly
    out, _ = call_step(cell, x, previous)
    np.testing.assert_allclose(out, standard_gru_by_hand(cell, previous, x[:, :4]), rtol=1e-5, atol=1e-6)
    other_user = x.copy()
    other_user[:, 4:] = RNG.normal(size=(3, 4))
    np.testing.assert_array_equal(call_step(cell, other_user, previous)[0], out)  # the user is ignored
    # ... and Keras' own GRU (reset_after=False; its z = 1 - u weighs the previous state) agrees
    keras_cell = keras.layers.GRUCell(3, reset_after=False)
    keras_cell.build((None, 4))
    flip = np.concatenate([-np.ones(3), np.ones(6)]).astype("float32")
    keras_cell.kernel.assign(cell.kernel.numpy() * flip)
    keras_cell.recurrent_kernel.assign(cell.recurrent_kernel.numpy() * flip)
    keras_cell.bias.assign(cell.bias.numpy() * flip)
    reference, _ = keras_cell(x[:, :4], [previous])
    np.testing.assert_allclose(out, reference.numpy(), rtol=1e-5, atol=1e-6)


def test_attentional_starts_close_to_a_standard_gru():
    cell = seeded(AttentionalUserGRUCell)  # the gate's own default initialisation
    x = step_input(batch=8)
    previous = RNG.normal(size=(8, 3)).astype("float32")
    out, _ = call_step(cell, x, previous)
    xi = attention_by_hand(cell, previous, x[:, :4], x[:, 4:])
    assert np.all(np.abs(xi - sigmoid(-4.0)) < 0.005)
    gap = np.abs(out - standard_gru_by_hand(cell, previous, x[:, :4])).max()
    linear_gap = np.abs(gru_by_hand(cell, previous, x[:, :4], x[:, 4:])
                        - standard_gru_by_hand(cell, previous, x[:, :4])).max()
    assert gap < 0.05 and gap < 0.1 * linear_gap  # the user input enters at about 2 %
    literal = AttentionalUserGRUCell(3, 4, attention_bias_initializer="zeros")  # all gate parameters ~ 0
    call_step(literal, x, previous)
    np.testing.assert_allclose(attention_by_hand(literal, previous, x[:, :4], x[:, 4:]), 0.5, atol=0.05)


# --- masking -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("cls", CELLS)
def test_masked_steps_keep_the_state(cls):
    rnn = keras.layers.RNN(seeded(cls), return_sequences=True, return_state=True)
    x = step_input(batch=2, steps=6)
    mask = np.array([[False, False, True, True, False, True], [True] * 6])
    sequence, state = (t.numpy() for t in rnn(x, mask=mask))
    kept = x[:1, [2, 3, 5]]  # the unmasked steps of the first sequence, alone
    alone_sequence, alone_state = (t.numpy() for t in rnn(kept))
    np.testing.assert_allclose(state[0], alone_state[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(sequence[0, 4], sequence[0, 3], rtol=1e-6)  # masked step: output carried
    np.testing.assert_allclose(sequence[0, 3], alone_sequence[0, 1], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(state[1], rnn(x[1:])[1].numpy()[0], rtol=1e-5, atol=1e-6)


# --- gradients against finite differences -----------------------------------------------------------------

@pytest.mark.parametrize(("cls", "kwargs", "weights"), [
    (LinearUserGRUCell, {}, ("kernel", "user_kernel", "recurrent_kernel", "bias")),
    (RectifiedLinearUserGRUCell, {"threshold_gradient": "exact"},
     ("kernel", "user_kernel", "recurrent_kernel", "bias")),
    (AttentionalUserGRUCell, {}, ("user_kernel", "recurrent_kernel", "attention_kernel", "attention_bias")),
])
def test_gradients_against_finite_differences(cls, kwargs, weights):
    rnn = keras.layers.RNN(seeded(cls, dtype="float64", **kwargs), return_sequences=True, dtype="float64")
    x = step_input(batch=2, steps=4, dtype="float64")
    rnn(x)
    if cls is AttentionalUserGRUCell:  # away from the initial saturation, so the gate's gradient matters
        rnn.cell.attention_bias.assign(RNG.normal(size=4))
        rnn.cell.attention_kernel.assign(RNG.normal(size=(11, 4)) * 0.5)
    for name in weights:
        numeric_gradient_check(rnn, x, getattr(rnn.cell, name))
    if cls is RectifiedLinearUserGRUCell:  # "exact": no gradient to Eq. 7, and finite differences agree
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(tf.square(rnn(x)))
        grad = tape.gradient(loss, rnn.cell.threshold_kernel)
        assert grad is None or not np.any(grad.numpy())  # zero through the slices of the kernel
        loss = float(loss)
        kernel = rnn.cell.threshold_kernel.numpy()
        rnn.cell.threshold_kernel.assign(kernel + 1e-4 * RNG.normal(size=kernel.shape))
        assert float(tf.reduce_sum(tf.square(rnn(x)))) == pytest.approx(loss, rel=1e-12)


# --- serialisation ------------------------------------------------------------------------------------

@pytest.mark.parametrize("cls", CELLS)
def test_config_round_trip_and_keras_reload(cls, tmp_path):
    roundtrip(keras.layers.RNN(cls(3, 4), return_sequences=True), step_input(steps=3), tmp_path)


@pytest.mark.parametrize(("cls", "kwargs"), [
    (LinearUserGRUCell, {}),
    (RectifiedLinearUserGRUCell, {"omega": 0.3, "threshold_gradient": "exact", "temperature": 0.5}),
    (AttentionalUserGRUCell, {"attention_initializer": "zeros", "attention_bias_initializer": "ones",
                              "return_attention": True}),
])
def test_config_has_every_constructor_argument(cls, kwargs):
    cell = cls(5, 2, kernel_initializer="he_normal", recurrent_initializer="glorot_normal",
               bias_initializer="ones", kernel_regularizer=keras.regularizers.L2(0.1),
               user_regularizer=keras.regularizers.L2(0.01), **kwargs)
    config = cell.get_config()
    for klass in cls.__mro__:
        if klass is keras.layers.Layer:
            break
        for name in inspect.signature(klass.__init__).parameters:
            if name not in ("self", "kwargs"):
                assert name in config, name
    clone = cls.from_config(config)
    assert clone.get_config() == config
    assert config["units"] == 5 and config["user_dim"] == 2
    assert clone.user_regularizer.l2 == pytest.approx(0.01)
    for name, value in kwargs.items():
        if not name.endswith("initializer"):
            assert getattr(clone, name) == value
    registered = keras.saving.get_registered_name(cls)
    assert registered == f"seqrec>{cls.__name__}"
