"""The experiment pipeline end to end on the embedded MovieLens: a tiny Keras model and TopPop, model
selection on validation only (epochs and a grid), statuses of what did not run, TensorBoard logs,
repeatable runs, and a written table of real numbers and statuses."""

import json
from pathlib import Path
from types import SimpleNamespace

import keras
import numpy as np
import pandas as pd
import pytest
import tensorflow as tf

from seqrec.datasets import protocols
from seqrec.datasets.pipelines import SequenceData
from seqrec.evaluation import stats, tables
from seqrec.evaluation.manifest import Manifest
from seqrec.evaluation.ranking import RankingResult
from seqrec.evaluation.tasks import NextItemTask
from seqrec.experiments import resume
from seqrec.experiments.pipeline import (
    MethodSpec,
    PaperDataset,
    Prepared,
    Results,
    Run,
    RunOptions,
    convergence_note,
    open_manifest,
    paper_table,
    record_run,
    run,
)
from seqrec.models import TopPop
from seqrec.training import FactorAdapter, KerasNextItem

MAX_LEN = 20


def mean_pool(data):
    n_items = data.items.size
    items = keras.Input((MAX_LEN,), dtype="int32", name="items")
    mask = keras.Input((MAX_LEN,), dtype="bool", name="mask")
    emb = keras.layers.Embedding(n_items, 16)(items)
    w = keras.ops.expand_dims(keras.ops.cast(mask, "float32"), -1)
    pooled = keras.ops.sum(emb * w, 1) / keras.ops.maximum(keras.ops.sum(w, 1), 1.0)
    return keras.Model({"items": items, "mask": mask}, keras.layers.Dense(n_items)(pooled))


def pooled(epochs=3, learning_rate=5e-3):
    return KerasNextItem("MeanPool", mean_pool, max_len=MAX_LEN, batch_size=256, epochs=epochs,
                         learning_rate=learning_rate)


class Broken(KerasNextItem):
    def fit(self, data, context):
        raise RuntimeError("this method always fails")


ML = PaperDataset(label="ML", own="movielens-latest-small")
ABSENT = PaperDataset(label="Other", own="movielens-1m")  # no data folder is given: not present


def prepare(paper, name, interactions):
    split = protocols.mtam(interactions.events)
    return Prepared(paper, name, interactions, split, SequenceData.encode(split, interactions),
                    NextItemTask(ks=(10,), batch_size=512), notes=["prepared by the test"])


METHODS = [
    MethodSpec("TopPop", lambda: FactorAdapter("TopPop", TopPop)),
    MethodSpec("MeanPool", pooled),
    MethodSpec("Broken", lambda: Broken("Broken", mean_pool)),
    MethodSpec("Needs features", pooled, requires=lambda prepared: "not applicable: a test reason"),
]


@pytest.fixture(scope="module")
def experiment(tmp_path_factory):
    logdir = tmp_path_factory.mktemp("tb")
    options = RunOptions(profile="small", seed=0, logdir=str(logdir))
    manifest = open_manifest("tests.test_pipeline", options, ("scaled for a test",))
    results = run([ML, ABSENT], prepare, lambda prepared: METHODS, options, manifest)
    return results, manifest, logdir


def test_per_user_test_results_and_topPop_by_hand(experiment):
    results, _, _ = experiment
    split = results.prepared["ML"].split
    n_users = split.test["user"].nunique()
    for name in ("TopPop", "MeanPool"):
        r = results.runs["ML"][name].test
        assert len(r.rows) == n_users and r.n_without_targets == 0
        assert 0 <= r.mean()["ndcg@10"] <= r.mean()["hr@10"] <= 1
        assert r.per_user().index.is_unique
    # TopPop's number is what counting training events gives
    pop = results.mean("ML", "TopPop", "HR@10")
    train_counts = split.train["item"].value_counts()
    test = split.test
    top = set(train_counts.index[:10])
    assert pop == pytest.approx(test["item"].isin(top).mean(), abs=1.5 / len(test))


def test_statuses_of_what_did_not_run(experiment):
    results, manifest, _ = experiment
    assert results.status("ML", "MeanPool") == "ok"
    assert results.status("Other", "MeanPool") == "dataset not present"
    assert results.status("ML", "Broken") == "failed: RuntimeError: this method always fails"
    assert results.status("ML", "Needs features") == "not applicable: a test reason"
    assert results.status("ML", "never listed") == "not run in this profile"
    assert set(results.runs["ML"]) == {"TopPop", "MeanPool"}
    assert "ML/MeanPool" in manifest.hyperparameters and "ML/Broken" not in manifest.hyperparameters
    assert "prepared by the test" in manifest.notes and "small profile: scaled for a test" in manifest.notes
    assert [d["paper_dataset"] for d in manifest.datasets] == ["ML"]


def test_model_selection_uses_validation_and_restores_the_best_epoch(experiment):
    results, _, _ = experiment
    run_ = results.runs["ML"]["MeanPool"]
    info = run_.info
    assert 1 <= info["best_epoch"] <= info["epochs_run"] == 3 and info["stopped_by"] == "epoch cap"
    # the restored weights are those of the best validation epoch
    prepared = results.prepared["ML"]
    valid = prepared.task.evaluate(run_.method, prepared.data, "valid").mean()["ndcg@10"]
    assert valid == pytest.approx(info["best_val_ndcg@10"])


def test_grid_selection_keeps_the_best_validation_point(experiment):
    results, _, _ = experiment
    prepared = results.prepared["ML"]
    spec = MethodSpec("MeanPool", lambda learning_rate: pooled(1, learning_rate),
                      grid={"learning_rate": (1e-7, 5e-3)})
    manifest = Manifest(script="test", profile="small", seed=0)
    grid = run([ML], lambda *a: prepared, lambda p: [spec], RunOptions(seed=0), manifest)
    info = grid.runs["ML"]["MeanPool"].info
    scores = [point["valid_ndcg@10"] for point in info["grid"]]
    assert len(scores) == 2 and scores[1] > scores[0]  # a learning rate of 1e-7 learns nothing
    assert info["selected"]["learning_rate"] == 5e-3
    assert grid.runs["ML"]["MeanPool"].method.learning_rate == 5e-3


def test_tensorboard_logs_scalars_and_hyperparameters(experiment):
    _, manifest, logdir = experiment
    runs = list(Path(logdir).glob("*/*"))  # <logdir>/<script>/<run id>: reruns never mix
    assert len(runs) == 1 and runs[0].parent.name == "tests_test_pipeline" and runs[0].name.endswith("-seed0")
    assert any(str(runs[0]) in note for note in manifest.notes)
    files = list(runs[0].rglob("events.out.tfevents.*"))
    assert any("train" in p.parts for p in files) and any("validation" in p.parts for p in files)
    for method in ("MeanPool", "TopPop"):  # settings and final metrics, Keras-trained or not
        tags = [v.tag for p in files if p.parent == runs[0] / "movielens-latest-small" / method
                for e in tf.compat.v1.train.summary_iterator(str(p)) for v in e.summary.value]
        assert "_hparams_/session_start_info" in tags and "test/ndcg@10" in tags, (method, tags)
    assert any(b"learning_rate" in p.read_bytes() for p in files if p.parent.name == "MeanPool")


def test_classical_baseline_epoch_curves_reach_tensorboard(tmp_path):
    info = {"epochs_run": 2, "history": {"loss": [0.9, 0.5], "auc": [0.6, 0.7]}, "valid_metric": "auc",
            "best_valid": 0.7}
    method = SimpleNamespace(name="BPR", hyperparameters={"dim": 8})
    run_ = Run(method, SimpleNamespace(mean=lambda: {"auc": 0.65}), info, 1.0)
    record_run(tmp_path, run_, SimpleNamespace(label="ML"), seed=0)
    tags = {}  # per folder: its event files hold the hyper-parameters and the final metrics apart
    for p in sorted(tmp_path.rglob("events.out.tfevents.*")):
        tags.setdefault(p.parent.name, []).extend(v.tag for e in tf.compat.v1.train.summary_iterator(str(p))
                                                  for v in e.summary.value)
    assert tags["train"] == ["epoch_loss"] * 2 and tags["validation"] == ["epoch_auc"] * 2
    assert {"valid/auc", "test/auc"} <= set(tags[tmp_path.name])


def test_same_seed_same_numbers(experiment):
    results, _, _ = experiment
    again = run([ML], prepare, lambda prepared: [MethodSpec("MeanPool", pooled)], RunOptions(seed=0),
                Manifest(script="test", profile="small", seed=0))
    a = results.runs["ML"]["MeanPool"].test.rows["ndcg@10"].to_numpy()
    b = again.runs["ML"]["MeanPool"].test.rows["ndcg@10"].to_numpy()
    assert np.allclose(a, b, atol=1e-6)


def test_table_written_with_real_numbers_and_statuses(experiment, tmp_path):
    results, _, _ = experiment
    reference = pd.DataFrame({
        "dataset": ["ML", "ML", "ML", "Other"], "method": ["TopPop", "GRU", "TopPop", "TopPop"],
        "metric": ["HR@10", "HR@10", "NDCG@10", "HR@10"], "value": ["0.5", "0.6", "", "0.4"],
        "mark": ["", "best", "", ""], "note": ["", "", "not reported", ""]})
    ours = results.cells(("HR@10", "NDCG@10"))
    assert set(ours) == {("ML", m, k) for m in ("TopPop", "MeanPool") for k in ("HR@10", "NDCG@10")}
    errors = results.errors(("HR@10", "NDCG@10"))
    assert set(errors) == set(ours) and all(0 < e < 0.05 for e in errors.values())
    cells = tables.build_cells(reference, ours, results.status, extra=[("ML", "MeanPool", "HR@10"),
                                                                       ("ML", "MeanPool", "NDCG@10")],
                               errors=errors)
    manifest = Manifest(script="test", profile="smoke", seed=0)
    manifest.add_dataset("movielens-latest-small", "ML", results.prepared["ML"].interactions, substitute=True,
                         protocol=results.prepared["ML"].split.describe())
    manifest.finish()
    md, js = tables.TableOutput("demo_table", "Demo", cells, manifest).write(tmp_path)
    payload = json.loads(js.read_text())
    by_key = {(c["dataset"], c["method"], c["metric"]): c for c in payload["cells"]}
    assert set(payload["cells"][0]) == {"dataset", "method", "metric", "paper", "ours", "status", "se"}
    assert by_key[("ML", "TopPop", "HR@10")]["se"] == pytest.approx(errors[("ML", "TopPop", "HR@10")])
    assert by_key[("ML", "TopPop", "HR@10")]["ours"] == pytest.approx(ours[("ML", "TopPop", "HR@10")])
    assert by_key[("ML", "GRU", "HR@10")] == {"dataset": "ML", "method": "GRU", "metric": "HR@10",
                                             "paper": "0.6", "ours": None,
                                             "status": "not run in this profile", "se": None}
    assert by_key[("Other", "TopPop", "HR@10")]["status"] == "dataset not present"
    assert by_key[("ML", "TopPop", "NDCG@10")]["paper"] is None
    text = md.read_text()
    best = max(ours[("ML", m, "HR@10")] for m in ("TopPop", "MeanPool"))
    best_se = errors[max((("ML", m, "HR@10") for m in ("TopPop", "MeanPool")), key=ours.get)]
    assert f"**{best:.4f} ± {best_se:.4f}**" in text
    assert "substitute for ML" in text and "not run in this profile" in text
    p_value = tables.build_cells(reference, {("ML", "p-value", "HR@10"): 0.9, ("ML", "TopPop", "HR@10"): 0.1},
                                 extra=[("ML", "p-value", "HR@10")])
    assert ("ML", "p-value", "HR@10") not in tables._best(p_value)  # a statistic is never "our best"
    assert ("ML", "TopPop", "HR@10") in tables._best(p_value)
    assert results.prepared["ML"].interactions.fingerprint()[:16] in text
    assert payload["manifest"]["wall_time_s"] is not None and payload["manifest"]["versions"]["keras"]


def test_paper_table_sets_every_reference_cell_beside_ours(experiment):
    results, _, _ = experiment
    manifest = Manifest(script="test", profile="small", seed=0)
    table = paper_table("mtam_table2", "MTAM Table 2", manifest, {}, results)
    assert manifest.wall_time_s is not None
    reference = tables.load_reference(Path(__file__).resolve().parents[1] / "paper_tables" / "reference"
                                      / "mtam_table2.csv")
    assert len(table.cells) == len(reference)
    assert {c.status for c in table.cells} == {"not run in this profile"}  # no ML-25m label in the run


def test_cells_refuse_numbers_without_ok_and_unknown_statuses():
    with pytest.raises(ValueError):
        tables.Cell("d", "m", "HR@10", None, 0.5, "not run in this profile")
    with pytest.raises(ValueError):
        tables.Cell("d", "m", "HR@10", None, None, "ok")
    with pytest.raises(ValueError):
        tables.Cell("d", "m", "HR@10", None, None, "skipped")
    tables.Cell("d", "m", "HR@10", None, None, "not applicable: no features")
    assert tables.lower_is_better("RMSE") and not tables.lower_is_better("AUC")
    with pytest.raises(ValueError, match="profile"):
        RunOptions(profile="huge")


def test_compare_and_best_match_scipy(experiment):
    from scipy import stats as sps

    results, _, _ = experiment
    assert results.best("ML", "NDCG@10") == max(("MeanPool", "TopPop"),
                                                 key=lambda m: results.mean("ML", m, "NDCG@10"))
    gain, t = results.compare("ML", "MeanPool", "TopPop", "NDCG@10")
    a, b = results.per_user("ML", "MeanPool")["ndcg@10"], results.per_user("ML", "TopPop")["ndcg@10"]
    ref = sps.ttest_rel(a, b)
    assert t.n == len(a) and t.p_value == pytest.approx(ref.pvalue)
    means = [results.mean("ML", m, "NDCG@10") for m in ("MeanPool", "TopPop")]
    assert gain == pytest.approx(means[0] / means[1] - 1)
    assert stats.relative_improvement(1.1, 1.0) == pytest.approx(0.1)
    assert stats.relative_improvement(0.9, 1.0, lower_is_better=True) == pytest.approx(0.1)


def test_convergence_note_lists_methods_still_improving_at_their_cap():
    runs = {"capped": Run(None, None, {"epochs_run": 20, "best_epoch": 20, "stopped_by": "epoch cap"}, 1.0),
            "peaked": Run(None, None, {"epochs_run": 20, "best_epoch": 12, "stopped_by": "epoch cap"}, 1.0),
            "stopped": Run(None, None, {"epochs_run": 9, "best_epoch": 5, "stopped_by": "early stopping"},
                           1.0),
            "grid": Run(None, None, {"selected": {"fit": {"epochs_run": 6, "best_epoch": 6,
                                                          "stopped_by": "epoch cap"}}, "grid": []}, 1.0),
            "untrained": Run(None, None, {}, 1.0)}
    assert convergence_note("ML", runs) == ("ML: still improving at the epoch cap (best epoch = last epoch): "
                                            "capped (best epoch 20 of 20), grid (best epoch 6 of 6)")
    assert "stopped early" in convergence_note("ML", {"stopped": runs["stopped"]})


def test_every_dataset_gets_a_convergence_note(experiment):
    _, manifest, _ = experiment
    assert any(n.startswith("ML: ") and "epoch cap" in n for n in manifest.notes)


class Fixed:
    """A test result whose per-user metric is given."""

    def __init__(self, values):
        self.values = pd.Series(values, index=np.arange(len(values)))

    def mean(self):
        return {"hr@10": float(self.values.mean())}

    def per_user(self):
        return pd.DataFrame({"hr@10": self.values})


def test_verdicts_follow_the_direction_and_level_of_the_paired_test():
    rng = np.random.default_rng(0)
    base = rng.uniform(size=200)
    results = Results(runs={"D": {name: Run(None, Fixed(base + shift + rng.normal(0, 0.01, 200)), {}, 0.0)
                                  for name, shift in (("same", 0.0), ("better", 0.05), ("worse", -0.05))}})
    results.runs["D"]["base"] = Run(None, Fixed(base), {}, 0.0)

    def word(first, alpha=0.05):
        line = results.verdict("D", "claim", first, "base", "HR@10", alpha=alpha)
        return line.split(": ")[2].split(" (")[0]

    assert (word("better"), word("worse"), word("same")) == ("reproduced", "not reproduced", "cannot tell")
    assert word("better", alpha=1e-300) == "cannot tell"
    lower = results.verdict("D", "claim", "worse", "base", "HR@10", lower=True)
    assert lower.startswith("D: claim: reproduced (worse ") and "smaller than" in lower
    absent = results.verdict("D", "claim", "absent", "base", "HR@10")
    assert absent == "D: claim: cannot tell (absent not run)"


def test_repeats_average_per_test_example_and_refuse_other_examples():
    def repeat(values, users=(1, 1, 2), skipped=False):
        rows = pd.DataFrame({"user": list(users), "ndcg@10": values})
        out = Results()
        out.runs["D"] = {"A": Run(None, RankingResult(rows, "p"), {"best_epoch": 1}, 2.0)}
        if skipped:
            out.skipped[("D", "B")] = "failed: x"
        return out

    averaged = Results.average([repeat([0.0, 1.0, 0.5], skipped=True), repeat([1.0, 1.0, 0.0])])
    run_ = averaged.runs["D"]["A"]
    assert run_.test.rows["ndcg@10"].tolist() == [0.5, 1.0, 0.25]
    assert run_.test.rows["user"].tolist() == [1, 1, 2]
    assert run_.info["repeats"] == 2 and run_.seconds == 4.0
    assert averaged.mean("D", "A", "NDCG@10") == pytest.approx(1.75 / 3)
    assert averaged.status("D", "B") == "failed: x"
    with pytest.raises(ValueError, match="different test examples"):
        Results.average([repeat([0.0, 1.0, 0.5]), repeat([1.0, 1.0, 0.0], users=(1, 2, 2))])


def test_resume_reads_back_kept_runs_whose_key_matches(tmp_path):
    """A kept run is read back only with resume, for the same key, and never for a method named in
    ``fitted``; its test rows are the computed ones."""
    top = [MethodSpec("TopPop", lambda: FactorAdapter("TopPop", TopPop))]

    def once(**changes):
        options = RunOptions(**{"profile": "small", "seed": 0, "checkpoints": str(tmp_path), **changes})
        manifest = open_manifest("tests.test_pipeline", options)
        return run([ML], prepare, lambda prepared: top, options, manifest), manifest

    first, _ = once()
    (kept,) = tmp_path.rglob("TopPop.pkl")
    again, manifest = once(resume=True)
    assert isinstance(again.runs["ML"]["TopPop"].method, resume.Restored)
    assert any("read back from" in note for note in manifest.notes)
    pd.testing.assert_frame_equal(again.runs["ML"]["TopPop"].test.rows, first.runs["ML"]["TopPop"].test.rows)
    other_seed, _ = once(resume=True, seed=1)  # another seed: another run, computed
    assert isinstance(other_seed.runs["ML"]["TopPop"].method, FactorAdapter)
    options = RunOptions(profile="small", seed=0, checkpoints=str(tmp_path), resume=True)
    manifest = open_manifest("tests.test_pipeline", options)
    refitted = run([ML], prepare, lambda prepared: top, options, manifest, fitted=("TopPop",))
    assert isinstance(refitted.runs["ML"]["TopPop"].method, FactorAdapter)
    changed = MethodSpec("TopPop", top[0].build, grid={"unused": [1]})  # another grid: another key
    store = resume.RunStore(tmp_path, "tests.test_pipeline", options)
    assert store.load(first.prepared["ML"], top[0]) is not None
    assert store.load(first.prepared["ML"], changed) is None
    resume.discard(tmp_path, "tests.test_pipeline", "small")
    assert not kept.exists()
    with pytest.raises(ValueError, match="checkpoint folder"):
        RunOptions(resume=True)
