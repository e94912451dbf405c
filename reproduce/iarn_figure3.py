"""IARN Figure 3: RMSE of the four recurrent backbones (RNN, LSTM, TAGM, IARN-Plain) on configurations of
each dataset with a growing minimum length of user and item sequences, {3, 10, 20, 30, 50, 100}
(Pei et al., CIKM 2017, section 4.2).

    python reproduce/iarn_figure3.py [--profile small] [--datasets Electronic Home]

A minimum length m keeps the users and items with at least m ratings (iterated to a fixed point), then
applies IARN's time split. The paper plots this figure without printing its numbers, so there is no
paper number to set beside ours. Writes paper_tables/iarn_figure3.{png,md,json}.
"""

import dataclasses
import sys

import pandas as pd
from iarn_common import REPO, IARNMethod, paper_datasets, prepare, present, run_method

from seqrec.datasets import ProtocolError, load
from seqrec.evaluation import cli
from seqrec.evaluation.figures import new_figure, write_figure
from seqrec.evaluation.runner import RunContext
from seqrec.evaluation.tasks import RatingTask

STEM = "iarn_figure3"
MIN_LENGTHS = (3, 10, 20, 30, 50, 100)
BACKBONES = ("RNN-backbone", "LSTM-backbone", "TAGM-backbone", "IARN-Plain")


@dataclasses.dataclass(frozen=True)
class Profile:
    min_lengths: tuple[int, ...]
    epochs: int
    max_history: int | None
    scaled: tuple[str, ...]


PROFILES = {
    "smoke": Profile((10,), 1, 10, ("synthetic data", "minimum length 10 only", "1 epoch",
                                      "histories truncated to 10")),
    "small": Profile(MIN_LENGTHS, 4, 30, (
        "at most 4 epochs (early stopping on validation MSE)", "histories truncated to 30 ratings",
        "learning rate 1e-3, dropout 0.25, no regularisation: not grid-searched")),
    "paper": Profile(MIN_LENGTHS, 30, None, ()),
}


def main(argv=None) -> int:
    args, profile, manifest = cli.start(__doc__, STEM, PROFILES, REPO / "paper_tables", argv)
    papers = [p for p in paper_datasets(args.profile, args.datasets) if present(p, args.data_dir)]
    progress = cli.Progress(max(1, len(papers) * len(profile.min_lengths) * len(BACKBONES)))
    rows = []
    for paper in papers:
        name = present(paper, args.data_dir)
        interactions = load(name, data_dir=args.data_dir)
        for m in profile.min_lengths:
            try:
                prepared = prepare(paper, name, min_count=m, interactions=interactions)
            except ProtocolError as err:
                rows += [{"dataset": paper.label, "min_length": m, "method": b, "rmse": None,
                          "test_ratings": 0, "status": f"not applicable: {err}"} for b in BACKBONES]
                progress.bar.update(len(BACKBONES))
                continue
            if m == profile.min_lengths[0]:
                manifest.add_dataset(name, paper.label, interactions, prepared.substitute,
                                     prepared.split.describe())
            manifest.notes.append(f"{paper.label}, min length {m}: {prepared.split.reports[-1]}")
            task = RatingTask(clip=paper.clip, ranking=False)
            for backbone in BACKBONES:
                method = IARNMethod(backbone, dim=paper.dim, epochs=profile.epochs,
                                    max_history=profile.max_history)
                context = RunContext(args.seed, cli.logdir(args, name, f"min{m}"))
                run = run_method(method, prepared, task, context)
                rmse = run["result"].mean()["RMSE"]
                rows.append({"dataset": paper.label, "min_length": m, "method": backbone, "rmse": rmse,
                             "test_ratings": len(prepared.split.test), "status": "ok"})
                manifest.hyperparameters[backbone] = method.hyperparameters
                progress.step(f"{paper.label} m={m} {backbone}: RMSE {rmse:.4f}")
    manifest.finish()
    frame = pd.DataFrame(rows, columns=["dataset", "min_length", "method", "rmse", "test_ratings",
                                        "status"])
    figure, axes = new_figure(max(1, len(papers)))
    for ax, paper in zip(axes, papers, strict=False):
        part = frame[(frame["dataset"] == paper.label) & (frame["status"] == "ok")]
        for backbone in BACKBONES:
            line = part[part["method"] == backbone]
            ax.plot(line["min_length"], line["rmse"], marker="o", label=backbone)
        ax.set(title=paper.label, xlabel="minimum sequence length", ylabel="RMSE")
        ax.legend(fontsize=7)
    _, md, _ = write_figure(figure, frame, STEM, args.out, manifest,
                            "IARN Figure 3: RMSE of the backbones by minimum sequence length",
                            caption=__doc__.split("\n\n")[2].replace("\n", " "))
    print(md.read_text(encoding="utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
