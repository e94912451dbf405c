"""Dropout under XLA on a CPU: Keras' dropout against `seqrec.models.dropout.PhiloxDropout`, alone and in
every model family that trains with XLA.

Keras' dropout draws its mask with ``tf.nn.experimental.stateless_dropout`` without choosing a
random-number algorithm, which under XLA on a CPU is the slow ThreeFry; `PhiloxDropout` passes
``rng_alg="philox"``. Prints the time of one dropout call on a [256, 50, 128] tensor (XLA on and off), then
the training throughput of each family with either dropout (XLA on, Adam, softmax over all items or MSE):
GRU-- and MTAM (6 hops) in prefix mode, MTAM in window mode, SASRec, UserGRU's standard GRU on
session-parallel lanes, and IARN. Every model is timed in interleaved rounds on the same pre-materialised
batches of MovieLens latest-small (`seqrec.experiments.timing`).

    python benchmarks/dropout.py --steps 20 --repeats 3
"""

import argparse
import time
import types

import keras
import numpy as np
import tensorflow as tf

from seqrec.datasets import load, protocols
from seqrec.datasets.pipelines import SequenceData, lane_dataset, next_item_dataset, sequence_dataset
from seqrec.experiments import iarn as iarn_experiment
from seqrec.experiments import mtam as mtam_experiment
from seqrec.experiments import timing
from seqrec.models import MTAM, SASRec, UserGRU
from seqrec.models.dropout import PhiloxDropout
from seqrec.training import IARNMethod, next_item_model


def keras_dropout(model: keras.Model) -> keras.Model:
    """``model`` with every `PhiloxDropout` drawing its mask as `keras.layers.Dropout` does."""
    for layer in model._flatten_layers():
        if isinstance(layer, PhiloxDropout):
            layer.call = types.MethodType(keras.layers.Dropout.call, layer)
    return model


def one_call(dropout: keras.layers.Layer, jit: bool, x: tf.Tensor, calls: int = 10) -> float:
    """Milliseconds of one training call of ``dropout`` on ``x``."""
    step = tf.function(lambda v: dropout(v, training=True), jit_compile=jit)
    step(x).numpy()
    start = time.perf_counter()
    for _ in range(calls):
        step(x).numpy()
    return 1000 * (time.perf_counter() - start) / calls


def families(args) -> dict:
    """name -> (build(), batches, training targets per pass)."""
    movielens = load("movielens-latest-small")
    mtam_data = SequenceData.encode(mtam_experiment.protocol(movielens.events, mtam_experiment.DATASETS[0]),
                                    movielens)
    prefixes = timing.materialise(next_item_dataset(
        mtam_data.by_user, mtam_data.targets("train"), max_len=50, batch_size=256, shuffle=True,
        label="target"), args.steps)
    train_table = mtam_data.history_tables(("train",))[0]
    windows = timing.materialise(sequence_dataset(train_table, max_len=50, batch_size=5, shuffle=True).map(
        lambda x: (x, x["targets"], tf.cast(x["mask"], tf.float32))), args.steps)
    lanes_data = SequenceData.encode(protocols.user_gru(movielens.events), movielens)
    lanes = timing.materialise(lane_dataset(lanes_data.history_tables(("train",))[0], lanes=32, steps=20).map(
        lambda x: ({k: x[k] for k in ("items", "mask", "user", "reset")}, x["targets"],
                   tf.cast(x["mask"], tf.float32))), args.steps)
    iarn_data = iarn_experiment.preparer(iarn_experiment.rating_only)(
        iarn_experiment.DATASETS[1], "movielens-latest-small", movielens).data
    iarn = IARNMethod("IARN", max_history=50)
    iarn.setup(iarn_data)
    ratings = timing.materialise(iarn.dataset(iarn_data.pairs("train"), shuffle=True, label="rating"),
                                 args.steps)

    def next_item(cls, all_positions=False, **kwargs):
        def build():
            return next_item_model(cls, mtam_data, dim=128, dropout=0.5, l2=1e-5, all_positions=all_positions,
                                   **kwargs)
        return build

    def iarn_model():
        method = IARNMethod("IARN", max_history=50)
        return method.setup(iarn_data)

    def select(batches, keys):
        return [({k: x[k] for k in keys}, *rest) for x, *rest in batches]

    prefix_keys = ("items", "mask", "gaps", "ages")
    window_keys = ("items", "mask", "gaps", "target_gaps")
    prefix_targets = sum(int(y.shape[0]) for _, y in prefixes)
    window_targets = sum(int(tf.reduce_sum(w)) for _, _, w in windows)
    return {
        "GRU-- (prefix)": (next_item(MTAM, categories=False, hops=0, unit="gru", memory_len=50),
                           select(prefixes, prefix_keys), prefix_targets),
        "MTAM, 6 hops (prefix)": (next_item(MTAM, hops=6, memory_len=50), select(prefixes, prefix_keys),
                                  prefix_targets),
        "MTAM, 6 hops (window)": (next_item(MTAM, all_positions=True, hops=6, memory_len=50),
                                  select(windows, window_keys), window_targets),
        "SASRec (prefix)": (next_item(SASRec), select(prefixes, prefix_keys), prefix_targets),
        "UserGRU standard (lanes)": (lambda: UserGRU(lanes_data.items.size, lanes_data.users.size, "standard",
                                                     units=128, lanes=32),
                                     lanes, sum(int(tf.reduce_sum(w)) for _, _, w in lanes)),
        "IARN": (iarn_model, ratings, sum(int(y.shape[0]) for _, y in ratings)),
    }


def compiled(model: keras.Model, family: str) -> keras.Model:
    if family == "IARN":
        model.compile(**IARNMethod("IARN").compile_args())  # RMSprop, squared error, XLA
        return model
    model.compile(optimizer=keras.optimizers.Adam(1e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), jit_compile=True)
    return model


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--steps", type=int, default=20, help="timed batches per model and round")
    p.add_argument("--repeats", type=int, default=3, help="rounds; the median is reported")
    args = p.parse_args()
    x = tf.random.normal([256, 50, 128])
    for name, layer in (("keras.layers.Dropout", keras.layers.Dropout(0.5, seed=1)),
                        ("PhiloxDropout", PhiloxDropout(0.5, seed=1))):
        print(f"{name:22s} one call on [256, 50, 128]: XLA {one_call(layer, True, x):7.1f} ms, "
              f"no XLA {one_call(layer, False, x):7.1f} ms")
    print(timing.load())
    for family, (build, batches, targets) in families(args).items():
        runs = {}
        for kind in ("Keras dropout", "Philox dropout"):
            keras.utils.set_random_seed(0)
            model = build()
            model = compiled(keras_dropout(model) if kind == "Keras dropout" else model, family)
            runs[f"{family}, {kind}"] = timing.training_rate(model, batches, targets)
        results = timing.rounds(runs, args.repeats)
        print("\n".join(timing.report(results, "targets/s", base=f"{family}, Keras dropout")), flush=True)
    print(timing.load())


if __name__ == "__main__":
    np.set_printoptions(precision=3)
    main()
