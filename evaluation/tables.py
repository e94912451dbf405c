"""Paper tables regenerated: the paper's number beside ours, with the run manifest.

`write_table` produces ``<out>/<stem>.md`` and ``<out>/<stem>.json``. The markdown shows, per dataset
and method, the paper's number, ours and the difference for every metric, with our best in bold, under
a header with the run manifest. The JSON holds the manifest and the cells
``{"dataset", "method", "metric", "paper", "ours", "status"}``. Only cells with status ``ok`` carry our
number; every other cell says why it has none (`STATUSES`).
"""

import dataclasses
import json
import math
from collections.abc import Callable, Iterable
from pathlib import Path

import pandas as pd

from seqrec.datasets import atomic

from .figures import render_figure_markdown
from .manifest import Manifest, dataset_role

STATUSES = ("ok", "dataset not present", "not run in this profile", "not applicable: ", "failed: ")
LOWER_IS_BETTER = ("RMSE", "MAE", "RUNTIME", "SECONDS", "RATIO TO")


def lower_is_better(metric: str) -> bool:
    return metric.upper().startswith(LOWER_IS_BETTER)


@dataclasses.dataclass(frozen=True)
class Cell:
    """One number of a table: the paper's (as printed; ``None`` where the paper has none), ours and its
    standard error (``se``; None for a statistic row or where none was computed)."""

    dataset: str
    method: str
    metric: str
    paper: str | None
    ours: float | None
    status: str
    se: float | None = None

    def __post_init__(self):
        if not any(self.status == s or (s.endswith(": ") and self.status.startswith(s)
                                        and len(self.status) > len(s)) for s in STATUSES):
            raise ValueError(f"unknown status {self.status!r}; use one of {STATUSES}")
        if (self.status == "ok") != (self.ours is not None):
            raise ValueError(f"{self.dataset}/{self.method}/{self.metric}: only an 'ok' cell carries "
                             f"our number (status {self.status!r}, ours {self.ours!r})")
        if self.ours is not None and not math.isfinite(self.ours):
            raise ValueError(f"{self.dataset}/{self.method}/{self.metric}: our number is {self.ours}")


def load_reference(path: str | Path) -> pd.DataFrame:
    """A transcribed paper table: ``dataset, method, metric, value, mark, note`` (value as printed)."""
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def build_cells(reference: pd.DataFrame, ours: dict[tuple[str, str, str], float],
                status: Callable[[str, str, str], str] = lambda d, m, k: "not run in this profile",
                extra: Iterable[tuple[str, str, str]] = (),
                errors: dict[tuple[str, str, str], float] | None = None) -> list[Cell]:
    """Cells for every (dataset, method, metric) of the paper's table, plus ``extra`` ones we add.

    ``ours`` maps a cell to our number, ``errors`` to its standard error; a cell without our number gets
    ``status(dataset, method, metric)``.
    """
    errors = errors or {}
    keys = [tuple(k) for k in reference[["dataset", "method", "metric"]].to_numpy()]
    paper = {k: (v or None) for k, v in zip(keys, reference["value"], strict=True)}
    cells = []
    for key in [*keys, *[k for k in extra if k not in paper]]:
        number = ours.get(key)
        se = errors.get(key) if number is not None else None
        cells.append(Cell(*key, paper=paper.get(key), ours=None if number is None else float(number),
                          status="ok" if number is not None else status(*key),
                          se=None if se is None or se != se else float(se)))
    return cells


# rows of a paper's table that compare methods rather than being one; never marked as our best
STATISTIC_ROWS = ("improv.", "improvement", "p-value")


def _fmt(value: float | None, method: str = "") -> str:
    """Our number as the paper prints its kind: a p-value with 3 significant digits, an improvement in
    per cent with 2 decimals, a metric with 4."""
    if value is None:
        return ""
    if method == "p-value":
        return f"{value:.3g}"
    return f"{value:.2f}" if method in STATISTIC_ROWS else f"{value:.4f}"


def _comparable(manifest: dict) -> dict[str, bool]:
    """Per table dataset: whether our numbers may be set against the paper's (not on synthetic data)."""
    return {d["paper_dataset"]: not d["name"].startswith("synthetic") for d in manifest["datasets"]}


def _best(cells: list[Cell]) -> set[tuple[str, str, str]]:
    """Our best ok cell(s) per dataset and metric, respecting the metric's direction."""
    groups: dict[tuple[str, str], list[Cell]] = {}
    for c in cells:
        if c.status == "ok" and c.method not in STATISTIC_ROWS:
            groups.setdefault((c.dataset, c.metric), []).append(c)
    best = set()
    for (dataset, metric), group in groups.items():
        pick = min if lower_is_better(metric) else max
        target = pick(c.ours for c in group)
        best |= {(dataset, c.method, metric) for c in group if c.ours == target}
    return best


def render_markdown(cells: list[Cell], manifest: Manifest, title: str) -> str:
    m = manifest.to_dict()
    lines = [f"# {title}", "",
             f"Regenerated by `{m['command']}`: profile `{m['profile']}`, seed {m['seed']}, "
             f"wall time {m['wall_time_s']} s, started {m['started']}.", "",
             "Each metric shows the paper's number, ours (± its standard error: a bootstrap over users, "
             "1,000 replicates) and ours minus the paper's; **bold** is our best per dataset and metric. A "
             "cell without our number says why.", "",
             "## Run manifest", ""]
    for d in m["datasets"]:
        lines.append(f"- **{d['paper_dataset']}**: `{d['name']}` ({dataset_role(d)}); "
                     f"{d['users']:,} users, {d['items']:,} items, {d['interactions']:,} interactions; "
                     f"source {d['source']}; sha256 `{d['sha256'][:16]}…`")
    for name, protocol in m["protocols"].items():
        lines += [f"- protocol ({name}):", "", "  ```", *[f"  {p}" for p in protocol.splitlines()],
                  "  ```"]
    lines.append("- hyper-parameters:")
    lines += [f"  - {key}: `{json.dumps(value, sort_keys=True, default=str)}`"
              for key, value in m["hyperparameters"].items()]
    lines += [f"- versions: {', '.join(f'{k} {v}' for k, v in m['versions'].items())}",
              f"- hardware: {m['hardware']['processor']}, {m['hardware']['cpu_cores']} cores, "
              f"GPUs: {', '.join(m['hardware']['gpus']) or 'none'}"]
    lines += [f"- note: {n}" for n in m["notes"]]
    best = _best(cells)
    metrics = list(dict.fromkeys(c.metric for c in cells))
    index = {(c.dataset, c.method, c.metric): c for c in cells}
    comparable = _comparable(m)
    for dataset in dict.fromkeys(c.dataset for c in cells):
        header = ["method"] + [f"{k} {col}" for k in metrics for col in ("paper", "ours", "diff")]
        lines += ["", f"## {dataset}", ""]
        if not comparable.get(dataset, True):
            lines += ["Synthetic stand-in data: our numbers are not comparable with the paper's, so no "
                      "difference is shown.", ""]
        lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        for method in dict.fromkeys(c.method for c in cells if c.dataset == dataset):
            row = [method]
            for metric in metrics:
                c = index.get((dataset, method, metric))
                if c is None:
                    row += ["", "", ""]
                    continue
                ours = _fmt(c.ours, method) if c.status == "ok" else c.status
                if c.se is not None:
                    ours += f" ± {c.se:.4f}"
                if (dataset, method, metric) in best:
                    ours = f"**{ours}**"
                shown = c.status == "ok" and c.paper and comparable.get(dataset, True) and method != "p-value"
                diff = ""
                if shown:
                    diff = f"{c.ours - float(c.paper):+.2f}" if method in STATISTIC_ROWS else \
                        f"{c.ours - float(c.paper):+.4f}"
                row += [c.paper or "–", ours, diff]
            lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines) + "\n"


@dataclasses.dataclass
class TableOutput:
    """A regenerated paper table: every cell beside the paper's number, and the run's manifest."""

    stem: str
    title: str
    cells: list[Cell]
    manifest: Manifest

    def markdown(self) -> str:
        return render_markdown(self.cells, self.manifest, self.title)

    def write(self, out_dir: str | Path) -> list[Path]:
        """Write ``<out_dir>/<stem>.md`` and ``.json``; returns both paths."""
        return list(write_table(self.cells, self.stem, out_dir, self.manifest, self.title))


def write_table(cells: list[Cell], stem: str, out_dir: str | Path, manifest: Manifest,
                title: str) -> tuple[Path, Path]:
    """Write ``<out_dir>/<stem>.md`` and ``<out_dir>/<stem>.json``; returns both paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    md, js = out_dir / f"{stem}.md", out_dir / f"{stem}.json"
    payload = {"title": title, "manifest": manifest.to_dict(),
               "cells": [dataclasses.asdict(c) for c in cells]}
    atomic.write_text(js, json.dumps(payload, indent=1, default=str) + "\n")
    atomic.write_text(md, render_markdown(cells, manifest, title))
    return md, js


def render_saved(path: str | Path) -> str:
    """The markdown the current writers make of a saved table or figure (its ``.json``): compared with
    the saved ``.md`` it tells whether that was written by another version of the writer."""
    path = Path(path)
    payload = json.loads(path.read_text(encoding="utf-8"))
    if "cells" in payload:
        manifest = Manifest(**payload["manifest"])
        return render_markdown([Cell(**c) for c in payload["cells"]], manifest, payload["title"])
    return render_figure_markdown(pd.DataFrame.from_records(payload["rows"]), path.stem, payload["manifest"],
                                  payload["title"], payload.get("caption", ""))
