"""Training and scoring throughput of IARN and its backbones on MovieLens latest-small.

Trains each variant for a fixed number of steps on real training pairs of IARN's protocol (histories of
``--max-history``) and scores (user, item) pairs as the AUC evaluation does; prints ratings/s for
training at each batch size and pairs/s for scoring, measured after a warm-up (compilation excluded).

    python benchmarks/iarn_throughput.py --steps 200 --batch-sizes 50 256
"""

import argparse
import time

import numpy as np

from seqrec.datasets import load
from seqrec.experiments import iarn as experiment
from seqrec.models import iarn
from seqrec.training import IARNMethod


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--steps", type=int, default=200)
    p.add_argument("--batch-sizes", type=int, nargs="+", default=[50, 256])
    p.add_argument("--max-history", type=int, default=50)
    p.add_argument("--variants", nargs="+", default=list(iarn.VARIANTS))
    args = p.parse_args()
    paper = next(p for p in experiment.DATASETS if p.label == "MovieLens")
    prepared = experiment.preparer(experiment.rating_only)(paper, "movielens-latest-small",
                                                           load("movielens-latest-small"))
    train = prepared.data.pairs("train")
    print(f"movielens-latest-small, IARN protocol: {len(train['user']):,} training ratings, "
          f"histories of {args.max_history}")
    for variant in args.variants:
        for batch in args.batch_sizes:
            method = IARNMethod(variant, max_history=args.max_history, batch_size=batch)
            model = method.setup(prepared.data)
            ds = method.dataset(train, shuffle=True, seed=0, label="rating").repeat().take(args.steps + 20)
            model.fit(ds.take(20), verbose=0)
            start = time.perf_counter()
            model.fit(ds.skip(20), verbose=0)
            rate = args.steps * batch / (time.perf_counter() - start)
            print(f"{variant:<14} batch {batch:>4}: training {rate:8,.0f} ratings/s")
        users = np.repeat(np.unique(train["user"])[:20], 500)
        items = np.tile(np.arange(1, 501), 20)
        times = np.full(len(users), int(train["time"].max()) + 1)
        method.predict(users[:4096], items[:4096], times[:4096])
        start = time.perf_counter()
        method.predict(users, items, times)
        print(f"{variant:<14} scoring: {len(users) / (time.perf_counter() - start):8,.0f} pairs/s")


if __name__ == "__main__":
    main()
