"""Run by `tests/test_distribute.py` in a process of its own: TensorFlow's CPU split into two logical
devices (which must happen before TensorFlow starts), then one smoke fit of each model family under the
default strategy and under `MirroredStrategy` over the two devices, XLA off (XLA on a CPU cannot reach a
second logical device's variables). Prints one JSON line per fit."""

import json
import sys

import tensorflow as tf

cpus = tf.config.list_physical_devices("CPU")
tf.config.set_logical_device_configuration(cpus[0], [tf.config.LogicalDeviceConfiguration()] * 2)

from seqrec.datasets import load  # noqa: E402
from seqrec.experiments import ante_rnn, dmran, iarn, mtam, usergru  # noqa: E402
from seqrec.experiments.pipeline import RunOptions, fit  # noqa: E402
from seqrec.models import BPR, MTAM  # noqa: E402
from seqrec.training import FactorAdapter, IARNMethod, KerasNextItem, next_item_model  # noqa: E402


def families(data):
    """``{family: (prepared, method factory)}``, dropout off where a method has it."""
    mtam_prepared = mtam.preparer(RunOptions(profile="smoke"))(mtam.SMOKE, "synthetic-small", data)
    ante_prepared = ante_rnn.preparer(RunOptions(profile="smoke"), with_content=True)(
        ante_rnn.SMOKE, "synthetic-small", data)
    ante_spec = next(s for s in ante_rnn.table4_methods(ante_prepared, ante_rnn.PROFILES["smoke"])
                     if s.name == "Ante-RNN")
    dmran_prepared = dmran.preparer(RunOptions(profile="smoke"))(dmran.SMOKE, "synthetic-small", data)
    dmran_spec = next(s for s in dmran.table2_methods(dmran.PROFILES["smoke"], False) if s.name == "DMRAN")
    return {
        "MTAM (KerasNextItem)": (mtam_prepared, lambda: KerasNextItem(
            "MTAM", lambda d: next_item_model(MTAM, d, dim=8, dropout=0.0, hops=1, memory_len=10),
            max_len=10, batch_size=64, epochs=1)),
        "BPR-MF (factor model)": (mtam_prepared, lambda: FactorAdapter("BPR-MF", BPR, dim=8, epochs=2)),
        "IARN (rating)": (iarn.preparer(iarn.rating_only)(iarn.SMOKE, "synthetic-small", data),
                          lambda: IARNMethod("IARN", dim=8, hidden=8, epochs=1, dropout=0.0)),
        "DMRAN (KerasCandidate)": (dmran_prepared, dmran_spec.build),
        "Ante-RNN (KerasNextItem)": (ante_prepared, ante_spec.build),
        "UserGRU (stateful lanes)": (usergru.preparer(RunOptions(profile="smoke"), 0.1)(
            usergru.SMOKE, "synthetic-small", data),
            next(s for s in usergru.methods(usergru.PROFILES["smoke"]) if s.name.startswith("Att")).build),
    }


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
