"""IARN's feature encoders (Pei et al., CIKM 2017, section 3.3, Eq. 10-12).

Each feature ``k`` of an item is a linear map ``M^k`` (Eq. 10) that projects the inputs of that item's
sequence. **Reading:** Eq. 10 writes ``M^k_j x_jt`` for the item-side input ``x_jt`` (the t-th user who
rated item j), so the features of the *target item* project every step of its history; IARN applies
the encoder on the item side (section 3.3: "we focus on Feature Encoder for processing item-side
input"), and the user side keeps its plain embeddings.
"""

from typing import Any

import keras
from keras import ops

Tensor = Any  # a backend tensor, a NumPy array or a symbolic `keras.KerasTensor`
Shape = tuple[int | None, ...]


@keras.saving.register_keras_serializable(package="seqrec")
class FlatFeatureEncoder(keras.layers.Layer):
    """IARN's flat feature encoder, Eq. 11: ``E(x_t) = sum_k M^k x_t`` over the item's features.

    For features in a flat structure (e.g. MovieLens genres): every feature k has a linear map ``M^k``
    (Eq. 10), and the target item's history is projected by the sum of the maps of the item's features
    (see the module docstring for why the item side). An item without any feature uses the learned
    matrix of column 0 instead of an all-zero sum (our extension: Eq. 11 leaves that case open).

    The matrices start at the identity divided by a typical feature count (``init_count``), so an
    encoder with a few features starts close to the identity map.

    Weights: ``matrices`` [n_features, dim, dim], ``M^k`` at row k (row 0: the featureless items).

    Args:
        n_features: int. Number of feature columns, column 0 included (it means "no feature").
        init_count: float. Typical number of features of an item; the matrices start at
            identity / init_count (plus normal noise of stddev 0.01).
        kernel_regularizer: regularizer of ``matrices``.
        **kwargs: other arguments of `keras.layers.Layer` (``name``, ``dtype``, ...).

    Call arguments:
        inputs: ``[x, features]``: x [batch, steps, dim], the embedded history, and features
            [batch, n_features], the target item's multi-hot row (column 0 means "no feature").

    Returns:
        The encoded history ``E(x_t)``, [batch, steps, dim].

    Example:

    >>> import numpy as np
    >>> from seqrec.layers import FlatFeatureEncoder
    >>> encoder = FlatFeatureEncoder(4)
    >>> features = np.array([[0, 1, 0, 1], [0, 0, 0, 0]])  # the 2nd item has no feature
    >>> tuple(encoder([np.ones((2, 5, 3)), features]).shape)
    (2, 5, 3)

    References:
        - Pei, Yang, Sun, Zhang, Bozzon and Tax, "Interacting Attention-gated Recurrent Networks for
          Recommendation", CIKM 2017, section 3.3, Eq. 10-11.
    """

    def __init__(self, n_features: int, init_count: float = 2.0,
                 kernel_regularizer: str | keras.regularizers.Regularizer | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.n_features = n_features
        self.init_count = init_count
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)

    def build(self, input_shape: list[Shape]) -> None:
        dim = input_shape[0][-1]
        noise = keras.initializers.RandomNormal(stddev=0.01)

        def init(shape: Shape, dtype: str | None = None) -> Tensor:
            return noise(shape, dtype) + ops.cast(ops.eye(dim)[None] / self.init_count, dtype)

        self.matrices = self.add_weight(shape=(self.n_features, dim, dim), name="matrices",
                                        initializer=init, regularizer=self.kernel_regularizer)

    def call(self, inputs: list[Tensor]) -> Tensor:
        x, features = inputs
        features = ops.cast(features, x.dtype)
        none = ops.cast(ops.sum(features[:, 1:], axis=-1) == 0, x.dtype)
        features = ops.concatenate([ops.expand_dims(none, -1), features[:, 1:]], axis=-1)
        combined = ops.einsum("bf,fde->bde", features, self.matrices)
        return ops.einsum("btd,bde->bte", x, combined)

    def compute_output_shape(self, input_shape: list[Shape]) -> Shape:
        """The shape of ``x``: [batch, steps, dim]."""
        return tuple(input_shape[0])

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "n_features": self.n_features, "init_count": self.init_count,
                "kernel_regularizer": keras.regularizers.serialize(self.kernel_regularizer)}


@keras.saving.register_keras_serializable(package="seqrec")
class HierarchicalFeatureEncoder(keras.layers.Layer):
    """IARN's hierarchical feature encoder, Eq. 12, for features in a hierarchy (e.g. Amazon categories)::

        E(x_t) = M^1 (M^2 ( ... (M^L x_t)))

    ``f^L`` is the root and ``f^1`` the leaf: the input is projected by the root's matrix first, then
    by each child's, ending with the leaf's, mapping it to ever more refined feature spaces. The path of
    the *target item* projects every step of its history (see the module docstring).

    Paths are right-padded with node 0 (no node: that level is skipped). Matrices start at the
    identity (plus small noise), so that deep paths do not shrink or blow up the input at the start of
    training.

    Weights: ``matrices`` [n_nodes, dim, dim], node n's map at row n (row 0 is never used).

    Args:
        n_nodes: int. Number of nodes of the hierarchy, the padding node 0 included.
        kernel_regularizer: regularizer of ``matrices``.
        **kwargs: other arguments of `keras.layers.Layer` (``name``, ``dtype``, ...).

    Call arguments:
        inputs: ``[x, path]``: x [batch, steps, dim], the embedded history, and path [batch, depth]
            int, the target item's node indices ordered root -> leaf and right-padded with 0.

    Returns:
        The encoded history ``E(x_t)``, [batch, steps, dim].

    Example:

    >>> import numpy as np
    >>> from seqrec.layers import HierarchicalFeatureEncoder
    >>> encoder = HierarchicalFeatureEncoder(5)
    >>> path = np.array([[1, 3, 4], [2, 0, 0]])  # root -> leaf; the 2nd item has one level
    >>> tuple(encoder([np.ones((2, 5, 3)), path]).shape)
    (2, 5, 3)

    References:
        - Pei, Yang, Sun, Zhang, Bozzon and Tax, "Interacting Attention-gated Recurrent Networks for
          Recommendation", CIKM 2017, section 3.3, Eq. 10 and 12.
    """

    def __init__(self, n_nodes: int, kernel_regularizer: str | keras.regularizers.Regularizer | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.n_nodes = n_nodes
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)

    def build(self, input_shape: list[Shape]) -> None:
        dim = input_shape[0][-1]
        noise = keras.initializers.RandomNormal(stddev=0.01)

        def init(shape: Shape, dtype: str | None = None) -> Tensor:
            return noise(shape, dtype) + ops.cast(ops.eye(dim)[None], dtype)

        self.matrices = self.add_weight(shape=(self.n_nodes, dim, dim), name="matrices",
                                        initializer=init, regularizer=self.kernel_regularizer)

    def call(self, inputs: list[Tensor]) -> Tensor:
        x, path = inputs
        path = ops.cast(path, "int32")
        for level in range(path.shape[1]):  # root first, leaf last
            node = path[:, level]
            projected = ops.einsum("btd,bde->bte", x, ops.take(self.matrices, node, axis=0))
            present = ops.cast(node > 0, x.dtype)[:, None, None]
            x = present * projected + (1.0 - present) * x
        return x

    def compute_output_shape(self, input_shape: list[Shape]) -> Shape:
        """The shape of ``x``: [batch, steps, dim]."""
        return tuple(input_shape[0])

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "n_nodes": self.n_nodes,
                "kernel_regularizer": keras.regularizers.serialize(self.kernel_regularizer)}
