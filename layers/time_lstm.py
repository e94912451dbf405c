"""A time-aware LSTM with an interval gate and a span gate: the T-SeqRec unit of MTAM's baselines."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="seqrec")
class TimeLSTMCell(keras.layers.Layer):
    """An LSTM with two temporal gates, one on the time interval and one on the time span.

    MTAM's T-SeqRec baseline "equips LSTM with two temporal gates to model time intervals and time
    spans" (section 6.2, its reference [37]) and "uses two temporal gates to control past and current
    information" (4.2). We follow the two-gate form of Time-LSTM (Zhu et al., IJCAI 2017)::

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
    features. Use inside ``keras.layers.RNN``; the state is ``[h, c]``; the output is h [B, units].
    """

    def __init__(self, units: int, kernel_regularizer=None, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
        self.state_size = [units, units]
        self.output_size = units

    def build(self, input_shape):
        features, u = input_shape[-1] - 2, self.units
        reg = self.kernel_regularizer
        self.kernel = self.add_weight(shape=(features, 6 * u), name="kernel", initializer="glorot_uniform",
                                      regularizer=reg)
        self.recurrent_kernel = self.add_weight(shape=(u, 4 * u), name="recurrent_kernel",
                                                initializer="orthogonal", regularizer=reg)
        self.time_kernel = self.add_weight(shape=(3, u), name="time_kernel", initializer="glorot_uniform",
                                           regularizer=reg)
        self.bias = self.add_weight(shape=(6 * u,), name="bias", initializer="zeros")

    def call(self, inputs, states):
        h, c = states
        x, dt, span = inputs[..., :-2], inputs[..., -2:-1], inputs[..., -1:]
        u = self.units
        xw = ops.matmul(x, self.kernel) + self.bias
        hu = ops.matmul(h, self.recurrent_kernel)
        i = ops.sigmoid(xw[:, :u] + hu[:, :u])
        f = ops.sigmoid(xw[:, u:2 * u] + hu[:, u:2 * u])
        o = ops.sigmoid(xw[:, 2 * u:3 * u] + hu[:, 2 * u:3 * u] + dt * self.time_kernel[2])
        candidate = ops.tanh(xw[:, 3 * u:4 * u] + hu[:, 3 * u:])
        interval = ops.sigmoid(xw[:, 4 * u:5 * u] + ops.sigmoid(dt * self.time_kernel[0]))
        span_gate = ops.sigmoid(xw[:, 5 * u:] + ops.sigmoid(span * self.time_kernel[1]))
        read = f * c + i * interval * candidate
        carried = f * c + i * span_gate * candidate
        out = o * ops.tanh(read)
        return out, [out, carried]

    def get_config(self):
        return {**super().get_config(), "units": self.units,
                "kernel_regularizer": keras.regularizers.serialize(self.kernel_regularizer)}
