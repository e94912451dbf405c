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

The batches are assembled once and replayed from memory with tf.data's autotuning off; every model makes
one untimed pass over them (compilation, caches), then is timed on the same batches once per round (all
models in turn, ``--repeats`` rounds, `seqrec.experiments.timing`); prints the median and minimum tuples
per second, the ratio to the standard GRU, every round and the machine's load.

    python benchmarks/usergru_throughput.py --units 128 --lanes 32 --steps 40
    python benchmarks/usergru_throughput.py --units 1000 --lanes 1000   # the paper's sizes
"""

import argparse

import keras
import tensorflow as tf

from seqrec.datasets import load, protocols
from seqrec.datasets.pipelines import SequenceData, lane_dataset
from seqrec.experiments import timing
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
    batches = timing.materialise(lane_dataset(table, lanes=args.lanes, steps=20, seed=0).map(
        lambda b: ({k: b[k] for k in keys}, b["targets"], tf.cast(b["mask"], tf.float32))), args.steps)
    tuples = sum(int(tf.reduce_sum(w)) for _, _, w in batches)
    print(f"movielens-latest-small after UserGRU's protocol: {data.items.size - 1:,} items, "
          f"{data.users.size - 1:,} users; {args.units} units, {args.lanes} lanes x 20 steps, "
          f"{args.steps} timed batches; {len(tf.config.list_physical_devices('GPU'))} GPU(s); "
          f"{timing.load()}")
    runs = {}
    for row in ROWS:
        keras.utils.set_random_seed(0)
        runs[row] = timing.training_rate(build(row, data, args.units, args.lanes), batches, tuples)
    results = timing.rounds(runs, args.repeats)  # every model once per round, after one untimed pass
    print("\n".join(timing.report(results, "tuples/s", base="Standard GRU")))
    print(timing.load())


if __name__ == "__main__":
    main()
