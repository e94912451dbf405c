"""MTAM training throughput: one pass per window (every position predicted) vs one example per prefix.

Both train the same MTAM (section 6.2 sizes by default) with the same loss, the softmax cross-entropy over
all items at every training target, on MovieLens latest-small after MTAM's protocol. Prefix mode encodes
each target's latest ``--max-len`` behaviours as its own example (``next_item_dataset``, batch 256); window
mode encodes each chunk of ``--max-len`` behaviours once and predicts after every position
(``sequence_dataset``, ``--window-batch`` chunks per batch). Prints training targets per second after a
warm-up (compilation excluded) and the ratio.

    python benchmarks/mtam_one_pass.py --steps 30
"""

import argparse
import time

import keras
import numpy as np

from seqrec.datasets import load
from seqrec.datasets.pipelines import SequenceData, next_item_dataset, sequence_dataset
from seqrec.experiments import mtam as experiment
from seqrec.models import MTAM
from seqrec.training import next_item_model


def rate(model, ds, steps: int, targets_per_batch) -> float:
    """Training targets per second over ``steps`` batches after 3 warm-up batches."""
    batches = list(ds.take(steps + 3))
    model.fit(iter_dataset(batches[:3]), verbose=0, shuffle=False)  # compiles for these shapes
    batches = batches[3:]
    targets = sum(targets_per_batch(b) for b in batches)
    start = time.perf_counter()
    model.fit(iter_dataset(batches), verbose=0, shuffle=False)
    return targets / (time.perf_counter() - start)


def iter_dataset(batches):
    """The already assembled batches as a dataset (so the timing excludes the input pipeline)."""
    import tensorflow as tf

    ds = tf.data.Dataset.from_generator(lambda: iter(batches), output_signature=tf.nest.map_structure(
        tf.TensorSpec.from_tensor, batches[0]))
    return ds.apply(tf.data.experimental.assert_cardinality(len(batches)))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--steps", type=int, default=30)
    p.add_argument("--dim", type=int, default=128)
    p.add_argument("--hops", type=int, default=6)
    p.add_argument("--max-len", type=int, default=50)
    p.add_argument("--window-batch", type=int, default=32)
    args = p.parse_args()
    interactions = load("movielens-latest-small")
    data = SequenceData.encode(experiment.protocol(interactions.events, experiment.DATASETS[0]), interactions)
    targets = data.targets("train")
    print(f"movielens-latest-small after MTAM's protocol: {data.items.size - 1:,} items, "
          f"{len(targets):,} training targets; dim {args.dim}, {args.hops} hops, max length {args.max_len}")
    rates = {}
    for windows in (False, True):
        keras.utils.set_random_seed(0)
        model = next_item_model(MTAM, data, dim=args.dim, hops=args.hops, memory_len=args.max_len,
                                all_positions=windows)
        model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                      jit_compile=True)
        rates[windows] = rate(model, training_batches(model, data, args), args.steps,
                              lambda b: int(np.sum(b[2])) if len(b) == 3 else int(b[1].shape[0]))
        print(f"{'window' if windows else 'prefix'} mode: {rates[windows]:10,.0f} training targets/s")
    print(f"one pass per window / one example per prefix: {rates[True] / rates[False]:.1f}x")


def training_batches(model, data, args):
    """The training set of either mode, repeated: (inputs, targets[, per-position weights])."""
    keys = model.input_keys
    if model.all_positions:
        ds = sequence_dataset(data.history_tables(("train",))[0], max_len=args.max_len,
                              batch_size=args.window_batch, shuffle=True)
        return ds.map(lambda x: ({k: x[k] for k in keys}, x["targets"],
                                 keras.ops.cast(x["mask"], "float32"))).repeat()
    ds = next_item_dataset(data.by_user, data.targets("train"), max_len=args.max_len, batch_size=256,
                           shuffle=True, label="target")
    return ds.map(lambda x, y: ({k: x[k] for k in keys}, y)).repeat()


if __name__ == "__main__":
    main()
