"""`--mixed-precision bfloat16` (`seqrec.training.precision`): the model families whose layers hold
their own precision code (float32 logits, float32 ``add_loss`` penalties) train and validate under Keras'
mixed policy with bfloat16 compute and float32 variables and logits; the policy is put back after the fit;
float16 is refused with the reason; the manifest records the choice."""

import keras
import numpy as np
import pytest
from model_families import families

from seqrec.datasets import load
from seqrec.experiments import cli
from seqrec.experiments.pipeline import RunOptions, fit, open_manifest
from seqrec.training import precision

# NextItemModel's float32 logits; float32 penalties (add_loss) of the candidate models and of the item
# attention; UserGRU's float32 output layer and penalty (Ante-RNN's output layer is a float32 Dense too)
CHECKED = ("MTAM (KerasNextItem)", "DMRAN (KerasCandidate)", "UserGRU (stateful lanes)")


def test_families_train_in_bfloat16_with_float32_variables_and_logits():
    built = families(load("synthetic-small"), CHECKED)
    for family in CHECKED:
        prepared, build = built[family]
        method = build()
        options = RunOptions(profile="smoke", mixed_precision="bfloat16")
        info = fit(method, prepared.data, prepared.task, options)
        assert keras.mixed_precision.global_policy().name == "float32", family  # put back
        model = method.model
        assert model.dtype_policy.name == "mixed_bfloat16", family
        assert {v.dtype for v in model.trainable_variables} == {"float32"}, family
        assert np.isfinite(info["train_loss"]).all() and np.isfinite(info["valid_curve"]).all(), family
        if family.startswith("MTAM"):
            valid = prepared.task.eval_dataset(prepared.data, "valid", method.max_len, method.padding)
            batch = next(iter(valid))
            assert method.scores(batch).dtype == "float32"


def test_float16_is_refused_with_the_reason(tmp_path):
    with pytest.raises(ValueError, match="time inputs in seconds"):
        RunOptions(mixed_precision="float16")
    with pytest.raises(SystemExit):
        cli.parse("x", tmp_path, ["--profile", "smoke", "--mixed-precision", "float16"])
    args = cli.parse("x", tmp_path, ["--profile", "smoke", "--mixed-precision", "bfloat16"])
    options = RunOptions(**cli.options(args))
    assert open_manifest("x", options).hardware["mixed_precision"] == "bfloat16"
    assert open_manifest("x", RunOptions(profile="smoke")).hardware["mixed_precision"] == "off (float32)"
    with precision.policy(None):
        assert keras.mixed_precision.global_policy().name == "float32"
