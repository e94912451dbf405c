"""The model families the distribution, checkpoint and precision tests train (`tests/distributed_fits.py`,
`tests/resumed_fits.py`, `tests/test_precision.py`): one smoke-sized method of each trainer on the
synthetic data, each family's data prepared only when asked for (`family`); and the comparison of a
fitted method's test evaluation on one device and sharded over a strategy's replicas
(`sharded_evaluation`)."""

import dataclasses

import numpy as np
import tensorflow as tf

from seqrec.experiments import ante_rnn, dmran, iarn, mtam, usergru
from seqrec.experiments.pipeline import RunOptions
from seqrec.models import BPR, MTAM
from seqrec.training import FactorAdapter, IARNMethod, KerasNextItem, next_item_model

SMOKE = RunOptions(profile="smoke")


def _mtam(data):
    return mtam.preparer(SMOKE)(mtam.SMOKE, "synthetic-small", data)


def _ante_rnn(data):
    prepared = ante_rnn.preparer(SMOKE, with_content=True)(ante_rnn.SMOKE, "synthetic-small", data)
    specs = ante_rnn.table4_methods(prepared, ante_rnn.PROFILES["smoke"])
    spec = next(s for s in specs if s.name == "Ante-RNN")
    return prepared, spec.build


def _dmran(data):
    prepared = dmran.preparer(SMOKE)(dmran.SMOKE, "synthetic-small", data)
    spec = next(s for s in dmran.table2_methods(dmran.PROFILES["smoke"], False) if s.name == "DMRAN")
    return prepared, spec.build


def _user_gru(data):
    prepared = usergru.preparer(SMOKE, 0.1)(usergru.SMOKE, "synthetic-small", data)
    spec = next(s for s in usergru.methods(usergru.PROFILES["smoke"]) if s.name.startswith("Att"))
    return prepared, spec.build


# family -> (data -> (prepared, method factory)), dropout off where a method has it (Ante-RNN and DMRAN
# keep theirs)
FAMILIES = {
    "MTAM (KerasNextItem)": lambda data: (_mtam(data), lambda: KerasNextItem(
        "MTAM", lambda d: next_item_model(MTAM, d, dim=8, dropout=0.0, hops=1, memory_len=10),
        max_len=10, batch_size=64, epochs=1)),
    "BPR-MF (factor model)": lambda data: (_mtam(data),
                                           lambda: FactorAdapter("BPR-MF", BPR, dim=8, epochs=2)),
    "IARN (rating)": lambda data: (iarn.preparer(iarn.rating_only)(iarn.SMOKE, "synthetic-small", data),
                                   lambda: IARNMethod("IARN", dim=8, hidden=8, epochs=1, dropout=0.0)),
    "DMRAN (KerasCandidate)": _dmran,
    "Ante-RNN (KerasNextItem)": _ante_rnn,
    "UserGRU (stateful lanes)": _user_gru,
}


# the families whose full-ranking test evaluation is compared sharded and not: their scoring method, and
# their task's batches made small enough for several
SCORERS = {"MTAM (KerasNextItem)": ("scores", {"batch_size": 48}),
           "UserGRU (stateful lanes)": ("sequence_scores", {"max_users": 40})}


def sharded_evaluation(method, prepared, family: str, strategy) -> dict:
    """The test evaluation of ``family``'s ``method``, fitted under ``strategy``, on this process's device
    and in the strategy's scope (batches sharded over its replicas,
    `seqrec.evaluation.ranking.over_replicas`): the largest difference between their per-row metrics,
    and the replica that scored each batch here."""
    scorer, batches = SCORERS[family]
    task = dataclasses.replace(prepared.task, **batches)
    one = task.evaluate(method, prepared.data, "test").rows
    score, replicas = getattr(method, scorer), []

    def recorded(batch):
        replicas.append(int(tf.distribute.get_replica_context().replica_id_in_sync_group))
        return score(batch)

    setattr(method, scorer, recorded)
    with strategy.scope():
        two = task.evaluate(method, prepared.data, "test").rows
    gap = np.nanmax(np.abs(one.to_numpy(float) - two.to_numpy(float)))
    return {"rows": len(one), "max_difference": float(gap), "replicas": replicas,
            "same_nan": bool((one.isna() == two.isna()).all().all())}


def families(data, names=None):
    """``{family: (prepared, method factory)}`` of ``names`` (default: every family)."""
    return {name: FAMILIES[name](data) for name in (names or FAMILIES)}
