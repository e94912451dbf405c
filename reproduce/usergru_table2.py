"""UserGRU Table 2: MRR@20 and Recall@20 of the baselines, the standard GRU and the three user-based GRUs,
the paper's numbers beside ours, with each user-based GRU's paired t-test against the standard GRU
(Donkers, Loepp and Ziegler, 2017, section 4.2).

    python reproduce/usergru_table2.py                       # small profile, every dataset present
    python reproduce/usergru_table2.py --profile paper --data-dir ~/seqrec_data

Protocol (section 4.1.2): ratings binarised; each user's chronological sequence split into the first
90 % for training, then 5 % validation and 5 % test in order; items unseen in training removed from
validation and test; MovieLens' already rated items not ranked (a movie is rated once), LastFM's
repeated plays ranked; LastFM-1K reduced to a seeded 10 % subsample (one contiguous stretch of each user's
plays, `seqrec.datasets.protocols.subsample_windows`; ``--lastfm-fraction`` changes it). Evaluation
(4.1.1): the next item after every validation or test event, with the user's whole earlier history,
ranked among all items (`seqrec.evaluation.tasks.SequenceTask`); MRR@20 and Recall@20, ties counted at
their pessimistic rank; early stopping and model selection on validation MRR@20 only.

Settings (Table 1, section 4.1.3): item-kNN with 100 neighbours; its exponentially decayed version with
decay constant 1 (per day, our reading); BPR-MF and sequential BPR-MF (window 2) with 20 factors, 30
iterations, learning rate 0.01; GRUs with one layer, 1000 hidden units and embeddings, 20 unrolled steps,
batch 1000, dropout keep 0.8 (items) and 0.5 (users), gradient cap 5, uniform(-0.1, 0.1) initialisation,
Adam 1e-3, 10 epochs, omega 0.2, L2 0.01 on the user side (`seqrec.models.user_gru` says how each was
read). Writes paper_tables/usergru_table2.{md,json}.
"""

import dataclasses
import sys

from common import REPO, compare, metric_cells, metric_key, run_datasets, write_table

from seqrec.datasets import first_loadable, load, protocols
from seqrec.datasets.pipelines import SequenceData
from seqrec.evaluation import cli
from seqrec.evaluation.runner import StatefulNextItem
from seqrec.evaluation.sequence_methods import table2_baselines
from seqrec.evaluation.tasks import SequenceTask
from seqrec.models.user_gru import UserGRU

STEM = "usergru_table2"
METRICS = ("MRR@20", "Recall@20")
BASE = "Standard GRU"
USER_GRUS = {"Linear User-based GRU": "linear", "Rectified Linear User-based GRU": "rectified",
             "Attentional User-based GRU": "attentional"}


@dataclasses.dataclass(frozen=True)
class PaperDataset:
    """A dataset of Table 2: its label, the suite's name, stand-ins, and the paper's subsample."""

    label: str
    own: str
    substitutes: tuple[str, ...] = ()
    subsample: bool = False
    exclude_seen: bool = False


# MovieLens holds one rating per user and movie: an item is never consumed twice, so the items a user has
# already rated are not ranked; LastFM's repeated plays are part of what is predicted (the paper is silent)
DATASETS = (PaperDataset("MovieLens", "movielens-10m", ("movielens-latest-small",), exclude_seen=True),
            PaperDataset("LastFM", "lastfm-1k", subsample=True))
SMOKE = PaperDataset("MovieLens", "synthetic-small", exclude_seen=True)


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
    "small": Profile(128, 32, 20, 20, 30, (
        "128 hidden units and embeddings instead of 1000",
        "batch of 32 lanes instead of 1000 (ML latest-small has 610 users: 1000 lanes would leave most "
        "idle)",
        "20 epochs instead of 10, the best on validation MRR@20 kept: an epoch of ML latest-small is 210 "
        "optimiser steps, against about 450 on MovieLens 10M with 1000 lanes; no early stop, because "
        "validation MRR@20 falls for several epochs after the first before it rises (patience 3 stopped "
        "every GRU at epoch 4 with its best at epoch 1)")),
    "paper": Profile(1000, 1000, 10, 3, 30, ()),
}


def options(parser) -> None:
    parser.add_argument("--lastfm-fraction", type=float, default=0.1,
                        help="share of each LastFM user's plays kept (the paper: 0.1; 1 keeps all)")


def prepare(paper: PaperDataset, name: str, args) -> tuple:
    """``(interactions, split, data)`` after the paper's protocol."""
    interactions = load(name, data_dir=args.data_dir)
    events, reports = interactions.events, []
    if paper.subsample and args.lastfm_fraction < 1:
        events = protocols.subsample_windows(events, args.lastfm_fraction, args.seed, reports=reports)
    split = protocols.user_gru(events)
    split.reports = reports + split.reports
    return interactions, split, SequenceData.encode(split, interactions)


def gru(name: str, variant: str, profile: Profile) -> StatefulNextItem:
    def build(data):
        return UserGRU(data.items.size, data.users.size, variant, units=profile.units, lanes=profile.lanes)

    return StatefulNextItem(name, build, epochs=profile.epochs, learning_rate=1e-3, patience=profile.patience,
                            lanes=profile.lanes, steps=20, clipnorm=5.0,
                            hyperparameters={"variant": variant, "units": profile.units, "item_keep": 0.8,
                                             "user_keep": 0.5, "user_l2": 0.01, "init": "uniform(-0.1, 0.1)",
                                             **({"omega": 0.2} if variant == "rectified" else {})})


def methods(profile: Profile) -> dict:
    """Table 2's rows, each a factory."""
    return {
        **{m.name: (lambda m=m: m) for m in table2_baselines(profile.factor_epochs)},
        BASE: lambda: gru(BASE, "standard", profile),
        **{name: (lambda name=name, v=v: gru(name, v, profile)) for name, v in USER_GRUS.items()},
    }


def run_all(args, profile: Profile, manifest) -> tuple[dict, dict]:
    """Every method on every dataset present (`common.run_datasets`): ``(results[label][method], why)``."""
    papers = {p.label: p for p in ([SMOKE] if args.profile == "smoke" else DATASETS)
              if args.profile == "smoke" or not args.datasets or p.label in args.datasets}

    def prepared(label, name):
        paper = papers[label]
        interactions, split, data = prepare(paper, name, args)
        manifest.add_dataset(name, label, interactions, name != paper.own or args.profile == "smoke",
                             split.describe())
        task = SequenceTask(ks=(1, 5, 10, 20), monitor="mrr@20", exclude_seen=paper.exclude_seen)
        manifest.notes.append(f"{label} task: {task.describe()}")
        return data, task

    found = {label: first_loadable((p.own, *p.substitutes), args.data_dir) for label, p in papers.items()}
    return run_datasets(args, manifest, found, prepared, methods(profile), shown=("mrr@20", "recall@20"))


def main(argv=None) -> int:
    args, profile, manifest = cli.start(__doc__, STEM, PROFILES, REPO / "paper_tables", argv, options)
    if args.lastfm_fraction != 0.1:
        manifest.notes.append(f"LastFM: {args.lastfm_fraction:g} of each user's plays kept (the paper: 0.1)")
    results, why = run_all(args, profile, manifest)
    for label, runs in results.items():
        for method in USER_GRUS:
            if method not in runs or BASE not in runs:
                continue
            for metric in METRICS:
                gain, test = compare(runs, method, BASE, metric_key(metric))
                manifest.notes.append(f"{label}: {method} vs {BASE}, {metric}: {100 * gain:+.2f} % on the "
                                      f"table's mean over targets; paired t-test over per-user means: {test}")
    write_table(args, manifest, STEM, "UserGRU Table 2: MRR@20 and Recall@20 (Donkers et al., 2017)",
                metric_cells(results, METRICS), why)
    return 0


if __name__ == "__main__":
    sys.exit(main())
