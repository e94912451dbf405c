"""DMRAN training speed (section 5.2: "DMRAN converges fast"; the paper's Figure 3 shows it beside ATRank):
training examples per second of DMRAN, its variants, ATRank and the Bi-LSTMs, and the training time to
their best validation AUC.

Every model trains on the same batches in one run: the Electronic stand-in (``amazon-grocery-rechorus``,
or ``--dataset``) after DMRAN's protocol as the small profile runs it, batches of 32 training prefixes
(latest 20 behaviours), each with its target and one sampled negative
(`seqrec.training.KerasCandidate.train_dataset`), SGD at learning rate 1.0 with XLA, as
`seqrec.experiments.dmran` trains them. The batches are assembled once and replayed from memory; every
model makes one untimed pass (compilation), then is timed once per round, all models in turn
(`seqrec.experiments.timing`). An example is one training prefix (a positive and its negative).

Time to the best validation AUC: the best epoch each method reached in a Table 2 run (``--table``, the
JSON that ``reproduce/dmran_table2.py`` wrote) times the seconds one training epoch takes at the median
rate measured here: training time only, without the per-epoch validation, which costs every method alike.

    python benchmarks/dmran_speed.py [--steps 150 --repeats 3 --table paper_tables/dmran_table2.json]
"""

import argparse
import json
import statistics
from pathlib import Path

import keras

from seqrec.datasets import load
from seqrec.experiments import dmran, timing
from seqrec.experiments.pipeline import RunOptions

METHODS = ("DMRAN", "DMRAN_No_Time", "DMRAN_Item", "DMRAN_Feature", "ATRank", "Bi-LSTM", "Bi-LSTM+Attention")
TABLE = Path(__file__).resolve().parents[1] / "paper_tables" / "dmran_table2.json"


def best_epochs(path: Path, label: str) -> dict[str, int]:
    """The best validation epoch of each method of ``label`` in a Table 2 JSON (empty when absent)."""
    if not path.is_file():
        return {}
    fits = json.loads(path.read_text())["manifest"]["hyperparameters"]
    return {key.split("/", 1)[1]: fit.get("best_epoch") or fit.get("selected", {}).get("fit", {}).get(
        "best_epoch") for key, fit in fits.items() if key.startswith(f"{label}/")}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--dataset", default="amazon-grocery-rechorus")
    p.add_argument("--data-dir", default=None)
    p.add_argument("--steps", type=int, default=150, help="timed batches of 32 per model and round")
    p.add_argument("--repeats", type=int, default=3, help="rounds; the median is reported")
    p.add_argument("--table", type=Path, default=TABLE, help="a Table 2 JSON for the best epochs")
    args = p.parse_args()
    options = RunOptions(profile="small", data_dir=args.data_dir)
    paper = dmran.DATASETS[0]
    interactions = load(args.dataset, data_dir=args.data_dir)
    prepared = dmran.preparer(options)(paper, args.dataset, interactions)
    data = prepared.data
    specs = {s.name: s for s in dmran.methods_for(dmran.PROFILES["small"])(prepared)}
    methods = {name: specs[name].build() for name in METHODS}
    batches = timing.materialise(methods["DMRAN"].train_dataset(data, seed=0), args.steps)
    examples = sum(int(x["items"].shape[0]) for x, _ in batches)
    n_train = len(data.targets("train"))
    print(f"{args.dataset} after DMRAN's protocol (small profile):\n{prepared.split.describe()}\n"
          f"{data.items.size - 1:,} items, {n_train:,} training prefixes; {args.steps} timed batches of 32; "
          f"{timing.load()}")
    runs = {}
    for name, method in methods.items():
        keras.utils.set_random_seed(0)
        runs[name] = timing.training_rate(method.compiled(data)[0], batches, examples)
    results = timing.rounds(runs, args.repeats)
    print("\n".join(timing.report(results, "examples/s", base="DMRAN")))
    epochs = best_epochs(args.table, paper.label)
    if epochs:
        print(f"\ntraining time to the best validation AUC ({args.table}: best epoch x seconds per epoch):")
        base = None
        for name in METHODS:
            if epochs.get(name):
                seconds = epochs[name] * n_train / statistics.median(results[name])
                base = base or (seconds if name == "DMRAN" else None)
                ratio = f"   ratio to DMRAN {seconds / base:.2f}" if base else ""
                print(f"{name:20s} best epoch {epochs[name]:3d}   {seconds:8,.0f} s{ratio}")
    print(timing.load())


if __name__ == "__main__":
    main()
