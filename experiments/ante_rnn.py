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

import copy
import dataclasses

import numpy as np
import pandas as pd
from matplotlib.patches import Rectangle

from seqrec import reference
from seqrec.datasets import DatasetNotFoundError, Interactions, locations, protocols
from seqrec.datasets.image_features import (
    HANDCRAFTED,
    compute_features,
    decode,
    image_files,
    load_features,
    save_features,
)
from seqrec.datasets.movie_text import load_movie_texts
from seqrec.datasets.pipelines import SequenceData
from seqrec.datasets.user_topics import UserTopics, fit_user_topics, item_topics
from seqrec.evaluation import stats, tables
from seqrec.evaluation.figures import FigureOutput, new_figure
from seqrec.evaluation.tables import TableOutput
from seqrec.evaluation.tasks import NextItemTask
from seqrec.models import BPR, CTR, MLAM, MTAM, MVRNN, VBPR
from seqrec.models.ante_rnn import ATTENTION_SETTINGS
from seqrec.training import FactorAdapter, IARNRanker, KerasNextItem, next_item_model
from seqrec.training.ante_rnn import ItemContent, ante_rnn_method, explain, sentence_words

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


BASELINES = ("BPR", "CTR", "VBPR", "GRU", "IARN", "MLAM", "MV-RNN")  # Table 4's (section 4.3)


@dataclasses.dataclass(frozen=True)
class Profile:
    """What a profile runs; everything scaled down from the paper is listed in ``scaled``.

    ``n_topics``: psi in place of the dataset's (None: the paper's); ``min_user``: the length filter;
    ``splits``: the repeats of the random validation hold-out (section 4.1: five); ``dim``: D of every
    model (section 4.4: 128); ``epochs``: the cap of every trained method (section 4.4: "until convergence
    or 150 learning epochs"), with early stopping after ``patience`` epochs without validation gain;
    ``max_len``: the latest behaviours a sequential model reads (IARN: a user's latest behaviours and an
    item's latest users); ``words``: words kept per item text;
    ``grid``: image regions per side (``grid``^2 regions, the paper's 36 at 6); ``rows``: the methods of a
    table run (None: all; the others say "not run in this profile"); ``figure6``: the methods of Figure 6,
    ``dims`` and ``windows``: Figures 6 and 7's grids of D and w_c (section 4.9's)."""

    n_topics: int | None
    min_user: int
    scaled: tuple[str, ...]
    splits: int = 5
    dim: int = 128
    epochs: int = 150
    patience: int = 3
    max_len: int = 50
    words: int = 60
    grid: int = 6
    rows: tuple[str, ...] | None = None
    figure6: tuple[str, ...] = (*BASELINES, "Ante-RNN")
    dims: tuple[int, ...] = (32, 64, 128, 256, 512)
    windows: tuple[int, ...] = (1, 2, 3, 4, 5, 6)


PROFILES = {
    "smoke": Profile(5, 5, ("synthetic data instead of the paper's datasets", "5 topics instead of 70",
                            "users with at least 5 behaviours instead of 20", "one split instead of five",
                            "D = 16 instead of 128", "at most 1 training epoch", "histories of 10 behaviours",
                            "item texts of at most 10 words", "random image features (synthetic items have "
                            "no images)", "Ante-RNN alone of its variants in Table 4, the settings None and "
                            "T+C alone in Table 6", "Figure 6: BPR and Ante-RNN at D in {8, 16}; Figure 7: "
                            "w_c in {2, 5}"), splits=1, dim=16, epochs=1, max_len=10, words=10,
                     rows=(*BASELINES, "Ante-RNN", "Ante-RNN (None)", "Ante-RNN (T+C)"),
                     figure6=("BPR", "Ante-RNN"), dims=(8, 16), windows=(2, 5)),
    "small": Profile(None, 20, ("MovieLens latest-small (100,836 ratings) stands in for ML-latest, "
                                "restricted to the movies with a poster",
                                "one split instead of five: the table shows the bootstrap standard error "
                                "over users, not the standard deviation over splits",
                                "at most 3 training epochs instead of 150 (the manifest names every method "
                                "still improving at the cap): an Ante-RNN epoch takes ~75 s on 2 cores, and "
                                "Table 4 fits five Ante-RNNs",
                                "every sequential model reads the latest 20 behaviours instead of 50, and "
                                "IARN also 20 users of an item (each evaluated prefix encodes them all; IARN "
                                "encodes every (user, item) pair on its own, so ranking all items costs an "
                                "encoding per item and test user)",
                                "item texts of at most 20 words (Ante-RNN encodes every behaviour's words "
                                "with a GRU: 2.1x the training throughput of 60 words, "
                                "benchmarks/ante_rnn_throughput.py)",
                                "Figure 6: BPR, GRU and Ante-RNN of Table 4's methods at D in {32, 64, 128}; "
                                "Figure 7: w_c in {1, 3, 5}",
                                "hand-crafted grid descriptors of the posters (36 regions) instead of the "
                                "paper's Faster R-CNN regions, whose pretrained weights cannot be downloaded "
                                "here"), splits=1, epochs=3, max_len=20, words=20,
                     figure6=("BPR", "GRU", "Ante-RNN"), dims=(32, 64, 128), windows=(1, 3, 5)),
    "paper": Profile(None, 20, ("hand-crafted grid descriptors of the images (36 regions) instead of the "
                                "paper's Faster R-CNN regions",)),
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


def preparer(options: RunOptions, with_content: bool = False):
    """``prepare(paper, name, interactions)`` for `seqrec.experiments.pipeline.run`: the protocol on one
    split (seeded by ``options.seed``), the items restricted to those with a poster for MovieLens
    data when the posters are present; with ``with_content``, each item's text, image regions and topics
    (`Content`) for the methods that read them."""
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
        data = SequenceData.encode(split, interactions)
        prepared = AntePrepared(paper, name, interactions, split, data, task(options.seed), notes=notes)
        if with_content:
            prepared.content = Content.build(prepared, profile, options)
            notes.append(f"{paper.label}: item content: {prepared.content.describe()}")
        return prepared

    return prepare


@dataclasses.dataclass
class AntePrepared(Prepared):
    """A prepared dataset with its items' `Content` (None when the run reads no content)."""

    content: "Content | None" = None


@dataclasses.dataclass
class Content:
    """What the content-aware methods read, computed once per prepared dataset, aligned with its item
    vocabulary (row 0, the padding item, empty).

    Attributes:
      items: Ante-RNN's word ids and image regions (`seqrec.training.ItemContent`).
      topics: the users' topic streams (Eq. 7), learned on the training part only.
      item_topics: float32 [n_items, psi], each item's LDA topic proportions from its text (CTR's theta_j;
        MV-RNN's text view); zeros for an item without text.
      visual: float32 [n_items, F], the mean of an item's region features: one vector per image, what
        VBPR's and MV-RNN's visual view read.
      sentences: int32 [n_items, 5, 20], MLAM's sentences of word ids.
      images: how the region features were made.
    """

    items: ItemContent
    topics: UserTopics
    item_topics: np.ndarray
    visual: np.ndarray
    sentences: np.ndarray
    images: str

    @classmethod
    def build(cls, prepared: Prepared, profile: Profile, options: RunOptions) -> "Content":
        paper, data = prepared.paper, prepared.data
        texts, _ = item_texts(prepared.interactions, options.data_dir)
        n_topics = profile.n_topics or paper.n_topics
        topics = fit_user_topics(prepared.split.train, texts, n_topics=n_topics, decay=paper.decay,
                                 seed=options.seed)
        ids, features, images = item_regions(prepared, profile, options)
        items = ItemContent.build(data, texts, ids, features, words_per_item=profile.words)
        theta = item_topics(texts.reindex(data.items.tokens[1:]), n_topics, seed=options.seed)
        aligned = np.zeros((data.items.size, n_topics), np.float32)
        aligned[data.items.encode(theta.index.to_numpy())] = theta.to_numpy()
        return cls(items, topics, aligned, items.regions.mean(axis=1),
                   sentence_words(data, texts, items.vocabulary), images)

    def describe(self) -> str:
        counts = self.items.counts
        return (f"{counts['with text']:,} of {counts['items']:,} items with a text, {counts['with image']:,} "
                f"with an image; {self.topics.n_topics} topics; images: {self.images}")


def item_regions(prepared: Prepared, profile: Profile, options: RunOptions) -> tuple[np.ndarray, np.ndarray,
                                                                                    str]:
    """``(item ids, region features [n, grid^2, F], how they were made)`` of the prepared dataset's items:
    MovieLens posters described by `seqrec.datasets.image_features`' hand-crafted grid descriptors (cached
    under the cache folder: computed once), random features for synthetic items, none (zeros, said in the
    description) for data without images."""
    ids = np.asarray(prepared.data.items.tokens[1:], dtype=str)
    folder = locations.data_dir(options.data_dir).joinpath(*POSTERS)
    if prepared.name.startswith("movielens") and folder.is_dir():
        cache = locations.cache_dir() / "image-features" / f"{POSTERS[0]}-{HANDCRAFTED}-grid{profile.grid}"
        with locations.exclusive(cache):
            try:
                found, features, manifest = load_features(cache)
            except DatasetNotFoundError:
                found, features, manifest = compute_features(folder, HANDCRAFTED, grid=profile.grid)
                save_features(cache, found, features, manifest)
        return found, features, f"{manifest['substitute']}, {manifest['regions']} regions of {folder}"
    if prepared.name.startswith("synthetic"):
        rng = np.random.default_rng(options.seed)
        return ids, rng.normal(size=(len(ids), profile.grid, 8)).astype(np.float32), \
            f"random features ({profile.grid} regions of 8), the synthetic items have no images"
    return ids[:0], np.zeros((0, profile.grid ** 2, 1), np.float32), "none: no images for this dataset"


def _bpr_factors(name: str, factory, profile: Profile, inputs=None, **kwargs) -> FactorAdapter:
    """A factor baseline on BPR's loss (section 4.3), D = 128 (section 4.4), early-stopped on
    validation within the profile's epochs."""
    return FactorAdapter(name, factory, inputs=inputs, epochs=profile.epochs, patience=profile.patience,
                         **kwargs)


def _sequential(name: str, build, profile: Profile, settings: dict) -> KerasNextItem:
    """A recurrent baseline on BPR's loss, trained in window mode over the latest ``max_len`` behaviours,
    Adam at 1e-3 (section 4.4: "the same with our model if not specified")."""
    return KerasNextItem(name, build, max_len=profile.max_len, batch_size=256, epochs=profile.epochs,
                         patience=profile.patience, learning_rate=1e-3, windows=True, jit_compile=False,
                         objective="bpr", hyperparameters=settings)


def _gru(profile: Profile) -> KerasNextItem:
    def build(data):
        return next_item_model(MTAM, data, categories=False, dim=profile.dim, hops=0, unit="gru",
                               memory_len=profile.max_len, all_positions=True)

    return _sequential("GRU", build, profile, {"model": "GRU (MTAM with 0 hops, unit gru)",
                                               "dim": profile.dim})


def _mv_rnn(content: Content, profile: Profile) -> KerasNextItem:
    def build(data):
        model = MVRNN(data.items.size, visual_width=content.visual.shape[1],
                      text_width=content.item_topics.shape[1], dim=profile.dim, corruption=MV_RNN_CORRUPTION,
                      all_positions=True)
        model.set_item_content(content.visual, content.item_topics)
        return model

    return _sequential("MV-RNN", build, profile, {
        "model": "MVRNN", "dim": profile.dim, "corruption": MV_RNN_CORRUPTION,
        "views": "image: mean region features; text: the item's LDA topic proportions"})


MV_RNN_CORRUPTION = 0.5  # neither paper gives MV-RNN's denoising rate: each view dropped half the time


def ante_rnn(name: str, prepared: "AntePrepared", profile: Profile, setting: str = "T+C",
             window: int | None = None, dim: int | None = None, label: str | None = None) -> KerasNextItem:
    """Ante-RNN or a variant (`seqrec.models.ante_rnn.VARIANTS`) with an attention setting of Table 6,
    section 4.4's settings (D = 128, w_c of the dataset), the profile's training length; ``label``: its
    name in a table (default ``name``)."""
    content = prepared.content
    method = ante_rnn_method(name, content.items, content.topics, prepared.data, setting=setting,
                             dim=dim or profile.dim, window=window or prepared.paper.window,
                             max_len=profile.max_len, epochs=profile.epochs, patience=profile.patience)
    method.name = label or name
    return method


def table4_methods(prepared: "AntePrepared", profile: Profile) -> list[MethodSpec]:
    """Table 4's rows (section 4.3): BPR, CTR, VBPR, GRU, IARN, MLAM, MV-RNN and Ante-RNN's variants, the
    baselines on BPR's pairwise loss as the paper trains them, D = 128."""
    content, dim = prepared.content, profile.dim
    specs = [
        MethodSpec("BPR", lambda: _bpr_factors("BPR", BPR, profile, dim=dim)),
        MethodSpec("CTR", lambda: _bpr_factors("CTR", CTR, profile,
                                               inputs=lambda d: {"topics": content.item_topics})),
        MethodSpec("VBPR", lambda: _bpr_factors("VBPR", VBPR, profile,
                                                inputs=lambda d: {"visual": content.visual},
                                                dim=dim // 2, visual_dim=dim // 2)),
        MethodSpec("GRU", lambda: _gru(profile)),
        MethodSpec("IARN", lambda: IARNRanker("IARN", dim=dim, batch_size=256, epochs=profile.epochs,
                                              max_history=profile.max_len,
                                              patience=profile.patience)),
        MethodSpec("MLAM", lambda: _bpr_factors("MLAM", MLAM, profile, inputs=lambda d: {
            "sentences": content.sentences, "regions": content.items.regions,
            "n_words": len(content.items.vocabulary)}, dim=dim)),
        MethodSpec("MV-RNN", lambda: _mv_rnn(content, profile)),
    ]
    order = ("v-Ante-RNN", "t-Ante-RNN", "Ante-RNN-D", "Ante-RNN-N", "Ante-RNN")
    specs += [MethodSpec(name, lambda name=name: ante_rnn(name, prepared, profile)) for name in order]
    return [s for s in specs if profile.rows is None or s.name in profile.rows]


KS = (5, 10, 15, 20, 25)
METRICS = tuple(f"{m}@{k}" for m in ("Recall", "NDCG") for k in KS)
AT_20 = ("Recall@20", "NDCG@20")


def _runs(function: str, options: RunOptions, methods, profile: Profile | None = None, tested: bool = True
          ) -> tuple[Results, object]:
    """Every method on every dataset present, once per split of the profile (split k seeded ``seed + k``:
    the validation hold-out and the models' initialisation), averaged over the splits per test example
    (`Results.average`: the protocol's test part does not depend on the seed), with the manifest;
    ``tested=False``: fitted only (`seqrec.experiments.pipeline.run`)."""
    profile = profile or PROFILES[options.profile]
    manifest = open_manifest(f"seqrec.experiments.ante_rnn.{function}", options, profile.scaled)
    papers = paper_datasets(options)
    repeats = []
    for k in range(profile.splits):
        split_options = dataclasses.replace(options, seed=options.seed + k)
        repeats.append(run(papers, preparer(split_options, with_content=True), methods, split_options,
                           manifest, tested=tested))
    results = Results.average(repeats)
    manifest.notes.append(f"task: {task().describe()}")
    if profile.splits > 1:
        manifest.notes.append(
            f"{profile.splits} splits (seeds {options.seed}..{options.seed + profile.splits - 1}); each test "
            "example's metrics are averaged over the splits, so a cell is the mean over splits and its ± is "
            "the bootstrap standard error over users of the split-averaged metrics (the paper prints the "
            "standard deviation over splits: see the next notes)")
        manifest.notes += _split_spread(repeats)
    manifest.notes += results.skipped_notes()
    return results, manifest


def _split_spread(repeats: list[Results]) -> list[str]:
    """A note per dataset: each method's standard deviation over the splits of Recall@20 and NDCG@20."""
    notes = []
    for label in repeats[0].runs:
        parts = []
        for method in repeats[0].runs[label]:
            values = {m: [v for r in repeats if (v := r.mean(label, method, m)) is not None] for m in AT_20}
            parts.append(f"{method} " + ", ".join(f"{m} {np.std(v, ddof=1):.4f}" for m, v in values.items()
                                                   if len(v) > 1))
        notes.append(f"{label}: standard deviation over the splits: {'; '.join(parts)}")
    return notes


def table4_claims(results: Results) -> list[str]:
    """A verdict on each claim of section 4.5, on Recall@20 and NDCG@20 (paired t-tests over test users,
    two-sided): Ante-RNN beats the best baseline; t-Ante-RNN beats v-Ante-RNN on MovieLens (v beats t on
    Pinterest); attention fusion beats neural fusion beats direct fusion; MV-RNN beats MLAM and IARN; every
    other baseline beats BPR."""
    lines = []
    for label, runs in results.runs.items():
        for metric in AT_20:
            best = results.best(label, metric.lower(), exclude=[m for m in runs if m not in BASELINES])
            if best:
                lines.append(results.verdict(label, f"Ante-RNN beats the best baseline ({best}) on {metric}",
                                             "Ante-RNN", best, metric))
            text = ("t-Ante-RNN", "v-Ante-RNN") if label != "Pinterest" else ("v-Ante-RNN", "t-Ante-RNN")
            pairs = [text, ("Ante-RNN", "Ante-RNN-N"), ("Ante-RNN-N", "Ante-RNN-D"), ("MV-RNN", "MLAM"),
                     ("MV-RNN", "IARN"), *((m, "BPR") for m in BASELINES if m != "BPR")]
            lines += [results.verdict(label, f"{first} beats {second} on {metric}", first, second, metric)
                      for first, second in pairs]
    return lines


def table4(**options) -> tuple[TableOutput, FigureOutput]:
    """Ante-RNN Table 4 (section 4.5): Recall@K and NDCG@K, K in {5, ..., 25}, of every method on every
    dataset present, the paper's number beside ours, with a verdict on each claim; and Figure 5 (section
    4.8) from the same runs (`figure5`). ``options``: `RunOptions`."""
    options = RunOptions(**options)
    profile = PROFILES[options.profile]
    results, manifest = _runs("table4", options, lambda prepared: table4_methods(prepared, profile))
    figure_manifest = copy.deepcopy(manifest)
    manifest.notes += table4_claims(results)
    table = paper_table("anternn_table4", "Ante-RNN Table 4: Recall@K and NDCG@K (Liu et al., 2020)",
                        manifest, results.cells(METRICS), results)
    return table, figure5(results, figure_manifest)


def training_lengths(data: SequenceData) -> np.ndarray:
    """int [n_users]: each user's number of training behaviours (Figure 5's "number of items per user",
    section 4.8's "training records length")."""
    return np.bincount(data.by_user.group_of(data.targets("train")), minlength=data.users.size)


def length_groups(lengths: np.ndarray, groups: int) -> tuple[np.ndarray, list[str]]:
    """``(group of each user, labels)``: ``groups`` groups of about as many users each, cut at the
    quantiles of ``lengths`` (fewer when lengths repeat); labels ``"lo-hi"`` in behaviours."""
    edges = np.unique(np.quantile(lengths, np.linspace(0, 1, groups + 1)).round().astype(int))
    group = np.clip(np.searchsorted(edges, lengths, side="right") - 1, 0, max(len(edges) - 2, 0))
    present, group = np.unique(group, return_inverse=True)  # rounding may leave a group empty
    return group, [f"{lengths[group == g].min()}-{lengths[group == g].max()}" for g in range(len(present))]


FIGURE5_GROUPS = 4


def figure5(results: Results, manifest, groups: int = FIGURE5_GROUPS) -> FigureOutput:
    """Ante-RNN Figure 5 (section 4.8) from Table 4's runs, without retraining ("we divide the test set into
    different groups by the number of items per user"): the test users in ``groups`` groups of about as
    many users each by their number of training behaviours, and each method's Recall@20 and NDCG@20 over
    each group's test examples, with the bootstrap standard error over its users. Verdicts: (1) each
    method does better on the longest group than on the shortest (Welch's t-test over per-user values);
    (2) Ante-RNN beats the best baseline of each group (paired t-test over the group's users)."""
    rows, grouped, labels_of = [], Results(), {}
    for label, runs in results.runs.items():
        data = results.prepared[label].data
        tested = next(iter(runs.values())).test.rows["user"].unique()
        lengths = training_lengths(data)
        group, labels = length_groups(lengths[tested], groups)
        group_of = pd.Series(group, index=tested)
        labels_of[label] = labels
        for method, run_ in runs.items():
            test = run_.test
            in_group = group_of.loc[test.rows["user"]].to_numpy()
            for g, name in enumerate(labels):
                part = dataclasses.replace(test, rows=test.rows[in_group == g].reset_index(drop=True))
                grouped.runs.setdefault(f"{label}, {name}", {})[method] = dataclasses.replace(run_, test=part)
                means, errors = part.mean(), part.standard_errors()
                rows.append({"dataset": label, "items per user": name, "method": method,
                             "users": int(part.rows["user"].nunique()),
                             **{m: means[m.lower()] for m in AT_20},
                             **{f"{m} SE": errors[m.lower()] for m in AT_20}})
    rows = pd.DataFrame(rows)
    manifest.notes.append(f"Figure 5: test users in {groups} groups of about as many users by their number "
                          "of training behaviours (quantiles); the models are Table 4's, not retrained")
    manifest.notes += _figure5_claims(results, grouped, labels_of)
    manifest.finish()
    datasets = list(labels_of)
    figure, axes = new_figure(2 * len(datasets), columns=2)
    for d, label in enumerate(datasets):
        part = rows[rows["dataset"] == label]
        for m, metric in enumerate(AT_20):
            ax = axes[2 * d + m]
            for method, line in part.groupby("method", sort=False):
                ax.errorbar(line["items per user"], line[metric], yerr=line[f"{metric} SE"], marker=".",
                            capsize=2, label=method)
            ax.set_title(f"{label}: {metric}", fontsize=8)
            ax.set_xlabel("training behaviours per user")
    axes[0].legend(fontsize=5)
    return FigureOutput("anternn_figure5", "Ante-RNN Figure 5: Recall@20 and NDCG@20 by the number of items "
                        "per user (Liu et al., 2020)", figure, rows, manifest)


def _figure5_claims(results: Results, grouped: Results, labels_of: dict) -> list[str]:
    lines = []
    for label, labels in labels_of.items():
        if len(labels) < 2:
            lines.append(f"{label}: one group of lengths only: cannot tell how length matters")
            continue
        short, long = f"{label}, {labels[0]}", f"{label}, {labels[-1]}"
        for method in results.runs[label]:
            for metric in AT_20:
                column = metric.lower()
                test = stats.welch_ttest(grouped.per_user(long, method)[column],
                                         grouped.per_user(short, method)[column])
                word = ("cannot tell" if not test.p_value < 0.05 else
                        "reproduced" if test.mean_difference > 0 else "not reproduced")
                lines.append(f"{label}: {method} does better with {labels[-1]} than with {labels[0]} "
                             f"training behaviours on {metric}: {word} ("
                             + test.describe(f"the {labels[-1]} group", f"the {labels[0]} group",
                                             f"per-user {column}") + ")")
        for group in (f"{label}, {name}" for name in labels):
            for metric in AT_20:
                exclude = [m for m in grouped.runs[group] if m not in BASELINES]
                best = grouped.best(group, metric.lower(), exclude=exclude)
                if best and "Ante-RNN" in grouped.runs[group]:
                    claim = f"Ante-RNN beats the best baseline of the group ({best}) on {metric}"
                    lines.append(grouped.verdict(group, claim, "Ante-RNN", best, metric))
    return lines


TABLE5 = ("GRU", "IARN", "Ante-RNN", "MV-RNN")
RUNTIME = "Runtime (seconds)"


def table5(**options) -> TableOutput:
    """Ante-RNN Table 5 (section 4.6): the training time of GRU, IARN, Ante-RNN and MV-RNN, each trained
    as in Table 4 on the same data, one after the other in one run on this machine: the seconds of the
    fit (to early stopping, with its per-epoch validation), and beside them the ratio to GRU's and the
    seconds per epoch; nothing is evaluated on the test part. The paper's machine had a GPU; ours is the
    run's hardware (in the manifest), so only the ratios compare. ``options``: `RunOptions`."""
    options = RunOptions(**options)
    profile = PROFILES[options.profile]
    profile = dataclasses.replace(profile, splits=1)
    results, manifest = _runs("table5", options, lambda prepared: [
        s for s in table4_methods(prepared, profile) if s.name in TABLE5], profile, tested=False)
    paper = tables.load_reference(reference.table_path("anternn_table5"))
    printed = {(d, m): float(v) for d, m, v in
               zip(paper["dataset"], paper["method"], paper["value"], strict=True)}
    ours, extra = {}, []
    for label, runs in results.runs.items():
        seconds = {method: run_.info["fit_seconds"] for method, run_ in runs.items()}
        for method, run_ in runs.items():
            ours[(label, method, RUNTIME)] = seconds[method]
            epochs = max(run_.info.get("epochs_run", 1), 1)
            ours[(label, method, "seconds per epoch")] = seconds[method] / epochs
            if "GRU" in runs:
                ours[(label, method, "ratio to GRU")] = seconds[method] / seconds["GRU"]
        extra += [(label, m, k) for m in TABLE5 for k in ("ratio to GRU", "seconds per epoch")
                  if k != "ratio to GRU" or "GRU" in runs]  # no ratio without GRU's time
        reads = label if (label, "GRU") in printed else "MovieLens"  # an extra dataset: MovieLens' ratios
        manifest.notes += [_ratio_note(label, runs, m, printed[(reads, m)] / printed[(reads, "GRU")])
                           for m in TABLE5[1:] if m in runs and "GRU" in runs]
    manifest.notes.append("timing: each method's fit measured by the wall clock in one process, one after "
                          "the other; the numbers of a loaded machine are slower, and the ratios hold only "
                          "when nothing else runs")
    table = paper_table("anternn_table5", "Ante-RNN Table 5: training time (Liu et al., 2020)", manifest,
                        ours, results, extra)
    return table


def _ratio_note(label: str, runs: dict, method: str, paper: float) -> str:
    """The paper's runtime ratio of ``method`` to GRU beside ours: reproduced within a factor of 1.25 of
    it, else not reproduced (one timed run has no standard error, so the verdict reads the factor alone,
    and the epochs each ran are shown: a ratio of totals mixes speed per epoch with epochs to converge)."""
    ours = runs[method].info["fit_seconds"] / runs["GRU"].info["fit_seconds"]
    close = max(ours, paper) / min(ours, paper) <= 1.25
    return (f"{label}: {method} trains {paper:.2f} times as long as GRU in the paper, {ours:.2f} times here: "
            f"{'reproduced' if close else 'not reproduced'} (within a factor of 1.25 of the paper's ratio or "
            f"not; {runs[method].info.get('epochs_run')} epochs vs GRU's "
            f"{runs['GRU'].info.get('epochs_run')})")


TABLE6 = tuple(ATTENTION_SETTINGS)


def table6_methods(prepared: "AntePrepared", profile: Profile) -> list[MethodSpec]:
    """Table 6's rows: Ante-RNN under each attention setting (section 4.7)."""
    specs = [MethodSpec(f"Ante-RNN ({setting.replace('dt', 'δt')})",
                        lambda setting=setting: ante_rnn("Ante-RNN", prepared, profile, setting,
                                                         label=f"Ante-RNN ({setting.replace('dt', 'δt')})"))
             for setting in TABLE6]
    return [s for s in specs if profile.rows is None or s.name in profile.rows]


def table6_claims(results: Results) -> list[str]:
    """Section 4.7's claims on Recall@20 and NDCG@20 (paired t-tests over test users, two-sided): (1) T+C
    beats every other setting (tested against the best of them), and each attention beats none; (2)
    contextual attention contributes more than topical (C beats T); (3) the time interval matters more than
    the time of week (dropping it costs more: C-T_w beats C-δt, T+C-T_w beats T+C-δt)."""
    def name(setting):
        return f"Ante-RNN ({setting})"

    lines = []
    for label in results.runs:
        for metric in AT_20:
            best = results.best(label, metric.lower(), exclude=[name("T+C")])
            pairs = [(name("T+C"), best)] if best else []
            pairs += [(name(a), name(b)) for a, b in (("T", "None"), ("C", "None"), ("C", "T"),
                                                      ("C-T_w", "C-δt"), ("T+C-T_w", "T+C-δt"))]
            lines += [results.verdict(label, f"{first} beats {second} on {metric}", first, second, metric)
                      for first, second in pairs]
    return lines


def table6(**options) -> TableOutput:
    """Ante-RNN Table 6 (section 4.7): Recall@20 and NDCG@20 of Ante-RNN with each attention setting on
    every dataset present, with a verdict on each claim. ``options``: `RunOptions`."""
    options = RunOptions(**options)
    profile = PROFILES[options.profile]
    results, manifest = _runs("table6", options, lambda prepared: table6_methods(prepared, profile))
    manifest.notes += table6_claims(results)
    return paper_table("anternn_table6", "Ante-RNN Table 6: the attention mechanisms (Liu et al., 2020)",
                       manifest, results.cells(AT_20), results)


def _renamed(spec: MethodSpec, name: str) -> MethodSpec:
    """``spec`` under another row name (its method renamed too: TensorBoard folders are per name)."""
    def build(**point):
        method = spec.build(**point)
        method.name = name
        return method

    return MethodSpec(name, build, spec.grid, spec.requires)


def figure6_7_methods(prepared: "AntePrepared", profile: Profile) -> list[MethodSpec]:
    """Figure 6's rows, each of ``profile.figure6`` (Table 4's methods) at every D of ``profile.dims``,
    the others fixed; Figure 7's, Ante-RNN at every w_c of ``profile.windows`` at the profile's D (the
    point at the dataset's w_c is Figure 6's fit at that D when there is one: run once)."""
    specs = []
    for dim in profile.dims:
        scaled = dataclasses.replace(profile, dim=dim, rows=profile.figure6)
        specs += [_renamed(spec, f"{spec.name} (D={dim})") for spec in table4_methods(prepared, scaled)]
    shared = prepared.paper.window if _shares_point(profile) else None
    specs += [MethodSpec(f"Ante-RNN (w_c={w})", lambda w=w: ante_rnn("Ante-RNN", prepared, profile, window=w,
                                                                     label=f"Ante-RNN (w_c={w})"))
              for w in profile.windows if w != shared]
    return specs


def _shares_point(profile: Profile) -> bool:
    """Whether Figure 7's point at the dataset's w_c is a fit of Figure 6 (Ante-RNN at the profile's D)."""
    return "Ante-RNN" in profile.figure6 and profile.dim in profile.dims


def figure6_7(**options) -> FigureOutput:
    """Ante-RNN Figures 6 and 7 (section 4.9): Recall@20 and NDCG@20 of Table 4's methods (the profile's
    ``figure6``) at each embedding size D in {32, 64, 128, 256, 512}, and of Ante-RNN at each window w_c in
    1..6, the other settings fixed (section 4.4's), trained as in Table 4. Verdicts: (6) each method's best
    D lies inside the grid (performance rises, then drops: over-fitting) and Ante-RNN's spread over the D
    grid (best minus worst Recall@20, relative to its best) is the smallest (the paper: "a higher
    stability"); (7) the best w_c is the paper's (5 on MovieLens, 3 on Pinterest), tested against the
    runner-up (paired t-test over users). One split whatever the profile's: a point per setting.
    ``options``: `RunOptions`."""
    options = RunOptions(**options)
    profile = dataclasses.replace(PROFILES[options.profile], splits=1)
    results, manifest = _runs("figure6_7", options, lambda prepared: figure6_7_methods(prepared, profile),
                              profile)
    rows = []
    for label, runs in results.runs.items():
        window = results.prepared[label].paper.window
        for name, run_ in runs.items():
            base, _, setting = name.partition(" (")
            parameter, _, value = setting.rstrip(")").partition("=")
            means, errors = run_.test.mean(), run_.test.standard_errors()
            rows.append({"dataset": label, "figure": 6 if parameter == "D" else 7, "method": base,
                         "parameter": parameter, "value": int(value),
                         **{m: means[m.lower()] for m in AT_20},
                         **{f"{m} SE": errors[m.lower()] for m in AT_20},
                         "epochs": run_.info.get("epochs_run")})
        if _shares_point(profile) and f"Ante-RNN (D={profile.dim})" in runs:  # Figure 7 at the dataset's w_c
            shared = next(r for r in rows if r["dataset"] == label and r["method"] == "Ante-RNN"
                          and r["parameter"] == "D" and r["value"] == profile.dim)
            rows.append({**shared, "figure": 7, "parameter": "w_c", "value": window})
            results.runs[label][f"Ante-RNN (w_c={window})"] = runs[f"Ante-RNN (D={profile.dim})"]
    rows = pd.DataFrame(rows).sort_values(["dataset", "figure", "method", "value"], kind="stable")
    manifest.notes += _figure6_7_claims(results, rows)
    manifest.finish()
    datasets = list(dict.fromkeys(rows["dataset"]))
    figure, axes = new_figure(4 * len(datasets), columns=4, width=3.6)
    for d, label in enumerate(datasets):
        for f, (number, parameter) in enumerate(((6, "D"), (7, "w_c"))):
            part = rows[(rows["dataset"] == label) & (rows["figure"] == number)]
            for m, metric in enumerate(AT_20):
                ax = axes[4 * d + 2 * f + m]
                for method, line in part.groupby("method", sort=False):
                    ax.errorbar(line["value"], line[metric], yerr=line[f"{metric} SE"], marker=".", capsize=2,
                                label=method)
                if parameter == "D":
                    ax.set_xscale("log", base=2)
                ticks = sorted(part["value"].unique())
                ax.set_xticks(ticks, [str(v) for v in ticks])
                ax.set_title(f"{label}: {metric} by {parameter} (Figure {number})", fontsize=8)
                ax.set_xlabel(parameter)
    axes[0].legend(fontsize=5)
    return FigureOutput("anternn_figure6_7", "Ante-RNN Figures 6 and 7: Recall@20 and NDCG@20 by embedding "
                        "size D and by window w_c (Liu et al., 2020)", figure, rows, manifest)


PAPER_WINDOW = {"MovieLens": 5, "Pinterest": 3}  # section 4.9.2's best w_c


def _figure6_7_claims(results: Results, rows: pd.DataFrame) -> list[str]:
    lines = []
    for label, part in rows.groupby("dataset", sort=False):
        spreads = {}
        for method, line in part[part["figure"] == 6].groupby("method", sort=False):
            values = line.set_index("value")["Recall@20"]
            best = int(values.idxmax())
            spreads[method] = (values.max() - values.min()) / values.max() if values.max() > 0 else np.nan
            inside = values.index.min() < best < values.index.max()
            word = "cannot tell" if len(values) < 3 else "reproduced" if inside else "not reproduced"
            lines.append(f"{label}: {method}'s Recall@20 rises with D, then drops (its best D inside the "
                         f"grid): {word} (best at D = {best}: "
                         + ", ".join(f"{v}: {x:.4f}" for v, x in values.items())
                         + "; one run per D, no test of the shape)")
        if len(spreads) > 1 and "Ante-RNN" in spreads:
            steadiest = min(spreads, key=spreads.get)
            lines.append(f"{label}: Ante-RNN changes least over the D grid: "
                         f"{'reproduced' if steadiest == 'Ante-RNN' else 'not reproduced'} (best minus worst "
                         "Recall@20 relative to the best: "
                         + ", ".join(f"{m} {v:.1%}" for m, v in spreads.items()) + "; one run per D)")
        windows = part[part["figure"] == 7].set_index("value")
        if label in PAPER_WINDOW and len(windows) > 1:
            for metric in AT_20:
                order = windows[metric].sort_values(ascending=False).index
                paper, ours = PAPER_WINDOW[label], int(order[0])
                if ours == paper:
                    claim = (f"the paper's w_c = {paper} is the best on {metric} (vs the runner-up w_c = "
                             f"{int(order[1])})")
                    lines.append(results.verdict(label, claim, f"Ante-RNN (w_c={paper})",
                                                 f"Ante-RNN (w_c={int(order[1])})", metric))
                else:
                    claim = f"the paper's w_c = {paper} is the best on {metric} (ours is w_c = {ours})"
                    lines.append(results.verdict(label, claim, f"Ante-RNN (w_c={paper})",
                                                 f"Ante-RNN (w_c={ours})", metric))
    return lines


def most_weeks(train: pd.DataFrame, topics: UserTopics) -> tuple[str, pd.Series]:
    """Figures 8 and 9's user: the training user with the most weeks of behaviour (ties: the smallest id),
    with the topic window (week) of each of that user's training events."""
    week = pd.Series(topics.window(train["timestamp"]), index=train.index)
    spread = week.groupby(train["user"]).nunique()
    user = spread[spread == spread.max()].index.min()
    return user, week[train["user"] == user]


def figure9(**options) -> FigureOutput:
    """Ante-RNN Figure 9 (section 4.10.1): the explanation of one recommendation to a real user
    (`seqrec.training.ante_rnn.explain`): the user's latest behaviours in the contextual window with their
    attention weights (Eq. 19), the recommended item, the words of its text that weigh most under the
    user's topics (Eq. 10), and for each word the image region aligned to it (Eqs. 1-2) drawn on the
    poster. The model is Ante-RNN trained as in Table 4 on the first dataset present; the user is Figure
    8's (the training user with the most weeks of behaviour), explained at the time of the user's latest
    training behaviour, so the history holds no test event. ``options``: `RunOptions`."""
    options = RunOptions(**options)
    profile = PROFILES[options.profile]
    manifest = open_manifest("seqrec.experiments.ante_rnn.figure9", options, profile.scaled)
    paper = first_present(paper_datasets(options, ("MovieLens",)), options)
    results = run([paper], preparer(options, with_content=True), lambda prepared: [
        MethodSpec("Ante-RNN", lambda: ante_rnn("Ante-RNN", prepared, profile))], options, manifest,
        fitted=("Ante-RNN",))
    if "Ante-RNN" not in results.runs.get(paper.label, {}):
        raise RuntimeError(f"Ante-RNN did not train on {paper.label}: {results.skipped_notes()}")
    prepared = results.prepared[paper.label]
    method, content = results.runs[paper.label]["Ante-RNN"].method, prepared.content
    train = prepared.split.train
    user = most_weeks(train, content.topics)[0]
    time = int(train.loc[train["user"] == user, "timestamp"].max())
    why = explain(method, prepared.data, content.items, content.topics, user, time)
    titles = prepared.interactions.items["title"]
    eta = content.topics.eta([user], [time])[0]
    interests = np.argsort(-eta, kind="stable")[:3]
    rows = pd.DataFrame(
        [{"part": "recent", "item": i, "title": titles.get(i, ""), "weight": w, "word": "", "region": -1}
         for i, w in why.recent]
        + [{"part": "recommended", "item": why.recommended, "title": titles.get(why.recommended, ""),
            "weight": np.nan, "word": "", "region": -1}]
        + [{"part": "word", "item": why.recommended, "title": "", "weight": w, "word": word, "region": r}
           for (word, w), (_, r, _) in zip(why.words, why.regions, strict=True)]
        + [{"part": "interest", "item": "", "title": ", ".join(content.topics.top_words(int(k), 4)),
            "weight": float(eta[k]), "word": f"topic #{int(k)}", "region": -1} for k in interests])
    manifest.notes.append(f"{paper.label}: user {user} of {prepared.name} at {pd.Timestamp(time, unit='s')} "
                          f"(the latest training behaviour); recommended: {why.recommended} "
                          f"({titles.get(why.recommended, '')})")
    manifest.notes.append("the figure is one example, not a claim a number can test: cannot tell; the "
                          "paper's side-by-side with MLAM's explanation is left out (its Figure 10 study, "
                          "out of scope, rates the two)")
    manifest.finish()
    return FigureOutput("anternn_figure9", f"Ante-RNN Figure 9: an explanation on {paper.label} "
                        f"({prepared.name})", _draw_explanation(why, rows, profile, options), rows, manifest)


def _draw_explanation(why, rows: pd.DataFrame, profile: Profile, options: RunOptions):
    """The window's posters with their weights, then the recommended poster with a red square on each
    word's aligned region (grid cells, row-major as `seqrec.datasets.image_features` cuts them) and its
    words; a grey square for an item without a poster; the user's three main topics below."""
    folder = locations.data_dir(options.data_dir).joinpath(*POSTERS)
    files = {p.stem: p for p in image_files(folder)} if folder.is_dir() else {}
    size = 32 * profile.grid
    figure, axes = new_figure(len(why.recent) + 1, width=2.2, height=3.0)
    shown = [(item, f"{weight:.3f}") for item, weight in why.recent] + [(why.recommended, "recommended")]
    titles = rows.drop_duplicates("item").set_index("item")["title"]
    for ax, (item, caption) in zip(axes, shown, strict=True):
        image = (decode(files[item], size).numpy().astype(np.uint8) if item in files
                 else np.full((size, size, 3), 200, np.uint8))
        ax.imshow(image)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(caption, fontsize=8)
        ax.set_xlabel(str(titles.get(item, item))[:28], fontsize=6)
    cell = size / profile.grid
    words = rows[rows["part"] == "word"]
    for word, region in zip(words["word"], words["region"], strict=True):
        row, column = divmod(int(region), profile.grid)
        axes[-1].add_patch(Rectangle((column * cell, row * cell), cell, cell, fill=False, color="red",
                                     linewidth=1.5))
        axes[-1].text(column * cell, row * cell, word, color="red", fontsize=6, va="bottom")
    axes[-1].set_xlabel(f"{str(titles.get(why.recommended, why.recommended))[:28]}\nwords: "
                        + ", ".join(words["word"]), fontsize=6, color="red")
    interests = rows[rows["part"] == "interest"]
    figure.text(0.01, 0.01, f"user {why.user}'s interests (Eq. 7): " + "; ".join(
        f"{k} ({words}) {w:.2f}" for k, words, w in zip(interests["word"], interests["title"],
                                                        interests["weight"], strict=True)), fontsize=6)
    return figure


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
    user, weeks = most_weeks(train, topics)
    first, last = int(weeks.min()), int(weeks.max())
    span = np.arange(first + 1, last + 2)  # week t reads the weeks before t: through the user's last week
    eta = topics.eta([user] * len(span), topics.origin + span * topics.window_seconds)
    chosen = np.argsort(-eta[-1], kind="stable")[:3]
    rows = pd.DataFrame([{"week": int(w - first), "topic": int(k), "weight": float(eta[i, k]),
                          "top words": ", ".join(topics.top_words(int(k), 5))}
                         for i, w in enumerate(span) for k in chosen])
    manifest.hyperparameters["topics"] = {"n_topics": n_topics, "decay": paper.decay,
                                          "window_seconds": topics.window_seconds, "texts": counts}
    manifest.notes.append(f"{paper.label}: user {user} of {prepared.name}, {weeks.nunique()} weeks with "
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
