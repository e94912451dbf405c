"""IARN Table 2: rating prediction (RMSE) and personalised ranking (AUC) of every method on every
dataset, the paper's numbers beside ours (Pei et al., CIKM 2017).

    python reproduce/iarn_table2.py                       # small profile, every dataset present
    python reproduce/iarn_table2.py --profile paper --data-dir ~/seqrec_data

Protocol (section 4.1): users and items with more than 3 ratings, a global time cut (Netflix
2005-06-01, MovieLens 2010-01-01, Amazon 2014-01-01), training before the cut and testing after it;
the latest 10 % of training ratings validate. RMSE (rating models only, as in the paper) over every
test rating, predictions clipped to the rating scale; AUC per user of the user's test items against
every item the user never rated. Writes paper_tables/iarn_table2.{md,json}.
"""

import dataclasses
import logging
import sys
import traceback

from iarn_common import (
    REFERENCE,
    REPO,
    BaselineMethod,
    IARNMethod,
    paper_datasets,
    prepare,
    present,
    run_method,
)

from seqrec import models
from seqrec.evaluation import cli, stats, tables
from seqrec.evaluation.manifest import Manifest
from seqrec.evaluation.runner import RunContext
from seqrec.evaluation.tasks import RatingTask

STEM = "iarn_table2"
RATING_METHODS = ("MF", "TimeSVD++", "HieVH", "IARN")


@dataclasses.dataclass(frozen=True)
class Profile:
    """What a profile runs; everything scaled down from the paper is listed in ``scaled``."""

    epochs: int
    max_history: int | None
    auc_users: int | None
    baseline_epochs: int
    scaled: tuple[str, ...]


PROFILES = {
    "smoke": Profile(1, 10, 20, 2, ("synthetic data instead of the paper's datasets",
                                    "1 training epoch", "histories truncated to 10",
                                    "AUC on 20 sampled test users")),
    "small": Profile(8, 50, 200, 30, (
        "learning rate 1e-3, no regularisation and dropout 0.25 are fixed, not grid-searched on "
        "validation (paper: grid {1e-5..1e-1} for learning rate and regularisation, dropout in "
        "{0, 0.25, 0.5})",
        "IARN trains at most 8 epochs (early stopping on validation MSE, patience 2)",
        "user and item histories truncated to their latest 50 ratings",
        "AUC on 200 sampled test users per dataset (the authors' code samples 500 or 1,000)")),
    "paper": Profile(30, None, None, 50, ()),
}


def methods(paper, profile: Profile) -> list:
    """Table 2's methods with the paper's settings (section 4.1): d = 25 or 50, TimeSVD++ decay 0.4 and
    30 bins, HieVH alpha 0.01, MP2Vec alpha 0.1, 64 hidden units for NCF and IARN."""
    dim, epochs = paper.dim, profile.baseline_epochs
    return [
        BaselineMethod("MF", models.MF, dim=dim, epochs=epochs),
        BaselineMethod("BPR", models.BPR, dim=dim, epochs=epochs),
        BaselineMethod("TimeSVD++", models.TimeSVDpp, dim=dim, epochs=epochs),
        BaselineMethod("HieVH", models.HieVH, needs_features=True, dim=dim, epochs=epochs),
        BaselineMethod("Item2Vec", models.Item2Vec, dim=dim, epochs=epochs),
        BaselineMethod("NCF", models.NCF, dim=dim, epochs=epochs),
        BaselineMethod("MP2Vec", models.MP2Vec, needs_features=True, dim=dim, epochs=epochs),
        IARNMethod("IARN", dim=dim, epochs=profile.epochs, max_history=profile.max_history),
    ]


def main(argv=None) -> int:
    args = cli.parser(__doc__.split("\n\n")[0], REPO / "paper_tables").parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    profile = PROFILES[args.profile]
    papers = paper_datasets(args.profile, args.datasets)
    reference = tables.load_reference(REFERENCE / f"{STEM}.csv")
    manifest = Manifest(script=f"reproduce/{STEM}.py", profile=args.profile, seed=args.seed)
    manifest.notes += [f"{args.profile} profile: {s}" for s in profile.scaled]
    found = {p.label: present(p, args.data_dir) for p in papers}
    plan = sum(len(methods(p, profile)) for p in papers if found[p.label])
    progress = cli.Progress(max(plan, 1), "runs")
    ours, why = {}, {}
    for paper in papers:
        name = found[paper.label]
        if name is None:
            why[paper.label] = "dataset not present"
            continue
        prepared = prepare(paper, name, args.data_dir)
        manifest.add_dataset(name, paper.label, prepared.interactions, prepared.substitute,
                             prepared.split.describe())
        task = RatingTask(clip=paper.clip, auc_users=profile.auc_users, seed=args.seed)
        manifest.notes.append(f"{paper.label}: {task.describe()}")
        per_user = {}
        for method in methods(paper, profile):
            key = (paper.label, method.name)
            if getattr(method, "needs_features", False) and prepared.features is None:
                why[key] = "not applicable: no item features in this dataset"
                progress.step(f"{paper.label} {method.name} (not applicable)")
                continue
            context = RunContext(args.seed, cli.logdir(args, name))
            try:
                run = run_method(method, prepared, task, context)
            except Exception as err:  # a failed method must not hide the others' results
                traceback.print_exc(file=sys.stderr)
                why[key] = f"failed: {type(err).__name__}: {str(err).splitlines()[0][:120]}"
                progress.step(f"{paper.label} {method.name} (failed)")
                continue
            means = run["result"].mean()
            ours[(paper.label, method.name, "AUC")] = means["AUC"]
            if method.name in RATING_METHODS and "RMSE" in means:
                ours[(paper.label, method.name, "RMSE")] = means["RMSE"]
            per_user[method.name] = run["result"].per_user()
            manifest.hyperparameters[f"{paper.label}/{method.name}"] = {
                **method.hyperparameters, "fit": run["info"], "seconds": run["seconds"]}
            progress.step(f"{paper.label} {method.name}: " + ", ".join(
                f"{k} {v:.4f}" for k, v in means.items()))
        manifest.notes += significance(paper.label, per_user)
    manifest.finish()

    def status_of(dataset, method, metric):
        return why.get((dataset, method)) or why.get(dataset) or "not run in this profile"

    cells = tables.build_cells(reference, ours, status_of)
    md, _ = tables.write_table(cells, STEM, args.out, manifest,
                               "IARN Table 2: RMSE and AUC (Pei et al., CIKM 2017)")
    print(md.read_text(encoding="utf-8"))
    return 0


def significance(dataset: str, per_user: dict) -> list[str]:
    """Paired t-tests over users of IARN against the best other method, as the paper reports."""
    if "IARN" not in per_user:
        return []
    notes = []
    for metric, lower in (("AUC", False), ("SE", True)):
        others = {m: r[metric].mean() for m, r in per_user.items()
                  if m != "IARN" and metric in r and r[metric].notna().any()}
        if not others or metric not in per_user["IARN"]:
            continue
        best = (min if lower else max)(others, key=others.get)
        test = stats.paired_ttest(per_user["IARN"][metric], per_user[best][metric])
        label = "squared error" if metric == "SE" else metric
        notes.append(f"{dataset}: IARN vs {best} (best other method) on per-user {label}: {test}")
    return notes


if __name__ == "__main__":
    sys.exit(main())
