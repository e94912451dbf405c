"""`seqrec.datasets.user_topics`: Ante-RNN's interest topics (Eq. 7) read only windows before the
prediction's, decay by window, form a distribution, and find planted topics."""

import numpy as np
import pandas as pd
import pytest

from seqrec.datasets.user_topics import WEEK, fit_user_topics

RNG = np.random.default_rng(5)
SPORT = "football goal match league striker referee stadium"
SPACE = "rocket orbit planet astronaut galaxy nebula telescope"


def planted(n_users=12, weeks=6, per_week=3):
    """Items 0-9 are about sport, 10-19 about space; even users switch from sport to space halfway."""
    texts = pd.Series({f"i{k}": " ".join(RNG.choice((SPORT if k < 10 else SPACE).split(), 5))
                       for k in range(20)})
    rows = []
    for u in range(n_users):
        for week in range(weeks):
            space = u % 2 == 0 and week >= weeks // 2
            for _ in range(per_week):
                item = f"i{RNG.integers(10, 20) if space else RNG.integers(0, 10)}"
                rows.append((f"u{u}", item, week * WEEK + int(RNG.integers(0, WEEK))))
    events = pd.DataFrame(rows, columns=["user", "item", "timestamp"]).sort_values(["user", "timestamp"])
    return events.reset_index(drop=True), texts


def test_eta_reads_only_earlier_windows():
    events, texts = planted()
    topics = fit_user_topics(events, texts, n_topics=2, decay=0.5)
    t = 3 * WEEK + WEEK // 2
    users = [f"u{u}" for u in range(12)]
    before = topics.eta(users, [t] * 12)
    later = events["timestamp"] > t
    scrambled = events.copy()
    scrambled.loc[later, "item"] = RNG.choice(texts.index, later.sum())
    scrambled.loc[later, "timestamp"] = RNG.permutation(scrambled.loc[later, "timestamp"].to_numpy())
    again = fit_user_topics(scrambled, texts, n_topics=2, decay=0.5).eta(users, [t] * 12)
    np.testing.assert_allclose(again, before, rtol=1e-6)
    np.testing.assert_allclose(before.sum(1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(topics.eta(users[:2], [5, 5]), 0.5)  # nothing before the first window


def test_decay_weights_follow_eq_7():
    events, texts = planted(n_users=2, weeks=3)
    topics = fit_user_topics(events, texts, n_topics=2, decay=0.7)
    windows, xi = topics.xi["u1"]
    assert list(windows) == [0, 1, 2]
    weights = np.exp(-0.7 * np.array([3, 2, 1]))  # a prediction in window 3
    eta = topics.eta(["u1"], [topics.origin + 3 * WEEK])[0]
    np.testing.assert_allclose(eta, weights @ xi / weights.sum(), rtol=1e-5)
    window_2 = topics.eta(["u1"], [topics.origin + 3 * WEEK - 1])[0]  # the last second of window 2
    np.testing.assert_allclose(window_2, weights[:2] @ xi[:2] / weights[:2].sum(), rtol=1e-5)


def test_planted_switch_shows_in_the_topics():
    events, texts = planted(n_users=20, weeks=8)
    topics = fit_user_topics(events, texts, n_topics=2, decay=1.0)
    words = [set(topics.top_words(k, 5)) for k in range(2)]
    space = int(len(words[1] & set(SPACE.split())) > len(words[0] & set(SPACE.split())))
    late = topics.eta(["u0", "u1"], [topics.origin + 8 * WEEK] * 2)  # u0 switched to space, u1 did not
    early = topics.eta(["u0"], [topics.origin + 3 * WEEK])
    assert late[0, space] > 0.8 and late[1, space] < 0.2 and early[0, space] < late[0, space] - 0.4


def test_bad_input():
    events, texts = planted(n_users=2, weeks=2)
    with pytest.raises(ValueError, match="missing \\['timestamp'\\]"):
        fit_user_topics(events.drop(columns="timestamp"), texts)
    with pytest.raises(ValueError, match="no events"):
        fit_user_topics(events.iloc[:0], texts)
