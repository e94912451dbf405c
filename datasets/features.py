"""Item side features as arrays aligned with an item vocabulary.

* **flat** (e.g. MovieLens genres): a multi-hot matrix [n_items, n_features];
* **hierarchy** (e.g. Amazon category paths): each item's path of category nodes from the root to the
  leaf, [n_items, depth] node indices, right-padded with 0. A node is identified by its whole path
  (``Clothing>Men`` and ``Shoes>Men`` are different nodes), and ``parents`` gives each node's parent.

Index 0 of the features (or nodes) means "none"; the padding item 0 and items without features get
an all-zero row.
"""

import dataclasses

import numpy as np
import pandas as pd

from .sequences import Vocabulary

SEPARATOR = ">"


@dataclasses.dataclass(frozen=True)
class ItemFeatures:
    """Side features of every item of a vocabulary.

    Attributes:
      structure: ``"flat"`` or ``"hierarchy"``.
      names: feature names (flat) or node paths joined by ``>`` (hierarchy); ``names[0]`` is "none".
      matrix: flat: float32 multi-hot [n_items, n_features]; hierarchy: int32 paths [n_items, depth].
      parents: hierarchy: int32 [n_nodes], the parent of each node (0 for a root); flat: empty.
    """

    structure: str
    names: np.ndarray
    matrix: np.ndarray
    parents: np.ndarray

    @property
    def size(self) -> int:
        """Number of features or nodes, including the "none" index 0."""
        return len(self.names)


def encode_item_features(items: pd.DataFrame, vocab: Vocabulary, structure: str) -> ItemFeatures:
    """Encode ``items['features']`` (tuples of str, indexed by item id) for the items of ``vocab``."""
    features = items["features"].reindex(vocab.tokens[1:]).map(
        lambda f: tuple(f) if isinstance(f, tuple | list) else ())
    if structure == "flat":
        names = np.array(["<none>", *sorted({f for fs in features for f in fs})], dtype=object)
        index = {name: k for k, name in enumerate(names)}
        matrix = np.zeros((vocab.size, len(names)), np.float32)
        for row, fs in enumerate(features, start=1):
            matrix[row, [index[f] for f in fs]] = 1.0
        matrix[:, 0] = 0.0
        return ItemFeatures("flat", names, matrix, np.zeros(0, np.int32))
    if structure != "hierarchy":
        raise ValueError(f"structure must be 'flat' or 'hierarchy', got {structure!r}")
    prefixes = [[SEPARATOR.join(fs[:k + 1]) for k in range(len(fs))] for fs in features]
    names = np.array(["<none>", *sorted({p for ps in prefixes for p in ps})], dtype=object)
    index = {name: k for k, name in enumerate(names)}
    depth = max((len(ps) for ps in prefixes), default=0)
    matrix = np.zeros((vocab.size, max(depth, 1)), np.int32)
    for row, ps in enumerate(prefixes, start=1):
        matrix[row, :len(ps)] = [index[p] for p in ps]
    parents = np.array([index.get(n.rpartition(SEPARATOR)[0], 0) if k else 0
                        for k, n in enumerate(names)], np.int32)
    return ItemFeatures("hierarchy", names, matrix, parents)


def item_categories(items: pd.DataFrame | None, vocab: Vocabulary,
                    structure: str) -> tuple[np.ndarray, np.ndarray]:
    """One category per item, for models that embed "the category of the item" (MTAM 5.1, ATRank):
    ``(ids int32 [n_items], names [n_categories])`` with id 0 "none" (the padding item, items without
    features, or no ``items`` table).

    The category is the item's first listed feature for a flat structure (MovieLens: its first genre,
    in the order the release lists them) and the leaf of its path for a hierarchy (Amazon: the most
    specific category, as the ATRank/MTAM authors' code takes the last element of the path; the node
    is named by its whole path).
    """
    if items is None or structure not in ("flat", "hierarchy"):
        return np.zeros(vocab.size, np.int32), np.array(["<none>"], dtype=object)
    features = items["features"].reindex(vocab.tokens[1:])
    picked = [(SEPARATOR.join(fs) if structure == "hierarchy" else fs[0])
              if isinstance(fs, tuple | list) and len(fs) else None for fs in features]
    names = np.array(["<none>", *sorted({c for c in picked if c is not None})], dtype=object)
    index = {name: k for k, name in enumerate(names)}
    ids = np.zeros(vocab.size, np.int32)
    ids[1:] = [index[c] if c is not None else 0 for c in picked]
    return ids, names
