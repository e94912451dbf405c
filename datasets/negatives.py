"""Uniform negative sampling that never returns a positive of the user.

Positives are the user-item pairs given to `NegativeSampler` (pass every split's events, so that no
sampled negative is an item the user interacts with anywhere). Candidates are drawn uniformly from the
items ``1..n_items-1`` (0 is padding) and redrawn, vectorised, until none is a positive.
"""

import numpy as np
import tensorflow as tf

from .errors import DataError

_MAX_ROUNDS = 1000


class NegativeSampler:
    """Draw items a user never interacted with.

    Args:
      users, items: int arrays of positive pairs (vocabulary indices).
      n_items: item vocabulary size including the padding index 0.
    """

    def __init__(self, users, items, n_items: int):
        users = np.asarray(users, np.int64)
        items = np.asarray(items, np.int64)
        self.n_items = int(n_items)
        self.keys = np.unique(users * self.n_items + items)
        counts = np.bincount(self.keys // self.n_items)
        if len(counts) and counts.max() >= self.n_items - 1:
            user = int(np.argmax(counts))
            raise DataError(f"user index {user} interacted with every item; it has no negative.")
        self._keys = tf.constant(self.keys)

    def is_positive(self, users, items) -> np.ndarray:
        """Whether each ``(user, item)`` is a positive pair (numpy)."""
        keys = np.asarray(users, np.int64) * self.n_items + np.asarray(items, np.int64)
        pos = np.clip(np.searchsorted(self.keys, keys), 0, len(self.keys) - 1)
        return self.keys[pos] == keys

    def sample(self, users: tf.Tensor, k: int, seed: tf.Tensor) -> tf.Tensor:
        """``k`` negatives per user as int32 [batch, k]; ``seed`` is a stateless seed (int64 [2])."""
        users = tf.cast(users, tf.int64)[:, None]

        def draw(round_seed):
            return tf.random.stateless_uniform(tf.stack([tf.shape(users)[0], k]), round_seed,
                                               minval=1, maxval=self.n_items, dtype=tf.int64)

        def collides(items):
            keys = users * self.n_items + items
            pos = tf.minimum(tf.searchsorted(self._keys, tf.reshape(keys, [-1])),
                             tf.cast(tf.size(self._keys) - 1, tf.int32))
            return tf.reshape(tf.gather(self._keys, pos), tf.shape(keys)) == keys

        seed = tf.cast(seed, tf.int64)

        def body(i, items):
            redraw = draw(tf.stack([seed[0], seed[1] + i]))
            return i + 1, tf.where(collides(items), redraw, items)

        _, items = tf.while_loop(lambda i, items: tf.reduce_any(collides(items)) & (i < _MAX_ROUNDS),
                                 body, (tf.constant(1, tf.int64), draw(seed)))
        tf.debugging.assert_equal(tf.reduce_any(collides(items)), False,
                                  message="negative sampling did not converge")
        return tf.cast(items, tf.int32)

    def sample_numpy(self, users, k: int, seed: int) -> np.ndarray:
        """Frozen negatives (e.g. sampled evaluation candidates): int32 [len(users), k]."""
        rng = np.random.default_rng(seed)
        users = np.asarray(users, np.int64)
        items = rng.integers(1, self.n_items, (len(users), k))
        for _ in range(_MAX_ROUNDS):
            bad = self.is_positive(np.repeat(users, k), items.ravel()).reshape(items.shape)
            if not bad.any():
                return items.astype(np.int32)
            items[bad] = rng.integers(1, self.n_items, int(bad.sum()))
        stuck = int(np.repeat(users, k)[bad.ravel()][0])
        seen = int(np.count_nonzero(self.keys // self.n_items == stuck))
        raise DataError(f"negative sampling did not converge: user index {stuck} has interacted with "
                        f"{seen:,} of the {self.n_items - 1:,} items, so almost none is left to sample as a "
                        "negative; remove such users or use a dataset with more items.")
