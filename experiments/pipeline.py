"""The one experiment pipeline of every table and figure, in one direction:

    paper dataset -> dataset present (or a stand-in) -> protocol -> encoded data + evaluation task
      -> for each method: seed, fit (selection on validation only; a grid of settings optionally),
         evaluate once on test -> `Results` -> a table beside the paper's numbers, or a figure

A paper module (`seqrec.experiments.iarn`, `mtam`, `usergru`, `dmran`) is configuration: its datasets and
their stand-ins, its protocol (``prepare``), its methods (`MethodSpec`), its profiles; it picks the
datasets of a run with `select` (the paper's, or any registered dataset or the user's own log as an extra
one), calls `run` and turns the `Results` into a `TableOutput` (`paper_table`) or a `FigureOutput`.
"""

import dataclasses
import difflib
import itertools
import logging
import sys
import time
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd
from tqdm import tqdm

from seqrec import reference
from seqrec.datasets import REGISTRY, Interactions, LogFormat, ProtocolError, first_loadable, load, load_log
from seqrec.datasets.own_log import log_name
from seqrec.datasets.pipelines import SequenceData
from seqrec.datasets.protocols import Split
from seqrec.evaluation import stats, tables
from seqrec.evaluation.manifest import Manifest
from seqrec.training import FitContext, Method, distribute, precision, set_seed, tensorboard

from . import resume

log = logging.getLogger(__name__)
PROFILES = ("smoke", "small", "paper")
THRESHOLD_OPTIONS = ("min_user", "min_item")  # the `RunOptions` that override a protocol's thresholds


@dataclasses.dataclass(frozen=True)
class RunOptions:
    """What every reproduction takes (the shared command line, `seqrec.experiments.cli`).

    Attributes:
      profile: ``smoke`` (a minute or a few, synthetic data), ``small`` (minutes to hours on a CPU, real
        data present) or ``paper`` (the paper's datasets and settings).
      data_dir: the raw datasets' folder (default ``$SEQREC_DATA_DIR`` or ``~/seqrec_data``).
      datasets: the datasets to run (`select`): the table's labels, or any registered dataset's name
        (default: every paper dataset present, or none when ``log`` is given).
      seed: seeds every method's fit (and the protocol's sampling).
      logdir: TensorBoard folder (scalars per epoch, hyper-parameters), or None.
      deterministic: deterministic TensorFlow ops (slower, bit-identical reruns); XLA off, as Keras turns
        it off under deterministic ops (with a warning per model), so the manifest says so.
      verbose: Keras' verbosity.
      log, log_format: a user's own interaction log, run as an extra dataset, and how to read it.
      min_user, min_item: the protocol's minimum events per user and per item in place of the paper's
        (None: the paper's); the manifest notes each as a deviation from the paper.
      strategy: the distribution strategy of every Keras trainer (`seqrec.training.distribute`:
        ``default``, ``mirrored`` or ``multi-worker``).
      jit_compile: XLA for every Keras training step (None: each method's own choice).
      mixed_precision: ``bfloat16``: every Keras method built and fitted under Keras' mixed policy
        (`seqrec.training.precision`: bfloat16 compute, float32 variables, logits, softmax and loss);
        None: float32 throughout.
      checkpoints: the folder where each finished (dataset, method) run is kept as it completes
        (`seqrec.experiments.resume`), or None (nothing kept).
      resume: read the runs kept in ``checkpoints`` by an interrupted run of the same command back, and
        compute only the missing ones.
    """

    profile: str = "small"
    data_dir: str | None = None
    datasets: tuple[str, ...] | None = None
    seed: int = 0
    logdir: str | None = None
    deterministic: bool = False
    verbose: int = 0
    log: str | None = None
    log_format: LogFormat | None = None
    min_user: int | None = None
    min_item: int | None = None
    strategy: str = "default"
    jit_compile: bool | None = None
    mixed_precision: str | None = None
    checkpoints: str | None = None
    resume: bool = False

    def __post_init__(self):
        if self.profile not in PROFILES:
            raise ValueError(f"profile must be one of {PROFILES}, got {self.profile!r}")
        if self.strategy not in distribute.STRATEGIES:
            raise ValueError(f"strategy must be one of {distribute.STRATEGIES}, got {self.strategy!r}")
        precision.check(self.mixed_precision)
        if self.deterministic and self.jit_compile:
            raise ValueError("deterministic ops and XLA do not go together (Keras compiles no XLA step under "
                             "deterministic ops): drop --jit-compile on, or --deterministic")
        if self.deterministic:
            object.__setattr__(self, "jit_compile", False)
        if self.resume and not self.checkpoints:
            raise ValueError("resume needs the checkpoint folder of the interrupted run (checkpoints)")
        if self.datasets is not None:
            object.__setattr__(self, "datasets", tuple(self.datasets))
        for name in THRESHOLD_OPTIONS:
            if getattr(self, name) is not None and getattr(self, name) < 1:
                raise ValueError(f"--{name.replace('_', '-')} must be at least 1, got {getattr(self, name)}")

    def deviations(self) -> list[str]:
        """The options that change the paper's protocol, as written on the command line."""
        return [f"--{name.replace('_', '-')} {getattr(self, name)}" for name in THRESHOLD_OPTIONS
                if getattr(self, name) is not None]


@dataclasses.dataclass(frozen=True, kw_only=True)
class PaperDataset:
    """A dataset of a paper's table: its label there, the suite's name for it, and the datasets that may
    stand in for it when it is absent (the output then says it used a stand-in). Papers subclass it with
    their protocol's settings, and name in ``THRESHOLDS`` the settings that ``--min-user`` and
    ``--min-item`` override (`with_thresholds`).

    ``use``: the one candidate to read (a registered name asked for with ``--datasets``). ``extra``: not
    one of the paper's datasets (a registered dataset or the user's ``log``, read with ``log_format``),
    run under the paper's protocol because it was asked for.
    """

    THRESHOLDS: ClassVar[dict[str, str]] = {}  # "min_user" / "min_item" -> the setting it overrides

    label: str
    own: str
    substitutes: tuple[str, ...] = ()
    use: str | None = None
    extra: bool = False
    log: str | None = None
    log_format: LogFormat | None = None

    @property
    def candidates(self) -> tuple[str, ...]:
        return (self.use,) if self.use else (self.own, *self.substitutes)

    def find(self, data_dir=None) -> str | None:
        """The first candidate that can be loaded without a download (the log: its name), or None."""
        return self.own if self.log else first_loadable(self.candidates, data_dir)

    def load(self, name: str, data_dir=None) -> Interactions:
        """Dataset ``name`` (found by `find`), or the user's log."""
        return load_log(self.log, self.log_format, name=name) if self.log else load(name, data_dir=data_dir)

    def is_substitute(self, name: str) -> bool:
        """Whether ``name`` is not the paper's dataset: it stands in for it (synthetic data always does),
        or it is an extra dataset."""
        return self.extra or name != self.own or name.startswith("synthetic")

    def with_thresholds(self, options: "RunOptions") -> "PaperDataset":
        """This dataset with ``options.min_user`` and ``min_item`` in place of the paper's thresholds;
        ValueError when the paper's protocol has no such threshold, or has one for users and items that
        the two would set differently."""
        values: dict[str, set] = {}
        for option in THRESHOLD_OPTIONS:
            value, flag = getattr(options, option), f"--{option.replace('_', '-')}"
            if option not in self.THRESHOLDS:
                if value is not None:
                    raise ValueError(f"{flag}: this paper's protocol has no such threshold")
                continue
            field = self.THRESHOLDS[option]
            values.setdefault(field, set()).add(getattr(self, field) if value is None else value)
        for field, value in values.items():
            if len(value) > 1:
                flags = [f"--{o.replace('_', '-')}" for o, f in self.THRESHOLDS.items() if f == field]
                raise ValueError(f"the paper's protocol has one threshold, {field}, for users and items (the "
                                 f"paper: {getattr(self, field)}): give {' and '.join(flags)} the same value")
        return dataclasses.replace(self, **{field: value.pop() for field, value in values.items()})


def select(papers: Sequence[PaperDataset], options: RunOptions, smoke: PaperDataset,
           default: Sequence[str] = ()) -> list[PaperDataset]:
    """The datasets a run covers, from ``options.datasets`` and ``options.log``, with the thresholds of
    ``options`` (`PaperDataset.with_thresholds`):

    * a label of ``papers``: that paper dataset (its own data or a stand-in); the smoke profile runs
      ``smoke`` instead. With no name asked and no log: the ``default`` labels, or every one;
    * a registered name that a paper dataset reads (its own or a stand-in): that dataset reading it only;
    * another registered name, and the log: an extra dataset (`PaperDataset.extra`) of ``smoke``'s class
      with its default settings, labelled by its name (the log: its file name's stem).

    An unknown name raises ``ValueError`` naming the closest labels and registered names.
    """
    labels = {p.label: p for p in papers}
    reads = {}
    for paper in papers:
        for name in paper.candidates:
            reads.setdefault(name, paper)
    asked = options.datasets or ()
    unknown = [name for name in asked if name not in labels and name not in REGISTRY]
    if unknown:
        raise ValueError(unknown_datasets(unknown, labels))
    if options.log and not Path(options.log).is_file():
        raise ValueError(f"--log {options.log}: no such file")
    wanted = [name for name in asked if name in labels] if asked or options.log else list(default or labels)
    chosen = ([smoke] if wanted else []) if options.profile == "smoke" else [labels[n] for n in wanted]
    for name in asked:
        if name in reads:
            chosen.append(dataclasses.replace(reads[name], use=name))
        elif name not in labels:
            chosen.append(type(smoke)(label=name, own=name, extra=True))
    if options.log:
        name = log_name(options.log)
        chosen.append(type(smoke)(label=f"{name} (log)" if name in labels else name, own=name, extra=True,
                                  log=options.log, log_format=options.log_format))
    unique: dict[str, PaperDataset] = {}
    for paper in chosen:
        unique.setdefault(paper.label, paper.with_thresholds(options))
    return list(unique.values())


def unknown_datasets(names: Sequence[str], labels: Iterable[str]) -> str:
    """The error for dataset names that are neither a label of the paper nor registered: the closest of
    each (`difflib.get_close_matches`), and what ``--datasets`` takes."""
    labels = list(labels)
    said = []
    for name in names:
        close = difflib.get_close_matches(name, [*labels, *REGISTRY], n=3)
        said.append(f"unknown dataset {name!r}" + (f" (closest: {', '.join(close)})" if close else ""))
    return (f"{'; '.join(said)}. --datasets takes the paper's labels ({', '.join(labels)}) or a registered "
            "dataset's name (`python -m seqrec.datasets` lists them)")


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
    `RatingResult`; None when not tested), what its fit reported (and the grid it was selected from),
    and seconds."""

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
    run, ``skipped[(dataset, method)]`` why one method did not (`status`); ``extra`` lists the labels of
    the datasets that are not the paper's (`PaperDataset.extra`).
    """

    prepared: dict[str, Prepared] = dataclasses.field(default_factory=dict)
    runs: dict[str, dict[str, Run]] = dataclasses.field(default_factory=dict)
    skipped: dict[tuple[str, str | None], str] = dataclasses.field(default_factory=dict)
    extra: list[str] = dataclasses.field(default_factory=list)

    def status(self, dataset: str, method: str | None = None, metric: str | None = None) -> str:
        """``"ok"`` for a run, else a table status (`seqrec.evaluation.tables.STATUSES`)."""
        if method in self.runs.get(dataset, {}):
            return "ok"
        return (self.skipped.get((dataset, method)) or self.skipped.get((dataset, None))
                or "not run in this profile")

    def mean(self, dataset: str, method: str, metric: str) -> float | None:
        """The mean test ``metric`` of a run (None when there is no run or no such metric)."""
        run = self.runs.get(dataset, {}).get(method)
        return None if run is None or run.test is None else _value(run.test.mean(), metric)

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
                errors = {} if run_.test is None else run_.test.standard_errors()
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

    @classmethod
    def average(cls, repeats: Sequence["Results"]) -> "Results":
        """One `Results` of runs repeated on the same test examples (splits that redraw only the
        validation hold-out, or seeds): each test example's metrics averaged over the repeats that ran
        it, so means, bootstrap standard errors and paired tests read the repeats together; what ran in
        no repeat keeps the first repeat's reason. ValueError when the repeats' test examples differ."""
        if len(repeats) == 1:
            return repeats[0]
        out = cls(prepared=repeats[0].prepared, skipped=dict(repeats[0].skipped), extra=repeats[0].extra)
        for dataset in dict.fromkeys(d for r in repeats for d in r.runs):
            for method in dict.fromkeys(m for r in repeats for m in r.runs.get(dataset, {})):
                runs_ = [r.runs[dataset][method] for r in repeats if method in r.runs.get(dataset, {})]
                rows = [r.test.rows for r in runs_]
                if any(len(x) != len(rows[0]) or not x["user"].equals(rows[0]["user"]) for x in rows):
                    raise ValueError(f"{dataset} / {method}: the repeats have different test examples; "
                                     "only repeats of the same test part can be averaged")
                mean = pd.concat([x.drop(columns="user") for x in rows]).groupby(level=0).mean()
                mean.insert(0, "user", rows[0]["user"])
                test = dataclasses.replace(runs_[0].test, rows=mean[rows[0].columns])
                out.runs.setdefault(dataset, {})[method] = Run(
                    runs_[0].method, test, {**runs_[0].info, "repeats": len(runs_)},
                    round(sum(r.seconds for r in runs_), 1))
                out.skipped.pop((dataset, method), None)
        return out

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
                folder: str | None = None, checkpoint: Path | None = None) -> FitContext:
    """The fit context of ``method`` on ``data``: the seed, the TensorBoard folder (``logdir/folder``),
    the validation score of ``task`` (`task.selection`, `task.validation_score`), which a trainer calls
    after every epoch, and the folder of its per-epoch checkpoints."""
    metric, mode = task.selection(method)
    logdir = Path(options.logdir) / folder if options.logdir and folder else None
    return FitContext(options.seed, logdir, options.verbose,
                      validate=lambda: task.validation_score(method, data), monitor=metric, mode=mode,
                      strategy=distribute.get(options.strategy), jit_compile=options.jit_compile,
                      checkpoint=checkpoint)


def fit(method: Method, data: SequenceData, task, options: RunOptions | None = None,
        folder: str | None = None, checkpoint: Path | None = None) -> dict:
    """Seed every library with ``options.seed`` and fit ``method`` on ``data``, selecting on ``task``'s
    validation score, with per-epoch checkpoints in ``checkpoint`` (a fit finding one there resumes
    after it); returns what the fit reports."""
    options = options or RunOptions()
    set_seed(options.seed, options.deterministic)
    with precision.policy(options.mixed_precision):
        return method.fit(data, fit_context(method, data, task, options, folder, checkpoint))


def fit_and_test(spec: MethodSpec, prepared: Prepared, options: RunOptions, tested: bool = True,
                 store: resume.RunStore | None = None) -> Run:
    """Fit ``spec``'s method (each grid point seeded alike; with more than one point, the best on the
    task's validation score is kept) and evaluate it once on the test part (not with ``tested=False``:
    the `Run`'s test is None). The fit's info gains ``fit_seconds``, the wall time of training (with its
    per-epoch validation). With a ``store``, each fit checkpoints every epoch in the store's
    `resume.RunStore.fit_folder` (and resumes from it with ``options.resume``)."""
    start = time.perf_counter()
    task, data = prepared.task, prepared.data
    points = grid_points(spec.grid)
    folder = prepared.folder or prepared.name
    best, tried = None, []
    for point in points:
        method = spec.build(**point)
        where = folder if len(points) == 1 else f"{folder}/{spec.name}-grid/{_point_name(point)}"
        fit_start = time.perf_counter()
        checkpoint = store.fit_folder(prepared, spec, _point_name(point)) if store is not None else None
        info = {**fit(method, data, task, options, where, checkpoint),
                "fit_seconds": round(time.perf_counter() - fit_start, 1)}
        if len(points) == 1:
            best = (None, method, info, where)
            break
        metric, mode = task.selection(method)
        with distribute.scope(distribute.get(options.strategy)):  # evaluation sharded over replicas
            score = task.validation_score(method, data)
        tried.append({**point, f"valid_{metric}": round(score, 5), "fit": info})
        if best is None or (score < best[0] if mode == "min" else score > best[0]):
            best = (score, method, {"selected": tried[-1]}, where)
    _, method, info, where = best
    if tried:
        info = {**info, "grid": tried}
    with distribute.scope(distribute.get(options.strategy)):  # batches sharded over replicas
        test = task.evaluate(method, data, "test") if tested else None
    run_ = Run(method, test, info, round(time.perf_counter() - start, 1))
    if options.logdir:
        record_run(Path(options.logdir) / where / method.name, run_, prepared, options.seed)
    return run_


def _point_name(point: dict) -> str:
    return ",".join(f"{k}={v}" for k, v in point.items()) or "default"


def record_run(logdir: Path, run_: Run, prepared: Prepared, seed: int) -> None:
    """TensorBoard for the selected fit of a method (`seqrec.training.tensorboard`): its hyper-parameters
    (with dataset and seed) and, as HParams metrics, its best validation score and test metrics; the
    epoch curves of a trainer without a Keras TensorBoard callback (the ``history`` of the classical
    baselines)."""
    facts = fit_facts(run_)
    tensorboard.log_hyperparameters(logdir, {"method": run_.method.name, "dataset": prepared.label,
                                             "seed": seed, **run_.method.hyperparameters})
    if isinstance(facts.get("history"), dict):
        tensorboard.log_history(logdir, facts["history"])
    final = {f"valid/{k.removeprefix('best_val_')}": v for k, v in facts.items() if k.startswith("best_val_")}
    if facts.get("valid_metric") and facts.get("best_valid") is not None:
        final[f"valid/{facts['valid_metric']}"] = facts["best_valid"]
    if run_.test is not None:
        final |= {f"test/{k}": v for k, v in run_.test.mean().items()}
    tensorboard.log_final(logdir, final)


def run(datasets: Sequence[PaperDataset], prepare: Callable[[PaperDataset, str, Interactions], Prepared],
        methods: Callable[[Prepared], Sequence[MethodSpec]], options: RunOptions, manifest: Manifest,
        shown: Sequence[str] | None = None, tested: bool = True, fitted: Iterable[str] = ()) -> Results:
    """Run every method on every paper dataset present, recording everything in ``manifest``.

    For each paper dataset: the first of its candidates present is loaded (once per run), ``prepare``
    applies the paper's protocol (a `ProtocolError` marks the dataset not applicable) and the manifest
    records the dataset, its protocol report, the notes on reading it and the prepared notes (and, for
    an extra dataset, that it is not the paper's); then each of ``methods(prepared)`` that applies is
    fitted and tested (`fit_and_test`). A method that fails is recorded with its error and the others
    still run. ``shown``: the metrics printed in the progress lines (default all); ``tested=False``:
    fit only, nothing evaluated on the test part (a table of training times; each `Run.test` is None).

    With ``options.checkpoints`` each finished run is kept on disk, and with ``options.resume`` a run kept
    by an interrupted run of the same command is read back instead of computed (`seqrec.experiments.resume`),
    except for the methods named in ``fitted``, whose fitted model the caller reads after the run.
    """
    results, loaded, progress = Results(), {}, Progress()
    options = run_folder(options, manifest)
    store = resume.RunStore(options.checkpoints, manifest.script, options) if options.checkpoints else None
    fitted = set(fitted)
    try:
        for paper in datasets:
            if paper.extra:
                results.extra.append(paper.label)
            name = paper.find(options.data_dir)
            if name is None:
                results.skipped[(paper.label, None)] = "dataset not present"
                continue
            if (paper.log, name) not in loaded:
                loaded[(paper.log, name)] = paper.load(name, options.data_dir)
            interactions = loaded[(paper.log, name)]
            try:
                prepared = prepare(paper, name, interactions)
            except ProtocolError as err:
                results.skipped[(paper.label, None)] = f"not applicable: {shorten(str(err), 160)}"
                continue
            results.prepared[paper.label] = prepared
            manifest.add_dataset(name, paper.label, prepared.interactions, prepared.substitute,
                                 prepared.split.describe(), extra=paper.extra)
            if paper.extra:
                manifest.notes.append(
                    f"{paper.label}: not one of the paper's datasets: "
                    + (f"your log {paper.log}, read with {paper.log_format or LogFormat()}" if paper.log
                       else f"the registered dataset {name}")
                    + ", run under the paper's protocol and settings as an extra dataset")
            manifest.notes += [f"{paper.label}: {note}" for note in interactions.notes]
            manifest.notes += prepared.notes
            specs = methods(prepared)
            progress.plan(len(specs))
            for spec in specs:
                _run_one(spec, prepared, options, manifest, results, progress, shown, tested,
                         None if spec.name in fitted else store)
            if specs:
                manifest.notes.append(convergence_note(paper.label, results.runs.get(paper.label, {})))
    finally:
        progress.close()
    return results


def run_folder(options: RunOptions, manifest: Manifest) -> RunOptions:
    """``options`` with TensorBoard's folder made ``<logdir>/<stem>/<run-id>`` (``mtam_table2``,
    ``20261130T051500Z-seed0``), so that scripts and reruns never mix their logs; the manifest notes it
    (once, however many `run` calls a script makes)."""
    if not options.logdir:
        return options
    stem = "_".join(manifest.script.split(".")[-2:])
    started = manifest.started.replace("-", "").replace(":", "").replace("+0000", "Z")
    folder = Path(options.logdir) / stem / f"{started}-seed{manifest.seed}"
    note = f"TensorBoard logs: {folder} (open with tensorboard --logdir {options.logdir})"
    if note not in manifest.notes:
        manifest.notes.append(note)
    return dataclasses.replace(options, logdir=str(folder))


def _run_one(spec: MethodSpec, prepared: Prepared, options: RunOptions, manifest: Manifest, results: Results,
             progress: Progress, shown: Sequence[str] | None, tested: bool = True,
             store: resume.RunStore | None = None) -> None:
    label = prepared.label
    why = spec.requires(prepared) if spec.requires is not None else None
    if why:
        results.skipped[(label, spec.name)] = why
        progress.step(f"{label} {spec.name} ({why})")
        return
    stored = store.load(prepared, spec) if store is not None else None
    if stored is not None:
        (test, info, seconds, method), path = stored
        run_ = Run(method, test, info, seconds)
        manifest.notes.append(f"{label} / {spec.name}: read back from {path} (--resume): fitted and tested "
                              "by an interrupted earlier run of this command, whose seconds it keeps; the "
                              "wall time is this run's alone")
    else:
        try:
            run_ = fit_and_test(spec, prepared, options, tested, store)
        except Exception as err:  # a failed method must not hide the others' results
            traceback.print_exc(file=sys.stderr)
            results.skipped[(label, spec.name)] = f"failed: {type(err).__name__}: {shorten(str(err), 120)}"
            progress.step(f"{label} {spec.name} (failed)")
            return
        if store is not None and distribute.is_chief():
            store.save(prepared, spec, run_)
    results.runs.setdefault(label, {})[spec.name] = run_
    manifest.hyperparameters[f"{label}/{spec.name}"] = {**run_.method.hyperparameters, **run_.info,
                                                        "seconds": run_.seconds}
    means = {} if run_.test is None else run_.test.mean()
    progress.step(f"{label} {spec.name}: " + (", ".join(
        f"{k} {v:.4f}" for k, v in means.items() if shown is None or k in shown) or "fitted, not tested")
        + f" ({run_.seconds} s{', read back' if stored else ''})")
    log.info("%s on %s: test %s", spec.name, label, means)


def shorten(message: str, limit: int) -> str:
    """The first line of ``message``, at most ``limit`` characters: cut at a word boundary, with an
    ellipsis, when it is longer (a table cell's status)."""
    line = message.strip().splitlines()[0] if message.strip() else ""
    if len(line) <= limit:
        return line
    head = line[:limit - 1]  # textwrap.shorten would drop a single over-long word entirely
    return (head.rsplit(" ", 1)[0] if " " in head else head).rstrip(" ,;:.") + "…"


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


def first_present(papers: Sequence[PaperDataset], options: RunOptions) -> PaperDataset:
    """The first of ``papers`` whose data is present (a figure drawn from one dataset);
    FileNotFoundError naming the datasets asked for when none is."""
    paper = next((p for p in papers if p.find(options.data_dir)), None)
    if paper is None:
        asked = list(options.datasets or [p.label for p in papers])
        raise FileNotFoundError(f"none of the datasets {asked} is present in "
                                f"{options.data_dir or 'the default data folder'}")
    return paper


def open_manifest(function: str, options: RunOptions, scaled: Sequence[str] = ()) -> Manifest:
    """The manifest of a run of ``function`` (e.g. ``seqrec.experiments.mtam.table2``), noting everything
    its profile scales down from the paper and every option that deviates from the paper's protocol."""
    manifest = Manifest(script=function, profile=options.profile, seed=options.seed)
    manifest.notes += [f"{options.profile} profile: {s}" for s in scaled]
    manifest.notes += [f"deviation from the paper: {option}" for option in options.deviations()]
    run_strategy = distribute.get(options.strategy)
    manifest.hardware |= {**distribute.describe(run_strategy), "jit_compile": "each method's own"
                          if options.jit_compile is None else options.jit_compile,
                          "mixed_precision": options.mixed_precision or "off (float32)"}
    if run_strategy is not None:
        manifest.notes.append(f"{type(run_strategy).__name__} over {distribute.replicas(run_strategy)} "
                              "replicas: every batch size is the global batch, split over the replicas")
    return manifest


def paper_table(stem: str, title: str, manifest: Manifest, ours: dict, results: Results,
                extra: Iterable[tuple[str, str, str]] = (), errors: dict | None = None) -> tables.TableOutput:
    """Close the manifest and set ``ours`` (``{(dataset, method, metric): value}``) beside the paper's
    numbers of ``stem`` (`seqrec.reference`), each method's number with its standard error
    (`Results.errors`, or ``errors`` for cells of our own); every cell without our number says why
    (`Results.status`); ``extra`` cells are ours alone, as are the rows of the datasets that are not the
    paper's (`Results.extra`: the paper's rows, without its numbers)."""
    manifest.finish()
    metrics = {key[2] for key in ours}
    paper = tables.load_reference(reference.table_path(stem))
    rows = dict.fromkeys(zip(paper["method"], paper["metric"], strict=True))
    extra = [*((label, method, metric) for label in results.extra for method, metric in rows), *extra]
    cells = tables.build_cells(paper, ours, results.status, extra, results.errors(metrics) | (errors or {}))
    return tables.TableOutput(stem, title, cells, manifest)
