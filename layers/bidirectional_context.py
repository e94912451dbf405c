"""IARN's bidirectional context of every step (Pei et al., CIKM 2017, Eq. 7 and 9)."""

import keras


@keras.saving.register_keras_serializable(package="seqrec")
class BidirectionalContext(keras.layers.Layer):
    """Forward and backward ReLU recurrences summarising the context around every step.

    Eq. 7 (user side; Eq. 9 is the same for items)::

        ->h_t = g(->W x_t + ->H ->h_{t-1} + ->b)
        <-h_t = g(<-W x_t + <-H <-h_{t+1} + <-b)          g = ReLU

    ``->h_t`` summarises the sequence from its start to t, ``<-h_t`` from its end back to t. Built on
    ``keras.layers.Bidirectional(SimpleRNN)``, which handles masks (left or right padding) and aligns
    the backward outputs with time.

    Input [batch, steps, features] with an optional mask [batch, steps]. Returns four tensors:
    forward [batch, steps, units], backward [batch, steps, units], the forward summary of the whole
    sequence ``->h_T`` [batch, units] and the backward summary ``<-h_1`` [batch, units] (the
    summaries IARN's interacting attention passes to the other side, Eq. 6 and 8).
    """

    def __init__(self, units: int, activation="relu", kernel_regularizer=None, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.activation = keras.activations.get(activation)
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
        self.rnn = keras.layers.Bidirectional(
            keras.layers.SimpleRNN(units, activation=self.activation, return_sequences=True,
                                   return_state=True, kernel_regularizer=self.kernel_regularizer,
                                   recurrent_regularizer=self.kernel_regularizer, dtype=self.dtype_policy),
            merge_mode=None, dtype=self.dtype_policy)

    def build(self, input_shape):
        self.rnn.build(input_shape)

    def call(self, inputs, mask=None):
        forward, backward, last, first = self.rnn(inputs, mask=mask)
        return forward, backward, last, first

    def compute_mask(self, inputs, mask=None):
        return None

    def get_config(self):
        return {**super().get_config(), "units": self.units,
                "activation": keras.activations.serialize(self.activation),
                "kernel_regularizer": keras.regularizers.serialize(self.kernel_regularizer)}
