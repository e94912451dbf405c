"""Ante-RNN's image embedding with textual alignment (Eq. 1-5) and its hardest-negative triplet loss
(Eq. 6)."""

from collections.abc import Sequence
from typing import Any

import keras
from keras import ops

Tensor = Any  # a backend tensor, a NumPy array or a symbolic `keras.KerasTensor`
Shape = tuple[int | None, ...]

EPSILON = 1e-8  # keeps the cosine of Eq. 3 finite for a zero vector (its value is then 0)


def _masked_softmax(logits: Tensor, allowed: Tensor | None, axis: int) -> Tensor:
    """Softmax over ``axis`` where ``allowed`` (broadcastable bool) is True, 0 elsewhere."""
    if allowed is None:
        return ops.softmax(logits, axis=axis)
    logits = ops.where(allowed, logits, ops.full_like(logits, -1e9))
    return ops.softmax(logits, axis=axis) * ops.cast(allowed, logits.dtype)


@keras.saving.register_keras_serializable(package="seqrec")
class TextImageAlignment(keras.layers.Layer):
    """An image vector whose regions are weighted by how well the item's text describes them (Ante-RNN
    section 3.2, Eq. 1-5)::

        C      = tanh(E^T W^b F)                          [N, M], Eq. 1
        alpha  = softmax over the words i of C[:, j]        Eq. 2
        a_j    = sum_i alpha_ij e_i                         the text aligned to region j
        R_j    = cos(f_j, a_j)                              Eq. 3
        S(E,F) = (1/M) sum_j R_j                            Eq. 4, image-text similarity
        v      = sum_j R_j f_j                              Eq. 5

    E are the N word vectors of the item's text (Ante-RNN: a bidirectional GRU's outputs) and F the M
    region vectors of its image (Ante-RNN: bottom-up-attention regions through a dense layer), both of
    width D. Padded words take no part in the softmax of Eq. 2; padded regions get R_j = 0 and M in
    Eq. 4 counts the real regions only. Eq. 5 does not normalise the weights R_j (cosines in [-1, 1]);
    we keep it so. A zero vector has cosine 0 (``EPSILON`` in the norms).

    `pairwise_similarity` gives S for every (text, image) pair of a batch, what the hardest-negative
    triplet loss of Eq. 6 (`HardestNegativeTripletLoss`) reads.

    Weights: ``w_b`` [D_words, D_regions] (W^b).

    Args:
        kernel_regularizer: regularizer of W^b.
        **kwargs: other arguments of `keras.layers.Layer` (``name``, ``dtype``, ...).

    Call arguments:
        inputs: ``[words, regions]``: E [B, N, D] and F [B, M, D].
        mask: optional ``[word_mask, region_mask]``, bool [B, N] and [B, M] (either may be None).
        return_alignment: bool. Also return S, the word weights and R.

    Returns:
        v, [B, D]; with ``return_alignment=True`` the tuple ``(v, S, alpha, R)``: S [B], alpha [B, N, M]
        (word i's weight for region j, Figure 9's explanation), R [B, M].

    Example:

    >>> import numpy as np
    >>> from seqrec.layers import TextImageAlignment
    >>> v = TextImageAlignment()([np.ones((2, 5, 4)), np.ones((2, 3, 4))])
    >>> tuple(v.shape)
    (2, 4)

    References:
        - Liu, Zhang and Gulla, "Dynamic attention-based explainable recommendation with textual and
          visual fusion", Information Processing & Management 2020, section 3.2, Eq. 1-6.
        - Lee, Chen, Hua, Hu and He, "Stacked Cross Attention for Image-Text Matching", ECCV 2018.
    """

    def __init__(self, kernel_regularizer: str | keras.regularizers.Regularizer | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)

    def build(self, input_shape: Sequence[Shape]) -> None:
        words, regions = input_shape
        self.w_b = self.add_weight(shape=(words[-1], regions[-1]), name="w_b", initializer="glorot_uniform",
                                   regularizer=self.kernel_regularizer)

    @staticmethod
    def _masks(mask: Any) -> tuple[Tensor | None, Tensor | None]:
        if mask is None:
            return None, None
        return tuple(None if m is None else ops.cast(m, "bool") for m in mask)

    def _align(self, words: Tensor, regions: Tensor, word_mask: Tensor | None, region_mask: Tensor | None,
               pairs: bool) -> tuple[Tensor, Tensor, Tensor]:
        """``(alpha, R, S)`` for each text with its own image (``pairs=False``: [B, N, M], [B, M], [B]) or
        with every image of the batch (``pairs=True``: [Bt, Bi, N, M], [Bt, Bi, M], [Bt, Bi])."""
        projected = ops.einsum("...nd,de->...ne", words, self.w_b)
        if pairs:
            c = ops.tanh(ops.einsum("kne,jme->kjnm", projected, regions))
            allowed = None if word_mask is None else word_mask[:, None, :, None]
            alpha = _masked_softmax(c, allowed, axis=2)
            aligned = ops.einsum("kjnm,knd->kjmd", alpha, words)
            regions_b = regions[None]
        else:
            c = ops.tanh(ops.einsum("bne,bme->bnm", projected, regions))
            allowed = None if word_mask is None else word_mask[:, :, None]
            alpha = _masked_softmax(c, allowed, axis=1)
            aligned = ops.einsum("bnm,bnd->bmd", alpha, words)
            regions_b = regions
        dot = ops.sum(regions_b * aligned, axis=-1)
        norms = ops.norm(regions_b, axis=-1) * ops.norm(aligned, axis=-1)
        relevance = dot / ops.maximum(norms, EPSILON)
        if region_mask is None:
            similarity = ops.mean(relevance, axis=-1)
        else:
            real = ops.cast(region_mask, relevance.dtype)
            real = real[None] if pairs else real
            relevance = relevance * real
            similarity = ops.sum(relevance, axis=-1) / ops.maximum(ops.sum(real, axis=-1), 1.0)
        return alpha, relevance, similarity

    def call(self, inputs: Sequence[Tensor], mask: Any = None, return_alignment: bool = False
             ) -> Tensor | tuple[Tensor, Tensor, Tensor, Tensor]:
        words, regions = inputs
        word_mask, region_mask = self._masks(mask)
        alpha, relevance, similarity = self._align(words, regions, word_mask, region_mask, pairs=False)
        v = ops.einsum("bm,bmd->bd", relevance, regions)
        return (v, similarity, alpha, relevance) if return_alignment else v

    def pairwise_similarity(self, words: Tensor, regions: Tensor, word_mask: Tensor | None = None,
                            region_mask: Tensor | None = None) -> Tensor:
        """S(E_k, F_j) of Eq. 4 for every text k and image j of a batch: [B_texts, B_images]; the
        diagonal is the ``S`` of `call` for matched pairs."""
        words, regions = ops.convert_to_tensor(words), ops.convert_to_tensor(regions)
        if not self.built:
            self.build([tuple(words.shape), tuple(regions.shape)])
            self.built = True
        masks = self._masks((word_mask, region_mask))
        return self._align(words, regions, *masks, pairs=True)[2]

    def compute_mask(self, inputs: Sequence[Tensor], mask: Any = None) -> None:
        return None

    def compute_output_shape(self, input_shape: Sequence[Shape], return_alignment: bool = False
                             ) -> Shape | tuple[Shape, Shape, Shape, Shape]:
        """v [B, D_regions]; with ``return_alignment`` also S [B], alpha [B, N, M] and R [B, M]."""
        words, regions = (tuple(s) for s in input_shape)
        v = (regions[0], regions[-1])
        if not return_alignment:
            return v
        return v, (regions[0],), (words[0], words[1], regions[1]), (regions[0], regions[1])

    def compute_output_spec(self, inputs: Sequence[Tensor], mask: Any = None, return_alignment: bool = False
                            ) -> keras.KerasTensor | tuple[keras.KerasTensor, ...]:
        """Symbolic outputs from `compute_output_shape`, which also knows ``return_alignment``."""
        shapes = self.compute_output_shape([tuple(t.shape) for t in inputs], return_alignment)
        if not return_alignment:
            return keras.KerasTensor(shapes, dtype=self.compute_dtype)
        return tuple(keras.KerasTensor(shape, dtype=self.compute_dtype) for shape in shapes)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(),
                "kernel_regularizer": keras.regularizers.serialize(self.kernel_regularizer)}


@keras.saving.register_keras_serializable(package="seqrec")
class HardestNegativeTripletLoss(keras.losses.Loss):
    """Ante-RNN's image-to-text triplet ranking loss with the hardest negative in the batch (Eq. 6)::

        l(E_j, F_j) = max(0, alpha_1 - S(E_j, F_j) + max_{k != j} S(E_k, F_j))

    for every image j of the batch, with its own text E_j as the positive and the batch's other texts as
    negatives (Lee et al.'s hardest negative; Ante-RNN keeps the image-to-text direction only).

    ``y_pred`` is the similarity matrix [B_texts, B_images] of `TextImageAlignment.pairwise_similarity`
    (text k, image j; the matched pairs on the diagonal); ``y_true`` is not read (pass anything of
    batch size, e.g. zeros). Each image's loss is one sample of the reduction (the mean by default).
    A batch of one image has no negative: its hardest negative counts as -1 (the lowest cosine), so its
    loss is ``max(0, alpha_1 - 1 - S)``.

    Args:
        margin: alpha_1 (Ante-RNN section 4.4: 0.3).
        **kwargs: other arguments of `keras.losses.Loss` (``reduction``, ``name``).

    Call arguments:
        y_true: not read (anything of batch size).
        y_pred: S [B_texts, B_images], the matched pairs on the diagonal.

    Returns:
        The reduced loss (a scalar with the default reduction; [B_images] with ``reduction=None``).

    Example:

    >>> import numpy as np
    >>> from seqrec.layers import HardestNegativeTripletLoss
    >>> similarity = np.array([[0.9, 0.1], [0.2, 0.8]], "float32")
    >>> float(HardestNegativeTripletLoss(margin=0.3)(np.zeros(2), similarity))
    0.0

    References:
        - Liu, Zhang and Gulla, IP&M 2020, section 3.2, Eq. 6.
        - Faghri, Fleet, Kiros and Fidler, "VSE++: Improving Visual-Semantic Embeddings with Hard
          Negatives", BMVC 2018.
    """

    def __init__(self, margin: float = 0.3, name: str = "hardest_negative_triplet", **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)
        self.margin = margin

    def call(self, y_true: Tensor, y_pred: Tensor) -> Tensor:
        similarity = ops.convert_to_tensor(y_pred)
        size = ops.shape(similarity)[0]
        positive = ops.diagonal(similarity)
        others = ops.where(ops.eye(size, dtype="bool"), ops.full_like(similarity, -1.0), similarity)
        hardest = ops.max(others, axis=0)  # per image j: the most similar other text
        return ops.relu(self.margin - positive + hardest)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "margin": self.margin}
