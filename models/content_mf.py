"""BPR with item content, two of Ante-RNN's Table 4 baselines (section 4.3): VBPR over image features and
CTR over text topics. The Ante-RNN paper trains its model-based baselines with BPR's pairwise loss, so both
keep `seqrec.models.BPR`'s training (one sampled negative per positive pair and epoch, Adam, early
stopping on the sampled validation AUC) and change only the score x̂_ui."""

import numpy as np
from keras import layers, ops

from .base import LossNetwork, embedding, sq
from .mf import BPR


def _content(values: np.ndarray, n_items: int, label: str) -> np.ndarray:
    values = np.asarray(values, np.float32)
    if values.ndim != 2 or values.shape[0] != n_items:
        raise ValueError(f"{label} must be [n_items={n_items}, features]; got shape {values.shape}")
    if not np.isfinite(values).all():
        raise ValueError(f"{label} holds NaN or infinite values")
    return values


class _VBPRNet(LossNetwork):
    def __init__(self, n_users, n_items, dim, visual_dim, visual, reg, reg_visual):
        super().__init__()
        self.P = embedding(n_users, dim, "user_factors")
        self.Q = embedding(n_items, dim, "item_factors")
        self.theta = embedding(n_users, visual_dim, "user_visual_factors")
        self.bi = embedding(n_items, 1, "item_bias", zeros=True)
        self.E = layers.Dense(visual_dim, use_bias=False, name="visual_projection")
        self.beta = layers.Dense(1, use_bias=False, kernel_initializer="zeros", name="visual_bias")
        self.visual = self.add_weight(shape=visual.shape, initializer="zeros", trainable=False, name="visual")
        self.visual.assign(visual)
        self.reg, self.reg_visual = float(reg), float(reg_visual)

    def score(self, p, theta, items):
        f = ops.take(self.visual, items, axis=0)
        q, b = self.Q(items), self.bi(items)[..., 0]
        s = ops.sum(p * q, axis=-1) + ops.sum(theta * self.E(f), axis=-1) + b + self.beta(f)[..., 0]
        return s, sq(q) + b ** 2

    def call(self, x):
        p, theta = self.P(x["user"]), self.theta(x["user"])
        pos, pen_i = self.score(p, theta, x["item"])
        neg, pen_j = self.score(p, theta, x["negative"])
        return {"x_uij": pos - neg, "penalty": sq(p) + sq(theta) + pen_i + pen_j}

    def objective(self, x, y, out):
        visual = ops.sum(ops.square(self.E.kernel)) + ops.sum(ops.square(self.beta.kernel))
        return (-ops.mean(ops.log_sigmoid(out["x_uij"])) + self.reg * ops.mean(out["penalty"])
                + self.reg_visual * visual)


class VBPR(BPR):
    """VBPR (He and McAuley, "VBPR: Visual Bayesian Personalized Ranking from Implicit Feedback", AAAI
    2016, Eq. 2-3)::

        x̂_ui = β_i + γ_u · γ_i + θ_u · (E f_i) + β' · f_i

    ``f_i`` [F] is item i's visual feature vector (fixed), ``E`` [F, visual_dim] projects it into the
    visual factor space, ``β'`` [F] is the visual bias; trained with BPR's loss (Eq. 4) and the L2
    penalty λ_Θ on the user and item terms, λ_E on E and β' (the paper's two regularisers).

    **Features.** The paper's f_i is one 4,096-dim CNN vector per image; with Ante-RNN's region features
    [n_items, M, F] the adapter passes their mean over the regions (``visual``, zeros for an item without
    an image, which then scores by its latent factors alone).

    Hyper-parameters: ``dim`` (γ) and ``visual_dim`` (θ) each half of Ante-RNN's 128 by default (VBPR
    splits its factors between the two parts), ``reg``/``reg_visual``/``learning_rate`` tuned on
    validation by the caller (defaults ours).

    Shapes: ``visual`` [n_items, F]; ``predict(users [n], items [n]) -> [n]``; ``score_all(users [B])
    -> [B, n_items]``.
    """

    name = "VBPR"

    def __init__(self, n_users, n_items, visual, dim=64, visual_dim=64, learning_rate=1e-3, reg=1e-4,
                 reg_visual=1e-4, epochs=30, batch_size=256, patience=3, seed=0):
        super().__init__(n_users, n_items, dim=dim, learning_rate=learning_rate, reg=reg, epochs=epochs,
                         batch_size=batch_size, patience=patience, seed=seed)
        self.visual = _content(visual, self.n_items, "visual")
        self.visual_dim, self.reg_visual = int(visual_dim), float(reg_visual)
        self._hyper |= {"visual_dim": self.visual_dim, "reg_visual": self.reg_visual,
                        "visual_features": self.visual.shape[1]}
        self._hyper.pop("item_bias")

    def _network(self):
        return _VBPRNet(self.n_users, self.n_items, self.dim, self.visual_dim, self.visual, self.reg,
                        self.reg_visual)

    def _factors(self):
        n = self.network
        projected = n.E(self.visual).numpy()  # E f_i for every item [n_items, visual_dim]
        users = np.concatenate([n.P.embeddings.numpy(), n.theta.embeddings.numpy()], axis=1)
        items = np.concatenate([n.Q.embeddings.numpy(), projected], axis=1)
        bias = n.bi.embeddings.numpy()[:, 0] + n.beta(self.visual).numpy()[:, 0]
        return users, items, bias


class _CTRNet(LossNetwork):
    def __init__(self, n_users, n_items, topics, reg, reg_offset):
        super().__init__()
        self.P = embedding(n_users, topics.shape[1], "user_factors")
        self.offset = embedding(n_items, topics.shape[1], "item_offsets", stddev=0.01)
        self.topics = self.add_weight(shape=topics.shape, initializer="zeros", trainable=False, name="topics")
        self.topics.assign(topics)
        self.reg, self.reg_offset = float(reg), float(reg_offset)

    def call(self, x):
        p = self.P(x["user"])
        eps_i, eps_j = self.offset(x["item"]), self.offset(x["negative"])
        v_i = ops.take(self.topics, x["item"], axis=0) + eps_i
        v_j = ops.take(self.topics, x["negative"], axis=0) + eps_j
        return {"x_uij": ops.sum(p * (v_i - v_j), axis=-1), "users": sq(p), "offsets": sq(eps_i) + sq(eps_j)}

    def objective(self, x, y, out):
        return (-ops.mean(ops.log_sigmoid(out["x_uij"])) + self.reg * ops.mean(out["users"])
                + self.reg_offset * ops.mean(out["offsets"]))


class CTR(BPR):
    """Collaborative topic regression (Wang and Blei, "Collaborative Topic Modeling for Recommending
    Scientific Articles", KDD 2011, section 4)::

        v_j = θ_j + ε_j,   x̂_uj = u_u · v_j

    ``θ_j`` [K] is item j's topic proportions from LDA on its text, ``ε_j`` its latent offset (prior
    N(0, λ_v⁻¹ I): the penalty λ_v ‖ε_j‖², ``reg_offset``), ``u_u`` [K] the user's factors (λ_u ‖u_u‖²,
    ``reg``). The latent space is the topic space, so its size is the number of topics.

    **Readings.** θ_j is held at the LDA estimate; Wang and Blei report that fixing θ_j so "gives
    comparable performance" to updating it jointly (section 4.3), and it keeps the model a plain
    factorisation. Their squared loss with confidence weights is replaced by BPR's pairwise loss, as the
    Ante-RNN paper trains its baselines. An item without text has θ_j = 0 and scores by ε_j alone.

    Shapes: ``topics`` [n_items, K] (rows summing to 1, or 0 for no text; e.g.
    `seqrec.datasets.user_topics.item_topics`); ``score_all(users [B]) -> [B, n_items]``.
    """

    name = "CTR"

    def __init__(self, n_users, n_items, topics, learning_rate=1e-3, reg=1e-4, reg_offset=1e-2, epochs=30,
                 batch_size=256, patience=3, seed=0):
        topics = _content(topics, int(n_items), "topics")
        super().__init__(n_users, n_items, dim=topics.shape[1], learning_rate=learning_rate, reg=reg,
                         epochs=epochs, batch_size=batch_size, patience=patience, seed=seed)
        self.topics, self.reg_offset = topics, float(reg_offset)
        self._hyper |= {"reg_offset": self.reg_offset}
        self._hyper.pop("item_bias")

    def _network(self):
        return _CTRNet(self.n_users, self.n_items, self.topics, self.reg, self.reg_offset)

    def _factors(self):
        n = self.network
        return (n.P.embeddings.numpy(), self.topics + n.offset.embeddings.numpy(),
                np.zeros(self.n_items, np.float32))
