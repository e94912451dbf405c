"""MV-RNN (Cui, Wu, Liu, Zhong and Wang, "MV-RNN: A Multi-View Recurrent Neural Network for Sequential
Recommendation", TKDE 2018), a baseline of Ante-RNN's Table 4: a GRU over items represented by their
latent vector joined with a fusion of their image and text features, the fusion learned as a denoising
autoencoder. Ante-RNN (section 4.3): "they do not consider time factors ... and they use a denoising
autoencoder for multi-modality fusion"."""

import keras
from keras import ops

from .next_item import NextItemModel


@keras.saving.register_keras_serializable(package="seqrec")
class MVRNN(NextItemModel):
    """MV-RNN with its autoencoder fusion, as the authors' code computes it (cuiqiang1990/MV-RNN,
    ``GRU_MV.py``; read to understand it, Theano)::

        m_i = E f_i + V g_i                    the fused view: image features f_i [F], text features g_i [G]
        p_i = [x_i ; m_i]                      x_i the item's latent vector (dim / 2 each)
        h_t = GRU(p_1 .. p_t)                  hidden size dim
        s_ti = h_t . p_i                        the score of item i as the next after t

    **Autoencoder.** The fusion is the encoder of a linear autoencoder whose decoder is tied to it: the
    loss adds ``reconstruction / 2 * (||f_i - E^T m_i||^2 / F + ||g_i - V^T m_i||^2 / G)`` averaged
    over the batch's behaviours. **Denoising** (``corruption`` > 0, training only): before encoding, each
    behaviour's whole image vector and whole text vector is zeroed, each with probability
    ``corruption`` (the authors' whole-feature corruption), while the reconstruction targets the clean
    features, so that m_i copes with a missing view (an item without a poster or a text).

    **Training** (`seqrec.training.KerasNextItem`): the authors and Ante-RNN train it with BPR's pairwise
    loss (``objective="bpr"``); with ``all_positions=True`` one pass over a window predicts after every
    position (the recurrence is causal).

    Inputs: ``items`` int [B, L], ``mask`` bool [B, L] (the base class's time inputs are not read: MV-RNN
    has no time factors). Content: `set_item_content` (non-trainable tables saved with the weights).

    Args:
      n_items, n_categories: vocabulary sizes (`NextItemModel`; a category embedding adds to x_i).
      visual_width, text_width: F and G.
      dim: the size of p_i and of the GRU state (x_i and m_i take half each; Ante-RNN: 128).
      reconstruction: lambda_ae, the autoencoder loss weight.
      corruption: the denoising probability of zeroing a view.
      dropout, l2, all_positions: `NextItemModel`'s (dropout off by default: the authors use none).
    """

    def __init__(self, n_items: int, n_categories: int = 0, visual_width: int = 1, text_width: int = 1,
                 dim: int = 128, reconstruction: float = 0.1, corruption: float = 0.0, dropout: float = 0.0,
                 l2: float = 1e-5, all_positions: bool = False, **kwargs):
        if dim % 2:
            raise ValueError(f"MV-RNN's dim is split between x_i and m_i; give an even dim, got {dim}")
        super().__init__(n_items, n_categories, dim // 2, dropout, l2, all_positions, **kwargs)
        self.base_config["dim"] = dim
        self.config_ = {"visual_width": visual_width, "text_width": text_width,
                        "reconstruction": reconstruction, "corruption": corruption}
        self.reconstruction, self.corruption = reconstruction, corruption
        self.visual = self.add_weight(shape=(n_items, visual_width), initializer="zeros", trainable=False,
                                      name="item_visual")
        self.text = self.add_weight(shape=(n_items, text_width), initializer="zeros", trainable=False,
                                    name="item_text")
        self.encode_visual = keras.layers.Dense(dim // 2, use_bias=False, kernel_regularizer=self.regularizer,
                                                name="E")
        self.encode_text = keras.layers.Dense(dim // 2, use_bias=False, kernel_regularizer=self.regularizer,
                                              name="V")
        self.gru = keras.layers.GRU(dim, return_sequences=True, name="gru")
        self.seeds = keras.random.SeedGenerator(0)

    input_keys = ("items", "mask")

    def set_item_content(self, visual, text) -> None:
        """Each item's image features [n_items, F] and text features [n_items, G] (zeros: none)."""
        self.visual.assign(ops.cast(visual, "float32"))
        self.text.assign(ops.cast(text, "float32"))

    def fused(self, f, g):
        """m = E f + V g, for features [..., F] and [..., G]."""
        return self.encode_visual(f) + self.encode_text(g)

    def reconstruction_loss(self, f, g, m):
        """Mean over the rows of ``(||f - E^T m||^2 / F + ||g - V^T m||^2 / G) / 2``."""
        f_hat = ops.matmul(m, ops.transpose(self.encode_visual.kernel))
        g_hat = ops.matmul(m, ops.transpose(self.encode_text.kernel))
        per_row = (ops.mean(ops.square(f - f_hat), axis=-1) + ops.mean(ops.square(g - g_hat), axis=-1)) / 2
        return ops.mean(per_row)

    def embed(self, inputs, training=False):
        """p_i [B, L, dim] of the behaviours (Eq. of the class docstring), with the autoencoder loss."""
        items = inputs["items"]
        f, g = ops.take(self.visual, items, axis=0), ops.take(self.text, items, axis=0)
        f_in, g_in = f, g
        if training and self.corruption:
            keep = keras.random.uniform((*ops.shape(items)[:2], 2), seed=self.seeds) >= self.corruption
            keep = ops.cast(keep, f.dtype)
            f_in, g_in = f * keep[..., :1], g * keep[..., 1:]
        m = self.fused(f_in, g_in)
        if training and self.reconstruction:
            self.add_loss(ops.cast(self.reconstruction * self.reconstruction_loss(f, g, m), "float32"))
        return ops.concatenate([super().embed(inputs, training), m], axis=-1)

    def encode(self, inputs, x, training=False):
        h = self.gru(x, mask=ops.cast(inputs["mask"], "bool"), training=training)
        return h if self.all_positions else h[:, -1:]

    def item_matrix(self):
        """P [n_items, dim]: every item's [x_i ; m_i] (with its category, as in `embed`)."""
        x = self.item_embedding.embeddings
        if self.category_embedding is not None:
            x = x + self.category_embedding(self.item_category)
        return ops.concatenate([x, self.fused(self.visual, self.text)], axis=-1)

    def call(self, inputs, training=False):
        users = self.dropout(self.encode(inputs, self.embed(inputs, training), training), training=training)
        logits = ops.einsum("bqd,nd->bqn", users, self.item_matrix())
        return logits if self.all_positions else logits[:, 0]

    def dummy_batch(self, length: int) -> dict:
        return {"items": ops.ones((1, length), "int32"), "mask": ops.ones((1, length), "bool")}

    def get_config(self):
        return {**super().get_config(), **self.config_}
