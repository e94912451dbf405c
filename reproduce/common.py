"""Pieces every reproduce script's table shares: where the repository and the papers' numbers are, our
metric cells, the best method, a paired comparison and writing the table beside the paper's numbers."""

from pathlib import Path

from seqrec.evaluation import stats, tables

REPO = Path(__file__).resolve().parents[1]
REFERENCE = REPO / "paper_tables" / "reference"


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
