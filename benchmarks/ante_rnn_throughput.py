"""Ante-RNN training throughput on MovieLens latest-small with its posters (the `small` profile's data and
settings: D = 128, histories of 50, 60 words and 36 regions per item, window mode, its training loss).

Times ``--steps`` pre-materialised training batches (`seqrec.experiments.timing`) of Ante-RNN under each
attention setting and words per item asked for, and prints training behaviours per second (median,
minimum, every round) and the machine's load. Run it before and after a change of `seqrec.models.ante_rnn`
to measure the change.

    python benchmarks/ante_rnn_throughput.py --steps 10 --repeats 3 --settings T+C None --words 60 20
"""

import argparse
import dataclasses

import tensorflow as tf

from seqrec.datasets import load
from seqrec.experiments import ante_rnn as experiment
from seqrec.experiments import timing
from seqrec.experiments.pipeline import RunOptions
from seqrec.training import target_mean_cross_entropy


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data-dir", help="the raw datasets' folder, with movielens-1m-posters")
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--settings", nargs="+", default=["T+C"], choices=list(experiment.ATTENTION_SETTINGS))
    p.add_argument("--words", type=int, nargs="+", help="words kept per item text (default: the profile's)")
    args = p.parse_args()
    options = RunOptions(profile="small", data_dir=args.data_dir)
    small = experiment.PROFILES["small"]
    paper = experiment.DATASETS[0]
    interactions = load("movielens-latest-small", data_dir=args.data_dir)
    runs = {}
    for words in args.words or [small.words]:
        profile = dataclasses.replace(small, words=words)
        experiment.PROFILES["small"] = profile  # what the preparer reads
        prepare = experiment.preparer(options, with_content=True)
        prepared = prepare(paper, "movielens-latest-small", interactions)
        data = prepared.data
        for setting in args.settings:
            method = experiment.ante_rnn("Ante-RNN", prepared, profile, setting)
            model = method.model = method.build(data)
            method.keys = list(model.input_keys)
            model.compile(optimizer="adam", loss=target_mean_cross_entropy())
            batches = timing.materialise(method.train_dataset(data, 0), args.steps)
            behaviours = sum(float(tf.reduce_sum(w)) for _, _, w in batches)
            runs[f"Ante-RNN ({setting}), {words} words"] = timing.training_rate(model, batches, behaviours)
    print(f"{data.items.size - 1:,} items, {len(data.targets('train')):,} training behaviours; "
          f"D {small.dim}, histories of {small.max_len}, {small.grid ** 2} regions; {timing.load()}")
    print("\n".join(timing.report(timing.rounds(runs, args.repeats), "behaviours/s")))


if __name__ == "__main__":
    main()
