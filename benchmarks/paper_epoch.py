"""Training throughput of MTAM and of the attentional user-based GRU at the ``paper`` profile's settings,
through the suite's own trainers: examples per second over one epoch.

* MTAM: Table 2's MTAM with section 6.2's settings (`seqrec.experiments.mtam.mtam` at the paper profile:
  d = 128, its hops and memory, the latest 50 behaviours, batches of 256 prefixes, every training prefix
  one example), on ``--dataset`` under MTAM's protocol; an example is one training prefix.
* UserGRU: the attentional user-based GRU with Table 1's settings (`seqrec.experiments.usergru.gru` at the
  paper profile: 1000 units, batches of 1000 lanes x 20 steps), on ``--dataset`` under UserGRU's
  protocol; an example is one (item, next item) tuple, padding excluded.

Each model trains one epoch through its trainer's ``fit``, without validation, with ``--strategy``,
``--jit-compile`` and ``--mixed-precision`` as the reproduce scripts take them. The clock reads the end of
every optimiser step (waiting for the step's loss, since a GPU runs asynchronously); the first
``--warm-up`` steps (tracing, XLA compilation) are left out, and the rate is the examples of the other
steps over their seconds. ``--max-steps N`` ends the epoch after N steps (a CPU takes hours over a
paper-sized epoch). Prints one line per model and the machine.

    python benchmarks/paper_epoch.py                                   # a GPU: whole epochs
    python benchmarks/paper_epoch.py --max-steps 30 --models MTAM      # a CPU
"""

import argparse
import time

import keras
import numpy as np

from seqrec.datasets import load
from seqrec.datasets.pipelines import EpochClock
from seqrec.evaluation.manifest import hardware
from seqrec.experiments import mtam, timing, usergru
from seqrec.experiments.pipeline import RunOptions
from seqrec.training import FitContext, distribute, precision, set_seed


class StepClock(keras.callbacks.Callback):
    """The time at the end of every training step; stops the fit after ``max_steps`` (0: never)."""

    def __init__(self, max_steps: int):
        super().__init__()
        self.max_steps, self.ends = max_steps, []

    def on_train_batch_end(self, batch, logs=None):
        float(logs["loss"])  # wait for the step itself
        self.ends.append(time.perf_counter())
        if self.max_steps and len(self.ends) >= self.max_steps:
            self.model.stop_training = True


def prepared(name: str, options: RunOptions):
    """``{model: (method, data, examples(k) -> examples in the first k training batches)}``."""
    interactions = load(name)
    out = {}
    paper = mtam.paper_datasets(RunOptions(profile="paper", datasets=(name,)))[0]
    data = mtam.preparer(options)(paper, name, interactions).data
    method = mtam.mtam("MTAM", mtam.PROFILES["paper"])

    def prefixes(steps, method=method, data=data):
        return min(steps * method.batch_size, len(data.targets("train")))

    out["MTAM"] = (method, data, prefixes)
    paper = usergru.paper_datasets(RunOptions(profile="paper", datasets=(name,)))[0]
    data = usergru.preparer(options, 1.0)(paper, name, interactions).data
    method = usergru.gru("Attentional User-based GRU", "attentional", usergru.PROFILES["paper"])

    def tuples(steps, method=method, data=data):
        table = data.history_tables(("train",))[0]
        batches = method.train_dataset(table, options.seed, EpochClock(0)).take(steps)
        return int(sum(np.asarray(w).sum() for _, _, w in batches))

    out["UserGRU"] = (method, data, tuples)
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--dataset", default="movielens-latest-small")
    p.add_argument("--data-dir")
    p.add_argument("--models", nargs="+", choices=("MTAM", "UserGRU"), default=["MTAM", "UserGRU"])
    p.add_argument("--max-steps", type=int, default=0, help="end the epoch after this many steps (0: never)")
    p.add_argument("--warm-up", type=int, default=3, help="first steps left out of the rate")
    p.add_argument("--strategy", choices=distribute.STRATEGIES, default="default")
    p.add_argument("--jit-compile", choices=("on", "off"))
    p.add_argument("--mixed-precision", choices=precision.PRECISIONS)
    args = p.parse_args()
    if args.warm_up < 1 or (args.max_steps and args.max_steps <= args.warm_up):
        p.error("--warm-up must be at least 1 and --max-steps, when given, more than --warm-up")
    options = RunOptions(profile="paper", data_dir=args.data_dir, strategy=args.strategy,
                         mixed_precision=args.mixed_precision)
    strategy = distribute.get(args.strategy)
    jit = None if args.jit_compile is None else args.jit_compile == "on"
    print(f"{args.dataset}; strategy {args.strategy} ({distribute.replicas(strategy)} replicas), XLA "
          f"{args.jit_compile or 'as each method'}, mixed precision {args.mixed_precision or 'off'}; "
          f"{hardware()}; {timing.load()}")
    for name, (method, data, examples) in prepared(args.dataset, options).items():
        if name not in args.models:
            continue
        method.epochs = 1
        clock = StepClock(args.max_steps)
        set_seed(options.seed)
        with precision.policy(args.mixed_precision):
            method.fit(data, FitContext(options.seed, strategy=strategy, jit_compile=jit, callbacks=[clock]))
        steps = len(clock.ends)
        if steps <= args.warm_up:
            print(f"{name}: the epoch has {steps} steps, not more than --warm-up {args.warm_up}")
            continue
        counted = examples(steps) - examples(args.warm_up)
        seconds = clock.ends[-1] - clock.ends[args.warm_up - 1]
        settings = {k: v for k, v in method.hyperparameters.items() if k not in ("epochs", "patience")}
        print(f"{name:8s} {counted / seconds:10,.0f} examples/s over steps {args.warm_up + 1}-{steps} "
              f"({counted:,} examples in {seconds:.1f} s; {settings}); {timing.load()}")


if __name__ == "__main__":
    main()
