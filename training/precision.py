"""Mixed precision for the Keras trainers: layers compute in float16 or bfloat16 while their variables,
the softmax and the loss stay float32.

`policy` sets Keras' global dtype policy (``mixed_float16`` or ``mixed_bfloat16``) while a method is built
and fitted, and puts the previous one back after: every layer built in it computes in the low precision
and keeps float32 variables. The Keras losses of the suite convert the model's output to float32 first
(Keras' ``Loss`` casts to its own dtype, float32), so the softmax over all items and the loss are float32;
so do the objectives of `seqrec.models.base.LossNetwork`. With float16, Keras' ``compile`` wraps the
optimiser in a ``LossScaleOptimizer`` (dynamic loss scaling), which keeps small float16 gradients from
flushing to zero; bfloat16 has float32's range and needs none. A GPU runs float16 on its tensor cores; a
CPU emulates most low-precision ops (slower: use it to test, not to train).
"""

import contextlib
from collections.abc import Iterator

import keras

PRECISIONS = ("float16", "bfloat16")


@contextlib.contextmanager
def policy(precision: str | None) -> Iterator[None]:
    """Keras' global dtype policy ``mixed_<precision>`` inside the block (None: unchanged)."""
    if precision is None:
        yield
        return
    if precision not in PRECISIONS:
        raise ValueError(f"mixed precision must be one of {PRECISIONS}, got {precision!r}")
    before = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy(f"mixed_{precision}")
    try:
        yield
    finally:
        keras.mixed_precision.set_global_policy(before)
