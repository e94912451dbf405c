"""Ante-RNN's Figure 5 groups the test users by their number of training items (the scripts' smoke runs
check the rest)."""

import itertools

import numpy as np

from seqrec.experiments.ante_rnn import length_groups


def test_length_groups_cut_at_quantiles_name_their_range_and_leave_none_empty():
    lengths = np.array([16, 16, 17, 18, 20, 25, 30, 31, 40, 90, 120, 16])
    group, labels = length_groups(lengths, 4)
    assert len(labels) == 4 and group.min() == 0 and group.max() == 3
    assert labels[0].startswith("16-") and labels[-1].endswith("-120")
    for g, label in enumerate(labels):  # each label is its group's own range, groups ordered by length
        lo, hi = map(int, label.split("-"))
        assert lengths[group == g].min() == lo and lengths[group == g].max() == hi
    assert all(int(a.split("-")[1]) < int(b.split("-")[0]) for a, b in itertools.pairwise(labels))
    assert np.bincount(group).min() >= 2  # about as many users each
    same, labels = length_groups(np.full(7, 20), 4)  # one length: one group, not empty ones
    assert labels == ["20-20"] and not same.any()
