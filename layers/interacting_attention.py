"""Scalar attention gates from bidirectional context: TAGM's gate and IARN's interacting attention."""

from collections.abc import Sequence
from typing import Any

import keras
from keras import ops

Tensor = Any  # a backend tensor, a NumPy array or a symbolic `keras.KerasTensor`
Shape = tuple[int | None, ...]


@keras.saving.register_keras_serializable(package="seqrec")
class TemporalAttentionGate(keras.layers.Layer):
    """One attention score per step from the step's own context (TAGM, Pei et al., CVPR 2017)::

        a_t = sigmoid(M^T tanh(L [->h_t ; <-h_t] + b'))

    IARN's TAGM-backbone uses this gate: scores from the own side only, so a user's history gets
    the same scores whatever the item. The two-layer scorer is IARN's (Eq. 6) without the other side,
    so the TAGM and IARN backbones differ only in the interaction.

    Sub-layers: ``fusion`` (L and b', tanh) and ``score`` (M, sigmoid, no bias). Masked steps score 0;
    the layer propagates no mask.

    Args:
        units: int. Size of the fusion layer L (the authors' code uses 64).
        kernel_regularizer: regularizer of the kernels of L and M.
        **kwargs: other arguments of `keras.layers.Layer` (``name``, ``dtype``, ...).

    Call arguments:
        inputs: ``[forward, backward]``, [batch, steps, units] each (the first two outputs of
            `BidirectionalContext`).
        mask: optional boolean mask [batch, steps], True on real steps (or a list of masks, whose
            first is used: the masks Keras propagates).

    Returns:
        The scores a_t, [batch, steps, 1], in [0, 1]; 0 on masked steps.

    Example:

    >>> import numpy as np
    >>> from seqrec.layers import TemporalAttentionGate
    >>> gate = TemporalAttentionGate(8)
    >>> forward, backward = np.ones((2, 5, 4)), np.ones((2, 5, 4))
    >>> tuple(gate([forward, backward]).shape)
    (2, 5, 1)

    References:
        - Pei, Baltrušaitis, Tax and Morency, "Temporal Attention-Gated Model for Robust Sequence
          Classification", CVPR 2017 (TAGM).
        - Pei, Yang, Sun, Zhang, Bozzon and Tax, "Interacting Attention-gated Recurrent Networks for
          Recommendation", CIKM 2017, sections 3.5 and 4.1 (the TAGM-backbone).
    """

    def __init__(self, units: int = 64,
                 kernel_regularizer: str | keras.regularizers.Regularizer | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.units = units
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
        self.fusion = keras.layers.Dense(units, activation="tanh", kernel_regularizer=self.kernel_regularizer,
                                         dtype=self.dtype_policy)
        self.score = keras.layers.Dense(1, activation="sigmoid", use_bias=False,
                                        kernel_regularizer=self.kernel_regularizer, dtype=self.dtype_policy)

    def build(self, input_shape: Sequence[Shape]) -> None:
        features = sum(shape[-1] for shape in input_shape)
        self.fusion.build((None, None, features))
        self.score.build((None, None, self.units))

    def _context(self, inputs: Sequence[Tensor]) -> Tensor:
        return ops.concatenate(list(inputs), axis=-1)

    def call(self, inputs: Sequence[Tensor], mask: Tensor | Sequence[Tensor | None] | None = None) -> Tensor:
        if isinstance(mask, list | tuple):  # masks propagated by Keras: the steps' mask is the first
            mask = mask[0]
        scores = self.score(self.fusion(self._context(inputs)))
        if mask is not None:
            scores = scores * ops.expand_dims(ops.cast(mask, scores.dtype), -1)
        return scores

    def compute_mask(self, inputs: Sequence[Tensor], mask: Any = None) -> None:
        return None

    def compute_output_shape(self, input_shape: Sequence[Shape]) -> Shape:
        """[batch, steps, 1]: one score per step of ``forward``."""
        return (*input_shape[0][:-1], 1)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "units": self.units,
                "kernel_regularizer": keras.regularizers.serialize(self.kernel_regularizer)}


@keras.saving.register_keras_serializable(package="seqrec")
class InteractingAttention(TemporalAttentionGate):
    """IARN's interacting attention (Eq. 6 for users, Eq. 8 for items)::

        a_t = sigmoid(M^T tanh(L [->u_t ; <-u_t ; ->v_T ; <-v_1] + b'))

    The score of a step of one side also reads the summary of the **other** side's whole sequence
    (its last forward and first backward context), so a user's history is weighted differently for
    different items, and an item's history for different users.

    Sub-layers and weights as `TemporalAttentionGate`'s, whose fusion layer L here also reads the
    other side's summaries. Masked steps score 0; the layer propagates no mask.

    Args:
        units: int. Size of the fusion layer L (the authors' code uses 64).
        kernel_regularizer: regularizer of the kernels of L and M.
        **kwargs: other arguments of `keras.layers.Layer` (``name``, ``dtype``, ...).

    Call arguments:
        inputs: ``[forward, backward, other_last, other_first]``: this side's contexts
            [batch, steps, units] twice, then the other side's summaries ``->v_T`` and ``<-v_1``
            [batch, other_units] twice (the outputs of two `BidirectionalContext` layers).
        mask: optional boolean mask [batch, steps] of this side's steps (or a list of masks, whose
            first is used).

    Returns:
        The scores a_t, [batch, steps, 1], in [0, 1]; 0 on masked steps.

    Example:

    >>> import numpy as np
    >>> from seqrec.layers import InteractingAttention
    >>> attention = InteractingAttention(8)
    >>> forward, backward = np.ones((2, 5, 4)), np.ones((2, 5, 4))
    >>> other_last, other_first = np.ones((2, 6)), np.ones((2, 6))
    >>> tuple(attention([forward, backward, other_last, other_first]).shape)
    (2, 5, 1)

    References:
        - Pei, Yang, Sun, Zhang, Bozzon and Tax, "Interacting Attention-gated Recurrent Networks for
          Recommendation", CIKM 2017, section 3.2, Eq. 6 and 8.
    """

    def _context(self, inputs: Sequence[Tensor]) -> Tensor:
        forward, backward, other_last, other_first = inputs
        steps = ops.shape(forward)[1]
        other = ops.concatenate([other_last, other_first], axis=-1)
        other = ops.repeat(ops.expand_dims(other, 1), steps, axis=1)
        return ops.concatenate([forward, backward, other], axis=-1)
