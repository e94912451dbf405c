"""DMRAN, the dynamic multi-grained and relation-aware attention network (Wang et al., "Towards
Accurate and Interpretable Sequential Prediction: A CNN & Attention-Based Feature Extractor", IJCAI
2019, as in ``../shared/papers``): the paper's datasets, protocol and methods with the settings of
section 5.1, and its Table 2 and Figures 3-5.

Protocol (section 5.1, `seqrec.datasets.protocols.dmran`): per user in time order, every prefix of the
first k behaviours predicts behaviour k+1 in training and the first n-1 predict the last in test. The
paper has no validation set: the (n-1)-th behaviour is the validation target, so the training prefixes
predict behaviours 2..n-2 (the paper's 2..n-1). Items carry their category where the data has one
(Electronic, as ATRank), and every method reads the same behaviours, categories and time buckets.

Evaluation. The paper's AUC (Eq. 23) scores each test user's last behaviour against sampled negatives;
like ATRank's code it takes one negative per user, so its "AUC" column here is the share of test users
whose target scores above one negative the user never interacted with, drawn once by the seed and the
same for every method (ties count one half, as scikit-learn counts them; Eq. 23's delta counts them 0).
Beside it, honest columns from full ranking: the AUC against every item the user has not interacted
with ("AUC (all items)"), HR@10 and NDCG@10. Model selection never reads the test part (ATRank's code
selects on test AUC): every epoch is scored on the validation targets ranked among ``valid_candidates``
sampled items (`seqrec.evaluation.tasks.SelectThenTest`), early stopping and the learning-rate drop
follow the validation AUC.

Settings (section 5.1 and ATRank's code, `seqrec.training.KerasCandidate`): SGD from learning rate 1.0
(dropped to 0.1 after two epochs without validation gain: chosen on validation, where DMRAN trained on
every Grocery user reached AUC 0.7437 this way, against 0.7408 with a drop at the first flat epoch;
the drop restarts early stopping's count, so the lower rate gets its own patience of 3 epochs),
batches of 32, L2 5e-5, hidden size 128 (item and category embeddings of 64 each; 128 for the item
alone where there are no categories), gradients clipped to norm 5, 12 day buckets, 8 heads, r searched
in {2, 5, 8, 10, 15, 20} on validation.

    from seqrec.experiments import dmran
    dmran.table2(profile="small").write("paper_tables")
"""

import dataclasses
import json
from pathlib import Path

import pandas as pd

from seqrec import reference
from seqrec.datasets import Interactions, protocols
from seqrec.datasets.pipelines import SequenceData
from seqrec.evaluation.figures import FigureOutput, new_figure
from seqrec.evaluation.tables import TableOutput, load_reference
from seqrec.evaluation.tasks import NextItemTask, SelectThenTest
from seqrec.models import BPR, ATRank, BiLSTM, CNNPooling
from seqrec.models.dmran import variant
from seqrec.training import FactorAdapter, KerasCandidate, next_item_model

from .pipeline import (
    MethodSpec,
    PaperDataset,
    Prepared,
    Results,
    RunOptions,
    fit_facts,
    open_manifest,
    paper_table,
    run,
    select,
)


@dataclasses.dataclass(frozen=True, kw_only=True)
class DMRANDataset(PaperDataset):
    """A dataset of DMRAN's Table 2 (5-core Amazon data: the protocol has no thresholds of its own)."""


DATASETS = (
    DMRANDataset(label="Amazon Electronic", own="amazon-2014-electronics-5core",
                 substitutes=("amazon-grocery-rechorus",)),
    DMRANDataset(label="Amazon Clothing", own="amazon-2014-clothing-shoes-and-jewelry-5core",
                 substitutes=("amazon-2014-clothing-5core-sequences",)),
)
SMOKE = DMRANDataset(label="Amazon Electronic", own="synthetic-small")
ROWS = (2, 5, 8, 10, 15, 20)  # section 5.1: the grid of r


@dataclasses.dataclass(frozen=True)
class Profile:
    """What a profile runs; everything scaled down from the paper is listed in ``scaled``.

    ``dim``: the hidden size (item + category embeddings); ``rows``: the r grid of Table 2's DMRAN
    family; ``users``: a seeded sample of at most this many users (None: all); ``valid_candidates``: the
    sampled items each validation target is ranked among; ``drop_patience``: epochs without validation
    gain before the learning rate drops; ``jit_compile``: XLA (off where compiling costs more than it
    saves: the smoke profile's tiny data)."""

    dim: int
    epochs: int
    patience: int
    max_len: int
    rows: tuple[int, ...]
    users: int | None
    valid_candidates: int
    scaled: tuple[str, ...]
    drop_patience: int = 2
    jit_compile: bool = True


PROFILES = {
    "smoke": Profile(16, 2, 1, 20, (2,), None, 20, (
        "synthetic data instead of the paper's datasets", "hidden size 16 instead of 128",
        "at most 2 training epochs", "r = 2 instead of the grid {2, 5, 8, 10, 15, 20}",
        "histories cut to the latest 20 behaviours"), False),
    "small": Profile(128, 30, 3, 20, (10,), 3000, 100, (
        "a seeded sample of 3,000 users per dataset (the paper keeps every user), so the test has "
        "3,000 users and the 5-core property no longer holds for items",
        "r = 10 for the DMRAN family instead of the grid {2, 5, 8, 10, 15, 20} on validation (Figure 5's "
        "script runs the grid)",
        "training until the validation AUC stops improving (patience 3, restarted when the learning "
        "rate drops), at most 30 epochs (the manifest "
        "names every method still improving at the cap); the paper does not state its number of steps",
        "histories cut to the latest 20 behaviours (the paper states no limit): the cut drops the oldest "
        "events of 17 % of the training prefixes of amazon-grocery-rechorus (7.2 % of its users have more "
        "than 20) and of 1.6 % of amazon-2014-clothing-5core-sequences' (1.2 % of its users)")),
    "paper": Profile(128, 100, 3, 100, ROWS, None, 100, (
        "histories cut to the latest 100 behaviours (the paper states no limit; ATRank's code reads "
        "whole histories)",)),
}
NO_TIME = "not applicable: no timestamps in this copy"
TIME_METHODS = ("ATRank", "DMRAN_Item", "DMRAN_Feature", "DMRAN")


def paper_datasets(options: RunOptions, default: tuple[str, ...] = ()) -> list[DMRANDataset]:
    """The datasets of a run (`seqrec.experiments.pipeline.select`)."""
    return select(DATASETS, options, SMOKE, default)


def task(profile: Profile, seed: int = 0) -> SelectThenTest:
    """Validation among ``profile.valid_candidates`` sampled items, AUC monitored; test by full ranking
    over the items the user has not interacted with, with the paper's one-negative AUC beside it."""
    return SelectThenTest(
        valid=NextItemTask(ks=(10,), batch_size=256, exclude_seen=True, with_auc=True, monitor="auc",
                           seed=seed, candidates=profile.valid_candidates),
        test=NextItemTask(ks=(10,), batch_size=64, exclude_seen=True, with_auc=True, sampled_auc=True,
                          seed=seed))


def preparer(options: RunOptions):
    """``prepare(paper, name, interactions)`` for `seqrec.experiments.pipeline.run`: DMRAN's protocol
    (on the profile's user sample), encoding and `task`."""
    profile = PROFILES[options.profile]

    def prepare(paper: DMRANDataset, name: str, interactions: Interactions) -> Prepared:
        n_users = interactions.events["user"].nunique()
        fraction = profile.users / n_users if profile.users and n_users > profile.users else None
        split = protocols.dmran(interactions.events, user_fraction=fraction, seed=options.seed)
        data = SequenceData.encode(split, interactions)
        cold = float((~split.test["item"].isin(split.train["item"])).mean())
        notes = [f"{paper.label}: {100 * cold:.1f} % of the test targets have no training event (items no "
                 "method has learned; a user sample raises the share)"]
        if not interactions.timed:
            notes.append(f"{paper.label}: {name} holds no timestamps, only each user's order: ATRank, "
                         f"DMRAN_Item, DMRAN_Feature and DMRAN ({NO_TIME}) do not run, and every other "
                         "method reads no time")
        return Prepared(paper, name, interactions, split, data, task(profile, options.seed), notes=notes)

    return prepare


def candidate_method(name: str, model, profile: Profile, timed: bool, **kwargs) -> KerasCandidate:
    """A candidate-scoring model (``model(n_items, n_categories, **kwargs)``) with section 5.1's
    settings: item and category embeddings of ``dim / 2`` each (without categories the item embedding is
    ``dim`` wide, `seqrec.models.candidate.CandidateModel`); ``timed=False`` reads no time buckets."""
    settings = {"item_dim": profile.dim // 2, "category_dim": profile.dim // 2, "l2": 5e-5,
                **({} if timed else {"use_time": False}), **kwargs}

    def build(data):
        return next_item_model(model, data, **settings)

    return KerasCandidate(name, build, max_len=profile.max_len, batch_size=32, epochs=profile.epochs,
                          learning_rate=1.0, clipnorm=5.0, patience=profile.patience, drop=0.1,
                          drop_patience=profile.drop_patience,
                          jit_compile=profile.jit_compile,
                          hyperparameters={"model": name, "dim": profile.dim, **settings})


def dmran_family(name: str, profile: Profile, timed: bool, rows: int) -> KerasCandidate:
    """DMRAN or one of its variants (`seqrec.models.dmran.variant`) with ``rows`` rows."""
    return candidate_method(name, lambda n, c, **kw: variant(name, n, c, **kw), profile, timed, rows=rows)


def needs_time(prepared: Prepared) -> str | None:
    return None if prepared.interactions.timed else NO_TIME


def table2_methods(profile: Profile, timed: bool) -> list[MethodSpec]:
    """Table 2's rows: BPR-MF, the four neural baselines and DMRAN with its variants; methods built on
    time signals need a timed dataset (`needs_time`), the others read none when it has no times."""
    baselines = {
        "Bi-LSTM": lambda: candidate_method("Bi-LSTM", BiLSTM, profile, timed),
        "Bi-LSTM+Attention": lambda: candidate_method("Bi-LSTM+Attention", BiLSTM, profile, timed,
                                                      attention=True),
        "CNN+Pooling": lambda: candidate_method("CNN+Pooling", CNNPooling, profile, timed),
        "ATRank": lambda: candidate_method("ATRank", ATRank, profile, timed),
    }
    specs = [MethodSpec("BPR-MF", lambda: FactorAdapter("BPR-MF", BPR, dim=profile.dim,
                                                        epochs=max(profile.epochs, 5)))]
    specs += [MethodSpec(name, build, requires=needs_time if name in TIME_METHODS else None)
              for name, build in baselines.items()]
    for name in ("DMRAN_No_Time", "DMRAN_Item", "DMRAN_Feature", "DMRAN"):
        grid = {} if name == "DMRAN_Feature" else {"rows": profile.rows}  # no item-level rows to choose
        specs.append(MethodSpec(
            name, lambda name=name, rows=profile.rows[0]: dmran_family(name, profile, timed, rows),
            grid=grid, requires=needs_time if name in TIME_METHODS else None))
    return specs


def methods_for(profile: Profile, names: tuple[str, ...] | None = None):
    """``methods(prepared)`` for `run`: Table 2's methods (those in ``names``) for the dataset's times."""
    def methods(prepared: Prepared) -> list[MethodSpec]:
        specs = table2_methods(profile, prepared.interactions.timed)
        return [s for s in specs if names is None or s.name in names]

    return methods


# Table 2's columns: ours, by the evaluator's names; "AUC" is the paper's metric (Eq. 23)
COLUMNS = {"AUC": "sampled_auc", "AUC (all items)": "auc", "HR@10": "hr@10", "NDCG@10": "ndcg@10"}


def _cells(results: Results) -> tuple[dict, dict]:
    """``(means, standard errors)`` of every run, keyed ``(dataset, method, column)``."""
    means, errors = {}, {}
    for label, runs in results.runs.items():
        for method, run_ in runs.items():
            mean, se = run_.test.mean(), run_.test.standard_errors()
            for column, key in COLUMNS.items():
                if key in mean:
                    means[(label, method, column)] = mean[key]
                    errors[(label, method, column)] = se[key]
    return means, errors


BASELINES = ("BPR-MF", "Bi-LSTM", "Bi-LSTM+Attention", "CNN+Pooling", "ATRank")


def table2_claims(results: Results) -> list[str]:
    """A verdict on each claim of sections 5.2-5.3 on the paper's AUC (and on the full-ranking AUC):
    DMRAN beats every baseline and every variant; DMRAN beats DMRAN_No_Time; DMRAN_Item beats
    DMRAN_Feature; DMRAN beats DMRAN_Item."""
    lines = []
    for label in results.runs:
        for column in ("AUC", "AUC (all items)"):
            metric = COLUMNS[column]
            best = results.best(label, metric, exclude=[m for m in results.runs[label] if m not in BASELINES])
            if best:
                lines.append(results.verdict(label, f"DMRAN beats the best baseline ({best}) on {column}",
                                             "DMRAN", best, metric))
            for first, second in (("DMRAN", "DMRAN_No_Time"), ("DMRAN_Item", "DMRAN_Feature"),
                                  ("DMRAN", "DMRAN_Item"), ("DMRAN", "DMRAN_Feature")):
                lines.append(results.verdict(label, f"{first} beats {second} on {column}", first, second,
                                             metric))
    return lines


def _improvement(results: Results) -> dict:
    """DMRAN's improvement over the best baseline on the paper's AUC, with the paired t-test over test
    users, as the cells ``(dataset, "improv.", "AUC")`` and ``(dataset, "p-value", "AUC")``; the
    verdict on the same test is `table2_claims`' first line."""
    cells = {}
    for label, runs in results.runs.items():
        best = results.best(label, "sampled_auc", exclude=[m for m in runs if m not in BASELINES])
        if "DMRAN" not in runs or best is None:
            why = (f"DMRAN did not run ({results.status(label, 'DMRAN').split(': ', 1)[-1]})"
                   if "DMRAN" not in runs else "no baseline ran")
            for row in ("improv.", "p-value"):
                results.skipped[(label, row)] = f"not applicable: {why}"
            continue
        gain, test = results.compare(label, "DMRAN", best, "sampled_auc")
        cells[(label, "improv.", "AUC")] = 100 * gain
        if test.p_value == test.p_value:  # not NaN
            cells[(label, "p-value", "AUC")] = test.p_value
    return cells


def _run(function: str, options: RunOptions, methods, papers=None) -> tuple[Results, object]:
    profile = PROFILES[options.profile]
    manifest = open_manifest(f"seqrec.experiments.dmran.{function}", options, profile.scaled)
    papers = papers if papers is not None else paper_datasets(options)
    results = run(papers, preparer(options), methods, options, manifest)
    manifest.notes += [f"task: {task(profile, options.seed).describe()}",
                       "the paper's AUC (Eq. 23) is the one-negative column \"AUC\"; \"AUC (all items)\", "
                       "HR@10 and NDCG@10 rank every item the user has not interacted with"]
    manifest.notes += results.skipped_notes()
    return results, manifest


def table2(**options) -> TableOutput:
    """DMRAN Table 2 (section 5.2): the paper's AUC of every method and variant on every dataset present,
    with the full-ranking AUC, HR@10 and NDCG@10 beside it, DMRAN's improvement over the best baseline
    and its paired t-test. ``options``: `RunOptions`."""
    options = RunOptions(**options)
    profile = PROFILES[options.profile]
    results, manifest = _run("table2", options, methods_for(profile))
    ours, errors = _cells(results)
    ours |= _improvement(results)
    manifest.notes += table2_claims(results)
    methods = [s.name for s in table2_methods(profile, True)]
    extra = [(label, method, column) for label in results.prepared for method in methods
             for column in list(COLUMNS)[1:]]
    extra += [(label, row, "AUC") for label in results.prepared for row in ("improv.", "p-value")]
    return paper_table("dmran_table2", "DMRAN Table 2: AUC (Wang et al., 2019)", manifest, ours, results,
                       extra, errors)


FIGURE3 = ("Bi-LSTM", "Bi-LSTM+Attention", "CNN+Pooling", "ATRank", "DMRAN")
FIGURE4 = ("DMRAN_Item", "DMRAN_Feature", "DMRAN")


def _curves(fits: dict[str, dict]) -> pd.DataFrame:
    """One row per (dataset, method, epoch) with the validation AUC after that epoch, from fit infos keyed
    ``"<dataset>/<method>"`` (a manifest's ``hyperparameters``: `KerasCandidate.fit`'s ``valid_curve``)."""
    rows = []
    for key, fit in fits.items():
        label, method = key.split("/", 1)
        curve = fit.get("valid_curve") or fit.get("selected", {}).get("fit", {}).get("valid_curve", [])
        rows += [{"dataset": label, "method": method, "epoch": epoch, "valid_auc": auc}
                 for epoch, auc in enumerate(curve, start=1)]
    return pd.DataFrame(rows, columns=["dataset", "method", "epoch", "valid_auc"])


def _table_run(path: str | Path, options: RunOptions):
    """``(fit infos, manifest)`` of Figures 3-4 drawn from a Table 2 run's JSON: its datasets, protocols
    and fits copied into a new manifest that names the file."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"--from-table {path}: no such file; run reproduce/dmran_table2.py first")
    table = json.loads(path.read_text(encoding="utf-8"))["manifest"]
    if not table.get("script", "").endswith("dmran.table2"):
        raise ValueError(f"--from-table {path}: not the output of reproduce/dmran_table2.py "
                         f"(its manifest's script is {table.get('script')!r})")
    manifest = open_manifest("seqrec.experiments.dmran.figure3_4", dataclasses.replace(
        options, profile=table["profile"], seed=table["seed"]))
    manifest.datasets, manifest.protocols = table["datasets"], table["protocols"]
    manifest.hyperparameters = table["hyperparameters"]
    manifest.notes += [f"the curves of the fits of {path.name} (started {table['started']}, "
                       f"{table['profile']} profile, seed {table['seed']}): no model was trained for "
                       "this figure; that table's manifest holds the test metrics and verdicts"]
    manifest.notes += [note for note in table["notes"] if "profile:" in note or note.startswith("task:")]
    return table["hyperparameters"], manifest


def figure3_4(from_table: str | Path | None = None, **options) -> FigureOutput:
    """DMRAN Figures 3 and 4 (section 5.2): the AUC along training of the neural baselines and DMRAN
    (Figure 3) and of DMRAN and its variants (Figure 4) on Amazon Electronic. The paper plots test AUC;
    ours is the validation AUC (the validation targets ranked among sampled items) after every epoch,
    since nothing may read the test part during training. BPR-MF trains with its own loop and has no
    such curve. ``from_table``: draw the curves of a Table 2 run's JSON (the same methods, settings and
    data) instead of training again. ``options``: `RunOptions`."""
    options = RunOptions(**options)
    profile = PROFILES[options.profile]
    names = tuple(dict.fromkeys(FIGURE3 + FIGURE4))
    if from_table is not None:
        fits, manifest = _table_run(from_table, options)
        wanted = options.datasets or ("Amazon Electronic",)
        labels = [label for label in dict.fromkeys(k.split("/", 1)[0] for k in fits) if label in wanted]
    else:
        results, manifest = _run("figure3_4", options, methods_for(profile, names),
                                 papers=paper_datasets(options, ("Amazon Electronic",)))
        for label in results.runs:
            for other in names[:-1]:
                manifest.notes.append(results.verdict(label, f"DMRAN beats {other} on the test AUC (the "
                                                      "paper's)", "DMRAN", other, "sampled_auc"))
        fits, labels = manifest.hyperparameters, list(results.runs)
    manifest.finish()
    rows = _curves(fits)
    rows = rows[rows["dataset"].isin(labels) & rows["method"].isin(names)].reset_index(drop=True)
    figure, axes = new_figure(2 * max(1, len(labels)), columns=2)
    for row, label in enumerate(labels):
        for col, (number, shown) in enumerate(((3, FIGURE3), (4, FIGURE4))):
            ax = axes[2 * row + col]
            for method in shown:
                curve = rows[(rows["dataset"] == label) & (rows["method"] == method)]
                if len(curve):
                    ax.plot(curve["epoch"], curve["valid_auc"], marker=".", label=method)
            ax.set(title=f"Figure {number}: {label}", xlabel="epoch (one pass over the training prefixes)",
                   ylabel="validation AUC (sampled items)")
            ax.legend(fontsize=7)
    return FigureOutput("dmran_figure3_4", "DMRAN Figures 3-4: AUC along training (Wang et al., 2019)",
                        figure, rows, manifest,
                        "Validation AUC after every epoch (the paper plots test AUC against training "
                        "steps); the paper prints no numbers for these figures.")


def figure5(rows: tuple[int, ...] = ROWS, **options) -> FigureOutput:
    """DMRAN Figure 5 (section 5.4): DMRAN's AUC for r in {2, 5, 8, 10, 15, 20} on every dataset present
    (the smoke profile runs r = 2 and 5): the paper's test AUC and, beside it, the best validation AUC.
    ``options``: `RunOptions`."""
    options = RunOptions(**options)
    profile = PROFILES[options.profile]
    rows = tuple(r for r in rows if r <= 5) if options.profile == "smoke" else tuple(rows)

    def methods(prepared: Prepared) -> list[MethodSpec]:
        timed = prepared.interactions.timed
        return [MethodSpec(f"r = {r}", lambda r=r: dmran_family("DMRAN", profile, timed, r),
                           requires=needs_time) for r in rows]

    results, manifest = _run("figure5", options, methods)
    first = f"r = {rows[0]}"
    for label, runs in results.runs.items():
        for method in runs:
            if method != first:  # section 5.4 (1): the smallest r gives the lowest AUC
                manifest.notes.append(results.verdict(label, f"{method} beats {first} on the paper's AUC",
                                                      method, first, "sampled_auc"))
    manifest.finish()
    paper = load_reference(reference.table_path("dmran_figure5"))
    quoted = {(row.dataset, row.method): float(row.value) for row in paper.itertuples()}
    table = pd.DataFrame([{"dataset": label, "r": int(method.split()[-1]),
                           "paper_test_auc": quoted.get((label, method)),
                           "test_auc": results.mean(label, method, "sampled_auc"),
                           "test_auc_all_items": results.mean(label, method, "auc"),
                           "valid_auc": fit_facts(run_).get("best_val_auc")}
                          for label, runs in results.runs.items() for method, run_ in runs.items()],
                         columns=["dataset", "r", "paper_test_auc", "test_auc", "test_auc_all_items",
                                  "valid_auc"])
    figure, axes = new_figure(max(1, len(results.runs)), columns=2)
    for ax, label in zip(axes, results.runs, strict=False):
        curve = table[table["dataset"] == label]
        for column, shown in (("test_auc", "test AUC (the paper's metric, one negative)"),
                              ("valid_auc", "best validation AUC (sampled items)"),
                              ("paper_test_auc", "the paper's test AUC (section 5.4)")):
            if curve[column].notna().any():
                ax.plot(curve["r"], curve[column], marker="o", label=shown)
        ax.set(title=label, xlabel="r (rows of M)", ylabel="AUC", xticks=list(curve["r"]))
        ax.legend(fontsize=7)
    return FigureOutput("dmran_figure5", "DMRAN Figure 5: AUC by r (Wang et al., 2019)", figure, table,
                        manifest, "paper_test_auc: the values section 5.4 quotes for Amazon Electronic "
                        "(paper_tables/reference/dmran_figure5.csv); the paper's run used its own data, "
                        "ours the dataset named in the manifest.")


