"""Scalar attention gates from bidirectional context: TAGM's gate and IARN's interacting attention."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="seqrec")
class TemporalAttentionGate(keras.layers.Layer):
    """One attention score per step from the step's own context (TAGM, Pei et al., CVPR 2017)::

        a_t = sigmoid(M^T tanh(L [->h_t ; <-h_t] + b'))

    IARN's TAGM-backbone uses this gate: scores from the own side only, so a user's history gets
    the same scores whatever the item. The two-layer scorer is IARN's (Eq. 6) without the other side,
    so the TAGM and IARN backbones differ only in the interaction.

    Inputs: ``[forward, backward]`` [batch, steps, units] each (`BidirectionalContext`), and an
    optional mask [batch, steps]. Output: scores [batch, steps, 1] in [0, 1]; 0 on masked steps.

    Args:
      units: size of the fusion layer L (the authors' code uses 64).
    """

    def __init__(self, units: int = 64, kernel_regularizer=None, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
        self.fusion = keras.layers.Dense(units, activation="tanh", kernel_regularizer=self.kernel_regularizer,
                                         dtype=self.dtype_policy)
        self.score = keras.layers.Dense(1, activation="sigmoid", use_bias=False,
                                        kernel_regularizer=self.kernel_regularizer, dtype=self.dtype_policy)

    def build(self, input_shape):
        features = sum(shape[-1] for shape in input_shape)
        self.fusion.build((None, None, features))
        self.score.build((None, None, self.units))

    def _context(self, inputs):
        return ops.concatenate(list(inputs), axis=-1)

    def call(self, inputs, mask=None):
        if isinstance(mask, list | tuple):  # masks propagated by Keras: the steps' mask is the first
            mask = mask[0]
        scores = self.score(self.fusion(self._context(inputs)))
        if mask is not None:
            scores = scores * ops.expand_dims(ops.cast(mask, scores.dtype), -1)
        return scores

    def compute_mask(self, inputs, mask=None):
        return None

    def get_config(self):
        return {**super().get_config(), "units": self.units,
                "kernel_regularizer": keras.regularizers.serialize(self.kernel_regularizer)}


@keras.saving.register_keras_serializable(package="seqrec")
class InteractingAttention(TemporalAttentionGate):
    """IARN's interacting attention (Eq. 6 for users, Eq. 8 for items)::

        a_t = sigmoid(M^T tanh(L [->u_t ; <-u_t ; ->v_T ; <-v_1] + b'))

    The score of a step of one side also reads the summary of the **other** side's whole sequence
    (its last forward and first backward context), so a user's history is weighted differently for
    different items, and an item's history for different users.

    Inputs: ``[forward, backward, other_last, other_first]``: [batch, steps, units] twice, then
    [batch, other_units] twice; optional mask [batch, steps]. Output: scores [batch, steps, 1].
    """

    def _context(self, inputs):
        forward, backward, other_last, other_first = inputs
        steps = ops.shape(forward)[1]
        other = ops.concatenate([other_last, other_first], axis=-1)
        other = ops.repeat(ops.expand_dims(other, 1), steps, axis=1)
        return ops.concatenate([forward, backward, other], axis=-1)
