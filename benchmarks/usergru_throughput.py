"""UserGRU training throughput (section 4.3): input tuples per second of the standard and the user GRUs.

Every model trains on the same batches in one run: MovieLens latest-small after UserGRU's protocol, cut into
session-parallel batches of ``--lanes`` rows x 20 unrolled steps (`seqrec.datasets.pipelines.lane_dataset`),
the softmax cross-entropy over all items at every step, Adam with the gradient norm capped at 5, XLA.
A tuple is one (item, next item) training step of one lane, padding excluded (the paper's "processed input
tuples"). Rows:

* ``Standard GRU``: the table's standard GRU, Keras' built-in ``keras.layers.GRU`` (``reset_after=False``,
  the Cho et al. step the user cells extend);
* ``keras.layers.GRU (reset_after=True)``: Keras' default GRU, the form that runs on cuDNN on a GPU
  (on a CPU both built-in GRUs run Keras' generic recurrent loop);
* the three user GRUs: the custom cells of `seqrec.layers.user_gru` in ``keras.layers.RNN``.

Every model makes one untimed pass over the batches (compilation, caches), then is timed on the same
batches once per round (all models in turn, ``--repeats`` rounds); prints the median tuples per second,
the ratio to the standard GRU and every round.

    python benchmarks/usergru_throughput.py --units 128 --lanes 32 --steps 40
    python benchmarks/usergru_throughput.py --units 1000 --lanes 1000   # the paper's sizes
"""

import argparse
import time

import keras
import numpy as np
import tensorflow as tf

from seqrec.datasets import load, protocols
from seqrec.datasets.pipelines import SequenceData, lane_dataset
from seqrec.models.user_gru import UserGRU

ROWS = {"Standard GRU": "standard", "keras.layers.GRU (reset_after=True)": "standard",
        "Linear User-based GRU": "linear", "Rectified Linear User-based GRU": "rectified",
        "Attentional User-based GRU": "attentional"}


def build(row: str, data: SequenceData, units: int, lanes: int) -> keras.Model:
    model = UserGRU(data.items.size, data.users.size, ROWS[row], units=units, lanes=lanes)
    if "reset_after=True" in row:
        model.rnn = keras.layers.GRU(units, return_sequences=True, return_state=True, name="gru")
    model.compile(optimizer=keras.optimizers.Adam(1e-3, global_clipnorm=5.0),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), jit_compile=True)
    return model


def as_dataset(batches):
    """Assembled batches as a dataset of known length (the timing excludes the input pipeline)."""
    ds = tf.data.Dataset.from_generator(lambda: iter(batches), output_signature=tf.nest.map_structure(
        tf.TensorSpec.from_tensor, batches[0]))
    return ds.apply(tf.data.experimental.assert_cardinality(len(batches)))


def timed(model: keras.Model, batches: list) -> float:
    """Training tuples per second of one pass over ``batches``."""
    tuples = sum(int(tf.reduce_sum(w)) for _, _, w in batches)
    start = time.perf_counter()
    model.fit(as_dataset(batches), verbose=0, shuffle=False)
    return tuples / (time.perf_counter() - start)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--units", type=int, default=256)
    p.add_argument("--lanes", type=int, default=100)
    p.add_argument("--steps", type=int, default=30, help="timed batches per model and round")
    p.add_argument("--repeats", type=int, default=3, help="rounds; the median is reported")
    args = p.parse_args()
    interactions = load("movielens-latest-small")
    data = SequenceData.encode(protocols.user_gru(interactions.events), interactions)
    table = data.history_tables(("train",))[0]
    keys = ("items", "mask", "user", "reset")
    batches = [({k: b[k] for k in keys}, b["targets"], tf.cast(b["mask"], tf.float32))
               for b in lane_dataset(table, lanes=args.lanes, steps=20, seed=0).take(args.steps)]
    print(f"movielens-latest-small after UserGRU's protocol: {data.items.size - 1:,} items, "
          f"{data.users.size - 1:,} users; {args.units} units, {args.lanes} lanes x 20 steps, "
          f"{args.steps} timed batches; {len(tf.config.list_physical_devices('GPU'))} GPU(s)")
    models = {}
    for row in ROWS:
        keras.utils.set_random_seed(0)
        models[row] = build(row, data, args.units, args.lanes)
        timed(models[row], batches)  # compiles the step and warms every cache; not reported
    runs = {row: [] for row in ROWS}
    for _ in range(args.repeats):  # every model once per round, so drifts in machine load hit all alike
        for row in ROWS:
            runs[row].append(timed(models[row], batches))
    base = float(np.median(runs["Standard GRU"]))
    for row, rates in runs.items():
        print(f"{row:40s} {np.median(rates):10,.0f} tuples/s   ratio {np.median(rates) / base:.2f}   "
              f"(rounds: {', '.join(f'{r:,.0f}' for r in rates)})", flush=True)

if __name__ == "__main__":
    main()
