"""The recurrent cells of `seqrec.layers` against Keras' built-in GRU of the same input width.

Each cell runs in ``keras.layers.RNN`` (or, where a cell projects its inputs for the whole sequence at once,
in the layer the models use) inside the same model: a sequence of ``--length`` step inputs of ``--dim``
features (plus the cell's side inputs: the time gap of T-GRU and Time-LSTM, the gate of the
attention-gated cell, the user embedding of the user GRUs), ``--units`` units, the last output scored
against ``--items`` items with a softmax, Adam, XLA. Every model trains on the same pre-materialised
batches in interleaved rounds (`seqrec.experiments.timing`); prints examples/s (median, minimum, every
round) and the ratio to the built-in GRU whose step input has the same width.

    python benchmarks/cells.py --steps 10 --repeats 3
"""

import argparse

import keras
import numpy as np
import tensorflow as tf

from seqrec import layers
from seqrec.experiments import timing


def model(recurrent: keras.layers.Layer, width: int, args) -> keras.Model:
    inputs = keras.Input((args.length, width))
    logits = keras.layers.Dense(args.items)(recurrent(inputs))
    net = keras.Model(inputs, logits)
    net.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                jit_compile=True)
    return net


def rows(args) -> dict:
    """name -> (recurrent layer, step input width, the name of its GRU baseline). Each cell with a
    project/step split runs twice: in ``keras.layers.RNN`` and in `seqrec.layers.ProjectedRNN` (what the
    models use)."""
    d, u = args.dim, args.units
    cells = {  # name -> (cell factory, step input width)
        "TGRUCell": (lambda: layers.TGRUCell(u), d + 1),
        "TimeLSTMCell": (lambda: layers.TimeLSTMCell(u), d + 2),
        "AttentionGatedCell": (lambda: layers.AttentionGatedCell(u), d + 1),
        "LinearUserGRUCell": (lambda: layers.LinearUserGRUCell(u, d), 2 * d),
        "RectifiedLinearUserGRUCell": (lambda: layers.RectifiedLinearUserGRUCell(u, d), 2 * d),
        "AttentionalUserGRUCell": (lambda: layers.AttentionalUserGRUCell(u, d), 2 * d),
    }
    widths = sorted({w for _, w in cells.values()})
    out = {f"keras GRU, input {w}": (keras.layers.GRU(u), w, None) for w in widths}
    # the generic loop with Keras' own GRU cell: what a custom cell costs that does a GRU's work
    out[f"keras GRUCell in keras RNN, input {widths[0]}"] = (
        keras.layers.RNN(keras.layers.GRUCell(u)), widths[0], f"keras GRU, input {widths[0]}")
    for name, (make, width) in cells.items():
        base = f"keras GRU, input {width}"
        out[f"{name} in keras RNN"] = (keras.layers.RNN(make()), width, base)
        if callable(getattr(make(), "project", None)):
            out[f"{name} in ProjectedRNN"] = (layers.ProjectedRNN(make()), width, base)
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--length", type=int, default=50)
    p.add_argument("--dim", type=int, default=128)
    p.add_argument("--units", type=int, default=128)
    p.add_argument("--items", type=int, default=20_000)
    p.add_argument("--steps", type=int, default=10, help="timed batches per model and round")
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--only", nargs="+", metavar="NAME",
                   help="run only the rows whose name contains one of these (and the GRU baselines)")
    args = p.parse_args()
    rng = np.random.default_rng(0)
    targets = tf.constant(rng.integers(0, args.items, (args.steps, args.batch)), tf.int32)
    runs, bases = {}, {}
    chosen = {name: row for name, row in rows(args).items()
              if not args.only or any(word in name for word in args.only) or row[2] is None}
    for name, (recurrent, width, base) in chosen.items():
        x = tf.constant(rng.uniform(0, 1, (args.steps, args.batch, args.length, width)), tf.float32)
        batches = [(x[k], targets[k]) for k in range(args.steps)]
        keras.utils.set_random_seed(0)
        runs[name] = timing.training_rate(model(recurrent, width, args), batches, args.steps * args.batch)
        bases[name] = base
    results = timing.rounds(runs, args.repeats)
    print(f"batch {args.batch}, length {args.length}, dim {args.dim}, {args.units} units, "
          f"{args.items:,}-item softmax, XLA; {timing.load()}")
    for line, name in zip(timing.report(results, "examples/s"), results, strict=True):
        base = bases[name]
        ratio = f"   vs GRU {np.median(results[name]) / np.median(results[base]):.2f}x" if base else ""
        print(line + ratio)
    print(timing.load())


if __name__ == "__main__":
    main()
