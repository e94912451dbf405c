"""The one experiment pipeline of every table and figure, in one direction:

    paper dataset -> dataset present (or a stand-in) -> protocol -> encoded data + evaluation task
      -> for each method: seed, fit (selection on validation only; a grid of settings optionally),
         evaluate once on test -> `Results` -> a table beside the paper's numbers, or a figure

A paper module (`seqrec.experiments.iarn`, `mtam`, `usergru`) is configuration: its datasets and their
stand-ins, its protocol (``prepare``), its methods (`MethodSpec`), its profiles; it calls `run` and turns
the `Results` into a `TableOutput` (`paper_table`) or a `FigureOutput`.
"""

import dataclasses
import itertools
import logging
import sys
import time
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd
from tqdm import tqdm

from seqrec import reference
from seqrec.datasets import Interactions, ProtocolError, first_loadable, load
from seqrec.datasets.pipelines import SequenceData
from seqrec.datasets.protocols import Split
from seqrec.evaluation import stats, tables
from seqrec.evaluation.manifest import Manifest
from seqrec.training import FitContext, Method, set_seed

log = logging.getLogger(__name__)
PROFILES = ("smoke", "small", "paper")


@dataclasses.dataclass(frozen=True)
class RunOptions:
    """What every reproduction takes (the shared command line, `seqrec.experiments.cli`).

    Attributes:
      profile: ``smoke`` (seconds, synthetic data), ``small`` (minutes on a CPU, real data present) or
        ``paper`` (the paper's datasets and settings).
      data_dir: the raw datasets' folder (default ``$SEQREC_DATA_DIR`` or ``~/seqrec_data``).
      datasets: the paper datasets to run, by the table's labels (default: every one present).
      seed: seeds every method's fit (and the protocol's sampling).
      logdir: TensorBoard folder (scalars per epoch, hyper-parameters), or None.
      deterministic: deterministic TensorFlow ops (slower, bit-identical reruns).
      verbose: Keras' verbosity.
    """

    profile: str = "small"
    data_dir: str | None = None
    datasets: tuple[str, ...] | None = None
    seed: int = 0
    logdir: str | None = None
    deterministic: bool = False
    verbose: int = 0

    def __post_init__(self):
        if self.profile not in PROFILES:
            raise ValueError(f"profile must be one of {PROFILES}, got {self.profile!r}")
        if self.datasets is not None:
            object.__setattr__(self, "datasets", tuple(self.datasets))


@dataclasses.dataclass(frozen=True, kw_only=True)
class PaperDataset:
    """A dataset of a paper's table: its label there, the suite's name for it, and the datasets that may
    stand in for it when it is absent (the output then says it used a stand-in). Papers subclass it with
    their protocol's settings."""

    label: str
    own: str
    substitutes: tuple[str, ...] = ()

    @property
    def candidates(self) -> tuple[str, ...]:
        return (self.own, *self.substitutes)

    def find(self, data_dir=None) -> str | None:
        """The first candidate that can be loaded without a download, or None."""
        return first_loadable(self.candidates, data_dir)

    def is_substitute(self, name: str) -> bool:
        """Whether ``name`` stands in for the paper's dataset (synthetic data always does)."""
        return name != self.own or name.startswith("synthetic")


@dataclasses.dataclass
class Prepared:
    """A paper dataset after its protocol: the encoded data, the task that evaluates methods on it, the
    notes the manifest gets, and the TensorBoard sub-folder of its runs."""

    paper: PaperDataset
    name: str
    interactions: Interactions
    split: Split
    data: SequenceData
    task: Any
    notes: list[str] = dataclasses.field(default_factory=list)
    folder: str = ""

    @property
    def label(self) -> str:
        return self.paper.label

    @property
    def substitute(self) -> bool:
        return self.paper.is_substitute(self.name)


@dataclasses.dataclass(frozen=True)
class MethodSpec:
    """A row of a table: ``build(**point)`` makes the method for one point of ``grid`` (the empty grid
    has one point); ``requires(prepared)`` says why the method does not apply to a dataset (None: it
    does)."""

    name: str
    build: Callable[..., Method]
    grid: Mapping[str, Sequence] = dataclasses.field(default_factory=dict)
    requires: Callable[[Prepared], str | None] | None = None


@dataclasses.dataclass
class Run:
    """One method fitted on one dataset: the fitted method, its test result (`RankingResult` or
    `RatingResult`), what its fit reported (and the grid it was selected from), and seconds."""

    method: Method
    test: Any
    info: dict
    seconds: float


def _value(means: dict, metric: str) -> float | None:
    """A metric of ``result.mean()`` by the table's name (``HR@10``) or the evaluator's (``hr@10``)."""
    return means.get(metric, means.get(metric.lower()))


@dataclasses.dataclass
class Results:
    """Every run of an experiment, and why each dataset or method that has no run has none.

    ``runs[dataset][method]`` is a `Run`; ``skipped[(dataset, None)]`` says why a whole dataset did not
    run, ``skipped[(dataset, method)]`` why one method did not (`status`).
    """

    prepared: dict[str, Prepared] = dataclasses.field(default_factory=dict)
    runs: dict[str, dict[str, Run]] = dataclasses.field(default_factory=dict)
    skipped: dict[tuple[str, str | None], str] = dataclasses.field(default_factory=dict)

    def status(self, dataset: str, method: str | None = None, metric: str | None = None) -> str:
        """``"ok"`` for a run, else a table status (`seqrec.evaluation.tables.STATUSES`)."""
        if method in self.runs.get(dataset, {}):
            return "ok"
        return (self.skipped.get((dataset, method)) or self.skipped.get((dataset, None))
                or "not run in this profile")

    def mean(self, dataset: str, method: str, metric: str) -> float | None:
        """The mean test ``metric`` of a run (None when there is no run or no such metric)."""
        run = self.runs.get(dataset, {}).get(method)
        return None if run is None else _value(run.test.mean(), metric)

    def cells(self, metrics: Iterable[str]) -> dict[tuple[str, str, str], float]:
        """``{(dataset, method, metric): mean}`` of every run that has the metric (for `paper_table`)."""
        out = {}
        for dataset, runs in self.runs.items():
            for method in runs:
                for metric in metrics:
                    value = self.mean(dataset, method, metric)
                    if value is not None:
                        out[(dataset, method, metric)] = value
        return out

    def errors(self, metrics: Iterable[str]) -> dict[tuple[str, str, str], float]:
        """``{(dataset, method, metric): standard error}`` of the numbers of `cells` (a bootstrap over
        users, `seqrec.evaluation.stats.standard_error`)."""
        out = {}
        for dataset, runs in self.runs.items():
            for method, run_ in runs.items():
                errors = run_.test.standard_errors()
                for metric in metrics:
                    value = _value(errors, metric)
                    if value is not None:
                        out[(dataset, method, metric)] = value
        return out

    def per_user(self, dataset: str, method: str) -> pd.DataFrame:
        """users x metrics of a run (the unit of paired tests)."""
        return self.runs[dataset][method].test.per_user()

    def best(self, dataset: str, metric: str, exclude: Iterable[str] = (), lower: bool = False) -> str | None:
        """The method with the best mean ``metric`` on ``dataset`` among those not in ``exclude``."""
        scores = {m: self.mean(dataset, m, metric) for m in self.runs.get(dataset, {}) if m not in exclude}
        scores = {m: v for m, v in scores.items() if v is not None}
        if not scores:
            return None
        return (min if lower else max)(scores, key=scores.get)

    def compare(self, dataset: str, method: str, base: str, metric: str,
                lower: bool = False) -> tuple[float, stats.TTest]:
        """``(relative improvement, paired t-test over users)`` of ``method`` over ``base``; the per-user
        column is ``metric`` as the evaluator names it."""
        ours_mean, base_mean = self.mean(dataset, method, metric), self.mean(dataset, base, metric)
        gain = stats.relative_improvement(ours_mean, base_mean, lower_is_better=lower)
        return gain, self.paired_test(dataset, method, base, metric)[0]

    def paired_test(self, dataset: str, first: str, second: str, metric: str) -> tuple[stats.TTest, str]:
        """The paired t-test over users of two runs on ``metric`` and the per-user column it read (the
        evaluator's name; RMSE and MAE are tested on per-user squared and absolute errors)."""
        ours, theirs = self.per_user(dataset, first), self.per_user(dataset, second)
        column = {"RMSE": "SE", "MAE": "AE"}.get(metric, metric if metric in ours else metric.lower())
        return stats.paired_ttest(ours[column], theirs[column]), column

    def verdict(self, dataset: str, claim: str, first: str, second: str, metric: str, lower: bool = False,
                alpha: float = 0.05) -> str:
        """One line on a paper's claim that ``first`` beats ``second`` on ``metric`` of ``dataset``:
        *reproduced* when our paired t-test over users (two-sided) finds the difference in the claimed
        direction at level ``alpha``, *not reproduced* when it finds it in the other direction, *cannot
        tell* when it finds neither (or a method did not run). RMSE is tested on per-user squared
        errors."""
        runs = self.runs.get(dataset, {})
        if first not in runs or second not in runs:
            missing = [m for m in (first, second) if m not in runs]
            return f"{dataset}: {claim}: cannot tell ({', '.join(missing)} not run)"
        test, column = self.paired_test(dataset, first, second, metric)
        better = test.mean_difference < 0 if lower else test.mean_difference > 0
        word = ("cannot tell" if not test.p_value < alpha else "reproduced" if better else "not reproduced")
        return (f"{dataset}: {claim}: {word} ({first} {self.mean(dataset, first, metric):.4f} vs {second} "
                f"{self.mean(dataset, second, metric):.4f} {metric} in the table; "
                + test.describe(first, second, "per-user " + {"SE": "squared error", "AE": "absolute error"}
                                .get(column, column)) + ")")

    def skipped_notes(self) -> list[str]:
        """A manifest note for every dataset or method that did not run."""
        return [f"{dataset}{'' if method is None else ' / ' + method}: {why}"
                for (dataset, method), why in self.skipped.items()]


class Progress:
    """A progress bar over the runs of an experiment, with a line per finished run."""

    def __init__(self, label: str = "runs"):
        self.bar = tqdm(total=0, unit=label, dynamic_ncols=True, file=sys.stderr)

    def plan(self, steps: int) -> None:
        self.bar.total += steps
        self.bar.refresh()

    def step(self, what: str) -> None:
        tqdm.write(what, file=sys.stderr)
        self.bar.update(1)

    def close(self) -> None:
        self.bar.close()


def grid_points(grid: Mapping[str, Sequence]) -> list[dict]:
    """Every combination of a hyper-parameter grid (one point for an empty grid)."""
    keys = list(grid)
    return [dict(zip(keys, values, strict=True)) for values in itertools.product(*grid.values())]


def fit_context(method: Method, data: SequenceData, task, options: RunOptions,
                folder: str | None = None) -> FitContext:
    """The fit context of ``method`` on ``data``: the seed, the TensorBoard folder (``logdir/folder``)
    and the validation score of ``task`` (`task.selection`, `task.validation_score`), which a trainer
    calls after every epoch."""
    metric, mode = task.selection(method)
    logdir = Path(options.logdir) / folder if options.logdir and folder else None
    return FitContext(options.seed, logdir, options.verbose,
                      validate=lambda: task.validation_score(method, data), monitor=metric, mode=mode)


def fit(method: Method, data: SequenceData, task, options: RunOptions | None = None,
        folder: str | None = None) -> dict:
    """Seed every library with ``options.seed`` and fit ``method`` on ``data``, selecting on ``task``'s
    validation score; returns what the fit reports."""
    options = options or RunOptions()
    set_seed(options.seed, options.deterministic)
    return method.fit(data, fit_context(method, data, task, options, folder))


def fit_and_test(spec: MethodSpec, prepared: Prepared, options: RunOptions) -> Run:
    """Fit ``spec``'s method (each grid point seeded alike; with more than one point, the best on the
    task's validation score is kept) and evaluate it once on the test part."""
    start = time.perf_counter()
    task, data = prepared.task, prepared.data
    points = grid_points(spec.grid)
    best, tried = None, []
    for point in points:
        method = spec.build(**point)
        info = fit(method, data, task, options, prepared.folder or prepared.name)
        if len(points) == 1:
            best = (None, method, info)
            break
        metric, mode = task.selection(method)
        score = task.validation_score(method, data)
        tried.append({**point, f"valid_{metric}": round(score, 5), "fit": info})
        if best is None or (score < best[0] if mode == "min" else score > best[0]):
            best = (score, method, {"selected": tried[-1]})
    _, method, info = best
    if tried:
        info = {**info, "grid": tried}
    test = task.evaluate(method, data, "test")
    return Run(method, test, info, round(time.perf_counter() - start, 1))


def run(datasets: Sequence[PaperDataset], prepare: Callable[[PaperDataset, str, Interactions], Prepared],
        methods: Callable[[Prepared], Sequence[MethodSpec]], options: RunOptions, manifest: Manifest,
        shown: Sequence[str] | None = None) -> Results:
    """Run every method on every paper dataset present, recording everything in ``manifest``.

    For each paper dataset: the first of its candidates present is loaded (once per run), ``prepare``
    applies the paper's protocol (a `ProtocolError` marks the dataset not applicable) and the manifest
    records the dataset, its protocol report and the prepared notes; then each of ``methods(prepared)``
    that applies is fitted and tested (`fit_and_test`). A method that fails is recorded with its error
    and the others still run. ``shown``: the metrics printed in the progress lines (default all).
    """
    results, loaded, progress = Results(), {}, Progress()
    try:
        for paper in datasets:
            name = paper.find(options.data_dir)
            if name is None:
                results.skipped[(paper.label, None)] = "dataset not present"
                continue
            if name not in loaded:
                loaded[name] = load(name, data_dir=options.data_dir)
            try:
                prepared = prepare(paper, name, loaded[name])
            except ProtocolError as err:
                results.skipped[(paper.label, None)] = f"not applicable: {str(err).splitlines()[0][:160]}"
                continue
            results.prepared[paper.label] = prepared
            manifest.add_dataset(name, paper.label, prepared.interactions, prepared.substitute,
                                 prepared.split.describe())
            manifest.notes += prepared.notes
            specs = methods(prepared)
            progress.plan(len(specs))
            for spec in specs:
                _run_one(spec, prepared, options, manifest, results, progress, shown)
            manifest.notes.append(convergence_note(paper.label, results.runs.get(paper.label, {})))
    finally:
        progress.close()
    return results


def _run_one(spec: MethodSpec, prepared: Prepared, options: RunOptions, manifest: Manifest, results: Results,
             progress: Progress, shown: Sequence[str] | None) -> None:
    label = prepared.label
    why = spec.requires(prepared) if spec.requires is not None else None
    if why:
        results.skipped[(label, spec.name)] = why
        progress.step(f"{label} {spec.name} ({why})")
        return
    try:
        run_ = fit_and_test(spec, prepared, options)
    except Exception as err:  # a failed method must not hide the others' results
        traceback.print_exc(file=sys.stderr)
        message = str(err).splitlines()[0][:120] if str(err) else ""
        results.skipped[(label, spec.name)] = f"failed: {type(err).__name__}: {message}"
        progress.step(f"{label} {spec.name} (failed)")
        return
    results.runs.setdefault(label, {})[spec.name] = run_
    manifest.hyperparameters[f"{label}/{spec.name}"] = {**run_.method.hyperparameters, **run_.info,
                                                        "seconds": run_.seconds}
    means = run_.test.mean()
    progress.step(f"{label} {spec.name}: " + ", ".join(
        f"{k} {v:.4f}" for k, v in means.items() if shown is None or k in shown) + f" ({run_.seconds} s)")
    log.info("%s on %s: test %s", spec.name, label, means)


def fit_facts(run_: Run) -> dict:
    """What the fit of a run reported (for a grid, the selected point's fit)."""
    return run_.info if "epochs_run" in run_.info else run_.info.get("selected", {}).get("fit", {})


def convergence_note(label: str, runs: dict[str, Run]) -> str:
    """The manifest note listing every method of a dataset whose best validation epoch is its last and
    whose training ended at its epoch cap: "still improving at the cap", not converged."""
    capped = []
    for name, run_ in runs.items():
        facts = fit_facts(run_)
        if facts.get("stopped_by") == "epoch cap" and facts.get("best_epoch") == facts.get("epochs_run"):
            capped.append(f"{name} (best epoch {facts['best_epoch']} of {facts['epochs_run']})")
    if not capped:
        return f"{label}: every trained method stopped early, or peaked before its epoch cap"
    return f"{label}: still improving at the epoch cap (best epoch = last epoch): {', '.join(capped)}"


def open_manifest(function: str, options: RunOptions, scaled: Sequence[str] = ()) -> Manifest:
    """The manifest of a run of ``function`` (e.g. ``seqrec.experiments.mtam.table2``), noting everything
    its profile scales down from the paper."""
    manifest = Manifest(script=function, profile=options.profile, seed=options.seed)
    manifest.notes += [f"{options.profile} profile: {s}" for s in scaled]
    return manifest


def paper_table(stem: str, title: str, manifest: Manifest, ours: dict, results: Results,
                extra: Iterable[tuple[str, str, str]] = (), errors: dict | None = None) -> tables.TableOutput:
    """Close the manifest and set ``ours`` (``{(dataset, method, metric): value}``) beside the paper's
    numbers of ``stem`` (`seqrec.reference`), each method's number with its standard error
    (`Results.errors`, or ``errors`` for cells of our own); every cell without our number says why
    (`Results.status`); ``extra`` cells are ours alone."""
    manifest.finish()
    metrics = {key[2] for key in ours}
    cells = tables.build_cells(tables.load_reference(reference.table_path(stem)), ours, results.status, extra,
                               results.errors(metrics) | (errors or {}))
    return tables.TableOutput(stem, title, cells, manifest)
