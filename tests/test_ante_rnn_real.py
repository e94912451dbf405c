"""Ante-RNN end to end on real MovieLens latest-small data: posters, TMDb texts, the paper's protocol on a
few users, a short training run, and `explain` for a real user (titles, words and weights)."""

import os

import numpy as np
import pandas as pd

from seqrec.datasets import protocols
from seqrec.datasets.image_features import HANDCRAFTED, compute_features
from seqrec.datasets.movie_text import load_movie_texts
from seqrec.datasets.pipelines import SequenceData
from seqrec.datasets.user_topics import fit_user_topics
from seqrec.training import FitContext, set_seed
from seqrec.training.ante_rnn import ItemContent, ante_rnn_method, explain


def test_ante_rnn_trains_on_real_posters_and_texts_and_explains(ml_small, shared_data, data_dir, tmp_path,
                                                                capsys):
    posters = shared_data / "movielens-1m-posters" / "MovieImages"
    with_poster = {p.stem for p in posters.iterdir()}
    users = sorted(ml_small.events["user"].unique())[:25]
    events = ml_small.events[ml_small.events["user"].isin(users)]
    split = protocols.ante_rnn(events, seeds=(0,), items=with_poster)[0]
    assert "keep_items" in split.describe() and set(split.events()["item"]) <= with_poster
    data = SequenceData.encode(split, ml_small)
    folder = tmp_path / "posters"
    folder.mkdir()
    for item in data.items.tokens[1:]:
        os.symlink(posters / f"{item}.jpg", folder / f"{item}.jpg")
    ids, features, _ = compute_features(folder, HANDCRAFTED)
    texts, _ = load_movie_texts(ml_small.items, data_dir)
    topics = fit_user_topics(split.train, texts, n_topics=5)
    content = ItemContent.build(data, texts, ids, features, words_per_item=30)
    assert content.counts["with image"] == content.counts["items"] == data.items.size - 1
    method = ante_rnn_method("Ante-RNN", content, topics, data, dim=16, window=5, max_len=20, batch_size=200,
                             epochs=1, triplet_items=16)
    set_seed(0)
    info = method.fit(data, FitContext(0))
    assert info["epochs_run"] == 1
    user = users[3]
    history = split.train[split.train["user"] == user]
    time = int(history["timestamp"].iloc[-1])
    why = explain(method, data, content, topics, user, time)
    titles = ml_small.items["title"].to_dict()
    print(why.describe(titles))
    printed = capsys.readouterr().out
    with capsys.disabled():  # shown with pytest -s
        print(printed)
    seen = split.events()  # every part, in event order
    seen = seen[(seen["user"] == user) & (seen["timestamp"] <= time)]["item"].tolist()
    assert [item for item, _ in why.recent] == seen[-len(why.recent):] and len(why.recent) == 5
    assert np.isclose(sum(w for _, w in why.recent), 1.0, atol=1e-5)
    assert why.recommended not in seen
    text = texts[why.recommended].lower()
    assert why.words and all(word in text for word, _ in why.words)
    assert all(0 <= region < 36 for _, region, _ in why.regions)
    assert titles[why.recommended] in printed and "contextual weight" in printed
    assert isinstance(pd.Timestamp(why.time, unit="s"), pd.Timestamp)
