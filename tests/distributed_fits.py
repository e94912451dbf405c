"""Run by `tests/test_distribute.py` in a process of its own: TensorFlow's CPU split into two logical
devices (which must happen before TensorFlow starts), then one smoke fit of each model family under the
default strategy and under `MirroredStrategy` over the two devices, XLA off (XLA on a CPU cannot reach a
second logical device's variables). Prints one JSON line per fit."""

import json
import sys

import tensorflow as tf

cpus = tf.config.list_physical_devices("CPU")
tf.config.set_logical_device_configuration(cpus[0], [tf.config.LogicalDeviceConfiguration()] * 2)

from model_families import families  # noqa: E402

from seqrec.datasets import load  # noqa: E402
from seqrec.experiments.pipeline import RunOptions, fit  # noqa: E402


def main() -> None:
    data = load("synthetic-small")
    for family, (prepared, build) in families(data).items():
        for strategy in ("mirrored",) if family.startswith("UserGRU") else ("default", "mirrored"):
            method = build()
            try:
                info = fit(method, prepared.data, prepared.task,
                           RunOptions(profile="smoke", strategy=strategy, jit_compile=False))
            except ValueError as err:
                print(json.dumps({"family": family, "strategy": strategy, "error": str(err)}), flush=True)
                continue
            model = getattr(method, "model", None)
            network = getattr(model, "network", model)  # a factor model's Keras network
            variable = network.trainable_variables[0].value
            print(json.dumps({"family": family, "strategy": strategy,
                              "valid": info.get("valid_curve") or info.get("history", {}).get("auc"),
                              "copies": len(getattr(variable, "values", [variable]))}), flush=True)


if __name__ == "__main__":
    sys.exit(main())
