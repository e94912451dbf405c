"""The synthetic builder: deterministic, and its planted structure is really there."""

import numpy as np

from seqrec.datasets import synthetic


def test_generation_is_deterministic_per_seed():
    spec = synthetic.SyntheticSpec(n_users=30, n_items=40, seed=1)
    a, _, _ = synthetic.generate(spec)
    b, _, _ = synthetic.generate(spec)
    c, _, _ = synthetic.generate(synthetic.SyntheticSpec(n_users=30, n_items=40, seed=2))
    assert a.equals(b) and not a.equals(c)


def test_builder_output_matches_the_generator(synthetic_small):
    events, _, _ = synthetic.generate(synthetic.PRESETS["small"])
    assert len(synthetic_small.events) == len(events)
    assert synthetic_small.n_users == events["user"].nunique()
    assert set(synthetic_small.items["features"].map(lambda f: f[0])) == {
        f"c{k}" for k in range(synthetic.PRESETS["small"].n_clusters)}


def test_planted_structure():
    spec = synthetic.SyntheticSpec(n_users=300, n_items=200, seed=0)
    events, _, truth = synthetic.generate(spec)
    events = events.sort_values(["user", "timestamp"], kind="stable")
    cluster = events["item"].map(truth.item_cluster).to_numpy()
    user = events["user"].to_numpy()
    time = events["timestamp"].to_numpy()
    same_user = (user[2:] == user[:-2])
    prev_gap = time[1:-1] - time[:-2]
    binge = same_user & (prev_gap < spec.threshold)
    nxt = events["item"].to_numpy()[2:]
    idx = np.array([int(i[1:]) for i in events["item"]])
    # successor = next item of the same cluster (items are assigned to clusters round-robin)
    successor = (idx[1:-1] + spec.n_clusters) % spec.n_items
    successor = np.where(successor % spec.n_clusters == idx[1:-1] % spec.n_clusters, successor,
                         idx[1:-1] % spec.n_clusters)
    hit = np.array([int(n[1:]) for n in nxt]) == successor
    assert hit[binge].mean() > 0.9 and hit[~binge & same_user].mean() < 0.2
    # favourites and preferred clusters get higher ratings
    fav = np.array([i in truth.favourites[u] for u, i in zip(events["user"], events["item"],
                                                             strict=True)])
    pref = cluster == events["user"].map(truth.preferred_cluster).to_numpy()
    rating = events["rating"].to_numpy()
    assert rating[pref & ~fav].mean() > rating[~pref & ~fav].mean() + 1.5
    assert rating[fav & ~pref].mean() > rating[~pref & ~fav].mean() + 0.5
