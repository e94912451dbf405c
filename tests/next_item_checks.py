"""Shared data of the next-item model tests: short synthetic sequences that fit in one window."""

from seqrec.datasets import protocols
from seqrec.datasets.pipelines import SequenceData, sequence_dataset
from seqrec.datasets.synthetic import SyntheticSpec, generate


def short_sequences(max_len: int) -> SequenceData:
    """20 users with 5 to ``max_len + 1`` events each, after leave-last-out."""
    events, _, _ = generate(SyntheticSpec(n_users=20, n_items=40, min_length=5, max_length=max_len + 1,
                                          seed=3))
    return SequenceData.encode(protocols.leave_last_out(events))


def whole_windows(data: SequenceData, max_len: int) -> tuple:
    """``(table, windows)``: every event of every user, and each user's whole sequence in one
    right-padded window (as numpy arrays)."""
    table = data.history_tables(("train", "valid", "test"))[0]
    batch = next(iter(sequence_dataset(table, max_len=max_len, batch_size=100)))
    return table, {k: v.numpy() for k, v in batch.items()}
