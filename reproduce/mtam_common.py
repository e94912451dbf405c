"""Shared pieces of the MTAM scripts (Ji et al., "A Multi-hop Time-aware Attentive Memory Network", 2020):
the paper's datasets and protocol, its methods with the settings of section 6.2, and one run of a method.

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
"""

import dataclasses

import numpy as np
from common import run_datasets

from seqrec.datasets import first_loadable, load, protocols
from seqrec.datasets.features import item_categories
from seqrec.datasets.pipelines import SequenceData
from seqrec.evaluation.runner import (
    FactorModel,
    KerasNextItem,
    PersonalPopularity,
    Popularity,
)
from seqrec.evaluation.tasks import NextItemTask
from seqrec.models import BPR
from seqrec.models.mtam import MTAM
from seqrec.models.self_attention import SASRec, TimeAwareSelfAttention, TiSASRec
from seqrec.models.session import NARM, STAMP

TARGET_TIME_NOTE = ("Every model reads the target's timestamp, as MTAM defines the task "
                    "(Rec(S_u, t_target), section 3): time-aware models know when the next behaviour "
                    "happens, never what it is.")


@dataclasses.dataclass(frozen=True)
class PaperDataset:
    """A dataset of MTAM's tables: the suite's name for it, the datasets that may stand in for it, and
    the share of users the paper samples."""

    label: str
    own: str
    substitutes: tuple[str, ...] = ()
    user_fraction: float | None = None
    min_item: int = 30  # section 6.1; lowered only for the synthetic smoke data

    @property
    def candidates(self) -> tuple[str, ...]:
        return (self.own, *self.substitutes)


DATASETS = (
    PaperDataset("ML-25m", "movielens-25m", ("movielens-latest-small",)),
    PaperDataset("Electronics", "amazon-2018-electronics"),
    PaperDataset("CDs & Vinyl", "amazon-2018-cds-and-vinyl"),
    PaperDataset("Movies & TV", "amazon-2018-movies-and-tv"),
    PaperDataset("Yoochoose", "yoochoose-clicks", user_fraction=0.25),
    PaperDataset("Ali Mobile", "tianchi-mobile"),
)
# smoke profile: the synthetic log, whose next items depend on the time gap, stands in for ML-25m
SMOKE = PaperDataset("ML-25m", "synthetic-small", min_item=10)


# early stopping waits 4 epochs: one validation target per user makes the monitored NDCG@10 noisy (on
# ML latest-small, 595 targets); with patience 2, T-GRU stopped at epoch 3, two epochs below its first
PATIENCE = 4


@dataclasses.dataclass(frozen=True)
class Profile:
    """What a profile runs; everything scaled down from the paper is listed in ``scaled``."""

    dim: int
    epochs: int
    hops: int
    max_len: int
    windows: bool
    max_users: int | None
    ks: tuple[int, ...]
    scaled: tuple[str, ...]


WINDOWS_NOTE = ("training in window mode: one pass over each chunk of 50 behaviours yields the "
                "prediction after every position (equal to the per-prefix computation while a user's "
                "training sequence has at most 50 behaviours; later chunks of longer sequences see only "
                "their own chunk); validation and test use the exact per-prefix mode (latest 50 "
                "behaviours before each target)")
PROFILES = {
    "smoke": Profile(16, 1, 2, 20, True, None, (1, 5, 10, 20), (
        "synthetic data instead of the paper's datasets, items with fewer than 10 (not 30) events "
        "removed", "16 units instead of 128", "1 training epoch",
        "2 hops", "histories of at most 20 behaviours", WINDOWS_NOTE)),
    "small": Profile(128, 20, 6, 50, True, None, (1, 5, 10, 20, 30, 50), (
        "at most 20 training epochs (early stopping on validation NDCG@10, patience 4); the paper does "
        "not state its number of epochs", WINDOWS_NOTE)),
    "paper": Profile(128, 30, 6, 50, False, None, (1, 5, 10, 20, 30, 50), (
        "training in the exact per-prefix mode: every prefix (its latest 50 behaviours) is one example",)),
}


def present(paper: PaperDataset, data_dir=None) -> str | None:
    """The first of the paper dataset's candidates that can be loaded without a download."""
    return first_loadable(paper.candidates, data_dir)


def paper_datasets(profile: str, labels=None) -> list[PaperDataset]:
    """The synthetic stand-in for the smoke profile, else the paper's datasets (``labels`` only)."""
    if profile == "smoke":
        return [SMOKE]
    return [p for p in DATASETS if not labels or p.label in labels]


@dataclasses.dataclass
class Prepared:
    """A dataset after MTAM's protocol, encoded."""

    paper: PaperDataset
    name: str
    interactions: object
    split: protocols.Split
    data: SequenceData
    substitute: bool


def protocol(events, paper: PaperDataset, seed: int = 0) -> protocols.Split:
    """MTAM's protocol for one dataset: de-duplication of repeated events, the paper's user sample,
    then `seqrec.datasets.protocols.mtam`; every step's removals are reported in the split."""
    reports: list[protocols.StepReport] = []
    events = protocols.deduplicate(events, reports=reports)
    if paper.user_fraction is not None:
        events = protocols.subsample_users(events, paper.user_fraction, seed, reports=reports)
    split = protocols.mtam(events, min_item=paper.min_item)
    split.reports = reports + split.reports
    return split


def prepare(paper: PaperDataset, name: str, data_dir=None, seed: int = 0) -> Prepared:
    """Load ``name`` for the paper's dataset, apply MTAM's protocol and encode it."""
    interactions = load(name, data_dir=data_dir)
    split = protocol(interactions.events, paper, seed)
    data = SequenceData.encode(split, interactions)
    substitute = name != paper.own or name.startswith("synthetic")
    return Prepared(paper, name, interactions, split, data, substitute)


def task(profile: Profile, ks: tuple[int, ...] = (10,)) -> NextItemTask:
    """Full ranking over all items, seen items ranked, NDCG@10 monitored on validation."""
    return NextItemTask(max_len=profile.max_len, ks=ks, batch_size=256, exclude_seen=False,
                        monitor="ndcg@10")


def keras_method(name: str, model_class, profile: Profile, categories: bool = True, **model_kwargs):
    """A `NextItemModel` trained with section 6.2's settings."""
    windows = profile.windows

    def build(data):
        return model_class.for_data(data, categories=categories, dim=profile.dim, dropout=0.5, l2=1e-5,
                                    all_positions=windows, **model_kwargs)

    return KerasNextItem(name, build, epochs=profile.epochs, learning_rate=1e-3, patience=PATIENCE,
                         decay=(100, 0.995), clipnorm=1.0, windows=windows,
                         hyperparameters={"model": model_class.__name__, "dim": profile.dim,
                                          "dropout": 0.5, "l2": 1e-5, "max_len": profile.max_len,
                                          "categories": categories, **model_kwargs})


def mtam(name: str, profile: Profile, **kwargs):
    return keras_method(name, MTAM, profile, memory_len=profile.max_len,
                        **{"hops": profile.hops, **kwargs})


def table2_methods(profile: Profile) -> dict:
    """Table 2's methods (section 6.2). The recurrent baselines are MTAM's recurrent part alone (0 hops)
    with the unit named: GRU (with categories), GRU-- (without), T-SeqRec and T-GRU."""
    return {
        "Top Pop": lambda: Popularity(),
        "P-Pop": lambda: PersonalPopularity(),
        "BPR-MF": lambda: FactorModel("BPR-MF", BPR, dim=profile.dim, epochs=profile.epochs * 4),
        "GRU−−": lambda: mtam("GRU−−", profile, hops=0, unit="gru", categories=False),
        "GRU": lambda: mtam("GRU", profile, hops=0, unit="gru"),
        "T-SeqRec": lambda: mtam("T-SeqRec", profile, hops=0, unit="tseqrec"),
        "T-GRU": lambda: mtam("T-GRU", profile, hops=0, unit="tgru"),
        "SASRec": lambda: keras_method("SASRec", SASRec, profile),
        "TiSASRec": lambda: keras_method("TiSASRec", TiSASRec, profile),
        "NARM": lambda: keras_method("NARM", NARM, profile, unit="gru", time_aware=False),
        "NARM+": lambda: keras_method("NARM+", NARM, profile, unit="gru", time_aware=True),
        "NARM++": lambda: keras_method("NARM++", NARM, profile, unit="tgru", time_aware=True),
        "STAMP": lambda: keras_method("STAMP", STAMP, profile),
        "MTAM": lambda: mtam("MTAM", profile),
    }


def table3_methods(profile: Profile) -> dict:
    """Table 3's ablations (section 6.5), with GRU and MTAM for reference."""
    return {
        "GRU": lambda: mtam("GRU", profile, hops=0, unit="gru"),
        "MTAM with T-SeqRec": lambda: mtam("MTAM with T-SeqRec", profile, unit="tseqrec"),
        "MTAM without Time-Aware RNN": lambda: mtam("MTAM without Time-Aware RNN", profile, unit="gru"),
        "MTAM without Time-Aware Attention": lambda: mtam("MTAM without Time-Aware Attention", profile,
                                                          time_aware=False),
        "MTAM via T-GRU": lambda: mtam("MTAM via T-GRU", profile, memory="states", unit="tgru"),
        "MTAM via GRU": lambda: mtam("MTAM via GRU", profile, memory="states", unit="gru"),
        "Time-Aware Self Attention": lambda: keras_method("Time-Aware Self Attention", TimeAwareSelfAttention,
                                                          profile),
        "MTAM": lambda: mtam("MTAM", profile),
    }


def describe_modes(profile: Profile) -> str:
    """The manifest line saying which computation trained and evaluated the models."""
    return ("window mode (one pass per chunk, see the profile notes)" if profile.windows
            else "per-prefix mode") + "; evaluation in the exact per-prefix mode"


def users_table(prepared: Prepared) -> str:
    """Table 1's statistics of the prepared dataset: users, items, categories, behaviours per user,
    density."""
    events = prepared.split.events()
    users, items = events["user"].nunique(), events["item"].nunique()
    ids, _ = item_categories(prepared.data.item_info, prepared.data.items, prepared.data.feature_structure)
    return (f"{users:,} users, {items:,} items, {len(np.unique(ids[ids > 0])):,} categories, "
            f"{len(events) / max(users, 1):.2f} behaviours per user, density "
            f"{100 * len(events) / max(users * items, 1):.4f} %")


def run_all(args, profile: Profile, manifest, methods: dict, ks: tuple[int, ...] = (10,),
            papers=None) -> tuple[dict, dict]:
    """Run ``methods`` (name -> factory) on every paper dataset present, recording each dataset in
    the manifest (`common.run_datasets`). Returns ``(results, why)``: ``results[label][method]`` is the
    test `RankingResult`, ``why[label]`` or ``why[(label, method)]`` the status of what did not run."""
    papers = {p.label: p for p in (papers if papers is not None
                                   else paper_datasets(args.profile, args.datasets))}

    def prepared(label, name):
        ready = prepare(papers[label], name, args.data_dir, args.seed)
        manifest.add_dataset(name, label, ready.interactions, ready.substitute, ready.split.describe())
        manifest.notes.append(f"{label} after the protocol (Table 1's statistics): {users_table(ready)}")
        return ready.data, task(profile, ks)

    found = {label: present(p, args.data_dir) for label, p in papers.items()}
    results, why = run_datasets(args, manifest, found, prepared, methods)
    manifest.notes += [f"task: {task(profile, ks).describe()}", f"computation: {describe_modes(profile)}",
                       TARGET_TIME_NOTE]
    return results, why
