"""Per-epoch checkpoints (`seqrec.training.checkpoints`): each trainer's model family resumed after an
interrupted epoch ends with the weights and validation curve of a fit never interrupted
(`tests/resumed_fits.py`, in a process of its own), a fit killed with SIGKILL mid-epoch resumes to the
same weights, and a training pipeline's epoch k is the same whether its iteration started at epoch 0 or
at k."""

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from seqrec.datasets import load, protocols
from seqrec.datasets.pipelines import EpochClock, SequenceData, lane_dataset, next_item_dataset

SCRIPT = Path(__file__).with_name("resumed_fits.py")
KILLED = "MTAM (KerasNextItem)"


def _rows(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


@pytest.fixture(scope="module")
def resumed(tmp_path_factory):
    folder = tmp_path_factory.mktemp("resumed")
    out = subprocess.run([sys.executable, str(SCRIPT), "families", str(folder)], capture_output=True,
                         text=True, timeout=900)
    assert out.returncode == 0, out.stderr[-3000:]
    return {row["family"]: row for row in _rows(out.stdout)}


def test_every_family_resumes_to_the_weights_and_curve_of_an_uninterrupted_fit(resumed):
    assert len(resumed) == 5
    for family, row in resumed.items():
        full, interrupted, again = row["full"], row["interrupted"], row["resumed"]
        assert interrupted["epochs_run"] <= 2 and interrupted["valid"] == full["valid"][:2], family
        assert again["weights"] == full["weights"], family
        assert again["valid"] == full["valid"] and again["epochs_run"] == full["epochs_run"], family
    # most fits' third epoch changed the weights, so those resumed fits ran it (an early stop, or a best
    # epoch before the cut, leaves the rest with the interrupted fit's weights)
    changed = [f for f, row in resumed.items() if row["interrupted"]["weights"] != row["full"]["weights"]]
    assert len(changed) >= 3, changed


def test_a_fit_killed_mid_epoch_resumes_to_the_same_weights(resumed, tmp_path):
    command = [sys.executable, str(SCRIPT), "one", KILLED, str(tmp_path)]
    killed = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    deadline = time.monotonic() + 600
    while not (tmp_path / "epoch.npz").exists() and killed.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    time.sleep(0.2)  # into the second epoch
    killed.send_signal(signal.SIGKILL)
    assert killed.wait(60) == -signal.SIGKILL and not _rows(killed.stdout.read())
    with np.load(tmp_path / "epoch.npz") as saved:
        assert len(json.loads(str(saved["meta"]))["logs"]) < 3  # killed before the last epoch ended
    done = subprocess.run(command, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    (row,) = _rows(done.stdout)
    assert row["weights"] == resumed[KILLED]["full"]["weights"]
    assert row["valid"] == resumed[KILLED]["full"]["valid"]


@pytest.fixture(scope="module")
def data():
    split = protocols.mtam(load("synthetic-small").events, min_user=2, min_item=1)
    return SequenceData.encode(split, load("synthetic-small"))


def _orders(make, passes: int) -> list[np.ndarray]:
    ds = make()
    return [np.concatenate([np.asarray(b["user"]) for b in ds]) for _ in range(passes)]


def test_a_pipeline_iterated_from_epoch_k_serves_epoch_ks_order(data):
    targets = data.targets("train")
    table = data.history_tables(("train",))[0]
    makers = {
        "prefixes": lambda clock: next_item_dataset(
            data.by_user, targets, max_len=5, batch_size=64, shuffle=True, seed=3, clock=clock,
            sampler=data.negative_sampler(), n_negatives=2),
        "lanes": lambda clock: lane_dataset(table, lanes=4, steps=5, seed=3, clock=clock),
    }
    for name, make in makers.items():
        first, second = _orders(lambda make=make: make(EpochClock()), 2)
        assert not np.array_equal(first, second), name  # reshuffled every pass
        (resumed,) = _orders(lambda make=make: make(EpochClock(1)), 1)
        np.testing.assert_array_equal(resumed, second, err_msg=name)
    negatives = [np.concatenate([np.asarray(b["negatives"]) for b in makers["prefixes"](EpochClock(1))])
                 for _ in range(2)]
    np.testing.assert_array_equal(*negatives)  # the same epoch draws the same negatives
