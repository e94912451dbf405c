"""Equal information: under IARN's batch protocol (the default), no test-period rating or behaviour reaches
a test prediction of any method; the online protocol, which reveals them, is caught by the same check."""

import dataclasses

import numpy as np
import pytest

from seqrec.datasets.pipelines import SequenceData
from seqrec.experiments import iarn as experiment
from seqrec.experiments.pipeline import fit
from seqrec.models import MF
from seqrec.training import FactorAdapter, IARNMethod


@pytest.fixture(scope="module")
def twins(synthetic_small):
    """The synthetic data after IARN's protocol, and the same split with every test-period event's item
    and rating shuffled among the test rows (users and times kept, so the vocabularies are equal)."""
    prepare = experiment.preparer(experiment.rating_only)
    prepared = prepare(experiment.SMOKE, "synthetic-small", synthetic_small)
    split = prepared.split
    rng = np.random.default_rng(0)
    test = split.test.copy()
    order = rng.permutation(len(test))
    test["item"], test["rating"] = test["item"].to_numpy()[order], test["rating"].to_numpy()[order]
    other = dataclasses.replace(split, test=test)
    scrambled = SequenceData.encode(other, prepared.interactions)
    assert (scrambled.items.tokens == prepared.data.items.tokens).all()
    return prepared, scrambled


def predictions(method, data, queries, task):
    fit(method, data, task)
    users = np.unique(queries["user"])[:5]
    return method.predict(queries["user"], queries["item"], queries["time"]), method.score_all(
        users, np.full(len(users), queries["time"].min()))


@pytest.mark.parametrize("make", [
    lambda: IARNMethod("IARN", dim=4, hidden=4, epochs=1, max_history=6),
    lambda: FactorAdapter("MF", MF, dim=4, epochs=2),
], ids=["IARN", "MF"])
def test_no_test_period_event_reaches_a_test_prediction(twins, make):
    prepared, scrambled = twins
    queries = prepared.data.pairs("test")
    a = predictions(make(), prepared.data, queries, prepared.task)
    b = predictions(make(), scrambled, queries, prepared.task)
    np.testing.assert_allclose(a[0], b[0], rtol=1e-6)
    np.testing.assert_allclose(a[1], b[1], rtol=1e-6)


def test_the_check_catches_a_method_that_reads_the_test_period(twins):
    prepared, scrambled = twins
    queries = prepared.data.pairs("test")

    def online():
        return IARNMethod("IARN", dim=4, hidden=4, epochs=1, max_history=6, history="online")

    a = predictions(online(), prepared.data, queries, prepared.task)
    b = predictions(online(), scrambled, queries, prepared.task)
    assert not np.allclose(a[0], b[0], rtol=1e-6)
