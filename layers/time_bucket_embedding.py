"""DMRAN's input embedding with time signals (Eq. 1-2): behaviour vector plus time-bucket embedding,
through one dense layer."""

from collections.abc import Sequence
from typing import Any

import keras
from keras import ops

Tensor = Any  # a backend tensor, a NumPy array or a symbolic `keras.KerasTensor`
Shape = tuple[int | None, ...]


@keras.saving.register_keras_serializable(package="seqrec")
class TimeBucketEmbedding(keras.layers.Layer):
    """DMRAN's behaviour encoding with time signals, Eq. 1-2::

        u_i = dense(V_i (+) T_{bucket(i)})                                         (1)
        H   = (u_1, u_2, ..., u_n)                                                 (2)

    where ``V_i`` is the behaviour's item vector (the item embedding, with the category embedding
    concatenated where the data has categories, as ATRank does), ``T`` a learned table of
    ``n_buckets`` time-bucket embeddings and ``(+)`` concatenation.

    **The buckets.** DMRAN maps a time gap in days to ``[0, 1) -> 0, [1, 2) -> 1, [2, 4) -> 2, ...,
    [2^k, 2^(k+1)) -> k + 1``; the layer takes these bucket indices, computed by the data pipeline
    (`seqrec.datasets.time_features.day_bucket`, capped at ``n_buckets - 1``), so that the bucketing is
    written once and exact int64 seconds never pass through float32. DMRAN does not say from which time
    the gap is measured; the suite's pipelines measure it to the prediction time, as ATRank's code does
    (``cur_t - t``), so a behaviour's bucket says how long before the predicted one it happened. ATRank
    keeps 12 buckets (``n_buckets=12``, the default) and concatenates a one-hot bucket instead of an
    embedding; a one-hot through the dense layer is the same model as an embedding of width
    ``n_buckets``, and DMRAN writes an embedding ``T in R^{d_e x (k+2)}``, which we follow.

    ``use_time=False`` drops ``T`` (DMRAN_No_Time): ``u_i = dense(V_i)``; the buckets are then ignored.
    Padded behaviours are encoded like any other; the layer passes the input mask on.

    Weights: ``bucket_embeddings`` [n_buckets, bucket_dim] (only with ``use_time``), then the dense
    layer's kernel [d_in (+ bucket_dim), units] and bias [units].

    Args:
        units: int. Width d_e of the encoded behaviours (DMRAN: 128).
        n_buckets: int. Number of time buckets, the last one collecting all longer gaps (default 12).
        bucket_dim: int. Width of a bucket embedding (default: ``units``, the paper's ``d_e``).
        use_time: bool. False drops the time signal (DMRAN_No_Time).
        kernel_regularizer: regularizer of the dense kernel.
        embeddings_regularizer: regularizer of the bucket embeddings.
        **kwargs: other arguments of `keras.layers.Layer` (``name``, ``dtype``, ...).

    Call arguments:
        inputs: ``[behaviours, buckets]``: the behaviours' item vectors [B, L, d_in] and their time
            buckets, integers in ``[0, n_buckets)``, [B, L].
        mask: optional boolean mask [B, L], passed on unchanged.

    Returns:
        The encoded behaviours H, [B, L, units].

    Example:

    >>> import numpy as np
    >>> from seqrec.layers import TimeBucketEmbedding
    >>> behaviours, buckets = np.ones((2, 5, 8)), np.array([[0, 1, 2, 3, 11]] * 2)
    >>> tuple(TimeBucketEmbedding(4)([behaviours, buckets]).shape)
    (2, 5, 4)

    References:
        - Wang, Liu, Liu, Li and Zheng, "DMRAN: A Hierarchical Fine-Grained Attention-Based Network
          for Recommendation", IJCAI 2019, section 4.1, Eq. 1-2.
        - Zhou et al., "ATRank: An Attention-Based User Behavior Modeling Framework for
          Recommendation", AAAI 2018 (the time buckets).
    """

    def __init__(self, units: int, n_buckets: int = 12, bucket_dim: int | None = None, use_time: bool = True,
                 kernel_regularizer: str | keras.regularizers.Regularizer | None = None,
                 embeddings_regularizer: str | keras.regularizers.Regularizer | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.units, self.n_buckets, self.use_time = units, n_buckets, use_time
        self.bucket_dim = bucket_dim or units
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
        self.embeddings_regularizer = keras.regularizers.get(embeddings_regularizer)
        self.dense = keras.layers.Dense(units, kernel_regularizer=self.kernel_regularizer,
                                        dtype=self.dtype_policy, name="dense")
        self.supports_masking = True

    def build(self, input_shape: Sequence[Shape]) -> None:
        width = input_shape[0][-1]
        if self.use_time:
            self.bucket_embeddings = self.add_weight(
                shape=(self.n_buckets, self.bucket_dim), name="bucket_embeddings", initializer="uniform",
                regularizer=self.embeddings_regularizer)
            width += self.bucket_dim
        self.dense.build((*input_shape[0][:-1], width))

    def call(self, inputs: Sequence[Tensor], mask: Any = None) -> Tensor:
        behaviours, buckets = inputs
        if self.use_time:
            times = ops.take(self.bucket_embeddings, ops.cast(buckets, "int32"), axis=0)
            behaviours = ops.concatenate([behaviours, ops.cast(times, behaviours.dtype)], axis=-1)
        return self.dense(behaviours)

    def compute_mask(self, inputs: Sequence[Tensor], mask: Any = None) -> Any:
        return mask[0] if isinstance(mask, list | tuple) else mask

    def compute_output_shape(self, input_shape: Sequence[Shape]) -> Shape:
        """[B, L, units]."""
        return (*tuple(input_shape[0])[:-1], self.units)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "units": self.units, "n_buckets": self.n_buckets,
                "bucket_dim": self.bucket_dim, "use_time": self.use_time,
                "kernel_regularizer": keras.regularizers.serialize(self.kernel_regularizer),
                "embeddings_regularizer": keras.regularizers.serialize(self.embeddings_regularizer)}
