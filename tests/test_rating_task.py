"""IARN's rating task leaves items without a training rating out for every method alike (their ratings
are not scored, they are neither targets nor candidates) and counts them; results restrict to a user set
(the tables' warm-user rows)."""

import numpy as np
import pandas as pd
import pytest

from seqrec.datasets import protocols
from seqrec.datasets.pipelines import SequenceData
from seqrec.evaluation import ScoreError
from seqrec.evaluation.tasks import RatingTask


@pytest.fixture(scope="module")
def data():
    """Three users; item "new" is rated only in the test part (by u1), "a".."f" in training."""
    rows = [("u3", "e", 3, 4), ("u3", "f", 3, 5),
            ("u1", "a", 4, 1), ("u1", "b", 3, 2), ("u1", "c", 5, 3), ("u1", "new", 2, 10), ("u1", "d", 4, 11),
            ("u2", "b", 2, 1), ("u2", "c", 3, 2), ("u2", "a", 4, 3), ("u2", "d", 5, 10),
            ("u3", "d", 1, 1), ("u3", "a", 2, 2), ("u3", "b", 3, 3), ("u3", "c", 1, 10)]
    events = pd.DataFrame(rows, columns=["user", "item", "rating", "timestamp"])
    late = events["timestamp"] >= 10
    split = protocols.Split(events[~late], events.iloc[:0], events[late], protocol="by hand")
    return SequenceData.encode(split)


class Oracle:
    """Predicts every known rating exactly and rates and ranks the new item far above everything."""

    predicts_ratings = True

    def __init__(self, data):
        self.n_items = data.items.size
        self.new = int(data.items.encode(["new"])[0])
        test = data.pairs("test")
        self.truth = dict(zip(zip(test["user"], test["item"], strict=True), test["rating"], strict=True))

    def predict(self, users, items, times):
        return np.array([100.0 if i == self.new else self.truth[(u, i)] for u, i in zip(users, items,
                                                                                            strict=True)])

    def score_all(self, users, times):
        scores = np.zeros((len(users), self.n_items), np.float32)
        scores[:, self.new] = 100.0
        return scores


def evaluate(data, known_items_only):
    return RatingTask(known_items_only=known_items_only).evaluate(Oracle(data), data, "test")


def test_items_without_training_ratings_are_left_out_and_counted(data):
    task = RatingTask()
    assert task.cold_items(data, "test") == (1, 1)
    assert RatingTask(known_items_only=False).cold_items(data, "test") == (0, 0)
    kept = evaluate(data, True)
    assert kept.mean()["RMSE"] == 0.0 and len(kept.errors) == 3
    # every scored item ties at 0 and "new" (scored 100) is no candidate: AUC one half for u1 and u2; u3
    # rated every known item, so has no candidate and no AUC
    auc = kept.auc.rows.set_index("user")["auc"]
    users = dict(zip(["u1", "u2", "u3"], data.users.encode(["u1", "u2", "u3"]), strict=True))
    assert auc[users["u1"]] == auc[users["u2"]] == 0.5 and np.isnan(auc[users["u3"]])
    scored_all = evaluate(data, False)
    assert scored_all.mean()["RMSE"] > 40 and len(scored_all.errors) == 4
    auc = scored_all.auc.rows.set_index("user")["auc"]
    # u1: "new" above e and f (1), d tied with them (1/2); u2: d tied with e and f, below "new" (1/3);
    # u3: target c below its one candidate, "new"
    assert auc[users["u1"]] == 0.75 and auc[users["u2"]] == pytest.approx(1 / 3) and auc[users["u3"]] == 0


def test_results_restrict_to_users(data):
    result = evaluate(data, True)
    u2 = data.users.encode(["u2"])
    part = result.of_users(u2)
    assert set(part.errors["user"]) == set(part.auc.rows["user"]) == set(u2)
    assert len(result.of_users([]).errors) == 0


class Diverged(Oracle):
    """A rating model whose training diverged: NaN for one user's ratings."""

    name = "Diverged MF"

    def predict(self, users, items, times):
        return np.where(users == users.max(), np.nan, super().predict(users, items, times))


def test_nan_rating_predictions_are_refused(data):
    with pytest.raises(ScoreError, match=r"Diverged MF: 1 of 3 predicted test ratings are NaN"):
        RatingTask().evaluate(Diverged(data), data, "test")
