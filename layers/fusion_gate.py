"""DMRAN's dimension-wise fusion gate (Eq. 16, DiSAN's fusion gate)."""

from collections.abc import Sequence
from typing import Any

import keras
from keras import ops

Tensor = Any  # a backend tensor, a NumPy array or a symbolic `keras.KerasTensor`
Shape = tuple[int | None, ...]


@keras.saving.register_keras_serializable(package="seqrec")
class FusionGate(keras.layers.Layer):
    """Dimension-wise fusion of two representations, DMRAN Eq. 16 (``h_c = f_fusion(h, h^)``), in the
    form of DiSAN's fusion gate that DMRAN cites::

        F   = sigmoid(h W_1 + h^ W_2 + b)
        h_c = F o h + (1 - F) o h^

    ``o`` is the element-wise product, so every dimension chooses its own mix of the item-level view h
    and the feature-level view h^. A gate of 1 returns h, of 0 returns h^.

    Weights, in creation order: ``w_1``, ``w_2`` (each [d, d]), ``bias`` [d].

    Args:
        kernel_regularizer: regularizer of W_1 and W_2.
        **kwargs: other arguments of `keras.layers.Layer` (``name``, ``dtype``, ...).

    Call arguments:
        inputs: ``[h, h_hat]``, both [..., d].
        return_gate: bool. Also return the gate F.

    Returns:
        h_c, [..., d]; with ``return_gate=True`` the tuple ``(h_c, F)``, F [..., d].

    Example:

    >>> import numpy as np
    >>> from seqrec.layers import FusionGate
    >>> tuple(FusionGate()([np.ones((2, 3, 4)), np.zeros((2, 3, 4))]).shape)
    (2, 3, 4)

    References:
        - Wang, Liu, Liu, Li and Zheng, "DMRAN: A Hierarchical Fine-Grained Attention-Based Network
          for Recommendation", IJCAI 2019, section 4.4, Eq. 16.
        - Shen et al., "DiSAN: Directional Self-Attention Network for RNN/CNN-Free Language
          Understanding", AAAI 2018, section 4 (fusion gate).
    """

    def __init__(self, kernel_regularizer: str | keras.regularizers.Regularizer | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)

    def build(self, input_shape: Sequence[Shape]) -> None:
        dim = input_shape[0][-1]
        self.w_1 = self.add_weight(shape=(dim, dim), name="w_1", initializer="glorot_uniform",
                                   regularizer=self.kernel_regularizer)
        self.w_2 = self.add_weight(shape=(dim, dim), name="w_2", initializer="glorot_uniform",
                                   regularizer=self.kernel_regularizer)
        self.bias = self.add_weight(shape=(dim,), name="bias", initializer="zeros")

    def call(self, inputs: Sequence[Tensor], return_gate: bool = False) -> Tensor | tuple[Tensor, Tensor]:
        h, h_hat = inputs
        gate = ops.sigmoid(ops.matmul(h, self.w_1) + ops.matmul(h_hat, self.w_2) + self.bias)
        fused = gate * h + (1.0 - gate) * h_hat
        return (fused, gate) if return_gate else fused

    def compute_output_shape(self, input_shape: Sequence[Shape], return_gate: bool = False
                             ) -> Shape | tuple[Shape, Shape]:
        """The shape of h; with ``return_gate`` twice."""
        shape = tuple(input_shape[0])
        return (shape, shape) if return_gate else shape

    def compute_output_spec(self, inputs: Sequence[Tensor], return_gate: bool = False
                            ) -> keras.KerasTensor | tuple[keras.KerasTensor, keras.KerasTensor]:
        """Symbolic outputs from `compute_output_shape`, which also knows ``return_gate``."""
        shape = tuple(inputs[0].shape)
        if not return_gate:
            return keras.KerasTensor(shape, dtype=self.compute_dtype)
        return tuple(keras.KerasTensor(shape, dtype=self.compute_dtype) for _ in range(2))

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(),
                "kernel_regularizer": keras.regularizers.serialize(self.kernel_regularizer)}
