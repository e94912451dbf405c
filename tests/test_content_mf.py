"""VBPR, CTR and MLAM (Ante-RNN's content baselines) read their content: on a planted set where each user
likes one cluster of items and the test items were never seen in training, only the item's image features
(VBPR), text topics (CTR) or text and image regions (MLAM) tell their cluster. They rank the user's
cluster first; popularity (and BPR's untrained factors) cannot."""

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from seqrec.datasets import protocols
from seqrec.datasets.negatives import NegativeSampler
from seqrec.datasets.pipelines import SequenceData
from seqrec.datasets.user_topics import item_topics
from seqrec.models import BPR, CTR, MLAM, VBPR, TopPop
from seqrec.training.ante_rnn import sentence_words

CLUSTERS, WARM, COLD, USERS, LIKED = 4, 24, 8, 64, 12
PER = WARM + COLD


@pytest.fixture(scope="module")
def planted():
    """Items 1.. in clusters of ``PER`` (the last ``COLD`` of each never in training); user u likes
    cluster u % CLUSTERS and has ``LIKED`` of its warm items in training, two more in validation."""
    rng = np.random.default_rng(0)
    n_items = 1 + CLUSTERS * PER
    cluster = np.r_[-1, np.repeat(np.arange(CLUSTERS), PER)]
    cold = np.r_[False, np.tile(np.arange(PER) >= WARM, CLUSTERS)]
    train, valid = [], []
    for u in range(1, USERS + 1):
        warm = np.flatnonzero((cluster == u % CLUSTERS) & ~cold)
        chosen = rng.choice(warm, LIKED + 2, replace=False)
        train += [(u, i) for i in chosen[:LIKED]]
        valid += [(u, i) for i in chosen[LIKED:]]
    centres = rng.normal(size=(CLUSTERS, 16))
    visual = np.zeros((n_items, 16), np.float32)
    visual[1:] = centres[cluster[1:]] + 0.3 * rng.normal(size=(n_items - 1, 16))
    words = [[f"w{k}x{j}" for j in range(12)] for k in range(CLUSTERS)]
    texts = pd.Series({i: " ".join(rng.choice(words[cluster[i]], 8)) for i in range(1, n_items)})
    train, valid = np.array(train), np.array(valid)
    return {"n_users": USERS + 1, "n_items": n_items, "cluster": cluster, "cold": cold, "visual": visual,
            "texts": texts, "train": {"user": train[:, 0], "item": train[:, 1]},
            "valid": {"user": valid[:, 0], "item": valid[:, 1]}}


def cold_auc(model, data) -> float:
    """Mean over users of the AUC (ties count one half) of the user's cluster among the cold items."""
    users = np.arange(1, data["n_users"])
    scores = model.score_all(users)[:, data["cold"]]
    clusters = data["cluster"][data["cold"]]
    return float(np.mean([roc_auc_score(clusters == u % CLUSTERS, s) for u, s in zip(users, scores,
                                                                                     strict=True)]))


def fitted(factory, data, **kwargs):
    model = factory(data["n_users"], data["n_items"], **kwargs)
    sampler = NegativeSampler(data["train"]["user"], data["train"]["item"], data["n_items"])
    info = model.fit(data["train"], data["valid"], negative_sampler=sampler)
    return model, info


def test_vbpr_and_ctr_rank_unseen_items_of_the_liked_cluster_by_their_content(planted):
    training = {"epochs": 40, "learning_rate": 1e-2, "batch_size": 64}
    topics = item_topics(planted["texts"], CLUSTERS, seed=0)
    aligned = np.zeros((planted["n_items"], CLUSTERS), np.float32)
    aligned[topics.index.to_numpy(int)] = topics.to_numpy()
    auc = {"TopPop": cold_auc(fitted(TopPop, planted)[0], planted),
           "BPR": cold_auc(fitted(BPR, planted, dim=8, **training)[0], planted),
           "VBPR": cold_auc(fitted(VBPR, planted, visual=planted["visual"], dim=4, visual_dim=4,
                                   **training)[0], planted),
           "CTR": cold_auc(fitted(CTR, planted, topics=aligned, **training)[0], planted)}
    assert auc["TopPop"] == 0.5  # every cold item has no training event: all tied
    assert auc["VBPR"] > 0.9 and auc["CTR"] > 0.9, auc
    assert auc["BPR"] < 0.7, auc  # without content the cold items' factors stay at their random start


def test_content_shapes_are_checked(planted):
    with pytest.raises(ValueError, match=r"visual must be \[n_items=129, features\]; got shape \(5, 16\)"):
        VBPR(planted["n_users"], planted["n_items"], visual=planted["visual"][:5])
    bad = np.full((planted["n_items"], 3), np.nan)
    with pytest.raises(ValueError, match="topics holds NaN"):
        CTR(planted["n_users"], planted["n_items"], topics=bad)


def test_mlam_attends_to_text_and_image_and_ranks_unseen_items(planted):
    """The planted texts as two sentences of four words, the images as two noisy regions of the
    cluster's centre; the text-only and image-only items keep MLAM's two levels apart."""
    rng = np.random.default_rng(1)
    vocabulary = sorted({w for text in planted["texts"] for w in text.split()})
    ids = {w: k + 2 for k, w in enumerate(vocabulary)}
    sentences = np.zeros((planted["n_items"], 2, 4), np.int32)
    for item, text in planted["texts"].items():
        sentences[item] = np.array([ids[w] for w in text.split()]).reshape(2, 4)
    regions = planted["visual"][:, None, :] + 0.3 * rng.normal(size=(planted["n_items"], 2, 16))
    regions[0] = 0
    model, _ = fitted(MLAM, planted, sentences=sentences, regions=regions.astype("float32"),
                      n_words=len(vocabulary) + 2, dim=8, epochs=5, learning_rate=1e-2, batch_size=64,
                      pair_chunk=500)
    assert cold_auc(model, planted) > 0.9
    users = np.array([1, 2, 3])
    every = model.score_all(users)
    np.testing.assert_allclose(every[:, 5], model.predict(users, np.full(3, 5)), rtol=1e-5)
    no_content, _ = fitted(MLAM, planted, sentences=np.zeros_like(sentences),
                           regions=np.zeros_like(regions, dtype="float32"), n_words=len(vocabulary) + 2,
                           dim=8, epochs=1)
    assert np.ptp(no_content.score_all(users)[:, 1:], axis=1).max() < 1e-6  # no content: every item alike


def test_sentence_words_splits_texts_into_sentences_of_vocabulary_ids():
    events = pd.DataFrame({"user": ["u"] * 3, "item": ["a", "b", "c"], "rating": 1.0, "timestamp": [1, 2, 3]})
    data = SequenceData.encode(protocols.leave_last_out(events))
    vocabulary = ["", "[UNK]", "red", "fox", "runs"]
    texts = pd.Series({"a": "Red fox. The fox runs! Red", "b": ""})
    got = sentence_words(data, texts, vocabulary, sentences=2, words=3)
    row = {t: data.items.encode([t])[0] for t in "abc"}
    np.testing.assert_array_equal(got[row["a"]], [[2, 3, 0], [1, 3, 4]])  # "the": out of vocabulary
    assert not got[row["b"]].any() and not got[row["c"]].any() and not got[0].any()
