"""IARN's feature encoders (Pei et al., CIKM 2017, section 3.3, Eq. 10-12).

Each feature ``k`` of an item is a linear map ``M^k`` (Eq. 10) that projects the inputs of that item's
sequence. **Reading:** Eq. 10 writes ``M^k_j x_jt`` for the item-side input ``x_jt`` (the t-th user who
rated item j), so the features of the *target item* project every step of its history; IARN applies
the encoder on the item side (section 3.3: "we focus on Feature Encoder for processing item-side
input"), and the user side keeps its plain embeddings.
"""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="seqrec")
class FlatFeatureEncoder(keras.layers.Layer):
    """Eq. 11, features in a flat structure (e.g. MovieLens genres): ``E(x_t) = sum_k M^k x_t``.

    Inputs: ``[x, features]`` with x [batch, steps, dim] and features [batch, n_features], the target
    item's multi-hot row (column 0 means "no feature"). An item without any feature uses the learned
    matrix of column 0 instead of an all-zero sum (our extension: Eq. 11 leaves that case open).
    Output [batch, steps, dim]. The matrices start at the identity divided by a typical feature count
    (``init_count``), so an encoder with a few features starts close to the identity map.
    """

    def __init__(self, n_features: int, init_count: float = 2.0, kernel_regularizer=None, **kwargs):
        super().__init__(**kwargs)
        self.n_features = n_features
        self.init_count = init_count
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)

    def build(self, input_shape):
        dim = input_shape[0][-1]
        noise = keras.initializers.RandomNormal(stddev=0.01)

        def init(shape, dtype=None):
            return noise(shape, dtype) + ops.cast(ops.eye(dim)[None] / self.init_count, dtype)

        self.matrices = self.add_weight(shape=(self.n_features, dim, dim), name="matrices",
                                        initializer=init, regularizer=self.kernel_regularizer)

    def call(self, inputs):
        x, features = inputs
        features = ops.cast(features, x.dtype)
        none = ops.cast(ops.sum(features[:, 1:], axis=-1) == 0, x.dtype)
        features = ops.concatenate([ops.expand_dims(none, -1), features[:, 1:]], axis=-1)
        combined = ops.einsum("bf,fde->bde", features, self.matrices)
        return ops.einsum("btd,bde->bte", x, combined)

    def get_config(self):
        return {**super().get_config(), "n_features": self.n_features, "init_count": self.init_count,
                "kernel_regularizer": keras.regularizers.serialize(self.kernel_regularizer)}


@keras.saving.register_keras_serializable(package="seqrec")
class HierarchicalFeatureEncoder(keras.layers.Layer):
    """Eq. 12, features in a hierarchy (e.g. Amazon categories)::

        E(x_t) = M^1 (M^2 ( ... (M^L x_t)))

    ``f^L`` is the root and ``f^1`` the leaf: the input is projected by the root's matrix first, then
    by each child's, ending with the leaf's, mapping it to ever more refined feature spaces.

    Inputs: ``[x, path]`` with x [batch, steps, dim] and path [batch, depth] int, the target item's
    node indices ordered root -> leaf and right-padded with 0 (no node: that level is skipped). Output
    [batch, steps, dim]. Matrices start at the identity (plus small noise), so that deep paths do not
    shrink or blow up the input at the start of training.
    """

    def __init__(self, n_nodes: int, kernel_regularizer=None, **kwargs):
        super().__init__(**kwargs)
        self.n_nodes = n_nodes
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)

    def build(self, input_shape):
        dim = input_shape[0][-1]
        noise = keras.initializers.RandomNormal(stddev=0.01)

        def init(shape, dtype=None):
            return noise(shape, dtype) + ops.cast(ops.eye(dim)[None], dtype)

        self.matrices = self.add_weight(shape=(self.n_nodes, dim, dim), name="matrices",
                                        initializer=init, regularizer=self.kernel_regularizer)

    def call(self, inputs):
        x, path = inputs
        path = ops.cast(path, "int32")
        for level in range(path.shape[1]):  # root first, leaf last
            node = path[:, level]
            projected = ops.einsum("btd,bde->bte", x, ops.take(self.matrices, node, axis=0))
            present = ops.cast(node > 0, x.dtype)[:, None, None]
            x = present * projected + (1.0 - present) * x
        return x

    def get_config(self):
        return {**super().get_config(), "n_nodes": self.n_nodes,
                "kernel_regularizer": keras.regularizers.serialize(self.kernel_regularizer)}
