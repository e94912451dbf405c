"""Item features encoded as multi-hot rows (flat) or root-to-leaf node paths (hierarchy)."""

import numpy as np
import pandas as pd
import pytest

from seqrec.datasets.features import encode_item_features
from seqrec.datasets.sequences import Vocabulary


@pytest.fixture
def items():
    return pd.DataFrame({"features": [("Action", "Drama"), (), ("Drama",)]}, index=["a", "b", "c"])


def test_flat_multi_hot(items):
    vocab = Vocabulary.fit(["a", "b", "c", "d"])  # d has no metadata
    f = encode_item_features(items, vocab, "flat")
    assert list(f.names) == ["<none>", "Action", "Drama"]
    assert f.matrix.tolist() == [[0, 0, 0], [0, 1, 1], [0, 0, 0], [0, 0, 1], [0, 0, 0]]


def test_hierarchy_paths_and_parents():
    items = pd.DataFrame({"features": [("Clothing", "Men", "Shoes"), ("Shoes", "Men"), ("Clothing",)]},
                         index=["x", "y", "z"])
    vocab = Vocabulary.fit(["x", "y", "z"])
    f = encode_item_features(items, vocab, "hierarchy")
    names = list(f.names)
    assert f.matrix.shape == (4, 3)
    path_x = [names[k] for k in f.matrix[1]]
    assert path_x == ["Clothing", "Clothing>Men", "Clothing>Men>Shoes"]
    assert [names[k] for k in f.matrix[2] if k] == ["Shoes", "Shoes>Men"]
    assert f.matrix[3].tolist()[1:] == [0, 0] and (f.matrix[0] == 0).all()
    # a node's parent is its path without the last part; the two "Men" nodes differ
    men = names.index("Clothing>Men")
    assert names[f.parents[men]] == "Clothing" and names.index("Shoes>Men") != men
    assert f.parents[names.index("Clothing")] == 0
    with pytest.raises(ValueError):
        encode_item_features(items, vocab, "tree")
    assert np.array_equal(f.matrix[1] > 0, [True, True, True])
