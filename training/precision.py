"""Mixed precision for the Keras trainers: layers compute in bfloat16 while their variables, the item
logits, the softmax and the loss stay float32.

`policy` sets Keras' global dtype policy ``mixed_bfloat16`` while a method is built and fitted, and puts
the previous one back after: every layer built in it computes in bfloat16 and keeps float32 variables.
The models' item logits are float32 (`seqrec.models.next_item.NextItemModel` casts before its product with
the item table; UserGRU's and Ante-RNN's output layers are float32 layers), so full ranking sees no ties
made by rounding; the Keras losses convert the output to float32 (Keras' ``Loss`` casts to its own dtype)
and the models' own penalties (``add_loss``) are cast to float32, so the softmax and the loss are float32.
bfloat16 keeps float32's range and needs no loss scaling; GPUs from the A100 on run it on their tensor
cores; a CPU emulates it (slower: use it to test, not to train).

float16 is refused: its range ends at 65,504, and the models' time inputs in seconds (gaps, ages: a day
is 86,400 s) would overflow to infinity when Keras casts a model's inputs to its compute dtype (measured
on the smoke data: Ante-RNN scored NaN; MTAM's validation NDCG@10 after one epoch fell from 0.0246 in
float32, and 0.0246 in bfloat16, to 0.0205).
"""

import contextlib
from collections.abc import Iterator

import keras

PRECISIONS = ("bfloat16",)
FLOAT16 = ("float16 is not supported: the models' time inputs in seconds overflow its range (65,504; a day "
           "is 86,400 s); use bfloat16, which keeps float32's range (GPUs from the A100 on run it on their "
           "tensor cores)")


def check(precision: str | None) -> None:
    """ValueError unless ``precision`` is None or one of ``PRECISIONS`` (float16: why not)."""
    if precision == "float16":
        raise ValueError(FLOAT16)
    if precision not in (None, *PRECISIONS):
        raise ValueError(f"mixed precision must be one of {PRECISIONS}, got {precision!r}")


@contextlib.contextmanager
def policy(precision: str | None) -> Iterator[None]:
    """Keras' global dtype policy ``mixed_<precision>`` inside the block (None: unchanged)."""
    check(precision)
    if precision is None:
        yield
        return
    before = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy(f"mixed_{precision}")
    try:
        yield
    finally:
        keras.mixed_precision.set_global_policy(before)
