"""MTAM, the multi-hop time-aware attentive memory network (Ji et al., "Sequential Recommender via
Time-aware Attentive Memory Network", CIKM 2020): the paper's datasets, protocol and methods with the
settings of section 6.2, and its Tables 2-3 and Figures 3-5.

Protocol (section 6.1): users with fewer than 10 behaviours and items appearing fewer than 30 times
removed (to a fixed point), leave-last-out: the last behaviour is the test target, the one before it the
validation target, and every earlier prefix a training example; repeated Amazon reviews de-duplicated;
a seeded quarter of Yoochoose's sessions. Evaluation: the next item ranked among all items (items
already in the history stay in the ranking, as in the authors' code), HR@K and NDCG@K, ties counted at
their pessimistic rank. Every model reads the target's timestamp, as the paper defines its task
(``Rec(S_u, t_target)``, section 3).

Settings (section 6.2): 128 hidden and embedding units, Adam with learning rate 1e-3 decayed by 0.995
every 100 steps, dropout 0.5 (training only), L2 1e-5, histories of at most 50 behaviours. Early
stopping and model selection on the validation targets only. From the authors' code (where the text is
silent): batch 256, gradient norm clipped to 1, one attention head, 6 hops.

    from seqrec.experiments import mtam
    mtam.table2(profile="small").write("paper_tables")
"""

import dataclasses

import numpy as np
import pandas as pd

from seqrec.datasets import Interactions, protocols
from seqrec.datasets.features import item_categories
from seqrec.datasets.pipelines import SequenceData
from seqrec.evaluation.figures import FigureOutput, new_figure
from seqrec.evaluation.tables import TableOutput
from seqrec.evaluation.tasks import NextItemTask
from seqrec.models import BPR, MTAM, NARM, STAMP, SASRec, TimeAwareSelfAttention, TiSASRec, TopPop
from seqrec.training import FactorAdapter, KerasNextItem, PersonalPopAdapter, next_item_model

from .pipeline import (
    MethodSpec,
    PaperDataset,
    Prepared,
    Results,
    RunOptions,
    open_manifest,
    paper_table,
    run,
    select,
)

TARGET_TIME_NOTE = ("Every model reads the target's timestamp, as MTAM defines the task "
                    "(Rec(S_u, t_target), section 3): time-aware models know when the next behaviour "
                    "happens, never what it is.")


@dataclasses.dataclass(frozen=True, kw_only=True)
class MTAMDataset(PaperDataset):
    """A dataset of MTAM's tables, with the share of users the paper samples and the thresholds (both
    overridden by ``--min-user`` and ``--min-item``)."""

    THRESHOLDS = {"min_user": "min_user", "min_item": "min_item"}

    user_fraction: float | None = None
    min_user: int = 10  # section 6.1
    min_item: int = 30  # section 6.1; lowered only for the synthetic smoke data


DATASETS = (
    MTAMDataset(label="ML-25m", own="movielens-25m", substitutes=("movielens-latest-small",)),
    MTAMDataset(label="Electronics", own="amazon-2018-electronics"),
    MTAMDataset(label="CDs & Vinyl", own="amazon-2018-cds-and-vinyl"),
    MTAMDataset(label="Movies & TV", own="amazon-2018-movies-and-tv"),
    MTAMDataset(label="Yoochoose", own="yoochoose-clicks", user_fraction=0.25),
    MTAMDataset(label="Ali Mobile", own="tianchi-mobile"),
)
# smoke profile: the synthetic log, whose next items depend on the time gap, stands in for ML-25m
SMOKE = MTAMDataset(label="ML-25m", own="synthetic-small", min_item=10)


@dataclasses.dataclass(frozen=True)
class Profile:
    """What a profile runs; everything scaled down from the paper is listed in ``scaled``."""

    dim: int
    epochs: int
    patience: int
    hops: int
    max_len: int
    windows: bool
    scaled: tuple[str, ...]


WINDOWS_NOTE = ("training in window mode: one pass over each chunk of 50 behaviours yields the "
                "prediction after every position (equal to the per-prefix computation while a user's "
                "training sequence has at most 50 behaviours; later chunks of longer sequences see only "
                "their own chunk); validation and test use the exact per-prefix mode (latest 50 "
                "behaviours before each target)")
PROFILES = {
    "smoke": Profile(16, 1, 4, 2, 20, True, (
        "synthetic data instead of the paper's datasets, items with fewer than 10 (not 30) events "
        "removed", "16 units instead of 128", "1 training epoch",
        "2 hops", "histories of at most 20 behaviours", WINDOWS_NOTE)),
    "small": Profile(128, 100, 5, 6, 50, True, (
        "training until validation NDCG@10 stops improving (patience 5: one validation target per user "
        "makes it noisy), at most 100 epochs; the paper does not state its number of epochs", WINDOWS_NOTE)),
    "paper": Profile(128, 200, 5, 6, 50, False, (
        "training in the exact per-prefix mode: every prefix (its latest 50 behaviours) is one example",)),
}


def paper_datasets(options: RunOptions, default: tuple[str, ...] = ()) -> list[MTAMDataset]:
    """The datasets of a run (`seqrec.experiments.pipeline.select`): the synthetic stand-in for the smoke
    profile, else the paper's datasets asked for (none asked: ``default``, or every one), and any other
    registered dataset or the user's log asked for, as extra datasets."""
    return select(DATASETS, options, SMOKE, default)


def protocol(events: pd.DataFrame, paper: MTAMDataset, seed: int = 0) -> protocols.Split:
    """MTAM's protocol for one dataset: `seqrec.datasets.protocols.mtam` with the dataset's user sample
    and thresholds."""
    return protocols.mtam(events, min_user=paper.min_user, min_item=paper.min_item,
                          user_fraction=paper.user_fraction, seed=seed)


def dataset_statistics(split: protocols.Split, data: SequenceData) -> str:
    """Table 1's statistics of a prepared dataset: users, items, categories, behaviours per user,
    density."""
    events = split.events()
    users, items = events["user"].nunique(), events["item"].nunique()
    ids, _ = item_categories(data.item_info, data.items, data.feature_structure)
    return (f"{users:,} users, {items:,} items, {len(np.unique(ids[ids > 0])):,} categories, "
            f"{len(events) / max(users, 1):.2f} behaviours per user, density "
            f"{100 * len(events) / max(users * items, 1):.4f} %")


def preparer(options: RunOptions, ks: tuple[int, ...] = (10,)):
    """``prepare(paper, name, interactions)`` for `seqrec.experiments.pipeline.run`: MTAM's protocol,
    encoding, and the evaluation: full ranking over all items, seen items ranked, NDCG@10 monitored on
    validation."""

    def prepare(paper: MTAMDataset, name: str, interactions: Interactions) -> Prepared:
        split = protocol(interactions.events, paper, options.seed)
        data = SequenceData.encode(split, interactions)
        task = NextItemTask(ks=ks, batch_size=256, exclude_seen=False, monitor="ndcg@10")
        return Prepared(paper, name, interactions, split, data, task, notes=[
            f"{paper.label} after the protocol (Table 1's statistics): {dataset_statistics(split, data)}"])

    return prepare


def keras_method(name: str, model_class, profile: Profile, categories: bool = True,
                 **model_kwargs) -> KerasNextItem:
    """A `NextItemModel` trained with section 6.2's settings."""
    def build(data):
        return next_item_model(model_class, data, categories=categories, dim=profile.dim, dropout=0.5,
                               l2=1e-5, all_positions=profile.windows, **model_kwargs)

    return KerasNextItem(name, build, max_len=profile.max_len, batch_size=256, epochs=profile.epochs,
                         learning_rate=1e-3, patience=profile.patience, decay=(100, 0.995), clipnorm=1.0,
                         windows=profile.windows,
                         hyperparameters={"model": model_class.__name__, "dim": profile.dim, "dropout": 0.5,
                                          "l2": 1e-5, "categories": categories, **model_kwargs})


def mtam(name: str, profile: Profile, **kwargs) -> KerasNextItem:
    """MTAM (or a variant, ``kwargs`` to `seqrec.models.MTAM`) with the profile's hops and memory."""
    return keras_method(name, MTAM, profile, memory_len=profile.max_len, **{"hops": profile.hops, **kwargs})


def table2_methods(profile: Profile) -> list[MethodSpec]:
    """Table 2's methods (section 6.2). The recurrent baselines are MTAM's recurrent part alone (0 hops)
    with the unit named: GRU (with categories), GRU-- (without), T-SeqRec and T-GRU."""
    return [
        MethodSpec("Top Pop", lambda: FactorAdapter("Top Pop", TopPop)),
        MethodSpec("P-Pop", lambda: PersonalPopAdapter("P-Pop", max_len=profile.max_len)),
        MethodSpec("BPR-MF", lambda: FactorAdapter("BPR-MF", BPR, dim=profile.dim,
                                                   epochs=profile.epochs * 4)),
        MethodSpec("GRU−−", lambda: mtam("GRU−−", profile, hops=0, unit="gru", categories=False)),
        MethodSpec("GRU", lambda: mtam("GRU", profile, hops=0, unit="gru")),
        MethodSpec("T-SeqRec", lambda: mtam("T-SeqRec", profile, hops=0, unit="tseqrec")),
        MethodSpec("T-GRU", lambda: mtam("T-GRU", profile, hops=0, unit="tgru")),
        MethodSpec("SASRec", lambda: keras_method("SASRec", SASRec, profile)),
        MethodSpec("TiSASRec", lambda: keras_method("TiSASRec", TiSASRec, profile)),
        MethodSpec("NARM", lambda: keras_method("NARM", NARM, profile, unit="gru", time_aware=False)),
        MethodSpec("NARM+", lambda: keras_method("NARM+", NARM, profile, unit="gru", time_aware=True)),
        MethodSpec("NARM++", lambda: keras_method("NARM++", NARM, profile, unit="tgru", time_aware=True)),
        MethodSpec("STAMP", lambda: keras_method("STAMP", STAMP, profile)),
        MethodSpec("MTAM", lambda: mtam("MTAM", profile)),
    ]


def table3_methods(profile: Profile) -> list[MethodSpec]:
    """Table 3's ablations (section 6.5), with GRU and MTAM for reference."""
    variants = {
        "GRU": dict(hops=0, unit="gru"),
        "MTAM with T-SeqRec": dict(unit="tseqrec"),
        "MTAM without Time-Aware RNN": dict(unit="gru"),
        "MTAM without Time-Aware Attention": dict(time_aware=False),
        "MTAM via T-GRU": dict(memory="states", unit="tgru"),
        "MTAM via GRU": dict(memory="states", unit="gru"),
    }
    return [
        *[MethodSpec(name, lambda name=name, kw=kw: mtam(name, profile, **kw))
          for name, kw in variants.items()],
        MethodSpec("Time-Aware Self Attention", lambda: keras_method("Time-Aware Self Attention",
                                                               TimeAwareSelfAttention, profile)),
        MethodSpec("MTAM", lambda: mtam("MTAM", profile)),
    ]


def describe_modes(profile: Profile) -> str:
    """The manifest line saying which computation trained and evaluated the models."""
    return ("window mode (one pass per chunk, see the profile notes)" if profile.windows
            else "per-prefix mode") + "; evaluation in the exact per-prefix mode"


def _run(function: str, options: RunOptions, methods, ks=(10,), papers=None) -> tuple[Results, object]:
    profile = PROFILES[options.profile]
    manifest = open_manifest(f"seqrec.experiments.mtam.{function}", options, profile.scaled)
    papers = papers if papers is not None else paper_datasets(options)
    results = run(papers, preparer(options, ks), lambda prepared: methods, options, manifest)
    task = NextItemTask(ks=ks)
    manifest.notes += [f"task: {task.describe()}", f"computation: {describe_modes(profile)}",
                       TARGET_TIME_NOTE]
    return results, manifest


# MTAM's own components, which Table 2's "improv." column does not count as baselines: the printed
# improvements match the best of the other baselines in 11 of 12 rows (paper_tables/reference/README.md)
OWN_COMPONENTS = ("T-GRU", "NARM+", "NARM++")


def _improvement_rows(results: Results, manifest, ours: str | None, base: str | None, rows: tuple[str, ...],
                      metrics: tuple[str, ...]) -> dict:
    """Table 2's "improv." and "p-value" rows (``ours`` vs the best baseline, MTAM's own components
    `OWN_COMPONENTS` excluded, as the paper's column) or Table 3's "improvement" row (the best variant vs
    ``base``), with a note for each comparison."""
    cells = {}
    for label in results.runs:
        for metric in metrics:
            if ours is not None:
                method, other = ours, results.best(label, metric, exclude=(ours, *OWN_COMPONENTS))
                if ours not in results.runs[label] or other is None:
                    continue
                what = f"{ours} vs {other} (best baseline, MTAM's own components excluded)"
            else:
                method, other = results.best(label, metric, exclude=(base,)), base
                if base not in results.runs[label] or method is None:
                    continue
                what = f"best variant {method} vs {base}"
            gain, test = results.compare(label, method, other, metric)
            cells[(label, rows[0], metric)] = 100 * gain
            if len(rows) > 1 and test.p_value == test.p_value:  # not NaN
                cells[(label, rows[1], metric)] = test.p_value
            manifest.notes.append(f"{label}: {what}: {100 * gain:+.2f} % on {metric}; "
                                  + test.describe(method, other, f"per-user {metric}"))
    return cells


METRICS = ("HR@10", "NDCG@10")
PURE = ("GRU−−", "GRU", "T-SeqRec", "T-GRU", "SASRec", "TiSASRec")  # neither hybrid nor naive


def table2_claims(results: Results) -> list[str]:
    """A verdict (`Results.verdict`) on each claim of section 6.4 that the data present can test: MTAM
    beats the best baseline (its own components excluded) with p < 0.01; MTAM and NARM++ beat every pure
    recurrent or self-attention model; the time-aware units and attention beat their plain versions
    (T-SeqRec and T-GRU vs GRU, NARM+ vs NARM, NARM++ vs NARM+)."""
    lines = []
    for label, runs in results.runs.items():
        for metric in METRICS:
            best = results.best(label, metric, exclude=("MTAM", *OWN_COMPONENTS))
            pure = results.best(label, metric, exclude=[m for m in runs if m not in PURE])
            if best:
                lines.append(results.verdict(label, f"MTAM beats the best baseline ({best}) on {metric}, "
                                             "p < 0.01", "MTAM", best, metric, alpha=0.01))
            for model in ("MTAM", "NARM++"):
                if pure:
                    lines.append(results.verdict(label, f"{model} beats every pure model (best: {pure}) on "
                                                 f"{metric}", model, pure, metric))
            for first, second in (("T-SeqRec", "GRU"), ("T-GRU", "GRU"), ("NARM+", "NARM"),
                                  ("NARM++", "NARM+")):
                lines.append(results.verdict(label, f"{first} beats {second} on {metric}", first, second,
                                             metric))
    return lines


def table3_claims(results: Results) -> list[str]:
    """A verdict on each ablation claim of section 6.5: MTAM beats each of its reassembled variants (with
    T-SeqRec, without the time-aware RNN, without time-aware attention, via T-GRU, via GRU) and GRU."""
    lines = []
    for label in results.runs:
        for metric in METRICS:
            for variant in ("MTAM with T-SeqRec", "MTAM without Time-Aware RNN",
                            "MTAM without Time-Aware Attention", "MTAM via T-GRU", "MTAM via GRU", "GRU"):
                lines.append(results.verdict(label, f"MTAM beats {variant} on {metric}", "MTAM", variant,
                                             metric))
    return lines


def table2(**options) -> TableOutput:
    """MTAM Table 2 (section 6.4): HR@10 and NDCG@10 of every method on every dataset present, MTAM's
    improvement over the best baseline and its paired t-test over users. ``options``: `RunOptions`."""
    options = RunOptions(**options)
    results, manifest = _run("table2", options, table2_methods(PROFILES[options.profile]))
    ours = results.cells(METRICS)
    ours |= _improvement_rows(results, manifest, "MTAM", None, ("improv.", "p-value"), METRICS)
    manifest.notes += table2_claims(results)
    return paper_table("mtam_table2", "MTAM Table 2: HR@10 and NDCG@10 (Ji et al., 2020)", manifest, ours,
                       results)


def table3(**options) -> TableOutput:
    """MTAM Table 3 (section 6.5): the ablations, with the best variant's improvement over GRU.
    ``options``: `RunOptions`."""
    options = RunOptions(**options)
    results, manifest = _run("table3", options, table3_methods(PROFILES[options.profile]))
    ours = results.cells(METRICS)
    ours |= _improvement_rows(results, manifest, None, "GRU", ("improvement",), METRICS)
    manifest.notes += table3_claims(results)
    return paper_table("mtam_table3", "MTAM Table 3: ablations, HR@10 and NDCG@10 (Ji et al., 2020)",
                       manifest, ours, results)


FIGURE_KS = (1, 5, 10, 30, 50)
FIGURE_MODELS = ("GRU", "T-SeqRec", "T-GRU", "SASRec", "NARM++", "STAMP", "MTAM")
FIGURE_DATASETS = ("Electronics", "Ali Mobile")


def figure3_4(**options) -> FigureOutput:
    """MTAM Figures 3 and 4 (section 6.4): HR@K and NDCG@K, K in {1, 5, 10, 30, 50} (the authors' code's
    cut-offs), of GRU, T-SeqRec, T-GRU, SASRec, NARM++, STAMP and MTAM on Amazon Electronics (Figure 3)
    and Ali Mobile (Figure 4). When neither gives a run (absent, or too small for the protocol) and no
    ``datasets`` or ``log`` are asked for, the first other Table 2 dataset that gives one stands in, and
    the output says so. ``options``: `RunOptions`."""
    options = RunOptions(**options)
    profile = PROFILES[options.profile]
    methods = [m for m in table2_methods(profile) if m.name in FIGURE_MODELS]
    results, manifest = _run("figure3_4", options, methods, ks=FIGURE_KS,
                             papers=paper_datasets(options, FIGURE_DATASETS))
    manifest.notes += results.skipped_notes()
    if options.profile != "smoke" and not options.datasets and not options.log and not results.runs:
        for stand_in in (p for p in paper_datasets(options) if p.label not in FIGURE_DATASETS):
            if stand_in.find(options.data_dir):
                results = run([stand_in], preparer(options, FIGURE_KS), lambda prepared: methods, options,
                              manifest)
                if results.runs:
                    break
        manifest.notes.append(f"neither {' nor '.join(FIGURE_DATASETS)} gave a run (above); "
                              f"{next(iter(results.runs), 'no other dataset')} stands in")
    for label in results.runs:
        for k in FIGURE_KS:
            for metric in (f"HR@{k}", f"NDCG@{k}"):
                best = results.best(label, metric, exclude=("MTAM",))
                if best:
                    manifest.notes.append(results.verdict(label, f"MTAM beats every other model on {metric} "
                                                          f"(best: {best})", "MTAM", best, metric))
    manifest.finish()
    rows = pd.DataFrame([{"dataset": label, "method": method, "K": k,
                          "HR": results.mean(label, method, f"HR@{k}"),
                          "NDCG": results.mean(label, method, f"NDCG@{k}")}
                         for label, runs in results.runs.items() for method in runs for k in FIGURE_KS])
    figure, axes = new_figure(2 * max(1, len(results.runs)), columns=2)
    for row, label in enumerate(results.runs):
        for col, metric in enumerate(("HR", "NDCG")):
            ax = axes[2 * row + col]
            for method, curve in rows[rows["dataset"] == label].groupby("method", sort=False):
                ax.plot(curve["K"], curve[metric], marker="o", label=method)
            ax.set(title=f"{label}: {metric}@K", xlabel="K", ylabel=f"{metric}@K", xticks=list(FIGURE_KS))
            ax.legend(fontsize=7)
    return FigureOutput("mtam_figure3_4", "MTAM Figures 3-4: HR@K and NDCG@K (Ji et al., 2020)", figure,
                        rows, manifest,
                        "Full ranking over all items; the paper prints no numbers for these figures.")


HOPS = tuple(range(9))  # section 6.6: "the number of hops in the range of 0 ~ 8"


def figure5(hops: tuple[int, ...] = HOPS, **options) -> FigureOutput:
    """MTAM Figure 5 (section 6.6): HR@10 and NDCG@10 of MTAM with 0 to 8 hops (0 hops is T-GRU alone)
    on every dataset present (the smoke profile runs at most 2 hops). ``options``: `RunOptions`."""
    options = RunOptions(**options)
    profile = PROFILES[options.profile]
    hops = [h for h in hops if h <= 2] if options.profile == "smoke" else list(hops)
    methods = [MethodSpec(f"{k} hops", lambda k=k: mtam(f"{k} hops", profile, hops=k)) for k in hops]
    results, manifest = _run("figure5", options, methods)
    manifest.notes += results.skipped_notes()
    for label in results.runs:
        for more in (1, profile.hops):
            for metric in METRICS:
                manifest.notes.append(results.verdict(label, f"{more} hops beat 0 hops (T-GRU) on {metric}",
                                                      f"{more} hops", "0 hops", metric))
    manifest.finish()
    rows = pd.DataFrame([{"dataset": label, "hops": int(method.split()[0]),
                          "HR@10": results.mean(label, method, "HR@10"),
                          "NDCG@10": results.mean(label, method, "NDCG@10")}
                         for label, runs in results.runs.items() for method in runs])
    figure, axes = new_figure(2 * max(1, len(results.runs)), columns=2)
    for row, label in enumerate(results.runs):
        curve = rows[rows["dataset"] == label]
        for col, metric in enumerate(("HR@10", "NDCG@10")):
            ax = axes[2 * row + col]
            ax.plot(curve["hops"], curve[metric], marker="o")
            ax.set(title=f"{label}: {metric}", xlabel="hops (0 = T-GRU)", ylabel=metric,
                   xticks=list(curve["hops"]))
    return FigureOutput("mtam_figure5", "MTAM Figure 5: hops 0-8 (Ji et al., 2020)", figure, rows, manifest,
                        "Full ranking over all items; the paper prints no numbers for this figure.")
