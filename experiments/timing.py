"""Timing protocol shared by the benchmarks: pre-materialised batches fed without tf.data's autotuner,
models timed in interleaved rounds on the same batches, and a report of every round, the median, the
minimum and the machine's load.

With autotuning on, rounds of different models snapped to the same durations (the tuner's choices, not
the models'); the batches here are assembled once, before any timing, and replayed from memory.
"""

import os
import statistics
import time
from collections.abc import Callable, Mapping

import tensorflow as tf


def materialise(dataset: tf.data.Dataset, n: int) -> list:
    """The first ``n`` batches of ``dataset``, assembled now (the timing then excludes the pipeline)."""
    return [tf.nest.map_structure(tf.identity, b) for b in dataset.take(n)]


def replay(batches: list) -> tf.data.Dataset:
    """``batches`` as a dataset of known length, served from memory with autotuning off."""
    ds = tf.data.Dataset.from_generator(lambda: iter(batches), output_signature=tf.nest.map_structure(
        tf.TensorSpec.from_tensor, batches[0]))
    options = tf.data.Options()
    options.autotune.enabled = False
    return ds.apply(tf.data.experimental.assert_cardinality(len(batches))).with_options(options)


def rounds(runs: Mapping[str, Callable[[], float]], repeats: int,
           warm_up: bool = True) -> dict[str, list[float]]:
    """Each of ``runs`` (name -> a function returning a rate) once per round, ``repeats`` rounds, in turn,
    so that drifts in machine load hit every run alike; one untimed call of each first (compilation,
    caches) when ``warm_up``."""
    if warm_up:
        for run in runs.values():
            run()
    out = {name: [] for name in runs}
    for _ in range(repeats):
        for name, run in runs.items():
            out[name].append(run())
    return out


def timed(work: Callable[[], object], units: float) -> float:
    """``units`` per second of one call of ``work``."""
    start = time.perf_counter()
    work()
    return units / (time.perf_counter() - start)


def training_rate(model, batches: list, units: float) -> Callable[[], float]:
    """A run for `rounds`: ``units`` (e.g. training targets) per second of one ``model.fit`` pass over
    ``batches`` (`replay`)."""
    return lambda: timed(lambda: model.fit(replay(batches), verbose=0, shuffle=False), units)


def load() -> str:
    """The machine's 1-minute load average and its core count (what else was running)."""
    return f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores"


def report(results: Mapping[str, list[float]], unit: str, base: str | None = None) -> list[str]:
    """One line per run: median and minimum rate over the rounds, the ratio of medians to ``base``, and
    every round."""
    reference = statistics.median(results[base]) if base else None
    lines = []
    for name, rates in results.items():
        median = statistics.median(rates)
        ratio = f"   ratio {median / reference:.2f}" if reference else ""
        lines.append(f"{name:44s} median {median:10,.0f} {unit}   min {min(rates):10,.0f}{ratio}   "
                     f"(rounds: {', '.join(f'{r:,.0f}' for r in rates)})")
    return lines

