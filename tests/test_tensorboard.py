"""What a run writes to TensorBoard: attention images and text per epoch for the attention models, epoch
curves for the classical baselines, and final metrics beside the hyper-parameters."""

from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf
from next_item_checks import short_sequences

from seqrec.experiments import iarn, mtam
from seqrec.experiments.pipeline import RunOptions, fit
from seqrec.models import DMRAN, MTAM
from seqrec.training import (
    FitContext,
    IARNMethod,
    KerasCandidate,
    KerasNextItem,
    next_item_model,
    set_seed,
    tensorboard,
)


def written(folder: Path) -> dict[str, list[tuple[int, str]]]:
    """``{tag: [(step, plugin), ...]}`` of every event file under ``folder``."""
    out: dict[str, list[tuple[int, str]]] = {}
    for path in sorted(folder.rglob("events.out.tfevents.*")):
        for event in tf.compat.v1.train.summary_iterator(str(path)):
            for value in event.summary.value:
                out.setdefault(value.tag, []).append((event.step, value.metadata.plugin_data.plugin_name))
    return out


@pytest.fixture(scope="module")
def mtam_prepared(synthetic_small):
    return mtam.preparer(RunOptions(profile="smoke"))(mtam.SMOKE, "synthetic-small", synthetic_small)


def test_mtam_hop_attention_images_every_epoch(mtam_prepared, tmp_path):
    prepared = mtam_prepared
    method = KerasNextItem("MTAM", lambda d: next_item_model(MTAM, d, dim=8, hops=2), max_len=10,
                           epochs=2, patience=5)
    fit(method, prepared.data, prepared.task, RunOptions(logdir=str(tmp_path)), folder="run")
    tags = written(tmp_path / "run" / "MTAM" / "attention")
    for hop in ("hop_1", "hop_2"):
        assert sorted(tags[f"attention/{hop}"]) == [(0, "images"), (0, "text"), (1, "images"), (1, "text")]


def test_dmran_item_attention_rows_every_epoch(tmp_path):
    data = short_sequences(12)
    method = KerasCandidate("DMRAN", lambda d: next_item_model(DMRAN, d, rows=2, heads=2, item_dim=4,
                                                               category_dim=4),
                            max_len=12, batch_size=16, epochs=2, item_chunk=16, jit_compile=False)
    set_seed(0)
    method.fit(data, FitContext(0, logdir=tmp_path))
    tags = written(tmp_path / "DMRAN" / "attention")
    assert sorted(tags) == ["attention/row_1", "attention/row_2"]
    assert sorted(tags["attention/row_1"]) == [(0, "images"), (0, "text"), (1, "images"), (1, "text")]


def test_iarn_gate_images_name_users_and_items(synthetic_small, tmp_path):
    prepared = iarn.preparer(iarn.rating_only)(iarn.SMOKE, "synthetic-small", synthetic_small)
    method = IARNMethod("IARN", dim=4, hidden=4, epochs=1, max_history=6)
    fit(method, prepared.data, prepared.task, RunOptions(logdir=str(tmp_path)), folder="run")
    tags = written(tmp_path / "run" / "IARN" / "attention")
    assert sorted(tags) == ["attention/item_history", "attention/user_history"]
    assert sorted(tags["attention/user_history"]) == [(0, "images"), (0, "text")]


def test_attention_text_lists_the_most_attended_named_steps(tmp_path):
    weights = np.array([[0.1, 0.7, 0.2], [0.5, 0.5, 0.0]])
    ids = np.array([[4, 5, 6], [0, 2, 3]])
    images = tensorboard.AttentionImages(tmp_path, lambda: {}, ["u1 -> x", "u2 -> y"], lambda i: f"item{i}",
                                         top=2)
    text = images.summary("attention", weights, ids)
    assert "| u1 -> x | item5 (0.700); item6 (0.200) |" in text
    assert "| u2 -> y | item2 (0.500); item3 (0.000) |" in text  # padding (id 0) is never listed
    image = tensorboard.heatmap(weights, ids, ["u1", "u2"], "hop")
    assert image.shape[-1] == 4 and image.dtype == tf.uint8


def test_history_and_final_metrics_are_scalars(tmp_path):
    tensorboard.log_history(tmp_path, {"loss": [0.9, 0.7], "auc": [0.6, 0.65]})
    tensorboard.log_final(tmp_path, {"valid/auc": 0.65, "test/auc": 0.61, "test/rmse": float("nan")})
    assert sorted(written(tmp_path / "train")["epoch_loss"]) == [(0, "scalars"), (1, "scalars")]
    assert sorted(written(tmp_path / "validation")["epoch_auc"]) == [(0, "scalars"), (1, "scalars")]
    final = {tag: steps for tag, steps in written(tmp_path).items() if "/" in tag and "epoch" not in tag}
    assert final == {"valid/auc": [(0, "scalars")], "test/auc": [(0, "scalars")]}
