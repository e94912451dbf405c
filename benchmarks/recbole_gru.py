"""The suite's GRU against RecBole 1.2.1's GRU4Rec: quality and time to the best validation epoch, on the same
split of MovieLens 100k. Not run in CI: it needs RecBole and PyTorch beside seqrec, in its own environment::

    python3 -m venv /tmp/recbole && . /tmp/recbole/bin/activate
    pip install ".[cpu]" recbole==1.2.1 torch      # a CPU build of torch
    python benchmarks/recbole_gru.py --data-dir ../shared/data

Split and evaluation, the same for both: leave-last-out on every user's chronological sequence (the last
rating is the test target, the one before it the validation target, every earlier prefix a training
example: 97,171 training targets), histories of at most 50 items, the next item ranked among all items
with the user's earlier items excluded (a movie is rated once), Recall@20 and MRR@20, model selection on
validation MRR@20 with early stopping after 10 epochs without improvement (RecBole's ``stopping_step``),
at most ``--epochs`` epochs. RecBole's full-sort evaluation breaks ties by the sort (its own rule); the
suite's counts ties pessimistically.

Models, each framework's own GRU next-item model at the same sizes: item embeddings of 64
(RecBole's default; ``--dim``), a GRU of 128 units (RecBole) or 64 (the suite's `MTAM` with 0 hops has one
size), dropout 0.3 on the embeddings, softmax cross-entropy over all items, Adam with learning rate 1e-3.
RecBole trains on batches of 2,048 prefixes (its default); the suite in window mode (one pass per chunk of
50 events predicts every position, ``--window-batch`` chunks per batch).

Prints one line per epoch (seconds so far, validation MRR@20, machine load), then, per framework: epochs
run, best epoch, seconds to the best validation epoch and in all, and test Recall@20 / MRR@20 with their
standard errors over users; then the ratio of the times. ``--time-limit`` stops RecBole's training after
that many seconds (its best epoch so far is then tested, and the report says it was stopped).
"""

import argparse
import contextlib
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from seqrec.datasets import load, protocols
from seqrec.datasets.pipelines import SequenceData
from seqrec.evaluation.tasks import NextItemTask
from seqrec.models import MTAM
from seqrec.training import FitContext, KerasNextItem, next_item_model, set_seed


def suite_gru(data: SequenceData, args) -> dict:
    task = NextItemTask(ks=(20,), batch_size=512, exclude_seen=True, monitor="mrr@20")

    def build(d):
        return next_item_model(MTAM, d, categories=False, dim=args.dim, hops=0, unit="gru", memory_len=50,
                               dropout=0.3, l2=0.0, all_positions=True)

    method = KerasNextItem("GRU", build, max_len=50, batch_size=args.window_batch * 50, epochs=args.epochs,
                           learning_rate=1e-3, patience=10, windows=True, window_batch=args.window_batch)
    seen = []
    start = time.perf_counter()

    def validate():
        score = task.validation_score(method, data)
        seen.append((time.perf_counter() - start, score))
        progress("seqrec", seen)
        return score

    set_seed(args.seed)
    info = method.fit(data, FitContext(args.seed, validate=validate, monitor="mrr@20"))
    total = time.perf_counter() - start
    test = task.evaluate(method, data, "test")
    best = int(np.argmax([s for _, s in seen]))
    return {"epochs": info["epochs_run"], "best_epoch": best + 1, "seconds_to_best": seen[best][0],
            "seconds": total, "rows": test.rows}


def recbole_gru(events: pd.DataFrame, args) -> dict:
    # RecBole 1.2.1 aliases NumPy 1 names that NumPy 2 (which seqrec needs) removed; give them back
    for name, kind in (("float_", np.float64), ("complex_", np.complex128), ("unicode_", np.str_)):
        if not hasattr(np, name):
            setattr(np, name, kind)
    import torch
    from recbole.config import Config
    from recbole.data import create_dataset, data_preparation
    from recbole.model.sequential_recommender import GRU4Rec
    from recbole.trainer import Trainer
    from recbole.utils import init_seed

    folder = Path(tempfile.mkdtemp()) / "seqrec_ml100k"
    folder.mkdir(parents=True)
    # the events in the suite's order (user, time, item id), with each user's position as the time so that
    # RecBole's split keeps ties in time in that order
    atomic = pd.DataFrame({"user_id:token": events["user"], "item_id:token": events["item"],
                           "timestamp:float": events.groupby("user", sort=False).cumcount()})
    atomic.to_csv(folder / "seqrec_ml100k.inter", sep="\t", index=False)
    config = Config(model="GRU4Rec", dataset="seqrec_ml100k", config_dict={
        "data_path": str(folder.parent), "load_col": {"inter": ["user_id", "item_id", "timestamp"]},
        "MAX_ITEM_LIST_LENGTH": 50, "loss_type": "CE", "train_neg_sample_args": None,
        "eval_args": {"split": {"LS": "valid_and_test"}, "order": "TO", "group_by": "user", "mode": "full"},
        "metrics": ["Recall", "MRR"], "topk": [20], "valid_metric": "MRR@20", "epochs": args.epochs,
        "stopping_step": 10, "embedding_size": args.dim, "hidden_size": 128, "dropout_prob": 0.3,
        "learning_rate": 1e-3, "seed": args.seed, "reproducibility": True, "device": "cpu", "use_gpu": False,
        "show_progress": False, "checkpoint_dir": str(folder / "saved"), "log_wandb": False})
    init_seed(config["seed"], config["reproducibility"])
    torch.set_num_threads(max(1, torch.get_num_threads()))
    dataset = create_dataset(config)
    train, valid, test = data_preparation(config, dataset)
    model = GRU4Rec(config, train.dataset).to(config["device"])
    trainer = Trainer(config, model)
    seen, best_state = [], {}

    class TimeLimit(Exception):
        pass

    def keep_best(epoch, score):  # the best epoch's weights, in memory (RecBole's checkpoint file does not
        seen.append((time.perf_counter() - start, score))  # load under PyTorch >= 2.6's weights_only)
        progress("RecBole", seen)
        if score >= max(s for _, s in seen):
            best_state.update({k: v.detach().clone() for k, v in model.state_dict().items()})
        if args.time_limit and seen[-1][0] > args.time_limit:
            raise TimeLimit

    start = time.perf_counter()
    stopped_by = "RecBole's early stopping or the epoch cap"
    try:
        trainer.fit(train, valid, verbose=False, saved=False, callback_fn=keep_best)
    except TimeLimit:
        stopped_by = f"the time limit of {args.time_limit:,.0f} s"
    total = time.perf_counter() - start
    model.load_state_dict(best_state)
    result = trainer.evaluate(test, load_best_model=False, show_progress=False)
    best = int(np.argmax([s for _, s in seen]))
    return {"epochs": len(seen), "best_epoch": best + 1, "seconds_to_best": seen[best][0], "seconds": total,
            "recall@20": float(result["recall@20"]), "mrr@20": float(result["mrr@20"]),
            "training_targets": len(train.dataset), "stopped_by": stopped_by}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data-dir", help="the folder holding movielens-100k/ (default $SEQREC_DATA_DIR)")
    p.add_argument("--epochs", type=int, default=200)
    p.add_argument("--dim", type=int, default=64)
    p.add_argument("--window-batch", type=int, default=5)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--time-limit", type=float, help="stop RecBole's training after this many seconds")
    args = p.parse_args()
    interactions = load("movielens-100k", data_dir=args.data_dir)
    split = protocols.leave_last_out(interactions.events)
    data = SequenceData.encode(split, interactions)
    print(f"movielens-100k, leave-last-out: {len(data.targets('train')):,} training targets, "
          f"{len(data.targets('test')):,} test targets")
    ours = suite_gru(data, args)
    rows = ours.pop("rows")
    for metric in ("recall@20", "mrr@20"):
        values = rows[metric].to_numpy()
        ours[metric] = float(values.mean())
        ours[f"{metric} standard error"] = float(values.std(ddof=1) / np.sqrt(len(values)))
    report("seqrec GRU (window mode)", ours)
    with tempfile.TemporaryDirectory() as scratch, contextlib.chdir(scratch):
        theirs = recbole_gru(split.events(), args)  # RecBole writes log_tensorboard/ into the working folder
    report("RecBole 1.2.1 GRU4Rec", theirs)
    print(f"time to the best validation epoch, RecBole / seqrec: "
          f"{theirs['seconds_to_best'] / ours['seconds_to_best']:.1f}x")


def progress(name: str, seen: list) -> None:
    """One line per epoch, so that a run cut short by its time limit still shows how far it got."""
    seconds, score = seen[-1]
    print(f"{name} epoch {len(seen)}: {seconds:,.0f} s, validation MRR@20 {score:.4f}, "
          f"load {os.getloadavg()[0]:.1f}", flush=True)


def report(name: str, result: dict) -> None:
    print(f"{name}: " + ", ".join(f"{k} {v:,.4f}" if isinstance(v, float) else f"{k} {v}"
                                  for k, v in result.items()), flush=True)


if __name__ == "__main__":
    main()
