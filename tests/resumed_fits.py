"""Run by `tests/test_checkpoints.py` in a process of its own, with deterministic TensorFlow ops.

``python resumed_fits.py families FOLDER``: for each trainer's model family (`model_families`), a fit of three
epochs with per-epoch checkpoints, then the same fit interrupted after its second epoch (its epoch cap
lowered to 2: the checkpoint a kill in the third epoch leaves) and resumed with the cap back at 3 by a new
method object, as a restarted process would; prints one JSON line per family with both fits' final
weights (a digest) and validation curves.

``python resumed_fits.py one FAMILY FOLDER``: one three-epoch fit of FAMILY with its checkpoints in FOLDER
(a fit finding a checkpoint there resumes after it); prints its JSON line. The test kills it with SIGKILL
mid-epoch and runs it again.
"""

import hashlib
import json
import sys
from pathlib import Path

from model_families import families

from seqrec.datasets import load
from seqrec.experiments.pipeline import RunOptions, fit
from seqrec.training import FactorAdapter, IARNMethod

EPOCHS = 3
# a family per trainer (Ante-RNN trains with KerasNextItem, as MTAM does); DMRAN keeps its dropout, so
# the random generators' states are restored too
RESUMED = ("MTAM (KerasNextItem)", "BPR-MF (factor model)", "IARN (rating)", "DMRAN (KerasCandidate)",
           "UserGRU (stateful lanes)")


def with_epochs(method, epochs: int):
    """``method`` with its epoch cap set to ``epochs`` (and no early stop before it: patience as long)."""
    if isinstance(method, FactorAdapter):
        method.kwargs |= {"epochs": epochs, "patience": epochs}
    elif isinstance(method, IARNMethod):
        method.hyperparameters |= {"epochs": epochs}
    else:
        method.epochs = epochs
    return method


def weights_digest(method) -> str:
    model = getattr(method, "model", None)
    network = getattr(model, "network", model)  # a factor model's Keras network
    digest = hashlib.sha256()
    for weight in network.get_weights():
        digest.update(weight.tobytes())
    return digest.hexdigest()[:16]


def fitted(prepared, method, folder: Path) -> dict:
    info = fit(method, prepared.data, prepared.task, RunOptions(profile="smoke", deterministic=True),
               checkpoint=folder)
    curve = info.get("valid_curve") or info.get("history", {}).get("auc") or info.get("history", {})
    return {"weights": weights_digest(method), "valid": curve, "epochs_run": info.get("epochs_run")}


def main(argv) -> None:
    data = load("synthetic-small")
    if argv[0] == "one":
        prepared, build = families(data, [argv[1]])[argv[1]]
        row = fitted(prepared, with_epochs(build(), EPOCHS), Path(argv[2]))
        print(json.dumps({"family": argv[1], **row}), flush=True)
        return
    root = Path(argv[1])
    for k, (family, (prepared, build)) in enumerate(families(data, RESUMED).items()):
        full = fitted(prepared, with_epochs(build(), EPOCHS), root / f"full-{k}")
        interrupted = fitted(prepared, with_epochs(build(), EPOCHS - 1), root / f"resumed-{k}")
        resumed = fitted(prepared, with_epochs(build(), EPOCHS), root / f"resumed-{k}")
        print(json.dumps({"family": family, "full": full, "interrupted": interrupted, "resumed": resumed}),
              flush=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
