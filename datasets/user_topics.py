"""Users' interest topics over time, Ante-RNN section 3.3 (Eq. 7): topic mixtures of each user's
behaviour stream per time window, learned online, aggregated with an exponential time decay.

**Stream.** Time is cut into windows (``window_seconds``, a week by default, counted from the first
event). In window k, a user's *document* is the bag of words of the texts of every item the user
interacted with in it. Windows are processed in time order: the topic model is updated with the
window's documents (scikit-learn's online variational `LatentDirichletAllocation.partial_fit`, which
stands in for the paper's stream LDA of Gao et al. 2016: both update one shared topic space with each
new batch of documents), then each of the window's documents gets its topic distribution
``xi_k^u`` from the model as it stands after that window. Nothing computed at window k reads a later
window.

**Aggregation** (Eq. 7): the user's interest topics for a prediction in window t read the windows
before it::

    eta_t^u = (1 / N_u) sum_{k < t} xi_k^u exp(-lambda (t - k))

with ``t - k`` in windows and ``N_u`` the sum of the weights, so that eta is a distribution (the paper
calls N_u "a normalization parameter"). **Reading**: the paper sums over i <= t; we leave out the
prediction's own window t, whose documents include events at and after the prediction time, so that
nothing from after a prediction's time shapes its eta. A user with no earlier window gets the uniform
mixture (no evidence for any topic).

Item texts are turned into counts by scikit-learn's `CountVectorizer` (English stop words removed),
fitted on the item texts: static item content, not behaviour.
"""

import dataclasses

import numpy as np
import pandas as pd
from sklearn.decomposition import LatentDirichletAllocation
from sklearn.feature_extraction.text import CountVectorizer

WEEK = 7 * 24 * 3600


@dataclasses.dataclass
class UserTopics:
    """Each user's topic distributions per window and the model that produced them.

    Attributes:
      origin: the first window's start (unix seconds); window k covers ``[origin + k w, origin + (k+1) w)``.
      window_seconds: w.
      decay: lambda of Eq. 7, per window.
      xi: per user, ``(windows [K_u], distributions [K_u, psi])`` of the windows with events, in order.
      vectorizer, lda: the fitted word counter and topic model (its state after the last window).
    """

    origin: int
    window_seconds: int
    decay: float
    xi: dict
    vectorizer: CountVectorizer
    lda: LatentDirichletAllocation

    @property
    def n_topics(self) -> int:
        return self.lda.n_components

    def window(self, timestamps) -> np.ndarray:
        """The window index of each unix time."""
        return (np.asarray(timestamps, dtype=np.int64) - self.origin) // self.window_seconds

    def eta(self, users, timestamps) -> np.ndarray:
        """eta_t^u of Eq. 7 for each (user, prediction time): float32 [n, psi]."""
        users, windows = np.asarray(users), self.window(timestamps)
        out = np.full((len(users), self.n_topics), 1.0 / self.n_topics, np.float32)
        frame = pd.DataFrame({"user": users, "window": windows, "row": np.arange(len(users))})
        for user, queries in frame.groupby("user", sort=False):
            if user not in self.xi:
                continue
            seen, distributions = self.xi[user]
            gap = queries["window"].to_numpy()[:, None] - seen[None, :]  # [Q, K_u]
            weights = np.where(gap > 0, np.exp(-self.decay * np.maximum(gap, 0)), 0.0)
            total = weights.sum(1, keepdims=True)
            known = total[:, 0] > 0
            rows = queries["row"].to_numpy()[known]
            out[rows] = (weights[known] @ distributions) / total[known]
        return out

    def top_words(self, topic: int, n: int = 10) -> list[str]:
        """The ``n`` most probable words of a topic."""
        words = self.vectorizer.get_feature_names_out()
        return [str(words[k]) for k in np.argsort(-self.lda.components_[topic])[:n]]


def fit_user_topics(events: pd.DataFrame, texts: pd.Series, n_topics: int = 70, decay: float = 0.2,
                    window_seconds: int = WEEK, seed: int = 0, max_features: int = 20000) -> UserTopics:
    """Learn the topic stream of ``events`` (``user``, ``item``, ``timestamp``) from item ``texts``
    (indexed by item id; an item without text adds no words). Settings of Ante-RNN section 4.4:
    psi = 70 topics and lambda = 0.2 on MovieLens (100 and 0.1 on Pinterest)."""
    missing = [c for c in ("user", "item", "timestamp") if c not in events.columns]
    if missing:
        raise ValueError(f"fit_user_topics needs the columns user, item and timestamp; missing {missing}")
    if not len(events):
        raise ValueError("fit_user_topics got no events")
    texts = texts.dropna().astype(str)
    vectorizer = CountVectorizer(stop_words="english", max_features=max_features)
    counts = vectorizer.fit_transform(texts.to_numpy())
    row_of = pd.Series(np.arange(len(texts)), index=texts.index)
    lda = LatentDirichletAllocation(n_components=n_topics, learning_method="online", random_state=seed)
    origin = int(events["timestamp"].min())
    frame = events.assign(window=(events["timestamp"].to_numpy(np.int64) - origin) // window_seconds)
    frame = frame[frame["item"].isin(row_of.index)]
    collected: dict = {}
    for window, part in frame.groupby("window", sort=True):
        users, codes = np.unique(part["user"].to_numpy(), return_inverse=True)
        indicator = pd.crosstab(codes, row_of[part["item"]].to_numpy())  # users x items of the window
        documents = indicator.to_numpy(np.float64) @ counts[indicator.columns.to_numpy()].toarray()
        lda.partial_fit(documents)
        for user, xi in zip(users, lda.transform(documents), strict=True):
            collected.setdefault(user, []).append((int(window), xi.astype(np.float32)))
    xi = {user: (np.array([w for w, _ in rows]), np.stack([d for _, d in rows])) for user, rows in
          collected.items()}
    return UserTopics(origin, window_seconds, decay, xi, vectorizer, lda)


def item_topics(texts: pd.Series, n_topics: int, seed: int = 0, max_features: int = 20000) -> pd.DataFrame:
    """Each item's topic proportions theta_j from LDA on the item texts (CTR, Wang and Blei 2011):
    scikit-learn's batch variational `LatentDirichletAllocation` on the texts' word counts (the same
    `CountVectorizer` settings as `fit_user_topics`). Indexed by item id, one column per topic, rows
    summing to 1; items without a text (missing or empty) are left out."""
    texts = texts.dropna().astype(str)
    texts = texts[texts.str.strip() != ""]
    if not len(texts):
        raise ValueError("item_topics got no item with a text")
    counts = CountVectorizer(stop_words="english", max_features=max_features).fit_transform(texts.to_numpy())
    lda = LatentDirichletAllocation(n_components=n_topics, learning_method="batch", random_state=seed)
    return pd.DataFrame(lda.fit_transform(counts).astype(np.float32), index=texts.index)
