"""NCF / NeuMF (He, Liao, Zhang, Nie, Hu & Chua, "Neural collaborative filtering", WWW 2017)."""

import keras
import numpy as np
from keras import ops

from .base import LossNetwork, Recommender, embedding, item_sets, sq


class _NeuMFNet(LossNetwork):
    def __init__(self, n_users, n_items, dim, hidden, reg):
        super().__init__()
        mlp_dim = hidden[0] // 2
        self.Pg = embedding(n_users, dim, "gmf_user", stddev=0.01)
        self.Qg = embedding(n_items, dim, "gmf_item", stddev=0.01)
        self.Pm = embedding(n_users, mlp_dim, "mlp_user", stddev=0.01)
        self.Qm = embedding(n_items, mlp_dim, "mlp_item", stddev=0.01)
        self.tower = [keras.layers.Dense(h, activation="relu", name=f"mlp_{k}") for k, h in enumerate(hidden)]
        self.out = keras.layers.Dense(1, name="prediction")
        self.reg = float(reg)

    def logits(self, users, items):
        pg, qg, pm, qm = self.Pg(users), self.Qg(items), self.Pm(users), self.Qm(items)
        h = ops.concatenate([pm, qm], axis=-1)
        for layer in self.tower:
            h = layer(h)
        logit = self.out(ops.concatenate([pg * qg, h], axis=-1))[..., 0]
        return logit, sq(pg) + sq(qg) + sq(pm) + sq(qm)

    def call(self, x):
        logit, penalty = self.logits(x["user"], x["item"])
        return {"logit": logit, "penalty": penalty}

    def objective(self, x, y, out):
        bce = ops.mean(ops.binary_crossentropy(ops.cast(y, "float32"), out["logit"], from_logits=True))
        return bce + self.reg * ops.mean(out["penalty"]) if self.reg else bce


class NCF(Recommender):
    """NeuMF, the fused model of Neural Collaborative Filtering (He et al., WWW 2017, eq. 9-12):

        φ^GMF = p^G_u ⊙ q^G_i
        φ^MLP = a_L(W_Lᵀ( ... a_1(W_1ᵀ [p^M_u ; q^M_i] + b_1) ... ) + b_L)     (ReLU a_l)
        ŷ_ui  = σ(hᵀ [φ^GMF ; φ^MLP])
        min  −Σ_{(u,i)∈Y⁺} ln ŷ_ui − Σ_{(u,j)∈Y⁻} ln(1 − ŷ_uj)                   (eq. 7)

    Implicit feedback: every rated training pair is a positive; each epoch pairs every distinct
    positive with ``negatives`` = 4 items drawn by ``negative_sampler`` (He et al.'s ratio; uniform over
    items the user never interacted with in training), fresh each epoch.

    Readings: IARN 4.1 sets "the number of hidden units" of NCF to 64; we read it as the first MLP layer,
    with He et al.'s halving tower (``hidden`` = (64, 32, 16)) and MLP embeddings of half the first
    layer (32), as in He et al.'s configurations; the GMF embeddings have ``dim`` = 25 (IARN's d).
    NeuMF is trained jointly from scratch (He et al. also report this variant; their best model
    pre-trains GMF and MLP first). Initialisation N(0, 0.01) for embeddings (He et al.), Glorot for
    the layers. ``predict`` returns the logit hᵀ[φ^GMF; φ^MLP] (the ranking of σ of it).

    Shapes: ``predict(users [n], items [n]) -> [n]``, ``score_all(users [B]) -> [B, n_items]``; times
    ignored. Hyper-parameters: ``hidden`` first layer 64 and ``dim`` = 25 from IARN 4.1; 4 negatives,
    Adam, batch size 256 and the initialisation from He et al.; ``learning_rate`` 1e-3 (in both papers'
    grids), ``reg`` = 0 (He et al. use none), epochs and patience are ours. Early stopping on the
    sampled validation AUC.
    """

    name = "NCF"
    score_chunk = 1 << 18

    def __init__(self, n_users, n_items, dim=25, learning_rate=1e-3, reg=0.0, epochs=20, batch_size=256,
                 patience=3, seed=0, hidden=(64, 32, 16), negatives=4):
        hidden = tuple(int(h) for h in hidden)
        super().__init__(n_users, n_items, dim=dim, learning_rate=learning_rate, reg=reg, epochs=epochs,
                         batch_size=batch_size, patience=patience, seed=seed, hidden=hidden,
                         negatives=int(negatives))
        self.hidden, self.negatives = hidden, int(negatives)

    def _prepare(self, train, negative_sampler):
        if negative_sampler is None:
            raise ValueError("NCF needs negative_sampler (built from the training pairs)")
        self.sampler = negative_sampler
        pairs = item_sets(train["user"], train["item"], self.n_users, self.n_items).tocoo()
        self._users, self._items = pairs.row.astype(np.int32), pairs.col.astype(np.int32)
        self.network = self._compile(_NeuMFNet(self.n_users, self.n_items, self.dim, self.hidden, self.reg))

    def _epoch_data(self, epoch):
        k = self.negatives
        negatives = self.sampler.sample_numpy(self._users, k, self.seed * 100_003 + epoch)
        users = np.concatenate([self._users, np.repeat(self._users, k)])
        items = np.concatenate([self._items, negatives.ravel().astype(np.int32)])
        n = len(self._users)
        labels = np.concatenate([np.ones(n), np.zeros(n * k)]).astype(np.float32)
        order = self.rng.permutation(len(users))
        return {"user": users[order], "item": items[order]}, labels[order]

    def _predict_block(self, users, items, times):
        out = np.empty(len(users), np.float32)
        step = self.score_chunk
        for s in range(0, len(users), step):
            logits, _ = self.network.logits(users[s:s + step], items[s:s + step])
            out[s:s + step] = ops.convert_to_numpy(logits)
        return out

    def _score_block(self, users, times):
        n = len(users)
        items = np.tile(np.arange(self.n_items, dtype=np.int32), n)
        flat = self._predict_block(np.repeat(users, self.n_items), items, None)
        return flat.reshape(n, self.n_items)
