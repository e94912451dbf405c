"""DMRAN against DMRAN_Item on a planted set where the next item is put together from one aspect of each
of two earlier items (issue 15: "the next item depends on one aspect (feature dimension) of earlier
items: DMRAN must beat DMRAN_Item on it").

**The planted set.** An item is a pair of aspects ``(a, b)``, ``a, b in {0..5}`` (36 items, no item
features: the model must find the aspects in its embeddings). Every user has blocks of three events,
1.5 days apart, each block 20 days after the previous one: two random items ``x1 = (a1, b1)``,
``x2 = (a2, b2)``, then ``(a1, b2)``: aspect ``a`` of the item two steps back and aspect ``b`` of the
latest one. The steps are told apart by the day buckets of the time signal (1.5 days: bucket 1, 3 days:
bucket 2, the previous block: bucket 5). Leave-last-out: the last block's composed item is the test
target. Scoring candidates by the aspects of the recent items without binding each aspect to its item
ranks four items at the top (``{a1, a2} x {b1, b2}``); only the composed item is right.

**The comparison.** Both variants with the same seed, the same settings and the same small budget
(no validation: the validation target, ``x2``, is random), scored by the test AUC against every item the
user never interacted with. One head in the candidate attentions, so that DMRAN_Item's reading of its
rows is the one-dimensional attention the paper contrasts (section 1: one scalar per item for all its
dimensions); DMRAN adds the feature-level self-attention, its residual block and the fusion gate.

**What the margin measures** (measured while writing this test, this budget, seeds 0-9): DMRAN's test
AUC 0.75-0.93, DMRAN_Item's 0.49-0.64, DMRAN ahead by 0.19-0.39 on every seed (seed 0: 0.84 against
0.58). It is a margin in speed of learning, not in what the models can represent: with 30 epochs
both level off at 0.94 (seed 0), and DMRAN with its feature-level self-attention replaced by zeros
learns as fast as DMRAN (seeds 0, 2, 3: 0.82, 0.94, 0.73 against 0.84, 0.93, 0.78), so the lead comes from
DMRAN's second branch (its rows through a residual feed-forward block, a second candidate attention, the
fusion gate) more than from the per-dimension weights of Eq. 9-13.
"""

import numpy as np
import pandas as pd

from seqrec.datasets import protocols
from seqrec.datasets.pipelines import SequenceData
from seqrec.evaluation.tasks import NextItemTask
from seqrec.models.dmran import variant
from seqrec.training import FitContext, KerasCandidate, next_item_model, set_seed

DAY = 86400
SEED = 0


def composed_aspects(n_users: int = 300, values: int = 6, blocks: int = 4, seed: int = 0) -> pd.DataFrame:
    """Events of the planted set (see the module docstring): per block ``(a1, b1), (a2, b2), (a1, b2)``."""
    rng = np.random.default_rng(seed)
    aspects = rng.integers(0, values, (n_users, blocks, 2, 2))  # [user, block, item x1/x2, aspect a/b]
    composed = np.stack([aspects[:, :, 0, 0], aspects[:, :, 1, 1]], -1)[:, :, None]
    pairs = np.concatenate([aspects, composed], 2).reshape(n_users, blocks * 3, 2)
    steps = np.arange(blocks * 3)
    offsets = (steps // 3 + 1) * 20 * DAY + steps * int(1.5 * DAY)
    start = 1_500_000_000 + rng.integers(0, 10**7, n_users)
    return pd.DataFrame({
        "user": np.repeat([f"u{u}" for u in range(n_users)], blocks * 3),
        "item": [f"i{a}{b}" for a, b in pairs.reshape(-1, 2)],
        "rating": 1.0,
        "timestamp": (start[:, None] + offsets[None, :]).reshape(-1),
    })


def test_the_composed_item_follows_its_two_sources():
    events = composed_aspects(n_users=3, blocks=2)
    first = events[events["user"] == "u0"]["item"].tolist()
    for block in (first[:3], first[3:]):
        assert block[2] == f"i{block[0][1]}{block[1][2]}"
    gaps = np.diff(events[events["user"] == "u0"]["timestamp"]) / DAY
    np.testing.assert_allclose(gaps, [1.5, 1.5, 21.5, 1.5, 1.5])


def test_dmran_beats_dmran_item_on_composed_aspects():
    data = SequenceData.encode(protocols.leave_last_out(composed_aspects(seed=SEED)))
    task = NextItemTask(ks=(10,), with_auc=True, exclude_seen=True, monitor="auc")
    auc = {}
    for name in ("DMRAN", "DMRAN_Item"):
        def build(d, name=name):
            return next_item_model(lambda n, c, **k: variant(name, n, c, **k), d, rows=2, heads=1,
                                   item_dim=16, category_dim=16)

        method = KerasCandidate(name, build, max_len=4, epochs=10, drop=None, patience=10, item_chunk=64)
        set_seed(SEED)
        method.fit(data, FitContext(SEED))
        auc[name] = task.evaluate(method, data, "test").mean()["auc"]
    assert auc["DMRAN"] > 0.7, auc  # learnt the planted structure (0.5: none of it)
    assert auc["DMRAN"] > auc["DMRAN_Item"] + 0.1, auc
