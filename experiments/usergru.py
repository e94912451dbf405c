"""UserGRU (Donkers, Loepp and Ziegler, "Sequential User-based Recurrent Neural Network
Recommendations", RecSys 2017): the paper's datasets, protocol and methods with Table 1's settings, and
its Table 2.

Protocol (section 4.1.2): ratings binarised; each user's chronological sequence split into the first
90 % for training, then 5 % validation and 5 % test in order; items unseen in training removed from
validation and test; MovieLens' already rated items not ranked (a movie is rated once), LastFM's
repeated plays ranked (the paper is silent on both); LastFM-1K reduced to a seeded 10 % subsample (one
contiguous stretch of each user's plays, `seqrec.datasets.protocols.subsample_windows`). Evaluation
(4.1.1): the next item after every validation or test event, with the user's whole earlier history,
ranked among all items (`seqrec.evaluation.tasks.SequenceTask`); MRR@20 and Recall@20, ties counted at
their pessimistic rank; early stopping and model selection on validation MRR@20 only.

Settings (Table 1, section 4.1.3): item-kNN with 100 neighbours; its exponentially decayed version with
decay constant 1 (per day, our reading); BPR-MF and sequential BPR-MF (window 2) with 20 factors, 30
iterations, learning rate 0.01; GRUs with one layer, 1000 hidden units and embeddings, 20 unrolled steps,
batch 1000, dropout keep 0.8 (items) and 0.5 (users), gradient cap 5, uniform(-0.1, 0.1) initialisation,
Adam 1e-3, 10 epochs, omega 0.2, L2 0.01 on the user side (`seqrec.models.user_gru` says how each was
read).

    from seqrec.experiments import usergru
    usergru.table2(profile="small").write("paper_tables")
"""

import dataclasses

from seqrec.datasets import Interactions, protocols
from seqrec.datasets.pipelines import SequenceData
from seqrec.evaluation.tables import TableOutput
from seqrec.evaluation.tasks import SequenceTask
from seqrec.models import BPR, SequentialMF, UserGRU
from seqrec.training import FactorAdapter, NeighbourAdapter, SequentialFactorAdapter, StatefulNextItem

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

METRICS = ("MRR@20", "Recall@20")
BASE = "Standard GRU"
USER_GRUS = {"Linear User-based GRU": "linear", "Rectified Linear User-based GRU": "rectified",
             "Attentional User-based GRU": "attentional"}


@dataclasses.dataclass(frozen=True, kw_only=True)
class UserGRUDataset(PaperDataset):
    """A dataset of Table 2, with the paper's subsample and whether already seen items are ranked."""

    subsample: bool = False
    exclude_seen: bool = False


# MovieLens holds one rating per user and movie, so the items a user has already rated are not ranked;
# LastFM's repeated plays are part of what is predicted
DATASETS = (UserGRUDataset(label="MovieLens", own="movielens-10m", substitutes=("movielens-latest-small",),
                           exclude_seen=True),
            UserGRUDataset(label="LastFM", own="lastfm-1k", subsample=True))
SMOKE = UserGRUDataset(label="MovieLens", own="synthetic-small", exclude_seen=True)


def paper_datasets(options: RunOptions) -> list[UserGRUDataset]:
    """The datasets a run covers (`seqrec.experiments.pipeline.select`): the synthetic stand-in for the
    smoke profile, else the paper's datasets asked for (none asked: both), and any other registered
    dataset or the user's log asked for, as extra datasets (repeats ranked, no subsample). The paper's
    protocol has no minimum counts, so ``--min-user`` and ``--min-item`` are refused."""
    return select(DATASETS, options, SMOKE)


@dataclasses.dataclass(frozen=True)
class Profile:
    """What a profile runs; everything scaled down from the paper is listed in ``scaled``."""

    units: int
    lanes: int
    epochs: int
    patience: int
    factor_epochs: int
    scaled: tuple[str, ...]


PROFILES = {
    "smoke": Profile(16, 8, 1, 1, 2, ("synthetic data (planted per-user favourites) instead of MovieLens",
                                   "16 hidden units instead of 1000", "batch of 8 lanes instead of 1000",
                                   "1 epoch (GRUs), 2 iterations (MF) instead of 10 and 30")),
    "small": Profile(128, 32, 100, 10, 30, (
        "128 hidden units and embeddings instead of 1000",
        "batch of 32 lanes instead of 1000 (ML latest-small has 610 users: 1000 lanes would leave most "
        "idle)",
        "training until validation MRR@20 stops improving, patience 10 (it dips for several epochs before "
        "it rises), at most 100 epochs instead of the paper's 10: an epoch of ML latest-small is 210 "
        "optimiser steps, against about 450 on MovieLens 10M with 1000 lanes")),
    "paper": Profile(1000, 1000, 10, 3, 30, ()),
}


def gru(name: str, variant: str, profile: Profile) -> StatefulNextItem:
    """A standard or user-based GRU (`seqrec.models.UserGRU`) trained statefully with Table 1's settings."""
    def build(data):
        return UserGRU(data.items.size, data.users.size, variant, units=profile.units, lanes=profile.lanes)

    return StatefulNextItem(name, build, epochs=profile.epochs, learning_rate=1e-3, patience=profile.patience,
                            lanes=profile.lanes, steps=20, clipnorm=5.0,
                            hyperparameters={"variant": variant, "units": profile.units, "item_keep": 0.8,
                                             "user_keep": 0.5, "user_l2": 0.01, "init": "uniform(-0.1, 0.1)",
                                             **({"omega": 0.2} if variant == "rectified" else {})})


def baselines(epochs: int = 30) -> list[MethodSpec]:
    """Table 2's baselines with Table 1's settings, named as in the paper's table: item-based k-NN (100
    neighbours), exponentially decaying item-based k-NN (100 neighbours, decay constant 1, read as
    λ = 1 per day), BPR-MF and sequential MF (window 2), both with 20 factors, ``epochs`` iterations (Table
    1: 30) and learning rate 0.01."""
    knn, decayed = "Item-based k-NN", "Exp. Dec. Item-based k-NN"
    mf, seq_mf = "Matrix Factorization", "Seq. Matrix Factorization"
    return [
        MethodSpec(knn, lambda: NeighbourAdapter(knn, neighbours=100)),
        MethodSpec(decayed, lambda: NeighbourAdapter(decayed, neighbours=100, decay=1.0)),
        MethodSpec(mf, lambda: FactorAdapter(mf, BPR, dim=20, epochs=epochs, learning_rate=0.01)),
        MethodSpec(seq_mf, lambda: SequentialFactorAdapter(seq_mf, SequentialMF, dim=20, window=2,
                                                           epochs=epochs, learning_rate=0.01)),
    ]


def methods(profile: Profile) -> list[MethodSpec]:
    """Table 2's rows."""
    return [
        *baselines(profile.factor_epochs),
        MethodSpec(BASE, lambda: gru(BASE, "standard", profile)),
        *[MethodSpec(name, lambda name=name, v=v: gru(name, v, profile)) for name, v in USER_GRUS.items()],
    ]


def preparer(options: RunOptions, lastfm_fraction: float):
    """``prepare(paper, name, interactions)``: the paper's protocol (with LastFM's subsample), encoding,
    and the `SequenceTask` that evaluates it."""

    def prepare(paper: UserGRUDataset, name: str, interactions: Interactions) -> Prepared:
        fraction = lastfm_fraction if paper.subsample else 1.0
        split = protocols.user_gru(interactions.events, fraction, options.seed)
        task = SequenceTask(ks=(1, 5, 10, 20), monitor="mrr@20", exclude_seen=paper.exclude_seen)
        return Prepared(paper, name, interactions, split, SequenceData.encode(split, interactions), task,
                        notes=[f"{paper.label} task: {task.describe()}"])

    return prepare


def table2(lastfm_fraction: float = 0.1, **options) -> TableOutput:
    """UserGRU Table 2 (section 4.2): MRR@20 and Recall@20 of the baselines, the standard GRU and the
    three user-based GRUs on every dataset present, with a verdict on each of the paper's claims
    (`claims`). ``lastfm_fraction``: the share of each LastFM user's plays kept (the paper: 0.1);
    ``options``: `RunOptions`."""
    options = RunOptions(**options)
    profile = PROFILES[options.profile]
    manifest = open_manifest("seqrec.experiments.usergru.table2", options, profile.scaled)
    if lastfm_fraction != 0.1:
        manifest.notes.append(f"LastFM: {lastfm_fraction:g} of each user's plays kept (the paper: 0.1)")
    papers = paper_datasets(options)
    results = run(papers, preparer(options, lastfm_fraction), lambda prepared: methods(profile), options,
                  manifest, shown=("mrr@20", "recall@20"))
    manifest.notes += claims(results)
    return paper_table("usergru_table2", "UserGRU Table 2: MRR@20 and Recall@20 (Donkers et al., 2017)",
                       manifest, results.cells(METRICS), results)


def claims(results: Results) -> list[str]:
    """A verdict (`Results.verdict`) on each claim of section 4.2 that the data present can test: every
    user-based GRU beats the standard GRU; the attentional one beats the other two; the standard GRU beats
    item-based k-NN, which beats matrix factorisation; the decayed k-NN beats the plain one."""
    knn, decayed, mf = "Item-based k-NN", "Exp. Dec. Item-based k-NN", "Matrix Factorization"
    attentional = "Attentional User-based GRU"
    pairs = [*[(method, BASE) for method in USER_GRUS],
             *[(attentional, other) for other in USER_GRUS if other != attentional],
             (BASE, knn), (knn, mf), (decayed, knn)]
    return [results.verdict(label, f"{first} beats {second} on {metric}", first, second, metric)
            for label in results.runs for first, second in pairs for metric in METRICS]
