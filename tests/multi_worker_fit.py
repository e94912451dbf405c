"""Run by `tests/test_distribute.py` as one of two workers of a `MultiWorkerMirroredStrategy` cluster on
localhost (the test sets ``TF_CONFIG``: loopback addresses only): the strategy is made before any other
TensorFlow op, as the command line makes it, then the MTAM family's smoke fit (`model_families`) trains
under it, XLA off (its validation sharded over the workers), and its test evaluation is compared on this
worker alone and sharded over the cluster. Prints one JSON line: the validation curve, the replicas in
sync, whether this worker is the chief and the comparison (`model_families.sharded_evaluation`)."""

import json
import sys

from seqrec.training import distribute

strategy = distribute.get("multi-worker")  # before any other TensorFlow op

from model_families import families, sharded_evaluation  # noqa: E402

from seqrec.datasets import load  # noqa: E402
from seqrec.experiments.pipeline import RunOptions, fit  # noqa: E402

FAMILY = "MTAM (KerasNextItem)"


def main() -> None:
    prepared, build = families(load("synthetic-small"), [FAMILY])[FAMILY]
    method = build()
    info = fit(method, prepared.data, prepared.task,
               RunOptions(profile="smoke", strategy="multi-worker", jit_compile=False))
    print(json.dumps({"valid": info["valid_curve"], "replicas": distribute.replicas(strategy),
                      "chief": distribute.is_chief(),
                      "sharded": sharded_evaluation(method, prepared, FAMILY, strategy)}), flush=True)


if __name__ == "__main__":
    sys.exit(main())
