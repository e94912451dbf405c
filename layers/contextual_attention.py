"""Ante-RNN's contextual attention over the latest items, with the time of week and the time interval
(Eq. 15-20)."""

from collections.abc import Sequence
from typing import Any

import keras
from keras import ops

Tensor = Any  # a backend tensor, a NumPy array or a symbolic `keras.KerasTensor`
Shape = tuple[int | None, ...]

HOURS = 169  # 168 hours of a week, and one value for "older than a week" (section 3.5)
TRANSFORMS = ("linear", "sigmoid")


@keras.saving.register_keras_serializable(package="seqrec")
class ContextualAttention(keras.layers.Layer):
    """The user's current representation from the latest w_c items of a window (Ante-RNN section 3.5)::

        i*_j = g([T_w,j; dt_j])                 Eq. 16: W_f [T_w; dt] (Eq. 17), or
                                                sigmoid(W_f [T_w; dt] + b_f) (Eq. 18)
        a_j  = softmax_j(G([i*_j; i_j]))        Eq. 19, over the window's real items
        r~   = sum_j a_j i_j                    Eq. 20

    or, with ``attention=False``, the plain average of the window's real items (Eq. 15).

    T_w,j is the hour of the week of item j's event and dt_j the whole hours between it and the current
    time, each a 169-value one-hot whose last value means "more than a week" (section 3.5;
    `seqrec.datasets.time_features.hour_of_week` and ``hour_interval`` compute the indices). The layer
    takes the **indices**: ``W_f`` times the concatenated one-hots is the sum of one column of each half
    of W_f, which two embedding tables hold (``week_table`` and ``interval_table``, each [169, D]), the
    same function without the 338-wide product.

    **Switches** (Table 6): ``use_week=False`` drops T_w (C-T_w), ``use_interval=False`` drops dt (C-dt);
    with both dropped G reads the items alone. **Reading**: G, "a deep neural network", is one dense
    ReLU layer of ``hidden`` units (default D) and a linear score; the paper gives no depth.

    Any leading axes are allowed: items [..., w, D] (e.g. [B, T, w, D], a window ending at every step
    of a sequence), times [..., w], mask [..., w]. A window without real items gives r~ = 0.

    Weights, in creation order: ``week_table``, ``interval_table`` (each [169, D], when used), ``b_f``
    [D] (sigmoid transform), then G's ``hidden`` and ``score`` dense layers.

    Args:
        attention: Eq. 19-20 (True) or the average of Eq. 15 (False; no weights).
        transform: ``"linear"`` (Eq. 17) or ``"sigmoid"`` (Eq. 18).
        use_week, use_interval: read T_w, dt.
        hidden: width of G's hidden layer (default: D).
        kernel_regularizer: regularizer of W_f and G's kernels.
        **kwargs: other arguments of `keras.layers.Layer` (``name``, ``dtype``, ...).

    Call arguments:
        inputs: ``[items, week, interval]``: i [..., w, D], T_w and dt indices int [..., w] in [0, 168].
        mask: optional bool [..., w], True on the window's real items.
        return_attention: bool. Also return the weights a.

    Returns:
        r~, [..., D]; with ``return_attention=True`` the tuple ``(r~, a)``, a [..., w].

    Example:

    >>> import numpy as np
    >>> from seqrec.layers import ContextualAttention
    >>> times = np.zeros((2, 5), "int32")
    >>> r, a = ContextualAttention()([np.ones((2, 5, 4)), times, times], return_attention=True)
    >>> tuple(r.shape), tuple(a.shape)
    ((2, 4), (2, 5))

    References:
        - Liu, Zhang and Gulla, "Dynamic attention-based explainable recommendation with textual and
          visual fusion", Information Processing & Management 2020, section 3.5, Eq. 15-20.
    """

    def __init__(self, attention: bool = True, transform: str = "linear", use_week: bool = True,
                 use_interval: bool = True, hidden: int | None = None,
                 kernel_regularizer: str | keras.regularizers.Regularizer | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if transform not in TRANSFORMS:
            raise ValueError(f"transform must be one of {TRANSFORMS}, got {transform!r}")
        self.attention, self.transform, self.hidden = attention, transform, hidden
        self.use_week, self.use_interval = use_week, use_interval
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)

    def build(self, input_shape: Sequence[Shape]) -> None:
        dim = input_shape[0][-1]
        if not self.attention:
            return
        timed = self.use_week or self.use_interval
        if self.use_week:
            self.week_table = self.table("week_table", dim)
        if self.use_interval:
            self.interval_table = self.table("interval_table", dim)
        if timed and self.transform == "sigmoid":
            self.b_f = self.add_weight(shape=(dim,), name="b_f", initializer="zeros")
        self.g_hidden = keras.layers.Dense(self.hidden or dim, activation="relu", name="hidden",
                                           dtype=self.dtype_policy,
                                           kernel_regularizer=self.kernel_regularizer)
        self.g_hidden.build((None, (2 if timed else 1) * dim))
        self.g_score = keras.layers.Dense(1, name="score", dtype=self.dtype_policy,
                                          kernel_regularizer=self.kernel_regularizer)
        self.g_score.build((None, self.hidden or dim))

    def table(self, name: str, dim: int) -> keras.Variable:
        """One half of W_f: a column [D] per value of a 169-value one-hot."""
        return self.add_weight(shape=(HOURS, dim), name=name, initializer="glorot_uniform",
                               regularizer=self.kernel_regularizer)

    def time_factors(self, week: Tensor, interval: Tensor) -> Tensor | None:
        """i*_j = g([T_w,j; dt_j]) (Eq. 16-18), [..., w, D]; None when neither factor is read."""
        parts = []
        if self.use_week:
            parts.append(ops.take(self.week_table, ops.cast(week, "int32"), axis=0))
        if self.use_interval:
            parts.append(ops.take(self.interval_table, ops.cast(interval, "int32"), axis=0))
        if not parts:
            return None
        factors = parts[0] if len(parts) == 1 else parts[0] + parts[1]
        return ops.sigmoid(factors + self.b_f) if self.transform == "sigmoid" else factors

    def call(self, inputs: Sequence[Tensor], mask: Any = None, return_attention: bool = False
             ) -> Tensor | tuple[Tensor, Tensor]:
        items, week, interval = inputs
        if isinstance(mask, list | tuple):
            mask = mask[0]
        allowed = None if mask is None else ops.cast(mask, "bool")
        if not self.attention:  # Eq. 15 over the real items
            weights = ops.ones(ops.shape(items)[:-1], items.dtype)
            if allowed is not None:
                weights = weights * ops.cast(allowed, items.dtype)
            weights = weights / ops.maximum(ops.sum(weights, axis=-1, keepdims=True), 1.0)
        else:
            factors = self.time_factors(week, interval)
            joined = items if factors is None else ops.concatenate([factors, items], axis=-1)
            scores = ops.squeeze(self.g_score(self.g_hidden(joined)), -1)
            if allowed is None:
                weights = ops.softmax(scores, axis=-1)
            else:
                weights = ops.softmax(ops.where(allowed, scores, ops.full_like(scores, -1e9)), axis=-1)
                weights = weights * ops.cast(allowed, weights.dtype)
        r = ops.einsum("...w,...wd->...d", weights, items)
        return (r, weights) if return_attention else r

    def compute_mask(self, inputs: Sequence[Tensor], mask: Any = None) -> None:
        return None

    def compute_output_shape(self, input_shape: Sequence[Shape], return_attention: bool = False
                             ) -> Shape | tuple[Shape, Shape]:
        """r~ [..., D]; with ``return_attention`` also a [..., w]."""
        items = tuple(input_shape[0])
        r = (*items[:-2], items[-1])
        return (r, items[:-1]) if return_attention else r

    def compute_output_spec(self, inputs: Sequence[Tensor], mask: Any = None, return_attention: bool = False
                            ) -> keras.KerasTensor | tuple[keras.KerasTensor, keras.KerasTensor]:
        """Symbolic outputs from `compute_output_shape`, which also knows ``return_attention``."""
        shapes = self.compute_output_shape([tuple(t.shape) for t in inputs], return_attention)
        if not return_attention:
            return keras.KerasTensor(shapes, dtype=self.compute_dtype)
        return tuple(keras.KerasTensor(shape, dtype=self.compute_dtype) for shape in shapes)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "attention": self.attention, "transform": self.transform,
                "use_week": self.use_week, "use_interval": self.use_interval, "hidden": self.hidden,
                "kernel_regularizer": keras.regularizers.serialize(self.kernel_regularizer)}
