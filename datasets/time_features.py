"""Time features shared by the papers, as TensorFlow ops usable inside `tf.data` maps.

All inputs are in seconds (int64 or float); times are unix seconds, and calendar features use UTC.

* `log_interval`: ``log(dt / unit + 1)``, the log-scaled interval of MTAM's temporal gate (Eq. 10,
  ``log(t_s - t_{s-1} + 1)``; the authors' code measures times in hours, hence ``unit=3600``).
* `day_bucket`: DMRAN/ATRank's power-of-two day buckets (DMRAN Eq. 1): ``[0, 1)`` day -> 0,
  ``[1, 2)`` -> 1, ``[2, 4)`` -> 2, ..., ``[2^k, 2^(k+1))`` -> k + 1, capped at ``n_buckets - 1``.
* `hour_of_week` and `hour_interval`: Ante-RNN's 169-value one-hots (section 3.5): the hour of the week
  from Monday 00:00 (0..167), and the whole hours between an event and the current time (0..167); the
  last value 168 stands for events more than 168 hours before the current time.
"""

import numpy as np
import tensorflow as tf

HOUR = 3600
DAY = 86400
WEEK_HOURS = 168
ONE_HOT_SIZE = WEEK_HOURS + 1
# 1970-01-01 (unix time 0) was a Thursday: hour 3 * 24 of a week that starts on Monday.
_EPOCH_HOUR_OF_WEEK = 3 * 24


def log_interval(seconds, unit: float = HOUR) -> tf.Tensor:
    """``log(max(seconds, 0) / unit + 1)`` as float32."""
    seconds = tf.cast(seconds, tf.float64)
    return tf.cast(tf.math.log1p(tf.maximum(seconds, 0.0) / unit), tf.float32)


def day_bucket(seconds, n_buckets: int = 12) -> tf.Tensor:
    """Power-of-two day bucket of an interval in seconds, int32 in ``[0, n_buckets)``."""
    days = tf.cast(seconds, tf.float64) / DAY
    bucket = tf.where(days < 1.0, tf.zeros_like(days),
                      tf.floor(tf.math.log(tf.maximum(days, 1.0)) / np.log(2.0)) + 1.0)
    return tf.cast(tf.minimum(bucket, n_buckets - 1), tf.int32)


def hour_interval(seconds) -> tf.Tensor:
    """Whole hours of an interval, int32 in ``[0, 168]``; 168 means more than 168 hours (or unknown
    negative intervals, which a causal pipeline never produces)."""
    hours = tf.math.floordiv(tf.cast(seconds, tf.int64), HOUR)
    return tf.cast(tf.where((hours >= WEEK_HOURS) | (hours < 0), tf.constant(WEEK_HOURS, tf.int64),
                            hours), tf.int32)


def hour_of_week(timestamps, reference=None) -> tf.Tensor:
    """Hour of the week (Monday 00:00 UTC = 0), int32 in ``[0, 168]``.

    With ``reference`` (the current time), events more than 168 hours before it get index 168.
    """
    timestamps = tf.cast(timestamps, tf.int64)
    hour = (tf.math.floordiv(timestamps, HOUR) + _EPOCH_HOUR_OF_WEEK) % WEEK_HOURS
    if reference is not None:
        age = tf.cast(reference, tf.int64) - timestamps
        hour = tf.where(age > WEEK_HOURS * HOUR, tf.constant(WEEK_HOURS, tf.int64), hour)
    return tf.cast(hour, tf.int32)


def one_hot(indices, depth: int = ONE_HOT_SIZE) -> tf.Tensor:
    """float32 one-hot of `hour_of_week` / `hour_interval` indices (169 values)."""
    return tf.one_hot(indices, depth, dtype=tf.float32)
