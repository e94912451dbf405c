"""Next-item GRUs of Donkers, Loepp and Ziegler, "Sequential User-based Recurrent Neural Network
Recommendations" (RecSys 2017): the standard GRU and the three user-based GRUs of section 3.2.

One layer (section 4.1.3: deeper stacks did not help), the item as a one-hot ``i_t`` embedded by ``E_i``,
the user as a one-hot ``v_t`` embedded by ``E_v`` (same vector at every step), and after every step the
output ``o_t = W h_t + b`` over all items (section 3.1), trained with the softmax cross-entropy of the next
item at every step.

Settings of section 4.1.3 and Table 1, the model's defaults: 1000 hidden units, embeddings of the hidden
size, dropout keep 0.8 on the item embeddings and 0.5 on the user embedding, every weight and bias drawn
from uniform(-0.1, 0.1) (the attentional gate's parameters excepted: they start near zero, as section
3.2.3 asks, see `seqrec.layers.AttentionalUserGRUCell`), omega 0.2, L2 0.01 "on user side". Batch 1000,
20 unrolled steps, gradient cap 5, Adam 1e-3 and 10 epochs belong to the training loop.

Readings where the paper is silent:

* **Dropout** acts on the embedded inputs (the paper: "for item and user vectors"), in training only,
  not on the recurrent state or the output (Zaremba et al.'s non-recurrent dropout, the paper's [58],
  would also drop ``h_t`` before ``o_t``; the paper names only the item and user vectors). It is
  inverted dropout: in training the kept components are scaled by ``1 / keep`` (2 for the user vector),
  so the rectified cell's thresholds (Eq. 6-7) and the attentional gate (Eq. 8) read a user vector twice
  as large, or zero, in training as at inference, where it passes unscaled. The paper does not say where
  its dropout sits; we keep it on the embedding, as its text says, and note the difference in scale
  that the two cells' user-dependent comparisons then see.
* **The L2 penalty "on user side"**, weight 0.01, is put on the user embeddings the batch reads: 0.01
  times the batch mean of ``||E_v v||^2``, on the per-example scale of the cross-entropy it is added to.
  Keras' matrix-wide L2 would sum over every user (71,567 x 1000 weights on MovieLens 10M: about 2,400
  at initialisation against a loss of about 9) and drive every user vector to zero; the paper gives
  neither the parameters nor the normalisation.
* **Stateful training.** The state is carried from one 20-step chunk of a user's sequence to the next
  (truncated back-propagation through time over whole sequences, as in the PTB models the paper cites,
  [58]): the non-trainable ``carry`` [lanes, units] holds each lane's last state, and a batch's ``reset``
  flags start a new user from the zero state. Gradients stop at chunk borders. Under a `tf.distribute`
  strategy of R replicas each replica trains on the same R-th of every batch's lanes (Keras splits a
  global batch into contiguous per-replica slices, always in the same order), so the carry is a
  per-replica (ON_READ) variable of ``lanes / R`` rows: each replica keeps the states of its own lanes,
  read and written only by it. Outside a replica (a checkpoint, early stopping's best weights) it reads
  as the first replica's rows and an assignment sets every replica's; that loses nothing, because
  every lane starts a new user (or idles) at an epoch's first batch.

Inputs (dict): ``items`` int [B, T], ``mask`` bool [B, T] (padded steps keep the state), ``user`` int [B]
and, in training, ``reset`` bool [B]. Output: logits [B, T, n_items], the prediction after every step.
"""

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from seqrec.layers import AttentionalUserGRUCell, LinearUserGRUCell, ProjectedRNN, RectifiedLinearUserGRUCell

from .dropout import PhiloxDropout

CELLS = {"linear": LinearUserGRUCell, "rectified": RectifiedLinearUserGRUCell,
         "attentional": AttentionalUserGRUCell}
VARIANTS = ("standard", *CELLS)


@keras.saving.register_keras_serializable(package="seqrec")
class UserGRU(keras.Model):
    """A standard or user-based GRU for next-item prediction.

    Args:
      n_items, n_users: vocabulary sizes including the padding index 0.
      variant: ``"standard"`` (Keras' GRU with ``reset_after=False``, the Cho et al. step the user cells
        extend), ``"linear"`` (Eq. 3-5), ``"rectified"`` (Eq. 6-7) or ``"attentional"`` (Eq. 8-10).
      units: hidden size (Table 1: 1000); the embeddings take the same size (section 4.1.3).
      lanes: rows of a training batch (Table 1: 1000), the size of the carried state; under a
        distribution strategy, the global batch, which must split evenly over the replicas.
      item_keep, user_keep: dropout keep probabilities (0.8, 0.5).
      user_l2: weight of the user-side penalty (0.01).
      init_scale: every weight from uniform(-init_scale, init_scale) (0.1).
      omega: the rectified cell's middle-band factor (0.2).
    """

    def __init__(self, n_items: int, n_users: int, variant: str = "standard", units: int = 1000,
                 lanes: int = 1000, item_keep: float = 0.8, user_keep: float = 0.5, user_l2: float = 0.01,
                 init_scale: float = 0.1, omega: float = 0.2, **kwargs):
        super().__init__(**kwargs)
        if variant not in VARIANTS:
            raise ValueError(f"variant must be one of {VARIANTS}, got {variant!r}")
        self.config = {"n_items": n_items, "n_users": n_users, "variant": variant, "units": units,
                       "lanes": lanes, "item_keep": item_keep, "user_keep": user_keep, "user_l2": user_l2,
                       "init_scale": init_scale, "omega": omega}
        self.variant, self.units, self.user_l2 = variant, units, user_l2

        def uniform():
            return keras.initializers.RandomUniform(-init_scale, init_scale)

        self.item_embedding = keras.layers.Embedding(n_items, units, embeddings_initializer=uniform(),
                                                     name="item_embedding")
        self.item_dropout = PhiloxDropout(1.0 - item_keep)
        weights = {"kernel_initializer": uniform(), "recurrent_initializer": uniform(),
                   "bias_initializer": uniform()}
        if variant == "standard":
            self.user_embedding = None
            self.rnn = keras.layers.GRU(units, reset_after=False, return_sequences=True, return_state=True,
                                        name="gru", **weights)
        else:
            self.user_embedding = keras.layers.Embedding(n_users, units, embeddings_initializer=uniform(),
                                                         name="user_embedding")
            self.user_dropout = PhiloxDropout(1.0 - user_keep)
            extra = {"omega": omega} if variant == "rectified" else {}
            self.rnn = ProjectedRNN(CELLS[variant](units, units, **weights, **extra), return_sequences=True,
                                    return_state=True, name=f"{variant}_gru")
        self.output_layer = keras.layers.Dense(n_items, kernel_initializer=uniform(),  # float32 logits
                                               bias_initializer=uniform(), name="output", dtype="float32")
        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        if lanes % replicas:
            raise ValueError(f"UserGRU: {lanes} lanes do not split evenly over {replicas} replicas, and each "
                             "replica carries the states of its own share of the lanes; choose a number of "
                             "lanes divisible by the replicas")
        self.carry = keras.Variable(np.zeros((lanes // replicas, units), "float32"), trainable=False,
                                    synchronization="on_read", aggregation="only_first_replica",
                                    name="carry")

    def step_inputs(self, inputs, training=False):
        """The recurrence's input at every step [B, T, units] (with the user: ``[e_i ; e_v]``, [B, T,
        2 units])."""
        x = self.item_dropout(self.item_embedding(inputs["items"]), training=training)
        if self.user_embedding is not None:
            user = self.user_embedding(inputs["user"])
            if training and self.user_l2:
                penalty = self.user_l2 * ops.mean(ops.sum(ops.square(user), axis=-1))
                self.add_loss(ops.cast(penalty, "float32"))  # float32 under mixed precision
            user = self.user_dropout(user, training=training)
            x = ops.concatenate([x, ops.broadcast_to(user[:, None, :], ops.shape(x))], axis=-1)
        return x

    def encode(self, inputs, initial_state=None, training=False):
        """``(h [B, T, units], last state [B, units])`` from the zero state or ``initial_state``."""
        x = self.step_inputs(inputs, training)
        if initial_state is None:
            initial_state = ops.zeros((ops.shape(x)[0], self.units), x.dtype)
        h, state = self.rnn(x, initial_state=[initial_state], mask=ops.cast(inputs["mask"], "bool"),
                            training=training)
        return h, state

    def attention(self, inputs):
        """The attentional variant's gate (Eq. 8) at every step from the zero state, averaged over its
        dimensions [B, T]: the share of the user embedding in the step's input (0: a standard GRU step
        on the item). Other variants have no attention."""
        if self.variant != "attentional":
            raise ValueError(f"the {self.variant} variant has no attention")
        x = self.step_inputs(inputs)
        h, _ = self.encode(inputs)
        previous = ops.concatenate([ops.zeros_like(h[:, :1]), h[:, :-1]], axis=1)  # h_{t-1} of each step
        return ops.mean(self.rnn.cell.gate(x, previous), axis=-1)

    def call(self, inputs, training=False):
        """Logits [B, T, n_items]. With ``reset`` in the inputs (training batches of `lanes` rows, a
        replica's share of them under a strategy), each row starts from its lane's carried state unless
        reset, and the last state is carried on."""
        if "reset" in inputs:
            initial = ops.where(ops.cast(inputs["reset"], "bool")[:, None], 0.0, self.carry)
            h, state = self.encode(inputs, initial, training)
            self.carry.assign(ops.stop_gradient(state))
        else:
            h, _ = self.encode(inputs, None, training)
        return self.output_layer(h)

    def build(self, input_shape):
        self.encode({"items": ops.ones((1, 1), "int32"), "mask": ops.ones((1, 1), "bool"),
                     "user": ops.ones((1,), "int32")})
        self.output_layer.build((None, self.units))
        self.built = True

    def get_config(self):
        return {**super().get_config(), **self.config}
