"""The runner end to end on the embedded MovieLens: a tiny Keras model and TopPop, model selection on
validation only, TensorBoard logs, repeatable runs, and a written table of real numbers and statuses."""

import json
from pathlib import Path

import keras
import numpy as np
import pandas as pd
import pytest

from seqrec.datasets import protocols
from seqrec.evaluation import stats, tables
from seqrec.evaluation.manifest import Manifest
from seqrec.evaluation.runner import KerasNextItem, Popularity, run_dataset
from seqrec.evaluation.tasks import NextItemTask

MAX_LEN = 20


def mean_pool(data):
    n_items = data.items.size
    items = keras.Input((MAX_LEN,), dtype="int32", name="items")
    mask = keras.Input((MAX_LEN,), dtype="bool", name="mask")
    emb = keras.layers.Embedding(n_items, 16)(items)
    w = keras.ops.expand_dims(keras.ops.cast(mask, "float32"), -1)
    pooled = keras.ops.sum(emb * w, 1) / keras.ops.maximum(keras.ops.sum(w, 1), 1.0)
    return keras.Model({"items": items, "mask": mask}, keras.layers.Dense(n_items)(pooled))


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    logdir = tmp_path_factory.mktemp("tb")
    task = NextItemTask(max_len=MAX_LEN, ks=(10,), batch_size=512)
    methods = [Popularity(), KerasNextItem("MeanPool", mean_pool, epochs=3, learning_rate=5e-3)]
    result = run_dataset("movielens-latest-small", protocols.mtam, task, methods, seed=0, logdir=logdir)
    return result, logdir


def test_runner_returns_per_user_test_results(run):
    result, _ = run
    n_users = result.split.test["user"].nunique()
    for name in ("TopPop", "MeanPool"):
        r = result.runs[name]
        assert len(r.test.rows) == n_users and r.test.n_without_targets == 0
        assert 0 <= r.test.mean()["ndcg@10"] <= r.test.mean()["hr@10"] <= 1
        assert r.test.per_user().index.is_unique
    # TopPop's number is what counting training events gives
    pop = result.runs["TopPop"].test.mean()["hr@10"]
    train_counts = result.split.train["item"].value_counts()
    test = result.split.test
    top = set(train_counts.index[:10])
    assert pop == pytest.approx(test["item"].isin(top).mean(), abs=1.5 / len(test))


def test_model_selection_uses_validation_and_restores_the_best_epoch(run):
    result, _ = run
    info = result.runs["MeanPool"].info
    assert 1 <= info["best_epoch"] <= info["epochs_run"]
    # the restored weights are those of the best validation epoch
    assert result.runs["MeanPool"].valid.mean()["ndcg@10"] == pytest.approx(info["best_val_ndcg@10"])


def test_tensorboard_logs_scalars_and_hyperparameters(run):
    _, logdir = run
    files = [p for p in Path(logdir).rglob("events.out.tfevents.*")]
    assert any("train" in p.parts for p in files) and any("validation" in p.parts for p in files)
    hparams = [p for p in files if p.parent.name == "MeanPool"]
    assert hparams and b"learning_rate" in hparams[0].read_bytes()


def test_same_seed_same_numbers(run):
    result, _ = run
    task = NextItemTask(max_len=MAX_LEN, batch_size=512)
    again = run_dataset("movielens-latest-small", protocols.mtam, task,
                        [KerasNextItem("MeanPool", mean_pool, epochs=3, learning_rate=5e-3)], seed=0)
    a = result.runs["MeanPool"].test.rows["ndcg@10"].to_numpy()
    b = again.runs["MeanPool"].test.rows["ndcg@10"].to_numpy()
    assert np.allclose(a, b, atol=1e-6)


def test_table_written_with_real_numbers_and_statuses(run, tmp_path):
    result, _ = run
    reference = pd.DataFrame({
        "dataset": ["ML", "ML", "ML", "Other"], "method": ["TopPop", "GRU", "TopPop", "TopPop"],
        "metric": ["HR@10", "HR@10", "NDCG@10", "HR@10"], "value": ["0.5", "0.6", "", "0.4"],
        "mark": ["", "best", "", ""], "note": ["", "", "not reported", ""]})
    ours = {("ML", m, k.upper()): result.runs[m].test.mean()[k]
            for m in ("TopPop", "MeanPool") for k in ("hr@10", "ndcg@10")}

    def status(dataset, method, metric):
        return "dataset not present" if dataset == "Other" else "not run in this profile"

    cells = tables.build_cells(reference, ours, status, extra=[("ML", "MeanPool", "HR@10"),
                                                                ("ML", "MeanPool", "NDCG@10")])
    manifest = Manifest(script="test", profile="smoke", seed=0)
    manifest.add_dataset("movielens-latest-small", "ML", result.interactions, substitute=True,
                         protocol=result.split.describe())
    manifest.finish()
    md, js = tables.write_table(cells, "demo_table", tmp_path, manifest, "Demo")
    payload = json.loads(js.read_text())
    by_key = {(c["dataset"], c["method"], c["metric"]): c for c in payload["cells"]}
    assert set(payload["cells"][0]) == {"dataset", "method", "metric", "paper", "ours", "status"}
    assert by_key[("ML", "TopPop", "HR@10")]["ours"] == pytest.approx(ours[("ML", "TopPop", "HR@10")])
    assert by_key[("ML", "GRU", "HR@10")] == {"dataset": "ML", "method": "GRU", "metric": "HR@10",
                                             "paper": "0.6", "ours": None,
                                             "status": "not run in this profile"}
    assert by_key[("Other", "TopPop", "HR@10")]["status"] == "dataset not present"
    assert by_key[("ML", "TopPop", "NDCG@10")]["paper"] is None
    text = md.read_text()
    best = max(ours[("ML", m, "HR@10")] for m in ("TopPop", "MeanPool"))
    assert f"**{best:.4f}**" in text
    assert "substitute for ML" in text and "not run in this profile" in text
    p_value = tables.build_cells(reference, {("ML", "p-value", "HR@10"): 0.9, ("ML", "TopPop", "HR@10"): 0.1},
                                 extra=[("ML", "p-value", "HR@10")])
    assert ("ML", "p-value", "HR@10") not in tables._best(p_value)  # a statistic is never "our best"
    assert ("ML", "TopPop", "HR@10") in tables._best(p_value)
    assert result.interactions.fingerprint()[:16] in text
    assert payload["manifest"]["wall_time_s"] is not None and payload["manifest"]["versions"]["keras"]


def test_cells_refuse_numbers_without_ok_and_unknown_statuses():
    with pytest.raises(ValueError):
        tables.Cell("d", "m", "HR@10", None, 0.5, "not run in this profile")
    with pytest.raises(ValueError):
        tables.Cell("d", "m", "HR@10", None, None, "ok")
    with pytest.raises(ValueError):
        tables.Cell("d", "m", "HR@10", None, None, "skipped")
    tables.Cell("d", "m", "HR@10", None, None, "not applicable: no features")
    assert tables.lower_is_better("RMSE") and not tables.lower_is_better("AUC")


def test_paired_ttest_and_summaries_match_scipy(run):
    from scipy import stats as sps

    result, _ = run
    per_user = result.per_user("ndcg@10")
    t = stats.paired_ttest(per_user["MeanPool"], per_user["TopPop"])
    ref = sps.ttest_rel(per_user["MeanPool"], per_user["TopPop"])
    assert t.n == len(per_user) and t.p_value == pytest.approx(ref.pvalue)
    assert stats.mean_std([1.0, 2.0, 3.0]) == (2.0, 1.0)
    assert stats.relative_improvement(1.1, 1.0) == pytest.approx(0.1)
    assert stats.relative_improvement(0.9, 1.0, lower_is_better=True) == pytest.approx(0.1)
