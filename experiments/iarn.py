"""IARN (Pei et al., "Interacting Attention-gated Recurrent Networks for Recommendation", CIKM 2017):
the paper's datasets, protocol and methods, and its Table 2 and Figures 3-5.

Protocol (section 4.1): users and items with more than 3 ratings, a global time cut (Netflix 2005-06-01,
MovieLens 2010-01-01, Amazon 2014-01-01), training before the cut and testing after it; the latest 10 %
of training ratings validate. RMSE (rating models only, as in the paper) over every test rating,
predictions clipped to the rating scale; AUC per user of the user's test items against every item the
user never rated (`seqrec.evaluation.tasks.RatingTask`).

Equal information: every method of the table sees the training period only. The factor models are
fitted on the training ratings; IARN's user and item histories at validation and test time hold training
events only (`seqrec.training.IARNMethod`'s ``history="batch"``), so a test prediction reads no
test-period behaviour or rating. Ratings of items without a training rating are left out for every
method (`RatingTask`; the notes count them). Users without a training rating stay: no model has trained
parameters of their own for them and IARN reads an empty user history; the "warm users" rows repeat
every number over the users with training ratings.

    from seqrec.experiments import iarn
    iarn.table2(profile="small").write("paper_tables")
"""

import dataclasses
import time

import numpy as np
import pandas as pd

from seqrec import models
from seqrec.datasets import Interactions, protocols
from seqrec.datasets.pipelines import SequenceData
from seqrec.evaluation import metrics, stats
from seqrec.evaluation.figures import FigureOutput, new_figure
from seqrec.evaluation.tables import TableOutput
from seqrec.evaluation.tasks import RatingTask
from seqrec.training import FactorAdapter, IARNMethod

from .pipeline import (
    MethodSpec,
    PaperDataset,
    Prepared,
    Results,
    RunOptions,
    first_present,
    open_manifest,
    paper_table,
    run,
    select,
)


@dataclasses.dataclass(frozen=True, kw_only=True)
class IARNDataset(PaperDataset):
    """A dataset of IARN's Table 2: its time cut (empty: the day of the 80 % quantile in time, for data
    the paper has no cut for), embedding size, rating scale (None: predictions not clipped), and the
    minimum number of ratings of a user and an item (section 4.1: more than 3; Figure 3 raises it;
    ``--min-user`` and ``--min-item``, given the same value, override it). An extra dataset gets the
    defaults."""

    THRESHOLDS = {"min_user": "min_count", "min_item": "min_count"}

    cut: str = ""
    dim: int = 25
    clip: tuple[float, float] | None = None
    min_count: int = 4


DATASETS = (
    IARNDataset(label="Netflix", own="netflix-prize", cut="2005-06-01", dim=25, clip=(1.0, 5.0)),
    IARNDataset(label="MovieLens", own="movielens-latest", substitutes=("movielens-latest-small",),
                cut="2010-01-01", dim=25, clip=(0.5, 5.0)),
    IARNDataset(label="Electronic", own="amazon-2014-electronics", cut="2014-01-01", dim=50, clip=(1.0, 5.0)),
    IARNDataset(label="Home", own="amazon-2014-home-and-kitchen", cut="2014-01-01", dim=50, clip=(1.0, 5.0)),
    IARNDataset(label="Clothing", own="amazon-2014-clothing-shoes-and-jewelry", cut="2014-01-01", dim=50,
                clip=(1.0, 5.0)),
    IARNDataset(label="Sport", own="amazon-2014-sports-and-outdoors", cut="2014-01-01", dim=50,
                clip=(1.0, 5.0)),
)
# smoke profile: the synthetic log stands in for MovieLens; its last fifth in time is the test period
SMOKE = IARNDataset(label="MovieLens", own="synthetic-small", cut="", dim=8, clip=(0.5, 5.0))

RATING_INPUTS = "IARN + rating inputs (ours)"
RATING_METHODS = ("MF", "TimeSVD++", "HieVH", "IARN", RATING_INPUTS)
PAPER_GRID = (1e-5, 1e-4, 1e-3, 1e-2, 1e-1)  # section 4.1, learning rate and regularisation
DROPOUT_GRID = (0.0, 0.25, 0.5)  # section 4.1, recurrent networks


@dataclasses.dataclass(frozen=True)
class Profile:
    """What a profile of Table 2 (and Figures 4-5) runs; everything scaled down from the paper is listed
    in ``scaled``."""

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
    "small": Profile(50, 50, 200, 100, {}, {}, (
        "no hyper-parameter search: IARN uses learning rate 1e-3 (the authors' code's: 2e-3 x 32 / 64 "
        "hidden units), dropout 0.25 and no regularisation, the baselines their defaults (seqrec.models); "
        "the paper grid-searches {1e-5..1e-1} for learning rate and regularisation and {0, 0.25, 0.5} "
        "for dropout",
        "every model trains until its validation score stops improving (IARN: validation MSE, patience 2; "
        "the baselines: their own validation metric, patience 3), at most 50 (IARN) or 100 epochs",
        "user and item histories truncated to their latest 50 ratings",
        "AUC on 200 sampled test users per dataset (the authors' code samples 500 or 1,000)")),
    "paper": Profile(100, None, None, 100,
                     {"learning_rate": PAPER_GRID, "l2": PAPER_GRID, "dropout": DROPOUT_GRID},
                     {"learning_rate": PAPER_GRID, "reg": PAPER_GRID}, ()),
}


def paper_datasets(options: RunOptions, default: tuple[str, ...] = ()) -> list[IARNDataset]:
    """The datasets a run covers (`seqrec.experiments.pipeline.select`): the synthetic stand-in for the
    smoke profile, else the paper's datasets asked for (none asked: ``default``, or every one), and any
    other registered dataset or the user's log asked for, as extra datasets."""
    return select(DATASETS, options, SMOKE, default)


def protocol(events: pd.DataFrame, paper: IARNDataset) -> protocols.Split:
    """IARN's protocol (`seqrec.datasets.protocols.iarn`) at the paper's cut; the synthetic data (and an
    extra dataset) is cut at the day of its 80 % quantile in time."""
    cut = paper.cut
    if not cut:
        quantile = int(events["timestamp"].quantile(0.8, interpolation="nearest"))
        cut = time.strftime("%Y-%m-%d", time.gmtime(quantile))
    return protocols.iarn(events, cut, min_count=paper.min_count)


def preparer(task):
    """``prepare(paper, name, interactions)``: IARN's protocol, encoding, and ``task(paper)``, the
    `RatingTask` that evaluates the dataset (described in the manifest's notes)."""

    def prepare(paper: IARNDataset, name: str, interactions: Interactions) -> Prepared:
        split = protocol(interactions.events, paper)
        data, evaluation = SequenceData.encode(split, interactions), task(paper)
        return Prepared(paper, name, interactions, split, data, evaluation, folder=name,
                        notes=[f"{paper.label}: {evaluation.describe()}"])

    return prepare


def needs_item_features(prepared: Prepared) -> str | None:
    """Why a method that reads item features does not apply to ``prepared`` (None: it applies)."""
    if prepared.data.feature_structure not in ("flat", "hierarchy"):
        return "not applicable: no item features in this dataset"
    return None


def iarn_method(variant: str, paper: IARNDataset, epochs: int, max_history: int | None, grid: dict,
                name: str | None = None, **kwargs) -> MethodSpec:
    """IARN or a variant (`seqrec.models.iarn.VARIANTS`) with the paper's d and 64 hidden units."""
    name = name or variant
    return MethodSpec(name, lambda **hp: IARNMethod(variant, dim=paper.dim, epochs=epochs,
                                                    max_history=max_history, name=name, **kwargs, **hp),
                      grid, requires=needs_item_features if models.iarn.VARIANTS[variant][1] else None)


def table2_methods(paper: IARNDataset, profile: Profile) -> list[MethodSpec]:
    """Table 2's methods with the paper's settings (section 4.1): d = 25 or 50, TimeSVD++ decay 0.4 and
    30 bins, HieVH alpha 0.01, MP2Vec alpha 0.1, 64 hidden units for NCF and IARN."""
    def baseline(name, model, needs_features=False):
        return MethodSpec(name, lambda **hp: FactorAdapter(name, model, needs_features, dim=paper.dim,
                                                           epochs=profile.baseline_epochs, **hp),
                          profile.baseline_grid, requires=needs_item_features if needs_features else None)

    return [
        baseline("MF", models.MF), baseline("BPR", models.BPR), baseline("TimeSVD++", models.TimeSVDpp),
        baseline("HieVH", models.HieVH, True), baseline("Item2Vec", models.Item2Vec),
        baseline("NCF", models.NCF), baseline("MP2Vec", models.MP2Vec, True),
        iarn_method("IARN", paper, profile.epochs, profile.max_history, profile.iarn_grid),
        iarn_method("IARN", paper, profile.epochs, profile.max_history, profile.iarn_grid, name=RATING_INPUTS,
                    rating_inputs=True),
    ]


def table2(**options) -> TableOutput:
    """IARN Table 2 (section 4.2): RMSE and AUC of every method on every dataset present, the paper's
    numbers beside ours, with IARN's paired t-tests against the best baseline. ``options``:
    `RunOptions`."""
    options = RunOptions(**options)
    profile = PROFILES[options.profile]
    manifest = open_manifest("seqrec.experiments.iarn.table2", options, profile.scaled)

    def task(paper):
        return RatingTask(clip=paper.clip, auc_users=profile.auc_users, seed=options.seed)

    papers = paper_datasets(options)
    results = run(papers, preparer(task), lambda prepared: table2_methods(prepared.paper, profile), options,
                  manifest)
    for prepared in results.prepared.values():
        manifest.notes += regime(prepared) + ranked_users(prepared)
    ours = results.cells(("AUC",))
    ours |= {k: v for k, v in results.cells(("RMSE",)).items() if k[1] in RATING_METHODS}
    warm, warm_errors = warm_rows(results)
    manifest.notes += claims(results, ours | warm)
    manifest.notes.append(
        f"{RATING_INPUTS} is not in the paper: IARN whose every history step also reads the rating given "
        "at that earlier event (centred and scaled). The paper's text feeds only embeddings of the "
        "other side (section 3), so its IARN cannot see how a user or an item rates; this row measures "
        "what that reading costs. Both read only training events before each rating's time.")
    extra = [(p.label, RATING_INPUTS, metric) for p in papers for metric in ("RMSE", "AUC")] + list(warm)
    return paper_table("iarn_table2", "IARN Table 2: RMSE and AUC (Pei et al., CIKM 2017)", manifest,
                       ours | warm, results, extra, warm_errors)


def claims(results: Results, ours: dict) -> list[str]:
    """A verdict (`Results.verdict`) on each claim of section 4.2 that Table 2's methods can test: IARN
    beats the best baseline on RMSE and on AUC; TimeSVD++ and HieVH beat MF on RMSE; BPR beats MF and NCF
    beats Item2Vec on AUC (ranking objectives); MP2Vec beats Item2Vec and NCF on AUC."""
    lines = []
    for label, runs in results.runs.items():
        for metric, lower in (("RMSE", True), ("AUC", False)):
            others = [m for m in runs if m.startswith("IARN") or (label, m, metric) not in ours]
            best = results.best(label, metric, exclude=others, lower=lower)
            if best is not None:
                lines.append(results.verdict(label, f"IARN beats every baseline on {metric} (best: {best}), "
                                             "p < 0.01", "IARN", best, metric, lower, alpha=0.01))
        for first, second, metric in (("TimeSVD++", "MF", "RMSE"), ("HieVH", "MF", "RMSE"),
                                      ("BPR", "MF", "AUC"), ("NCF", "Item2Vec", "AUC"),
                                      ("MP2Vec", "Item2Vec", "AUC"), ("MP2Vec", "NCF", "AUC")):
            lines.append(results.verdict(label, f"{first} beats {second} on {metric}", first, second, metric,
                                         lower=metric == "RMSE"))
    return lines


WARM = "warm users"


def warm_rows(results: Results) -> tuple[dict, dict]:
    """``(cells, standard errors)`` of the rows "<dataset>, warm users": every method's AUC (and RMSE for
    the rating models) over the test users with at least one training rating, from the same runs. On the
    latest-small stand-in most test ratings come from users without one, whom no method can know."""
    cells, errors = {}, {}
    for label, runs in results.runs.items():
        users = np.unique(results.prepared[label].data.pairs("train")["user"])
        for method, run_ in runs.items():
            part = run_.test.of_users(users)
            means, ses = part.mean(), part.standard_errors()
            for metric in ("AUC", "RMSE") if method in RATING_METHODS else ("AUC",):
                if metric in means and means[metric] == means[metric]:
                    cells[(f"{label}, {WARM}", method, metric)] = means[metric]
                    errors[(f"{label}, {WARM}", method, metric)] = ses[metric]
    return cells, errors


def regime(prepared: Prepared) -> list[str]:
    """Facts about the test ratings that explain the numbers: how many come from users without any
    training rating, how many are of items without one (left out for every method, `RatingTask`), and
    what trivial predictors reach on the scored ratings."""
    label, clip, task = prepared.label, prepared.paper.clip, prepared.task
    train, test = prepared.data.pairs("train"), prepared.data.pairs("test")
    cold_ratings, cold_items = task.cold_items(prepared.data, "test")
    scored = task.known_items(prepared.data)[test["item"]]
    known_user = np.isin(test["user"][scored], train["user"])
    mean = train["rating"].mean()
    item_mean = pd.Series(train["rating"]).groupby(train["item"]).mean()
    by_item = pd.Series(test["item"][scored]).map(item_mean).fillna(mean).to_numpy()
    rating = test["rating"][scored]
    return [f"{label}: {cold_ratings:,} of the {len(scored):,} test ratings are of {cold_items:,} items "
            f"without any training rating, left out for every method; of the {scored.sum():,} scored, "
            f"{100 * (1 - known_user.mean()):.1f} % come from users without any training rating (the "
            f"'{WARM}' rows leave them out); predicting the training mean gives RMSE "
            f"{metrics.rmse(rating, np.full(len(rating), mean), clip):.4f}, each item's training mean "
            f"{metrics.rmse(rating, by_item, clip):.4f}"]


def ranked_users(prepared: Prepared) -> list[str]:
    """How many ranked users have no training rating: methods that score items by similarity to the
    user's training items (Item2Vec, MP2Vec) give such a user one score for every item, which counts as
    AUC 0.5 (ties count one half)."""
    users = prepared.task.auc_targets(prepared.data, "test")[0]
    cold = (~np.isin(users, prepared.data.pairs("train")["user"])).sum()
    return [f"{prepared.label}: {cold} of the {len(users)} ranked users have no training rating; Item2Vec "
            "and MP2Vec, which score items by similarity to the user's training items, give each of them "
            f"the same score for every item (AUC 0.5, a tie counting one half); the '{WARM}' rows rank "
            "only the others"]


MIN_LENGTHS = (3, 10, 20, 30, 50, 100)
BACKBONES = ("RNN-backbone", "LSTM-backbone", "TAGM-backbone", "IARN-Plain")


@dataclasses.dataclass(frozen=True)
class Figure3Profile:
    min_lengths: tuple[int, ...]
    epochs: int
    max_history: int | None
    scaled: tuple[str, ...]


FIGURE3_PROFILES = {
    "smoke": Figure3Profile((10,), 1, 10, ("synthetic data", "minimum length 10 only", "1 epoch",
                                           "histories truncated to 10")),
    "small": Figure3Profile(MIN_LENGTHS, 30, 30, (
        "at most 30 epochs (early stopping on validation MSE, patience 2)",
        "histories truncated to 30 ratings",
        "learning rate 1e-3, dropout 0.25, no regularisation: not grid-searched")),
    "paper": Figure3Profile(MIN_LENGTHS, 100, None, ()),
}


def rating_only(paper: IARNDataset) -> RatingTask:
    """RMSE only (the figures report no AUC)."""
    return RatingTask(clip=paper.clip, ranking=False)


def check_figure3(options: RunOptions) -> None:
    """Figure 3 varies the minimum counts itself: ``--min-user`` and ``--min-item`` are a ValueError."""
    if options.deviations():
        raise ValueError(f"{', '.join(options.deviations())}: Figure 3 sets the minimum counts itself")


def figure3(**options) -> FigureOutput:
    """IARN Figure 3 (section 4.2): RMSE of the four recurrent backbones (RNN, LSTM, TAGM, IARN-Plain) on
    configurations of each dataset with a growing minimum length of user and item sequences, {3, 10, 20,
    30, 50, 100}: a minimum length m keeps the users and items with at least m ratings (iterated to a
    fixed point), then applies IARN's time split. ``options``: `RunOptions`."""
    options = RunOptions(**options)
    check_figure3(options)
    profile = FIGURE3_PROFILES[options.profile]
    manifest = open_manifest("seqrec.experiments.iarn.figure3", options, profile.scaled)
    papers = [p for p in paper_datasets(options) if p.find(options.data_dir)]
    variants = {(p.label, m): dataclasses.replace(p, label=f"{p.label}, min length {m}", min_count=m)
                for p in papers for m in profile.min_lengths}
    prepare_base = preparer(rating_only)

    def prepare(paper, name, interactions):
        prepared = prepare_base(paper, name, interactions)
        prepared.folder = f"{name}/min{paper.min_count}"
        prepared.notes.append(f"{paper.label}: {prepared.split.reports[-1]}")
        return prepared

    def methods(prepared):
        return [iarn_method(b, prepared.paper, profile.epochs, profile.max_history, {}) for b in BACKBONES]

    results = run(list(variants.values()), prepare, methods, options, manifest)
    for label in results.runs:
        for first, second in (("IARN-Plain", "TAGM-backbone"), ("IARN-Plain", "LSTM-backbone"),
                              ("IARN-Plain", "RNN-backbone"), ("TAGM-backbone", "LSTM-backbone")):
            manifest.notes.append(results.verdict(label, f"{first} beats {second} on RMSE", first, second,
                                                  "RMSE", lower=True))
    manifest.finish()
    rows = []
    for (label, m), paper in variants.items():
        prepared = results.prepared.get(paper.label)
        for backbone in BACKBONES:
            status = results.status(paper.label, backbone)
            rows.append({"dataset": label, "min_length": m, "method": backbone,
                         "rmse": results.mean(paper.label, backbone, "RMSE"),
                         "test_ratings": len(prepared.split.test) if prepared else 0, "status": status})
    frame = pd.DataFrame(rows, columns=["dataset", "min_length", "method", "rmse", "test_ratings", "status"])
    figure, axes = new_figure(max(1, len(papers)))
    for ax, paper in zip(axes, papers, strict=False):
        part = frame[(frame["dataset"] == paper.label) & (frame["status"] == "ok")]
        for backbone in BACKBONES:
            line = part[part["method"] == backbone]
            ax.plot(line["min_length"], line["rmse"], marker="o", label=backbone)
        ax.set(title=paper.label, xlabel="minimum sequence length", ylabel="RMSE")
        ax.legend(fontsize=7)
    return FigureOutput("iarn_figure3", "IARN Figure 3: RMSE of the backbones by minimum sequence length",
                        figure, frame, manifest,
                        "A minimum length m keeps the users and items with at least m ratings (iterated to a "
                        "fixed point), then applies IARN's time split. The paper plots this figure without "
                        "printing its numbers, so there is no paper number to set beside ours.")


FIGURE4_VARIANTS = ("IARN-Plain", "IARN")


def figure4(**options) -> FigureOutput:
    """IARN Figure 4 (section 4.2): RMSE of IARN with and without its feature encoder (IARN vs IARN-Plain)
    on the datasets that have item features (Netflix has none and is left out, as in the paper; the
    paper's text reports a 1.19 % average lift). ``options``: `RunOptions`."""
    options = RunOptions(**options)
    profile = PROFILES[options.profile]
    manifest = open_manifest("seqrec.experiments.iarn.figure4", options, profile.scaled)
    papers = [p for p in paper_datasets(options) if p.label != "Netflix"]

    def methods(prepared):
        return [dataclasses.replace(iarn_method(v, prepared.paper, profile.epochs, profile.max_history,
                                                profile.iarn_grid), requires=needs_item_features)
                for v in FIGURE4_VARIANTS]

    results = run(papers, preparer(rating_only), methods, options, manifest)
    rows = []
    for label in results.prepared:
        for variant in FIGURE4_VARIANTS:
            rows.append({"dataset": label, "method": variant, "rmse": results.mean(label, variant, "RMSE"),
                         "status": results.status(label, variant)})
        if all(v in results.runs.get(label, {}) for v in FIGURE4_VARIANTS):
            ours, plain = (results.mean(label, v, "RMSE") for v in ("IARN", "IARN-Plain"))
            lift = stats.relative_improvement(ours, plain, lower_is_better=True)
            manifest.notes.append(f"{label}: IARN lowers RMSE by {100 * lift:.2f} % relative to IARN-Plain")
            manifest.notes.append(results.verdict(label, "IARN (feature encoder) beats IARN-Plain on RMSE, "
                                                  "p < 0.01", "IARN", "IARN-Plain", "RMSE", lower=True,
                                                  alpha=0.01))
    manifest.finish()
    frame = pd.DataFrame(rows, columns=["dataset", "method", "rmse", "status"])
    figure, (ax,) = new_figure(1, width=max(4.5, 1.6 * len(papers)))
    ok = frame[frame["status"] == "ok"]
    labels = list(dict.fromkeys(ok["dataset"]))
    for k, variant in enumerate(FIGURE4_VARIANTS):
        values = [ok[(ok["dataset"] == d) & (ok["method"] == variant)]["rmse"].iloc[0] for d in labels]
        ax.bar(np.arange(len(labels)) + 0.4 * k - 0.2, values, width=0.4, label=variant)
    ax.set(xticks=range(len(labels)), xticklabels=labels, ylabel="RMSE")
    ax.legend(fontsize=7)
    return FigureOutput("iarn_figure4", "IARN Figure 4: IARN vs IARN-Plain (RMSE)", figure, frame, manifest)


EXAMPLES = 4
MIN_HISTORY = 5


def figure5(**options) -> FigureOutput:
    """IARN Figure 5 (section 4.2): the attention scores IARN gives every step of a user's and an item's
    history, for real (user, item) pairs with an observed rating. IARN is trained as for Table 2 on the
    first dataset present (default MovieLens); then a seeded sample of test ratings whose user and item
    both have at least 5 earlier ratings is explained. A user's history lists the movies she rated
    before the rating, with their titles and genres; an item's history lists the users who rated it
    before, each with the genre that user rated most often before. ``options``: `RunOptions`."""
    options = RunOptions(**options)
    profile = PROFILES[options.profile]
    manifest = open_manifest("seqrec.experiments.iarn.figure5", options, profile.scaled)
    paper = first_present(paper_datasets(options, ("MovieLens",)), options)

    def methods(prepared):
        variant = "IARN" if needs_item_features(prepared) is None else "IARN-Plain"
        return [iarn_method(variant, paper, profile.epochs, profile.max_history, profile.iarn_grid)]

    results = run([paper], preparer(rating_only), methods, options, manifest, fitted=("IARN", "IARN-Plain"))
    prepared = results.prepared[paper.label]
    (fitted,) = results.runs[paper.label].values()
    rows, chosen = attention_rows(prepared, fitted.method, options.seed, manifest)
    manifest.notes.append(f"{paper.label}: the paper's claim that the attention scores pick out the steps "
                          "relevant to the target is qualitative: cannot tell from scores alone; the panels "
                          "show them with each step's titles and genres for the reader to judge")
    manifest.finish()
    figure, axes = new_figure(2 * len(chosen), columns=2, width=6.0, height=0.25 * tallest_panel(rows))
    for k in range(len(chosen)):
        for side, ax in zip(("user history", "item history"), axes[2 * k:2 * k + 2], strict=True):
            part = rows[(rows["example"] == k + 1) & (rows["side"] == side)]
            ax.barh(np.arange(len(part)), part["score"], color="tab:blue" if "user" in side else "tab:orange")
            ax.set_yticks(np.arange(len(part)), [lbl[:48] for lbl in part["label"]], fontsize=5)
            ax.invert_yaxis()
            ax.set_xlim(0, 1)
            ax.set_title(f"example {k + 1}: {side}", fontsize=8)
    return FigureOutput("iarn_figure5", f"IARN Figure 5: attention scores on {paper.label} ({prepared.name})",
                        figure, rows, manifest)


def attention_rows(prepared: Prepared, method: IARNMethod, seed: int,
                   manifest) -> tuple[pd.DataFrame, np.ndarray]:
    """The attention scores of a seeded sample of test ratings whose user and item both have at least
    ``MIN_HISTORY`` earlier ratings among the events the method reads, one row per history step, and the
    chosen test ratings."""
    data, items = prepared.data, prepared.interactions.items
    test = data.pairs("test")
    by_user, by_item = method.tables  # what the method reads: the training events
    enough = ((by_user.count_before(test["user"], test["time"]) - by_user.offsets[test["user"]]
               >= MIN_HISTORY) &
              (by_item.count_before(test["item"], test["time"]) - by_item.offsets[test["item"]]
               >= MIN_HISTORY))
    candidates = np.flatnonzero(enough)
    if not len(candidates):
        raise ValueError(f"no test rating of {prepared.name} has {MIN_HISTORY} earlier ratings on both sides")
    chosen = np.sort(np.random.default_rng(seed).choice(candidates, min(EXAMPLES, len(candidates)),
                                                        replace=False))
    att = method.attention(test["user"][chosen], test["item"][chosen], test["time"][chosen])

    def describe_item(index):
        item = data.items.decode([index])[0]
        meta = items.loc[item] if item in items.index else None
        title = "" if meta is None else meta["title"]
        genres = "" if meta is None else "|".join(meta["features"])
        return item, title, genres

    def top_genre(user, when):
        span = slice(by_user.offsets[user], by_user.count_before([user], [when])[0])
        genres = [g for i in by_user.values[span] for g in describe_item(i)[2].split("|") if g]
        return max(set(genres), key=genres.count) if genres else ""

    rows = []
    for k, where in enumerate(chosen):
        user, item, when = test["user"][where], test["item"][where], test["time"][where]
        target = describe_item(item)
        for step, (i, score) in enumerate(zip(att["user_items"][k], att["user_scores"][k], strict=True)):
            if i:
                iid, title, genres = describe_item(i)
                rows.append({"example": k + 1, "side": "user history", "step": step, "id": iid,
                             "label": f"{title} [{genres}]", "score": float(score)})
        for step, (u, score) in enumerate(zip(att["item_users"][k], att["item_scores"][k], strict=True)):
            if u:
                rows.append({"example": k + 1, "side": "item history", "step": step,
                             "id": data.users.decode([u])[0],
                             "label": f"user {data.users.decode([u])[0]} (mostly {top_genre(u, when)})",
                             "score": float(score)})
        manifest.notes.append(
            f"example {k + 1}: user {data.users.decode([user])[0]} rated '{target[1]}' [{target[2]}] "
            f"{test['rating'][where]} on {pd.Timestamp(when, unit='s', tz='UTC').date()}")
    return pd.DataFrame(rows), chosen


def tallest_panel(frame: pd.DataFrame) -> float:
    """Rows of the tallest panel, to size the figure."""
    return max(8.0, float(frame.groupby(["example", "side"]).size().max()))
