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
import sys
import traceback
from collections.abc import Callable

import numpy as np
import pandas as pd
from iarn_common import (
    REFERENCE,
    REPO,
    BaselineMethod,
    IARNMethod,
    paper_datasets,
    prepare,
    present,
    select_and_run,
)

from seqrec import models
from seqrec.evaluation import cli, metrics, stats, tables
from seqrec.evaluation.runner import RunContext
from seqrec.evaluation.tasks import RatingTask

STEM = "iarn_table2"
RATING_INPUTS = "IARN + rating inputs (ours)"
RATING_METHODS = ("MF", "TimeSVD++", "HieVH", "IARN", RATING_INPUTS)


PAPER_GRID = (1e-5, 1e-4, 1e-3, 1e-2, 1e-1)  # section 4.1, learning rate and regularisation
DROPOUT_GRID = (0.0, 0.25, 0.5)  # section 4.1, recurrent networks


@dataclasses.dataclass(frozen=True)
class Profile:
    """What a profile runs; everything scaled down from the paper is listed in ``scaled``."""

    epochs: int
    max_history: int | None
    auc_users: int | None
    baseline_epochs: int
    iarn_grid: dict
    baseline_grid: dict
    scaled: tuple[str, ...]


PROFILES = {
    "smoke": Profile(1, 10, 20, 2, {}, {}, (
        "synthetic data instead of the paper's datasets", "1 training epoch",
        "histories truncated to 10", "AUC on 20 sampled test users", "no hyper-parameter search")),
    "small": Profile(6, 50, 200, 30, {}, {}, (
        "no hyper-parameter search: IARN uses learning rate 1e-3 (the authors' code's: 2e-3 x 32 / 64 "
        "hidden units), dropout 0.25 and no regularisation, the baselines their defaults (chosen on "
        "MovieLens latest-small validation data, see seqrec.models); the paper grid-searches "
        "{1e-5..1e-1} for learning rate and regularisation and {0, 0.25, 0.5} for dropout",
        "IARN trains at most 6 epochs (early stopping on validation MSE, patience 2)",
        "user and item histories truncated to their latest 50 ratings",
        "AUC on 200 sampled test users per dataset (the authors' code samples 500 or 1,000)")),
    "paper": Profile(30, None, None, 50,
                     {"learning_rate": PAPER_GRID, "l2": PAPER_GRID, "dropout": DROPOUT_GRID},
                     {"learning_rate": PAPER_GRID, "reg": PAPER_GRID}, ()),
}


@dataclasses.dataclass(frozen=True)
class Candidate:
    """A method of the table: how to build it for a grid point, and its grid."""

    name: str
    make: Callable
    grid: dict
    needs_features: bool = False


def methods(paper, profile: Profile) -> list[Candidate]:
    """Table 2's methods with the paper's settings (section 4.1): d = 25 or 50, TimeSVD++ decay 0.4 and
    30 bins, HieVH alpha 0.01, MP2Vec alpha 0.1, 64 hidden units for NCF and IARN."""
    dim, epochs, grid = paper.dim, profile.baseline_epochs, profile.baseline_grid

    def baseline(name, model, needs_features=False):
        return Candidate(name, lambda **hp: BaselineMethod(name, model, needs_features, dim=dim,
                                                           epochs=epochs, **hp), grid, needs_features)

    return [
        baseline("MF", models.MF), baseline("BPR", models.BPR), baseline("TimeSVD++", models.TimeSVDpp),
        baseline("HieVH", models.HieVH, True), baseline("Item2Vec", models.Item2Vec),
        baseline("NCF", models.NCF), baseline("MP2Vec", models.MP2Vec, True),
        Candidate("IARN", lambda **hp: IARNMethod("IARN", dim=dim, epochs=profile.epochs,
                                                  max_history=profile.max_history, **hp),
                  profile.iarn_grid),
        Candidate(RATING_INPUTS, lambda **hp: IARNMethod(
            "IARN", dim=dim, epochs=profile.epochs, max_history=profile.max_history, rating_inputs=True,
            name=RATING_INPUTS, **hp), profile.iarn_grid),
    ]


def main(argv=None) -> int:
    args, profile, manifest = cli.start(__doc__, STEM, PROFILES, REPO / "paper_tables", argv)
    papers = paper_datasets(args.profile, args.datasets)
    reference = tables.load_reference(REFERENCE / f"{STEM}.csv")
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
        per_user, errors = {}, {}
        for method in methods(paper, profile):
            key = (paper.label, method.name)
            if method.needs_features and prepared.features is None:
                why[key] = "not applicable: no item features in this dataset"
                progress.step(f"{paper.label} {method.name} (not applicable)")
                continue
            context = RunContext(args.seed, cli.logdir(args, name))
            try:
                run = select_and_run(method.make, method.grid, prepared, task, context)
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
            if run["result"].errors is not None:
                errors[method.name] = run["result"].errors
            manifest.hyperparameters[f"{paper.label}/{method.name}"] = {
                **run["method"].hyperparameters, **run["info"], "seconds": run["seconds"]}
            progress.step(f"{paper.label} {method.name}: " + ", ".join(
                f"{k} {v:.4f}" for k, v in means.items()))
        manifest.notes += significance(paper.label, per_user)
        manifest.notes += regime(paper.label, prepared, errors)
        manifest.notes += ranked_users(paper.label, prepared, task, per_user)
    manifest.finish()

    extra = [(p.label, RATING_INPUTS, metric) for p in papers for metric in ("RMSE", "AUC")]
    manifest.notes.append(
        f"{RATING_INPUTS} is not in the paper: IARN whose every history step also reads the rating given "
        "at that earlier event (centred and scaled). The paper's text feeds only embeddings of the "
        "other side (section 3), so its IARN cannot see how a user or an item rates; this row measures "
        "what that reading costs. Both read only events before each rating's time.")
    cells = tables.build_cells(reference, ours, tables.statuses(why), extra=extra)
    md, _ = tables.write_table(cells, STEM, args.out, manifest,
                               "IARN Table 2: RMSE and AUC (Pei et al., CIKM 2017)")
    print(md.read_text(encoding="utf-8"))
    return 0


def regime(dataset: str, prepared, errors: dict) -> list[str]:
    """Facts about the test ratings that explain RMSE: how many come from users or items without any
    training rating, what trivial predictors reach, and each rating model's RMSE on the test ratings
    whose user has training ratings."""
    train, test = prepared.data.pairs("train"), prepared.data.pairs("test")
    known_user = np.isin(test["user"], train["user"])
    known_item = np.isin(test["item"], train["item"])
    mean = train["rating"].mean()
    item_mean = pd.Series(train["rating"]).groupby(train["item"]).mean()
    by_item = pd.Series(test["item"]).map(item_mean).fillna(mean).to_numpy()
    notes = [f"{dataset}: {100 * (1 - known_user.mean()):.1f} % of the {len(test['user']):,} test ratings "
             f"come from users without any training rating and {100 * (1 - known_item.mean()):.1f} % "
             f"are of items without any; predicting the training mean gives RMSE "
             f"{metrics.rmse(test['rating'], np.full(len(by_item), mean), prepared.paper.clip):.4f}, each "
             f"item's training mean {metrics.rmse(test['rating'], by_item, prepared.paper.clip):.4f}"]
    for name, frame in errors.items():
        warm = np.isin(frame["user"], train["user"])
        if warm.any():
            value = metrics.rmse(frame["rating"][warm], frame["prediction"][warm], prepared.paper.clip)
            notes.append(f"{dataset}: {name} RMSE on the {warm.sum():,} test ratings of users with "
                         f"training ratings: {value:.4f}")
    return notes


def ranked_users(dataset: str, prepared, task: RatingTask, per_user: dict) -> list[str]:
    """How many ranked users have no training rating, and every method's AUC over the others: methods
    that score items by similarity to the user's training items (Item2Vec, MP2Vec) give such a user one
    score for every item, which the pessimistic tie rule counts as AUC 0."""
    users = task.auc_targets(prepared.data, "test")[0]
    trained = users[np.isin(users, prepared.data.pairs("train")["user"])]
    aucs = ", ".join(f"{m} {r['AUC'].reindex(trained).mean():.4f}" for m, r in per_user.items()
                     if "AUC" in r)
    return [f"{dataset}: {len(users) - len(trained)} of the {len(users)} ranked users have no training "
            "rating; Item2Vec and MP2Vec, which score items by similarity to the user's training items, "
            "give each of them the same score for every item, which the pessimistic tie rule counts as AUC "
            f"0. AUC over the {len(trained)} ranked users with training ratings: {aucs}"]


def significance(dataset: str, per_user: dict) -> list[str]:
    """Paired t-tests over users of IARN against the best baseline, as the paper reports."""
    if "IARN" not in per_user:
        return []
    notes = []
    for metric, lower in (("AUC", False), ("SE", True)):
        others = {m: r[metric].mean() for m, r in per_user.items()  # the baselines, not IARN's variants
                  if not m.startswith("IARN") and metric in r and r[metric].notna().any()}
        if not others or metric not in per_user["IARN"]:
            continue
        best = (min if lower else max)(others, key=others.get)
        test = stats.paired_ttest(per_user["IARN"][metric], per_user[best][metric])
        label = "squared error" if metric == "SE" else metric
        notes.append(f"{dataset}: IARN vs {best} (best baseline) on per-user {label}: {test}")
    return notes


if __name__ == "__main__":
    sys.exit(main())
