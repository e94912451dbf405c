"""Full-ranking evaluation against its bound: scoring every item and taking the top K, in the same chunks.

``--users`` users with one target each are ranked among ``--items`` items, scores made chunk by chunk as a
model's output layer would (``U_chunk V^T``, dimension ``--dim``). The bound is the cost of that matrix
product plus ``tf.math.top_k`` per chunk, the least any full-ranking evaluator must do; the evaluator
(`seqrec.evaluation.ranking.evaluate_ranking`: target counts, HR/NDCG/MRR/recall/precision at every K,
per-row results) runs on the same chunks. Both are timed in interleaved rounds
(`seqrec.experiments.timing`); prints users/s of each and the evaluator's share of the bound.

    python benchmarks/full_ranking.py --users 10000 --items 20000 --dim 128 --chunk 256
"""

import argparse

import numpy as np
import tensorflow as tf

from seqrec.evaluation.ranking import evaluate_ranking
from seqrec.experiments import timing


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--users", type=int, default=10_000)
    p.add_argument("--items", type=int, default=20_000)
    p.add_argument("--dim", type=int, default=128)
    p.add_argument("--chunk", type=int, default=256)
    p.add_argument("--ks", type=int, nargs="+", default=[10, 20])
    p.add_argument("--repeats", type=int, default=3)
    args = p.parse_args()
    rng = np.random.default_rng(0)
    users = tf.constant(rng.normal(size=(args.users, args.dim)), tf.float32)
    items = tf.constant(rng.normal(size=(args.items, args.dim)), tf.float32)
    targets = rng.integers(1, args.items, args.users)
    score = tf.function(lambda u: tf.matmul(u, items, transpose_b=True))
    top = tf.function(lambda s: tf.math.top_k(s, max(args.ks)).indices)
    starts = range(0, args.users, args.chunk)

    def bound():
        for start in starts:
            top(score(users[start:start + args.chunk])).numpy()

    def batches():
        for start in starts:
            stop = start + args.chunk
            yield {"scores": score(users[start:stop]), "targets": targets[start:stop],
                   "user": np.arange(start, min(stop, args.users))}

    def evaluate():
        evaluate_ranking(batches(), args.ks)

    runs = {"matmul + top-k (bound)": lambda: timing.timed(bound, args.users),
            "evaluate_ranking": lambda: timing.timed(evaluate, args.users)}
    results = timing.rounds(runs, args.repeats)
    print(f"{args.users:,} users x {args.items:,} items, d {args.dim}, chunks of {args.chunk}; "
          f"{timing.load()}")
    print("\n".join(timing.report(results, "users/s", base="matmul + top-k (bound)")))


if __name__ == "__main__":
    main()
