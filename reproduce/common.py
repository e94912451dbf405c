"""Pieces every reproduce script's table shares: where the repository and the papers' numbers are, running
every method on every dataset, our metric cells, the best method, a paired comparison and writing the table
beside the paper's numbers."""

import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from seqrec.datasets.protocols import ProtocolError
from seqrec.evaluation import cli, stats, tables
from seqrec.evaluation.runner import RunContext, set_seed

REPO = Path(__file__).resolve().parents[1]
REFERENCE = REPO / "paper_tables" / "reference"


def run_datasets(args, manifest, found: dict, prepare: Callable, methods: dict,
                 shown: tuple[str, ...] | None = None) -> tuple[dict, dict]:
    """Every method on every dataset found; returns ``(results, why)``.

    ``found`` maps a table's dataset label to the suite's dataset name (``None``: not present);
    ``prepare(label, name) -> (data, task)`` applies the paper's protocol and records the dataset in the
    manifest (a `ProtocolError` marks the dataset failed); ``methods`` maps a method's name to a factory.
    Each method is seeded, fitted (early stopping on validation only) and evaluated once on the test part;
    one that fails is recorded with its error and the others still run. ``results[label][method]`` is the
    test `RankingResult`, ``why[label]`` or ``why[(label, method)]`` the status of what did not run.
    ``shown``: the metrics printed in the progress lines (default all)."""
    progress = cli.Progress(max(1, len(methods) * sum(1 for n in found.values() if n)), "runs")
    results, why = {}, {}
    for label, name in found.items():
        if name is None:
            why[label] = "dataset not present"
            continue
        try:
            data, task = prepare(label, name)
        except ProtocolError as err:
            why[label] = f"failed: {str(err).splitlines()[0][:160]}"
            continue
        results[label] = {}
        for method_name, factory in methods.items():
            method = factory()
            set_seed(args.seed)
            start = time.perf_counter()
            try:
                info = method.fit(data, task, RunContext(args.seed, cli.logdir(args, name)))
                result = task.evaluate(method, data, "test")
            except Exception as err:  # a failed method must not hide the others' results
                traceback.print_exc(file=sys.stderr)
                why[(label, method_name)] = f"failed: {type(err).__name__}: {str(err)[:120]}"
                progress.step(f"{label} {method_name} (failed)")
                continue
            seconds = round(time.perf_counter() - start, 1)
            results[label][method_name] = result
            manifest.hyperparameters[f"{label}/{method_name}"] = {**method.hyperparameters, **(info or {}),
                                                                 "seconds": seconds}
            progress.step(f"{label} {method_name}: " + ", ".join(
                f"{k} {v:.4f}" for k, v in result.mean().items() if shown is None or k in shown)
                + f" ({seconds} s)")
    return results, why


def metric_key(metric: str) -> str:
    """The table's metric name (``HR@10``) as the evaluator's column (``hr@10``)."""
    return metric.lower()


def metric_cells(results: dict, metrics) -> dict:
    """``{(dataset, method, metric): value}`` of every run, for the table writer."""
    return {(label, method, metric): result.mean()[metric_key(metric)]
            for label, runs in results.items() for method, result in runs.items() for metric in metrics}


def best(runs: dict, key: str, exclude: str) -> str | None:
    """The method with the highest mean ``key`` among ``runs`` other than ``exclude``."""
    scores = {m: r.mean()[key] for m, r in runs.items() if m != exclude}
    return max(scores, key=scores.get) if scores else None


def compare(runs: dict, method: str, base: str, key: str):
    """``(relative improvement, paired t-test over users)`` of ``method`` over ``base`` on ``key``."""
    gain = stats.relative_improvement(runs[method].mean()[key], runs[base].mean()[key])
    return gain, stats.paired_ttest(runs[method].per_user()[key], runs[base].per_user()[key])


def write_table(args, manifest, stem: str, title: str, ours: dict, why: dict) -> None:
    """Close the manifest, write ``<out>/<stem>.{md,json}`` beside the paper's numbers and print it."""
    manifest.finish()
    reference = tables.load_reference(REFERENCE / f"{stem}.csv")
    cells = tables.build_cells(reference, ours, tables.statuses(why))
    md, _ = tables.write_table(cells, stem, args.out, manifest, title)
    print(md.read_text(encoding="utf-8"))
