"""The Transformer sublayers that ATRank (and DMRAN, "for robustness") put around an attention: residual
connection and layer normalisation, then a point-wise feed-forward network with its own."""

from collections.abc import Sequence
from typing import Any

import keras
from keras import ops

Tensor = Any  # a backend tensor, a NumPy array or a symbolic `keras.KerasTensor`
Shape = tuple[int | None, ...]


@keras.saving.register_keras_serializable(package="seqrec")
class AddNormFeedForward(keras.layers.Layer):
    """Residual connection, layer normalisation and a point-wise feed-forward network around an
    attention's output, placed as ATRank's code places them (post-norm)::

        y = LayerNorm(x + attended)                                  (residual, normalisation)
        z = LayerNorm(y + W_2 ReLU(W_1 y + b_1) + b_2)               (feed-forward, inner width d / 4)

    where ``x`` is what the attention read from (its query) and ``attended`` its output. DMRAN adopts
    "the residual connection, layer normalization and feed forward network" for robustness (section 5.1)
    without saying where; the suite puts this layer after the feature-level self-attention and after
    each candidate attention, the two places where ATRank has them (after its self-attention and after
    its vanilla attention). Each part can be switched off: without ``residual`` both additions go,
    without ``layer_norm`` both normalisations, without ``feed_forward`` the second line. With all three
    off the layer returns ``attended`` unchanged. ATRank's feed-forward inner width is ``d // 4`` and its
    normalisation epsilon 1e-8, the defaults here.

    Sub-layers (those switched on): ``norm`` (after the attention), ``inner`` and ``outer`` (W_1, W_2)
    and ``feed_forward_norm``.

    Args:
        residual: bool. Add the sublayer's input to its output (default True).
        layer_norm: bool. Normalise after each sublayer (default True).
        feed_forward: bool. Apply the point-wise feed-forward network (default True).
        inner_units: int. Inner width of the feed-forward network (default ``d // 4``, ATRank's).
        epsilon: float. The normalisations' epsilon (default 1e-8, ATRank's).
        kernel_regularizer: regularizer of W_1 and W_2.
        **kwargs: other arguments of `keras.layers.Layer` (``name``, ``dtype``, ...).

    Call arguments:
        inputs: ``[x, attended]``, both [..., d]: the attention's query and its output. A mask attached
            to ``attended`` is passed on.

    Returns:
        z, [..., d].

    Example:

    >>> import numpy as np
    >>> from seqrec.layers import AddNormFeedForward
    >>> tuple(AddNormFeedForward()([np.ones((2, 3, 8)), np.zeros((2, 3, 8))]).shape)
    (2, 3, 8)

    References:
        - Zhou et al., "ATRank: An Attention-Based User Behavior Modeling Framework for
          Recommendation", AAAI 2018, section 3 (and its code's ``multihead_attention`` and
          ``feedforward``).
        - Vaswani et al., "Attention Is All You Need", NIPS 2017, section 3.1 and 3.3.
        - Wang, Liu, Liu, Li and Zheng, "DMRAN", IJCAI 2019, section 5.1.
    """

    def __init__(self, residual: bool = True, layer_norm: bool = True, feed_forward: bool = True,
                 inner_units: int | None = None, epsilon: float = 1e-8,
                 kernel_regularizer: str | keras.regularizers.Regularizer | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.residual, self.layer_norm, self.feed_forward = residual, layer_norm, feed_forward
        self.inner_units, self.epsilon = inner_units, epsilon
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
        self.supports_masking = True

    def build(self, input_shape: Sequence[Shape]) -> None:
        shape = tuple(input_shape[1])
        dim = shape[-1]

        def norm(name: str) -> keras.layers.LayerNormalization:
            layer = keras.layers.LayerNormalization(epsilon=self.epsilon, dtype=self.dtype_policy, name=name)
            layer.build(shape)
            return layer

        if self.layer_norm:
            self.norm = norm("norm")
        if self.feed_forward:
            inner = self.inner_units or max(1, dim // 4)
            self.inner = keras.layers.Dense(inner, activation="relu", dtype=self.dtype_policy, name="inner",
                                            kernel_regularizer=self.kernel_regularizer)
            self.outer = keras.layers.Dense(dim, dtype=self.dtype_policy, name="outer",
                                            kernel_regularizer=self.kernel_regularizer)
            self.inner.build(shape)
            self.outer.build((*shape[:-1], inner))
            if self.layer_norm:
                self.feed_forward_norm = norm("feed_forward_norm")

    def call(self, inputs: Sequence[Tensor]) -> Tensor:
        x, attended = inputs
        y = attended + ops.cast(x, attended.dtype) if self.residual else attended
        if self.layer_norm:
            y = self.norm(y)
        if not self.feed_forward:
            return y
        z = self.outer(self.inner(y))
        z = z + y if self.residual else z
        return self.feed_forward_norm(z) if self.layer_norm else z

    def compute_mask(self, inputs: Sequence[Tensor], mask: Any = None) -> Any:
        """``attended``'s mask, if any."""
        return mask[1] if isinstance(mask, list | tuple) else mask

    def compute_output_shape(self, input_shape: Sequence[Shape]) -> Shape:
        """The shape of ``attended``."""
        return tuple(input_shape[1])

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "residual": self.residual, "layer_norm": self.layer_norm,
                "feed_forward": self.feed_forward, "inner_units": self.inner_units, "epsilon": self.epsilon,
                "kernel_regularizer": keras.regularizers.serialize(self.kernel_regularizer)}
