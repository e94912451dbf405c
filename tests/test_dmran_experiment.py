"""`seqrec.experiments.dmran`: which methods run on a dataset without timestamps, and the task that
validates among sampled items and tests by full ranking."""

import json
from types import SimpleNamespace

import numpy as np
import pytest
from next_item_checks import short_sequences

from seqrec.evaluation import NextItemTask, SelectThenTest
from seqrec.experiments import dmran
from seqrec.experiments.pipeline import Results


@pytest.mark.parametrize("timed", [True, False])
def test_methods_without_timestamps(timed):
    profile = dmran.PROFILES["smoke"]
    prepared = SimpleNamespace(interactions=SimpleNamespace(timed=timed))
    specs = dmran.methods_for(profile)(prepared)
    assert [s.name for s in specs] == ["BPR-MF", "Bi-LSTM", "Bi-LSTM+Attention", "CNN+Pooling", "ATRank",
                                       "DMRAN_No_Time", "DMRAN_Item", "DMRAN_Feature", "DMRAN"]
    for spec in specs:
        why = spec.requires(prepared) if spec.requires else None
        assert why == (None if timed or spec.name not in dmran.TIME_METHODS else dmran.NO_TIME), spec.name
        if spec.name != "BPR-MF":  # every neural method reads time buckets exactly when the data has times
            method = spec.build()
            assert method.hyperparameters.get("use_time", True) is timed or spec.name == "DMRAN_No_Time"
    grids = {s.name: dict(s.grid) for s in specs}
    assert grids["DMRAN"] == {"rows": profile.rows} and grids["DMRAN_Feature"] == {}


class Popularity:
    """Scores items by their id: enough to tell which task scored which part."""

    max_len, padding, name = 5, "left", "by-id"

    def __init__(self, n_items):
        self.n_items = n_items

    def scores(self, batch):
        return np.tile(np.arange(self.n_items, dtype="float32"), (len(batch["items"]), 1))


def test_select_then_test_validates_on_samples_and_tests_on_full_ranking():
    data = short_sequences(8)
    task = SelectThenTest(valid=NextItemTask(with_auc=True, monitor="auc", candidates=5),
                          test=NextItemTask(with_auc=True, sampled_auc=True, exclude_seen=True))
    method = Popularity(data.items.size)
    assert task.selection(method) == ("auc", "max")
    valid, test = task.evaluate(method, data, "valid"), task.evaluate(method, data, "test")
    assert "5 sampled items" in valid.protocol and "full ranking" in test.protocol
    assert "sampled_auc" in test.mean() and "sampled_auc" not in valid.mean()
    assert task.validation_score(method, data) == pytest.approx(valid.mean()["auc"])
    assert task.describe().startswith("validation: next item ranked among 5 sampled items")


def test_figure3_4_from_a_table_run(tmp_path):
    fits = {"Amazon Electronic/DMRAN": {"selected": {"fit": {"valid_curve": [0.6, 0.7, 0.65]}}},
            "Amazon Electronic/ATRank": {"valid_curve": [0.5, 0.55]},
            "Amazon Electronic/BPR-MF": {"epochs_run": 4},
            "Amazon Clothing/Bi-LSTM": {"valid_curve": [0.5]}}
    table = {"manifest": {"script": "seqrec.experiments.dmran.table2", "profile": "small", "seed": 3,
                          "started": "2026-11-30T12:00:00+0000", "datasets": [], "protocols": {},
                          "hyperparameters": fits, "notes": ["small profile: r = 10", "task: t", "other"]}}
    path = tmp_path / "dmran_table2.json"
    path.write_text(json.dumps(table))
    figure = dmran.figure3_4(from_table=path, profile="smoke")
    assert figure.rows[["method", "epoch", "valid_auc"]].values.tolist() == [
        ["DMRAN", 1, 0.6], ["DMRAN", 2, 0.7], ["DMRAN", 3, 0.65], ["ATRank", 1, 0.5], ["ATRank", 2, 0.55]]
    assert figure.manifest.seed == 3 and figure.manifest.profile == "small"
    assert "small profile: r = 10" in figure.manifest.notes and "other" not in figure.manifest.notes
    table["manifest"]["script"] = "seqrec.experiments.mtam.table2"
    path.write_text(json.dumps(table))
    with pytest.raises(ValueError, match=r"not the output of reproduce/dmran_table2\.py"):
        dmran.figure3_4(from_table=path)
    with pytest.raises(ValueError, match="no such file"):
        dmran.figure3_4(from_table=tmp_path / "missing.json")


def test_improvement_rows_say_why_when_dmran_did_not_run():
    results = Results()
    results.runs["Clothing"] = {"BPR-MF": None}
    results.skipped[("Clothing", "DMRAN")] = dmran.NO_TIME
    results.mean = lambda *args: 0.5  # the baseline's mean; no run of DMRAN to compare with
    assert dmran._improvement(results) == {}
    why = "not applicable: DMRAN did not run (no timestamps in this copy)"
    assert [results.status("Clothing", row) for row in ("improv.", "p-value")] == [why, why]
