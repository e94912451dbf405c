"""Ante-RNN (Liu, Zhang and Gulla, "Attentive hybrid recurrent neural networks for sequential
recommendation", as in ``../shared/papers``): the paper's datasets, protocol and topic settings (sections
4.1 and 4.4) and its Figure 8. Tables 4-6 and Figures 5-7 and 9 come with issue 17.

Datasets. MovieLens is the paper's ML-latest (``movielens-latest``), with ``movielens-latest-small``
standing in; both read TMDb overviews through ``links.csv`` (`seqrec.datasets.movie_text`, title and
genres where there is none), and the stand-in keeps the movies with a poster in
``movielens-1m-posters`` (the images the model reads). Pinterest is Geng et al.'s release
(``pinterest-iccv``, absent here, so its cells say "dataset not present"); its texts are the
descriptions a user adds (`seqrec.datasets.pinterest`), and it holds no times.

Protocol (section 4.1, `seqrec.datasets.protocols.ante_rnn`): binarised, users with at least 20
behaviours, per user the first 80 % in time order for training and the rest for testing, a random 10 %
of each user's training events for validation; Pinterest first keeps the 15,000 most popular images and
samples 50,000 users.

Topics (section 3.3, 4.4): psi = 70 topics and decay lambda = 0.2 on MovieLens, 100 and 0.1 on
Pinterest, weekly windows (`seqrec.datasets.user_topics`).

    from seqrec.experiments import ante_rnn
    ante_rnn.figure8(profile="small").write("paper_tables")
"""

import dataclasses

import numpy as np
import pandas as pd

from seqrec.datasets import Interactions, locations, protocols
from seqrec.datasets.image_features import image_files
from seqrec.datasets.movie_text import load_movie_texts
from seqrec.datasets.pipelines import SequenceData
from seqrec.datasets.user_topics import fit_user_topics
from seqrec.evaluation.figures import FigureOutput, new_figure
from seqrec.evaluation.tasks import NextItemTask

from .pipeline import PaperDataset, Prepared, RunOptions, first_present, open_manifest, run, select

POSTERS = ("movielens-1m-posters", "MovieImages")  # under the data directory


@dataclasses.dataclass(frozen=True, kw_only=True)
class AnteDataset(PaperDataset):
    """A dataset of Ante-RNN's tables with its section 4.4 settings: topics psi, decay lambda, window
    w_c, and Pinterest's subset (``popular`` images, ``users`` sampled)."""

    n_topics: int = 70
    decay: float = 0.2
    window: int = 5
    popular: int | None = None
    users: int | None = None


DATASETS = (
    AnteDataset(label="MovieLens", own="movielens-latest", substitutes=("movielens-latest-small",)),
    AnteDataset(label="Pinterest", own="pinterest-iccv", n_topics=100, decay=0.1, window=3, popular=15000,
                users=50000),
)
SMOKE = AnteDataset(label="MovieLens", own="synthetic-small", n_topics=5)


@dataclasses.dataclass(frozen=True)
class Profile:
    """What a profile runs; everything scaled down from the paper is listed in ``scaled``.
    ``n_topics``: psi in place of the dataset's (None: the paper's); ``min_user``: the length filter."""

    n_topics: int | None
    min_user: int
    scaled: tuple[str, ...]


PROFILES = {
    "smoke": Profile(5, 5, ("synthetic data instead of the paper's datasets", "5 topics instead of 70",
                            "users with at least 5 behaviours instead of 20")),
    "small": Profile(None, 20, ("MovieLens latest-small (100,836 ratings) stands in for ML-latest, "
                                "restricted to the movies with a poster",)),
    "paper": Profile(None, 20, ()),
}


def paper_datasets(options: RunOptions, default: tuple[str, ...] = ()) -> list[AnteDataset]:
    """The datasets of a run (`seqrec.experiments.pipeline.select`)."""
    return select(DATASETS, options, SMOKE, default)


def poster_items(data_dir=None) -> set[str] | None:
    """The MovieLens ids with a poster in the data directory, or None when the posters are absent."""
    folder = locations.data_dir(data_dir).joinpath(*POSTERS)
    return {p.stem for p in image_files(folder)} if folder.is_dir() else None


def item_texts(interactions: Interactions, data_dir=None) -> tuple[pd.Series, dict]:
    """Each item's text: MovieLens' TMDb overview (or title and genres), else the item's title (Pinterest's
    descriptions, a synthetic item's name) with its features; with the counts for the manifest."""
    items = interactions.items
    if "tmdb_id" in items.columns:
        return load_movie_texts(items, data_dir)
    texts = (items["title"].astype(str) + " " + items["features"].map(" ".join)).str.strip()
    return texts.rename("text"), {"items": len(items), "with text": int((texts != "").sum())}


def task(seed: int = 0) -> NextItemTask:
    """Table 4's evaluation: Recall@K and NDCG@K, K in {5, 10, 15, 20, 25}, ranking every item the user
    has not interacted with."""
    return NextItemTask(ks=(5, 10, 15, 20, 25), exclude_seen=True, seed=seed)


def preparer(options: RunOptions):
    """``prepare(paper, name, interactions)`` for `seqrec.experiments.pipeline.run`: the protocol on one
    split (seeded by ``options.seed``), the items restricted to those with a poster for MovieLens
    data when the posters are present."""
    profile = PROFILES[options.profile]

    def prepare(paper: AnteDataset, name: str, interactions: Interactions) -> Prepared:
        posters = poster_items(options.data_dir) if name.startswith("movielens") else None
        split = protocols.ante_rnn(interactions.events, seeds=(options.seed,), items=posters,
                                   min_user=profile.min_user, popular=paper.popular, users=paper.users,
                                   sample_seed=options.seed)[0]
        notes = []
        if posters is not None:
            notes.append(f"{paper.label}: only movies with a poster in {'/'.join(POSTERS)} ({len(posters):,} "
                         "files) are kept, as the model reads each item's image; the protocol report counts "
                         "what remains")
        if not interactions.timed:
            notes.append(f"{paper.label}: {name} holds no times: its order only")
        return Prepared(paper, name, interactions, split, SequenceData.encode(split, interactions),
                        task(options.seed), notes=notes)

    return prepare


def figure8(**options) -> FigureOutput:
    """Ante-RNN Figure 8 (section 4.10.1): a user's interest topics eta (Eq. 7) week by week, the 3 topics
    that weigh most in the user's latest week ("3 representative topics appeared in users' recent
    historical records"). Topics are learned on the training part of the first dataset present; the user
    is the training user with the most weeks of behaviour (the longest topic stream), and week t reads the
    weeks before t only. ``options``: `RunOptions`."""
    options = RunOptions(**options)
    profile = PROFILES[options.profile]
    manifest = open_manifest("seqrec.experiments.ante_rnn.figure8", options, profile.scaled)
    paper = first_present(paper_datasets(options, ("MovieLens",)), options)
    results = run([paper], preparer(options), lambda prepared: [], options, manifest)
    prepared = results.prepared[paper.label]
    texts, counts = item_texts(prepared.interactions, options.data_dir)
    n_topics = profile.n_topics or paper.n_topics
    train = prepared.split.train
    topics = fit_user_topics(train, texts, n_topics=n_topics, decay=paper.decay, seed=options.seed)
    weeks = train.assign(week=topics.window(train["timestamp"])).groupby("user")["week"]
    spread = weeks.nunique()
    user = spread[spread == spread.max()].index.min()
    first, last = int(weeks.min()[user]), int(weeks.max()[user])
    span = np.arange(first + 1, last + 2)  # week t reads the weeks before t: through the user's last week
    eta = topics.eta([user] * len(span), topics.origin + span * topics.window_seconds)
    chosen = np.argsort(-eta[-1], kind="stable")[:3]
    rows = pd.DataFrame([{"week": int(w - first), "topic": int(k), "weight": float(eta[i, k]),
                          "top words": ", ".join(topics.top_words(int(k), 5))}
                         for i, w in enumerate(span) for k in chosen])
    manifest.hyperparameters["topics"] = {"n_topics": n_topics, "decay": paper.decay,
                                          "window_seconds": topics.window_seconds, "texts": counts}
    manifest.notes.append(f"{paper.label}: user {user} of {prepared.name}, {int(spread[user])} weeks with "
                          f"behaviours over {len(span)} weeks; topics {', '.join(map(str, chosen))} weigh "
                          "most in the latest week")
    manifest.notes.append(f"{paper.label}: the paper reads from its Figure 8 that a user keeps a long-term "
                          "topic while recent weeks shift to others; that is a reading of one user, not a "
                          "claim a number can test: cannot tell, the lines are shown for the reader")
    manifest.finish()
    figure, (ax,) = new_figure(1, columns=1, width=7.0, height=3.5)
    for k in chosen:
        part = rows[rows["topic"] == k]
        ax.plot(part["week"], part["weight"], marker=".", label=f"topic #{k}: {part['top words'].iloc[0]}")
    ax.set_xlabel(f"week since user {user}'s first behaviour")
    ax.set_ylabel("interest eta (Eq. 7)")
    ax.legend(fontsize=6)
    return FigureOutput("anternn_figure8", f"Ante-RNN Figure 8: a user's interest topics by week on "
                        f"{paper.label} ({prepared.name})", figure, rows, manifest)
