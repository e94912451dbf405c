"""MTAM's temporal gate of a recurrent step and the T-GRU cell (MTAM, Eq. 4, 6-13)."""

from collections.abc import Sequence
from typing import Any

import keras
from keras import ops

Tensor = Any  # a backend tensor, a NumPy array or a symbolic `keras.KerasTensor`
Shape = tuple[int | None, ...]


@keras.saving.register_keras_serializable(package="seqrec")
class TemporalGate(keras.layers.Layer):
    """The temporal gate of a recurrent step, MTAM's Eq. 10-12 (its general form is Eq. 4)::

        delta_s = tanh(log(t_s - t_{s-1} + 1) * W_delta + b_delta)            (10)
        tau_s   = tanh([x_s, h_{s-1}] W_tau + b_tau)                            (11)
        g_s     = sigmoid(delta_s * W_g_delta + tau_s * W_g_tau + b_g)          (12)

    ``W_delta``, ``W_g_delta``, ``W_g_tau`` and the biases are vectors of size ``units`` (the paper's
    1 x d), ``W_tau`` is (input + units) x units; ``*`` is element-wise. The gate mixes how long ago the
    previous event was (temporal feature) with what the step is about (semantic feature). Negative gaps
    count as 0.

    **Initialisation.** The paper gives none. ``W_delta``, ``W_g_delta`` and ``W_g_tau`` start
    N(0, 0.05) and the biases at 0, so the gate starts near sigmoid(0) = 0.5: a T-GRU begins by halving
    the state it carries (Eq. 13), not as the plain GRU a gate of 1 would give, and learns from there.

    Weights, in creation order: ``w_delta``, ``b_delta``, ``w_tau``, ``b_tau``, ``w_g_delta``,
    ``w_g_tau``, ``b_g``.

    Args:
        units: int. Size of the gate, the recurrent unit's state size d.
        kernel_regularizer: regularizer of every weight but the biases.
        **kwargs: other arguments of `keras.layers.Layer` (``name``, ``dtype``, ...).

    Call arguments:
        inputs: ``[x, h_prev, gap]``: x [B, input_dim], h_prev [B, units] and gap [B] or [B, 1], the
            time since the previous event (the caller's unit; the authors use hours).

    Returns:
        The gate g [B, units], in (0, 1).

    Example:

    >>> import numpy as np
    >>> from seqrec.layers import TemporalGate
    >>> gate = TemporalGate(4)
    >>> x, h_prev, gap = np.ones((2, 3)), np.ones((2, 4)), np.array([0.5, 12.0])
    >>> tuple(gate([x, h_prev, gap]).shape)
    (2, 4)

    References:
        - Ji, Wang, Wang, Chen and Cristea, "Sequential Recommender via Time-aware Attentive Memory
          Network", CIKM 2020 (MTAM), section 4.2, Eq. 10-12.
    """

    def __init__(self, units: int, kernel_regularizer: str | keras.regularizers.Regularizer | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.units = units
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)

    def build(self, input_shape: Sequence[Shape]) -> None:
        features = input_shape[0][-1] + self.units

        def vector(name: str, init: str = "glorot_uniform") -> keras.Variable:
            return self.add_weight(shape=(self.units,), name=name, initializer=init,
                                   regularizer=self.kernel_regularizer if init != "zeros" else None)

        self.w_delta, self.b_delta = vector("w_delta", "random_normal"), vector("b_delta", "zeros")
        self.w_tau = self.add_weight(shape=(features, self.units), name="w_tau",
                                     initializer="glorot_uniform", regularizer=self.kernel_regularizer)
        self.b_tau = vector("b_tau", "zeros")
        self.w_g_delta = vector("w_g_delta", "random_normal")
        self.w_g_tau = vector("w_g_tau", "random_normal")
        self.b_g = vector("b_g", "zeros")

    def call(self, inputs: Sequence[Tensor]) -> Tensor:
        x, previous, gap = inputs
        return self.step(self.project(x, gap), previous)

    def project(self, x: Tensor, gap: Tensor) -> Tensor:
        """What the gate reads from the step's input alone: ``[delta_s ; x_s W_tau,x + b_tau]``
        [..., 2 units] (Eq. 10 and the input half of Eq. 11), for one step or a whole sequence; ``gap`` has
        the shape of ``x`` without its last axis, or with a last axis of 1."""
        gap = ops.cast(gap, x.dtype)
        if len(gap.shape) < len(x.shape):
            gap = ops.expand_dims(gap, -1)
        delta = ops.tanh(ops.log(ops.maximum(gap, 0.0) + 1.0) * self.w_delta + self.b_delta)
        return ops.concatenate([delta, ops.matmul(x, self.w_tau[:-self.units]) + self.b_tau], axis=-1)

    def step(self, projected: Tensor, previous: Tensor, recurrent: Tensor | None = None) -> Tensor:
        """The gate from `project`'s output and the previous state: Eq. 11 (its state half) and 12.
        ``recurrent``: ``h_{s-1} W_tau,h`` when the caller computed it already."""
        u = self.units
        if recurrent is None:
            recurrent = ops.matmul(previous, self.w_tau[-u:])
        tau = ops.tanh(projected[..., u:] + recurrent)
        return ops.sigmoid(projected[..., :u] * self.w_g_delta + tau * self.w_g_tau + self.b_g)

    def compute_output_shape(self, input_shape: Sequence[Shape]) -> Shape:
        """[B, units]."""
        return (input_shape[0][0], self.units)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "units": self.units,
                "kernel_regularizer": keras.regularizers.serialize(self.kernel_regularizer)}


@keras.saving.register_keras_serializable(package="seqrec")
class TGRUCell(keras.layers.Layer):
    """T-GRU: a GRU whose memory of the past also passes a temporal gate (MTAM, Eq. 6-9 with 13)::

        z_s  = sigmoid([x_s, h_{s-1}] W_z + b_z)                                (6)
        r_s  = sigmoid([x_s, h_{s-1}] W_r + b_r)                                (7)
        h'_s = tanh([x_s, h_{s-1} * r_s] W_h + b_h)                              (8)
        h_s  = z_s * g_s * h_{s-1} + (1 - z_s) * h'_s                           (13)

    with g_s the `TemporalGate` of the step (Eq. 10-12). MTAM's convention: ``z`` weighs the *previous*
    state. A gate of 1 is the plain GRU of Eq. 9; a gate of 0 drops the past state. At initialisation the
    gate is near 0.5 (see `TemporalGate`): the cell starts by halving the carried state.

    The per-step input is ``[x_s ; gap_s]``: the features with the time since the previous event
    appended as the last feature (a Keras RNN passes one tensor per step). Use inside
    ``keras.layers.RNN``; masked steps keep the state.

    Weights: ``kernel`` [input_dim + units, 3 units], the rows of x then of h, the columns
    ``[z | r | h']``; ``bias`` [3 units]; then the sub-layer ``gate`` (`TemporalGate`, named
    ``temporal_gate``).

    Args:
        units: int. Size of the state.
        kernel_regularizer: regularizer of ``kernel`` and of the gate's weights.
        **kwargs: other arguments of `keras.layers.Layer` (``name``, ``dtype``, ...).

    Call arguments:
        inputs: the step input ``[x_s ; gap_s]``, [B, input_dim + 1].
        states: the previous state h_{s-1}, [B, units], or a one-element list of it.

    Returns:
        ``(h_s, [h_s])``: the output and the new state, each [B, units]. Inside ``keras.layers.RNN``:
        [B, units] (or [B, steps, units] with ``return_sequences=True``).

    Example:

    >>> import numpy as np
    >>> import keras
    >>> from seqrec.layers import TGRUCell
    >>> rnn = keras.layers.RNN(TGRUCell(4), return_sequences=True)
    >>> steps = np.ones((2, 5, 3 + 1))  # 3 features and the time since the previous event
    >>> tuple(rnn(steps).shape)
    (2, 5, 4)

    References:
        - Ji, Wang, Wang, Chen and Cristea, "Sequential Recommender via Time-aware Attentive Memory
          Network", CIKM 2020 (MTAM), section 4.2, Eq. 6-13.
    """

    def __init__(self, units: int, kernel_regularizer: str | keras.regularizers.Regularizer | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.units = units
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
        self.state_size = units
        self.output_size = units
        self.gate = TemporalGate(units, kernel_regularizer=self.kernel_regularizer, dtype=self.dtype_policy,
                                 name="temporal_gate")

    def build(self, input_shape: Shape) -> None:
        features = input_shape[-1] - 1 + self.units
        self.kernel = self.add_weight(shape=(features, 3 * self.units), name="kernel",
                                      initializer="glorot_uniform", regularizer=self.kernel_regularizer)
        self.bias = self.add_weight(shape=(3 * self.units,), name="bias", initializer="zeros")
        self.gate.build([(None, input_shape[-1] - 1), (None, self.units), (None, 1)])

    def call(self, inputs: Tensor, states: Tensor | Sequence[Tensor]) -> tuple[Tensor, list[Tensor]]:
        return self.step(self.project(inputs), states)

    def project(self, inputs: Tensor) -> Tensor:
        """Everything of a step that reads only its input ``[x_s ; gap_s]`` [..., input_dim + 1], for one
        step or a whole sequence (`ProjectedRNN`): ``[x_s W_x + b ; the gate's projection]``
        [..., 5 units]."""
        x, gap = inputs[..., :-1], inputs[..., -1:]
        return ops.concatenate([ops.matmul(x, self.kernel[:-self.units]) + self.bias,
                                self.gate.project(x, gap)], axis=-1)

    def recurrent_weights(self) -> list[Tensor]:
        """The state's weights as the step reads them, arranged once per sequence (`ProjectedRNN`):
        ``[W_z,h W_r,h W_tau,h]`` [units, 3 units], one product with ``h_{s-1}``, and ``W_h,h``."""
        u = self.units
        w_h = self.kernel[-u:]
        return [ops.concatenate([w_h[:, :2 * u], self.gate.w_tau[-u:]], axis=1), w_h[:, 2 * u:]]

    def step(self, projected: Tensor, states: Tensor | Sequence[Tensor],
             weights: Sequence[Tensor] | None = None) -> tuple[Tensor, list[Tensor]]:
        """Eq. 6-8 and 13 from `project`'s output [B, 5 units], the previous state and
        `recurrent_weights` (arranged here when not given)."""
        previous = states[0] if isinstance(states, list | tuple) else states
        fused, candidate_kernel = self.recurrent_weights() if weights is None else weights
        u = self.units
        from_state = ops.matmul(previous, fused)
        zr = ops.sigmoid(projected[:, :2 * u] + from_state[:, :2 * u])
        z, r = zr[:, :u], zr[:, u:]
        candidate = ops.tanh(projected[:, 2 * u:3 * u] + ops.matmul(previous * r, candidate_kernel))
        g = self.gate.step(projected[:, 3 * u:], previous, from_state[:, 2 * u:])
        state = z * g * previous + (1.0 - z) * candidate
        return state, [state]

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        """The per-step output shape [B, units]."""
        return (input_shape[0], self.units)

    def compute_output_spec(self, inputs: Tensor, states: Tensor | Sequence[Tensor]
                            ) -> tuple[keras.KerasTensor, list[keras.KerasTensor]]:
        """Symbolic ``(output, [state])``, the structure `call` returns."""
        output = keras.KerasTensor(self.compute_output_shape(tuple(inputs.shape)), dtype=self.compute_dtype)
        return output, [keras.KerasTensor(output.shape, dtype=self.compute_dtype)]

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "units": self.units,
                "kernel_regularizer": keras.regularizers.serialize(self.kernel_regularizer)}
