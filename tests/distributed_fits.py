"""Run by `tests/test_distribute.py` in a process of its own: TensorFlow's CPU split into two logical
devices (which must happen before TensorFlow starts), then one smoke fit of each model family under the
default strategy and under `MirroredStrategy` over the two devices, XLA off (XLA on a CPU cannot reach a
second logical device's variables). Prints one JSON line per fit, one per family in `SCORERS` comparing
its test evaluation on one device and sharded over the replicas (`sharded_evaluation`), and one
comparing UserGRU's outputs over consecutive lane batches, its state carried, on one device and on two
replicas (`carried_lanes`)."""

import json
import sys

import numpy as np
import tensorflow as tf

cpus = tf.config.list_physical_devices("CPU")
tf.config.set_logical_device_configuration(cpus[0], [tf.config.LogicalDeviceConfiguration()] * 2)

from model_families import SCORERS, families, sharded_evaluation  # noqa: E402

from seqrec.datasets import load  # noqa: E402
from seqrec.experiments.pipeline import RunOptions, fit  # noqa: E402
from seqrec.models import UserGRU  # noqa: E402
from seqrec.training import distribute  # noqa: E402


def main() -> None:
    data = load("synthetic-small")
    for family, (prepared, build) in families(data).items():
        for strategy in ("default", "mirrored"):
            method = build()
            info = fit(method, prepared.data, prepared.task,
                       RunOptions(profile="smoke", strategy=strategy, jit_compile=False))
            model = getattr(method, "model", None)
            network = getattr(model, "network", model)  # a factor model's Keras network
            variable = network.trainable_variables[0].value
            print(json.dumps({"family": family, "strategy": strategy,
                              "valid": info.get("valid_curve") or info.get("history", {}).get("auc"),
                              "copies": len(getattr(variable, "values", [variable]))}), flush=True)
        if family in SCORERS:
            print(json.dumps({"family": family, "strategy": "sharded evaluation",
                              **sharded_evaluation(method, prepared, family, distribute.get("mirrored"))}),
                  flush=True)
        if family == "UserGRU (stateful lanes)":
            print(json.dumps(carried_lanes(prepared, build)), flush=True)


def carried_lanes(prepared, build, batches: int = 6) -> dict:
    """The largest difference between the logits of one UserGRU (same weights) run over ``batches``
    consecutive lane batches, the state carried from batch to batch, on one device and on two replicas
    (each carrying its half of the lanes): zero up to float error when every replica keeps its own
    lanes' states."""
    method = build()
    table = prepared.data.history_tables(("train",))[0]
    inputs = [x for x, _, _ in method.train_dataset(table, seed=0).take(batches)]
    one = method.build(prepared.data)
    one(inputs[0])
    strategy = distribute.get("mirrored")
    with strategy.scope():
        two = method.build(prepared.data)
        two(tf.nest.map_structure(lambda t: t[:len(t) // 2], inputs[0]))  # built on a replica's share
    for a, b in zip(two.trainable_variables, one.trainable_variables, strict=True):
        a.assign(b)
    one.carry.assign(tf.zeros_like(one.carry))
    two.carry.assign(tf.zeros_like(two.carry))
    rows = len(inputs[0]["user"])
    dataset = strategy.experimental_distribute_dataset(distribute.for_replicas(
        tf.data.Dataset.from_tensor_slices({k: tf.concat([x[k] for x in inputs], 0) for k in inputs[0]})
        .batch(rows)))
    gaps = [np.abs(one(x).numpy() - strategy.gather(strategy.run(two, args=(shares,)), 0).numpy()).max()
            for x, shares in zip(inputs, dataset, strict=True)]
    with strategy.scope():
        try:
            UserGRU(prepared.data.items.size, prepared.data.users.size, units=4, lanes=7)
            uneven = ""
        except ValueError as err:
            uneven = str(err)
    return {"family": "UserGRU carried lanes", "replicas": strategy.num_replicas_in_sync,
            "carry_rows": int(two.carry.shape[0]), "max_difference": float(max(gaps)),
            "reset_rows": [int(np.sum(x["reset"])) for x in inputs], "uneven_lanes_error": uneven}


if __name__ == "__main__":
    sys.exit(main())
