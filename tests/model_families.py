"""The model families the distribution and checkpoint tests train (`tests/distributed_fits.py`,
`tests/resumed_fits.py`): one smoke-sized method of each trainer on the synthetic data."""

from seqrec.experiments import ante_rnn, dmran, iarn, mtam, usergru
from seqrec.experiments.pipeline import RunOptions
from seqrec.models import BPR, MTAM
from seqrec.training import FactorAdapter, IARNMethod, KerasNextItem, next_item_model


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
