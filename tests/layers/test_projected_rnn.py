"""ProjectedRNN: the cells' project/step split run over a whole sequence equals the same cell in
keras.layers.RNN (outputs, states, masking, initial states, gradients), and the layer serialises."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from layer_checks import output_shape_check, roundtrip

from seqrec.layers import (
    AttentionalUserGRUCell,
    AttentionGatedCell,
    LinearUserGRUCell,
    ProjectedRNN,
    RectifiedLinearUserGRUCell,
    TGRUCell,
    TimeLSTMCell,
)

RNG = np.random.default_rng(11)
UNITS, DIM, BATCH, STEPS = 5, 4, 3, 6

CELLS = {  # name -> (cell factory, step input width, number of states)
    "tgru": (lambda: TGRUCell(UNITS), DIM + 1, 1),
    "time_lstm": (lambda: TimeLSTMCell(UNITS), DIM + 2, 2),
    "linear": (lambda: LinearUserGRUCell(UNITS, DIM), 2 * DIM, 1),
    "rectified": (lambda: RectifiedLinearUserGRUCell(UNITS, DIM), 2 * DIM, 1),
    "attentional": (lambda: AttentionalUserGRUCell(UNITS, DIM, return_attention=True,
                                                   attention_bias_initializer="zeros"), 2 * DIM, 1),
}


def sequence(width):
    x = RNG.uniform(0, 2, (BATCH, STEPS, width)).astype("float32")
    mask = np.arange(STEPS)[None, :] >= np.array([[0], [2], [4]])  # left-padded rows
    return x, mask


@pytest.mark.parametrize("name", sorted(CELLS))
def test_equals_the_cell_in_keras_rnn(name):
    make, width, n_states = CELLS[name]
    x, mask = sequence(width)
    cell = make()
    reference = keras.layers.RNN(cell, return_sequences=True, return_state=True)
    projected = ProjectedRNN(cell, return_sequences=True, return_state=True)  # the same weights
    initial = [RNG.normal(size=(BATCH, UNITS)).astype("float32") for _ in range(n_states)]
    for kwargs in ({}, {"mask": mask}, {"mask": mask, "initial_state": initial}):
        want, got = reference(x, **kwargs), projected(x, **kwargs)
        assert len(got) == len(want) == 1 + n_states
        for a, b in zip(want, got, strict=True):
            np.testing.assert_allclose(np.asarray(b), np.asarray(a), rtol=1e-5, atol=1e-6)
    assert projected.weights and {id(w) for w in projected.weights} == {id(w) for w in cell.weights}


@pytest.mark.parametrize("name", sorted(CELLS))
def test_gradients_equal_those_of_the_cell_in_keras_rnn(name):
    make, width, _ = CELLS[name]
    x, mask = sequence(width)
    cell = make()
    reference = keras.layers.RNN(cell, return_sequences=True)
    projected = ProjectedRNN(cell, return_sequences=True)
    grads = []
    for layer in (reference, projected):
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(tf.square(layer(x, mask=mask)))
        grads.append(tape.gradient(loss, cell.trainable_weights))
    for a, b in zip(*grads, strict=True):
        np.testing.assert_allclose(np.asarray(b), np.asarray(a), rtol=1e-4, atol=1e-6)


def test_shapes_serialisation_and_reload(tmp_path):
    x, _ = sequence(DIM + 2)
    for kwargs in ({}, {"return_sequences": True}, {"return_sequences": True, "return_state": True}):
        output_shape_check(ProjectedRNN(TimeLSTMCell(UNITS), **kwargs), x)
    roundtrip(ProjectedRNN(TGRUCell(UNITS), return_sequences=True), sequence(DIM + 1)[0], tmp_path)


def test_refuses_a_cell_without_a_projection():
    with pytest.raises(TypeError, match="project/step"):
        ProjectedRNN(AttentionGatedCell(UNITS))
