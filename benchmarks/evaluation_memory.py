"""Speed and peak memory of the chunked full-ranking evaluator.

Ranks one target per user among every item for ``--users`` users and ``--items`` items, with random
scores made chunk by chunk (as a model would), and reports rows per second and the process's peak
resident memory. The full score matrix (users x items) is never held: memory grows with
``--chunk`` x ``--items``, not with ``--users``.

    python benchmarks/evaluation_memory.py --users 100000 --items 60000 --chunk 256
"""

import argparse
import resource
import time

import numpy as np
import tensorflow as tf

from seqrec.evaluation.ranking import evaluate_ranking


def batches(n_users: int, n_items: int, chunk: int, seed: int):
    rng = np.random.default_rng(seed)
    for start in range(0, n_users, chunk):
        size = min(chunk, n_users - start)
        yield {"scores": tf.random.stateless_uniform([size, n_items], [seed, start]),
               "targets": rng.integers(1, n_items, size), "user": np.arange(start, start + size)}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--users", type=int, default=100_000)
    p.add_argument("--items", type=int, default=60_000)
    p.add_argument("--chunk", type=int, default=256)
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    start = time.perf_counter()
    result = evaluate_ranking(batches(args.users, args.items, args.chunk, args.seed), ks=(10, 20))
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"users {args.users:,} x items {args.items:,}, chunk {args.chunk}: {seconds:.1f} s, "
          f"{args.users / seconds:,.0f} users/s, peak RSS {peak_mb:,.0f} MB, "
          f"score matrix would be {args.users * args.items * 4 / 2**30:.1f} GiB; "
          f"hr@10 {result.mean()['hr@10']:.5f} (random scores: about 10/{args.items:,})")


if __name__ == "__main__":
    main()
