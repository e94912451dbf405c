"""Training and scoring throughput of IARN and its backbones on MovieLens latest-small.

Every variant trains on the same pre-materialised batches of real training pairs of IARN's protocol
(histories of ``--max-history``) and scores the same (user, item) pairs as the AUC evaluation does; the
variants are timed in interleaved rounds after an untimed pass (`seqrec.experiments.timing`). Prints the
median and minimum ratings/s of training at each batch size and pairs/s of scoring, every round, and the
machine's load.

    python benchmarks/iarn_throughput.py --steps 100 --batch-sizes 50 256 --repeats 3
"""

import argparse

import numpy as np

from seqrec.datasets import load
from seqrec.experiments import iarn as experiment
from seqrec.experiments import timing
from seqrec.models import iarn
from seqrec.training import IARNMethod


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--steps", type=int, default=100, help="timed batches per variant and round")
    p.add_argument("--batch-sizes", type=int, nargs="+", default=[50, 256])
    p.add_argument("--max-history", type=int, default=50)
    p.add_argument("--variants", nargs="+", default=list(iarn.VARIANTS))
    p.add_argument("--repeats", type=int, default=3)
    args = p.parse_args()
    paper = next(p for p in experiment.DATASETS if p.label == "MovieLens")
    data = experiment.preparer(experiment.rating_only)(paper, "movielens-latest-small",
                                                       load("movielens-latest-small")).data
    train = data.pairs("train")
    print(f"movielens-latest-small, IARN protocol: {len(train['user']):,} training ratings, histories of "
          f"{args.max_history}; {timing.load()}")
    users = np.repeat(np.unique(train["user"])[:20], 500)
    items = np.tile(np.arange(1, 501), 20)
    times = np.full(len(users), int(train["time"].max()) + 1)
    for batch in args.batch_sizes:
        runs, scoring = {}, {}
        for variant in args.variants:
            method = IARNMethod(variant, max_history=args.max_history, batch_size=batch)
            model = method.setup(data)
            model.compile(**method.compile_args())
            batches = timing.materialise(method.dataset(train, shuffle=True, seed=0, label="rating"),
                                         args.steps)
            runs[f"{variant}, batch {batch}"] = timing.training_rate(model, batches, args.steps * batch)
            scoring[f"{variant} scoring"] = (lambda m=method: timing.timed(
                lambda: m.predict(users, items, times), len(users)))
        print("\n".join(timing.report(timing.rounds(runs, args.repeats), "ratings/s")), flush=True)
    print("\n".join(timing.report(timing.rounds(scoring, args.repeats), "pairs/s")))
    print(timing.load())


if __name__ == "__main__":
    main()
