"""Ante-RNN's fusion of an item's image and text vectors: direct, neural or attention (Eq. 11-14)."""

from collections.abc import Sequence
from typing import Any

import keras
from keras import ops

Tensor = Any  # a backend tensor, a NumPy array or a symbolic `keras.KerasTensor`
Shape = tuple[int | None, ...]

MODES = ("direct", "neural", "attention")


@keras.saving.register_keras_serializable(package="seqrec")
class ModalityFusion(keras.layers.Layer):
    """One item vector i from its image vector v and text vector x (Ante-RNN section 3.4)::

        direct     i = v o x                                              Eq. 11
        neural     i = DNN([v; x]):  r'_l = phi(W_l r'_{l-1} + b_l)       Eq. 12
        attention  s = softmax(TowerNet([v; x])),  s = [s_v, s_t]          Eq. 13
                   i = tanh(W_e [(1 + s_v) v; (1 + s_t) x] + b_e)          Eq. 14

    **Readings.** The paper gives no depths or widths. ``neural``: the layers ``hidden`` (default one of
    ``units``) then the output layer of ``units``, every one with ``phi`` (``activation``, default
    ReLU) as Eq. 12 writes it, the output layer included. ``attention``: the TowerNet is dense ReLU
    layers of decreasing width (``tower``, default ``units`` then ``units // 2``: "the bottom layer is
    the widest and each successive layer has smaller number of neurons") and a linear layer of k = 2
    logits, one per modality. ``direct`` needs v and x of one width and has no weights.

    Weights: ``neural``: one dense layer per entry of ``hidden`` and the output layer; ``attention``:
    the tower's dense layers, its 2-logit layer and the output layer ``W_e`` [2D, units].

    Args:
        mode: ``"direct"``, ``"neural"`` or ``"attention"``.
        units: width of i (default: the width of v).
        hidden: widths of the neural fusion's hidden layers (default: one of ``units``).
        tower: widths of the TowerNet's hidden layers (default: ``units``, ``units // 2``).
        activation: phi of the neural fusion.
        kernel_regularizer: regularizer of every kernel.
        **kwargs: other arguments of `keras.layers.Layer` (``name``, ``dtype``, ...).

    Call arguments:
        inputs: ``[v, x]``, [..., D_v] and [..., D_x].
        return_attention: bool (``mode="attention"`` only). Also return s.

    Returns:
        i, [..., units]; with ``return_attention=True`` the tuple ``(i, s)``, s [..., 2] (visual, textual).

    Example:

    >>> import numpy as np
    >>> from seqrec.layers import ModalityFusion
    >>> i, s = ModalityFusion("attention")([np.ones((2, 4)), np.ones((2, 4))], return_attention=True)
    >>> tuple(i.shape), tuple(s.shape)
    ((2, 4), (2, 2))

    References:
        - Liu, Zhang and Gulla, "Dynamic attention-based explainable recommendation with textual and
          visual fusion", Information Processing & Management 2020, section 3.4, Eq. 11-14.
        - Gu et al., "Hybrid attention based multimodal network for spoken language classification",
          COLING 2018 (the tower network).
    """

    def __init__(self, mode: str = "attention", units: int | None = None,
                 hidden: Sequence[int] | None = None, tower: Sequence[int] | None = None,
                 activation: str = "relu",
                 kernel_regularizer: str | keras.regularizers.Regularizer | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        self.mode, self.units, self.activation = mode, units, activation
        self.hidden = None if hidden is None else tuple(hidden)
        self.tower = None if tower is None else tuple(tower)
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)

    def _dense(self, units: int, activation: str | None, name: str, width: int) -> keras.layers.Dense:
        layer = keras.layers.Dense(units, activation=activation, name=name, dtype=self.dtype_policy,
                                   kernel_regularizer=self.kernel_regularizer)
        layer.build((None, width))
        return layer

    def build(self, input_shape: Sequence[Shape]) -> None:
        v, x = (tuple(s) for s in input_shape)
        self.width = self.units or v[-1]
        if self.mode == "direct":
            if v[-1] != x[-1] or self.width != v[-1]:
                raise ValueError(f"direct fusion multiplies v and x element-wise: they need one width and "
                                 f"units equal to it, got v {v[-1]}, x {x[-1]}, units {self.units}")
            return
        width = v[-1] + x[-1]
        if self.mode == "neural":
            self.layers_ = []
            for k, units in enumerate(self.hidden if self.hidden is not None else (self.width,)):
                self.layers_.append(self._dense(units, self.activation, f"hidden_{k + 1}", width))
                width = units
            self.layers_.append(self._dense(self.width, self.activation, "output", width))
            return
        self.tower_ = []
        tower = self.tower if self.tower is not None else (self.width, max(1, self.width // 2))
        for k, units in enumerate(tower):
            self.tower_.append(self._dense(units, "relu", f"tower_{k + 1}", width))
            width = units
        self.tower_.append(self._dense(2, None, "modality_logits", width))
        self.output_layer = self._dense(self.width, "tanh", "w_e", v[-1] + x[-1])

    def call(self, inputs: Sequence[Tensor], return_attention: bool = False
             ) -> Tensor | tuple[Tensor, Tensor]:
        v, x = inputs
        if return_attention and self.mode != "attention":
            raise ValueError(f"return_attention needs mode='attention'; this fusion is {self.mode!r}")
        if self.mode == "direct":
            return v * x
        joined = ops.concatenate([v, x], axis=-1)
        if self.mode == "neural":
            for layer in self.layers_:
                joined = layer(joined)
            return joined
        logits = joined
        for layer in self.tower_:
            logits = layer(logits)
        s = ops.softmax(logits, axis=-1)
        i = self.output_layer(ops.concatenate([(1.0 + s[..., :1]) * v, (1.0 + s[..., 1:]) * x], axis=-1))
        return (i, s) if return_attention else i

    def compute_output_shape(self, input_shape: Sequence[Shape], return_attention: bool = False
                             ) -> Shape | tuple[Shape, Shape]:
        """i [..., units]; with ``return_attention`` also s [..., 2]."""
        v = tuple(input_shape[0])
        i = (*v[:-1], self.units or v[-1])
        return (i, (*v[:-1], 2)) if return_attention else i

    def compute_output_spec(self, inputs: Sequence[Tensor], return_attention: bool = False
                            ) -> keras.KerasTensor | tuple[keras.KerasTensor, keras.KerasTensor]:
        """Symbolic outputs from `compute_output_shape`, which also knows ``return_attention``."""
        shapes = self.compute_output_shape([tuple(t.shape) for t in inputs], return_attention)
        if not return_attention:
            return keras.KerasTensor(shapes, dtype=self.compute_dtype)
        return tuple(keras.KerasTensor(shape, dtype=self.compute_dtype) for shape in shapes)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "mode": self.mode, "units": self.units, "hidden": self.hidden,
                "tower": self.tower, "activation": self.activation,
                "kernel_regularizer": keras.regularizers.serialize(self.kernel_regularizer)}
