"""MTAM training throughput: one pass per window (every position predicted) vs one example per prefix.

Both train the same MTAM (section 6.2 sizes by default) with the same loss, the softmax cross-entropy over
all items at every training target, on MovieLens latest-small after MTAM's protocol. Prefix mode encodes
each target's latest ``--max-len`` behaviours as its own example (``next_item_dataset``, batch 256); window
mode encodes each chunk of ``--max-len`` behaviours once and predicts after every position
(``sequence_dataset``, ``--window-batch`` chunks per batch). Both are timed in interleaved rounds on
pre-materialised batches (`seqrec.experiments.timing`); prints training targets per second (median,
minimum, every round), the ratio and the machine's load.

    python benchmarks/mtam_one_pass.py --steps 30 --window-batch 5 --repeats 3
"""

import argparse

import keras
import tensorflow as tf

from seqrec.datasets import load
from seqrec.datasets.pipelines import SequenceData, next_item_dataset, sequence_dataset
from seqrec.experiments import mtam as experiment
from seqrec.experiments import timing
from seqrec.models import MTAM
from seqrec.training import next_item_model, target_mean_cross_entropy


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--steps", type=int, default=30)
    p.add_argument("--dim", type=int, default=128)
    p.add_argument("--hops", type=int, default=6)
    p.add_argument("--max-len", type=int, default=50)
    p.add_argument("--window-batch", type=int, default=5)
    p.add_argument("--repeats", type=int, default=3)
    args = p.parse_args()
    interactions = load("movielens-latest-small")
    data = SequenceData.encode(experiment.protocol(interactions.events, experiment.DATASETS[0]), interactions)
    print(f"movielens-latest-small after MTAM's protocol: {data.items.size - 1:,} items, "
          f"{len(data.targets('train')):,} training targets; dim {args.dim}, {args.hops} hops, max length "
          f"{args.max_len}, {args.window_batch} chunks per window batch; {timing.load()}")
    runs = {}
    for windows in (False, True):
        keras.utils.set_random_seed(0)
        model = next_item_model(MTAM, data, dim=args.dim, hops=args.hops, memory_len=args.max_len,
                                all_positions=windows)
        model.compile(optimizer="adam", loss=target_mean_cross_entropy(), jit_compile=True)
        keys = model.input_keys
        if windows:
            ds = sequence_dataset(data.history_tables(("train",))[0], max_len=args.max_len,
                                  batch_size=args.window_batch, shuffle=True)
            batches = timing.materialise(ds.map(lambda x, k=keys: (
                {key: x[key] for key in k}, x["targets"], tf.cast(x["mask"], tf.float32))), args.steps)
            targets = sum(int(tf.reduce_sum(w)) for _, _, w in batches)
        else:
            ds = next_item_dataset(data.by_user, data.targets("train"), max_len=args.max_len, batch_size=256,
                                   shuffle=True, label="target")
            batches = timing.materialise(ds.map(lambda x, y, k=keys: ({key: x[key] for key in k}, y)),
                                         args.steps)
            targets = sum(int(y.shape[0]) for _, y in batches)
        runs["window mode" if windows else "prefix mode"] = timing.training_rate(model, batches, targets)
    results = timing.rounds(runs, args.repeats)
    print("\n".join(timing.report(results, "targets/s", base="prefix mode")))
    print(timing.load())


if __name__ == "__main__":
    main()
