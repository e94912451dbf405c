"""A time-aware LSTM with an interval gate and a span gate: the T-SeqRec unit of MTAM's baselines."""

from collections.abc import Sequence
from typing import Any

import keras
from keras import ops

Tensor = Any  # a backend tensor, a NumPy array or a symbolic `keras.KerasTensor`
Shape = tuple[int | None, ...]


@keras.saving.register_keras_serializable(package="seqrec")
class TimeLSTMCell(keras.layers.Layer):
    """An LSTM with two temporal gates, one on the time interval and one on the time span.

    MTAM's T-SeqRec baseline "equips LSTM with two temporal gates to model time intervals and time
    spans" (section 6.2, its reference [37]) and "uses two temporal gates to control past and current
    information" (4.2). We follow the two-gate form of Time-LSTM (Zhu et al., IJCAI 2017, their
"Time-LSTM 2"; the paper is not among the suite's copies, so its equation numbers are not given here)::

        i, f, o  = sigmoid(x W + h_{s-1} U + b)                       (o also reads the interval)
        T1 = sigmoid(x W_1 + sigmoid(dt_s w_1) + b_1)                 interval gate: current input
        T2 = sigmoid(x W_2 + sigmoid(span_s w_2) + b_2)               span gate: carried memory
        c~ = tanh(x W_c + h_{s-1} U_c + b_c)
        c^ = f * c_{s-1} + i * T1 * c~                                cell read out now
        c  = f * c_{s-1} + i * T2 * c~                                cell carried forward
        h  = o * tanh(c^)

    where ``dt_s`` is the time since the previous event and ``span_s`` the time since the first event
    of the history (the caller's unit; hours in the suite).

    The per-step input is ``[x ; dt ; span]``: the features with the two times appended as the last two
    features. Use inside ``keras.layers.RNN``; the state is ``[h, c]`` (c the carried cell); masked
    steps keep the state.

    Weights, in creation order: ``kernel`` [input_dim, 6 units] with the columns
    ``[i | f | o | c~ | T1 | T2]``; ``recurrent_kernel`` [units, 4 units], columns ``[i | f | o | c~]``;
    ``time_kernel`` [3, units], the rows ``w_1`` (interval gate), ``w_2`` (span gate) and the output
    gate's interval weight; ``bias`` [6 units].

    Args:
        units: int. Size of h and c.
        kernel_regularizer: regularizer of ``kernel``, ``recurrent_kernel`` and ``time_kernel``.
        **kwargs: other arguments of `keras.layers.Layer` (``name``, ``dtype``, ...).

    Call arguments:
        inputs: the step input ``[x ; dt ; span]``, [B, input_dim + 2].
        states: ``[h_{s-1}, c_{s-1}]``, [B, units] each.

    Returns:
        ``(h, [h, c])``: the output h [B, units] and the new state. Inside ``keras.layers.RNN``:
        [B, units] (or [B, steps, units] with ``return_sequences=True``).

    Example:

    >>> import numpy as np
    >>> import keras
    >>> from seqrec.layers import TimeLSTMCell
    >>> rnn = keras.layers.RNN(TimeLSTMCell(4), return_sequences=True)
    >>> steps = np.ones((2, 5, 3 + 2))  # 3 features, the interval dt and the span
    >>> tuple(rnn(steps).shape)
    (2, 5, 4)

    References:
        - Zhu, Li, Liao, Wang, Guan, Liu and Cai, "What to Do Next: Modeling User Behaviors by
          Time-LSTM", IJCAI 2017 (Time-LSTM; the two-gate variant "Time-LSTM 2").
        - Ji, Wang, Wang, Chen and Cristea, "Sequential Recommender via Time-aware Attentive Memory
          Network", CIKM 2020 (MTAM), sections 4.2 and 6.2 (the T-SeqRec baseline, its reference [37]).
    """

    def __init__(self, units: int, kernel_regularizer: str | keras.regularizers.Regularizer | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.units = units
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
        self.state_size = [units, units]
        self.output_size = units

    def build(self, input_shape: Shape) -> None:
        features, u = input_shape[-1] - 2, self.units
        reg = self.kernel_regularizer
        self.kernel = self.add_weight(shape=(features, 6 * u), name="kernel", initializer="glorot_uniform",
                                      regularizer=reg)
        self.recurrent_kernel = self.add_weight(shape=(u, 4 * u), name="recurrent_kernel",
                                                initializer="orthogonal", regularizer=reg)
        self.time_kernel = self.add_weight(shape=(3, u), name="time_kernel", initializer="glorot_uniform",
                                           regularizer=reg)
        self.bias = self.add_weight(shape=(6 * u,), name="bias", initializer="zeros")

    def call(self, inputs: Tensor, states: Sequence[Tensor]) -> tuple[Tensor, list[Tensor]]:
        return self.step(self.project(inputs), states)

    def project(self, inputs: Tensor) -> Tensor:
        """Everything of a step that reads only its input ``[x ; dt ; span]`` [..., input_dim + 2], for one
        step or a whole sequence (`ProjectedRNN`): the input halves of i, f, o (with o's interval term) and
        c~, and the two temporal gates T1 and T2 entire, [..., 6 units]."""
        x, dt, span = inputs[..., :-2], inputs[..., -2:-1], inputs[..., -1:]
        u = self.units
        xw = ops.matmul(x, self.kernel) + self.bias
        interval = ops.sigmoid(xw[..., 4 * u:5 * u] + ops.sigmoid(dt * self.time_kernel[0]))
        span_gate = ops.sigmoid(xw[..., 5 * u:] + ops.sigmoid(span * self.time_kernel[1]))
        return ops.concatenate([xw[..., :2 * u], xw[..., 2 * u:3 * u] + dt * self.time_kernel[2],
                                xw[..., 3 * u:4 * u], interval, span_gate], axis=-1)

    def recurrent_weights(self) -> list[Tensor]:
        """The state's weights as the step reads them (`ProjectedRNN`): ``recurrent_kernel``."""
        return [self.recurrent_kernel]

    def step(self, projected: Tensor, states: Sequence[Tensor],
             weights: Sequence[Tensor] | None = None) -> tuple[Tensor, list[Tensor]]:
        """The recurrence from `project`'s output [B, 6 units], ``[h, c]`` and `recurrent_weights`."""
        h, c = states
        u = self.units
        hu = ops.matmul(h, (self.recurrent_weights() if weights is None else weights)[0])
        i = ops.sigmoid(projected[:, :u] + hu[:, :u])
        f = ops.sigmoid(projected[:, u:2 * u] + hu[:, u:2 * u])
        o = ops.sigmoid(projected[:, 2 * u:3 * u] + hu[:, 2 * u:3 * u])
        candidate = ops.tanh(projected[:, 3 * u:4 * u] + hu[:, 3 * u:])
        interval, span_gate = projected[:, 4 * u:5 * u], projected[:, 5 * u:]
        read = f * c + i * interval * candidate
        carried = f * c + i * span_gate * candidate
        out = o * ops.tanh(read)
        return out, [out, carried]

    def compute_output_shape(self, input_shape: Shape) -> Shape:
        """The per-step output shape [B, units]."""
        return (input_shape[0], self.units)

    def compute_output_spec(self, inputs: Tensor, states: Sequence[Tensor]
                            ) -> tuple[keras.KerasTensor, list[keras.KerasTensor]]:
        """Symbolic ``(h, [h, c])``, the structure `call` returns."""
        output = keras.KerasTensor(self.compute_output_shape(tuple(inputs.shape)), dtype=self.compute_dtype)
        return output, [keras.KerasTensor(output.shape, dtype=self.compute_dtype) for _ in range(2)]

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "units": self.units,
                "kernel_regularizer": keras.regularizers.serialize(self.kernel_regularizer)}
