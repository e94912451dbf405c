"""The method contracts: what the experiment pipeline and the evaluation tasks call on a method.

A method is fitted with ``fit(data, context)`` (``data`` a `seqrec.datasets.pipelines.SequenceData`, the
protocol's split encoded; ``context`` a `FitContext`) and then scored through the call of its contract:

* `RatingMethod` (IARN's Table 2 and figures; `seqrec.evaluation.tasks.RatingTask`): ``predict`` rates
  (user, item, time) triples, ``score_all`` scores every item for users at a time;
* `NextItemMethod` (MTAM; `NextItemTask`): ``scores`` ranks every item after each prefix of a batch, the
  prefixes cut to the method's ``max_len`` latest events;
* `SequenceMethod` (UserGRU; `SequenceTask`): ``sequence_scores`` ranks every item before each target of
  a group of whole user sequences.

A trainer selects its epochs on validation data only, through ``context.validate``, a function the
pipeline builds from the evaluation task: `training` never imports `evaluation`.
"""

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from seqrec.datasets.pipelines import EpochClock


@dataclasses.dataclass
class FitContext:
    """Per-fit settings handed to a method by the pipeline.

    Attributes:
      seed: the run's seed (the pipeline seeds every library with it just before ``fit``).
      logdir: TensorBoard folder of the dataset (a method writes under ``logdir / method.name``), or None.
      verbose: Keras' verbosity.
      validate: the method's validation score as fitted so far (``monitor`` on the validation part); a
        trainer calls it after every epoch to stop early and keep its best epoch. None: no validation.
      monitor: the score's name, e.g. ``ndcg@10`` (logged as ``val_<monitor>``).
      mode: ``"max"`` when a higher score is better, ``"min"`` otherwise.
      strategy: the `tf.distribute.Strategy` to build and train the model under (`seqrec.training.distribute`;
        None: TensorFlow's default, one device).
      jit_compile: XLA for the Keras training step in place of the method's own choice (None: the method's).
      checkpoint: a folder for the fit's per-epoch checkpoints (`seqrec.training.checkpoints`): a fit
        finds its last one there and resumes after it. None: no checkpoints.
      clock: the `EpochClock` of the fit's training pipeline (its epochs seed the shuffle and the negatives).
      callbacks: more Keras callbacks for a Keras trainer's ``fit`` (e.g. a benchmark's epoch timer).
    """

    seed: int = 0
    logdir: Path | None = None
    verbose: int = 0
    validate: Callable[[], float] | None = None
    monitor: str = "score"
    mode: str = "max"
    strategy: Any = None
    jit_compile: bool | None = None
    checkpoint: Path | None = None
    clock: EpochClock = dataclasses.field(default_factory=EpochClock)
    callbacks: list = dataclasses.field(default_factory=list)

    def jit(self, default: bool) -> bool:
        """Whether to compile the training step with XLA: ``jit_compile``, else the method's ``default``."""
        return default if self.jit_compile is None else self.jit_compile


@runtime_checkable
class Method(Protocol):
    """What every method has: a table name, the hyper-parameters a manifest records, and ``fit``, which
    returns facts about the fit (epochs run, best epoch, ...) for the manifest."""

    name: str
    hyperparameters: dict

    def fit(self, data: Any, context: FitContext) -> dict: ...


@runtime_checkable
class RatingMethod(Method, Protocol):
    """Rates (user, item) pairs and scores every item; ``times`` are when each prediction is made, so a
    time-aware method reads only earlier events. ``predicts_ratings``: whether ``predict`` estimates
    ratings (RMSE is reported) or only preference scores (AUC only)."""

    predicts_ratings: bool

    def predict(self, users, items, times) -> Any:
        """float [n]: one rating or score per (user, item, time)."""
        ...

    def score_all(self, users, times) -> Any:
        """float [B, n_items]: every item's score for each user at its time."""
        ...


@runtime_checkable
class NextItemMethod(Method, Protocol):
    """Scores every item after each prefix of a batch of `seqrec.datasets.pipelines.next_item_dataset`
    (keys ``user``, ``items``, ``mask``, ``gaps``, ``ages``, ...), built with the method's own
    ``max_len`` (the latest events a prefix keeps) and ``padding`` (``"left"`` or ``"right"``)."""

    max_len: int
    padding: str

    def scores(self, batch: dict) -> Any:
        """float [B, n_items]."""
        ...


@runtime_checkable
class SequenceMethod(Method, Protocol):
    """Scores every item before each target of a group of whole user sequences (the group dict of
    `seqrec.evaluation.tasks.SequenceTask.groups`: target k is ``items[row[k], position[k]]``, scored from
    ``items[row[k], :position[k]]`` and ``times[row[k], :position[k]]`` only)."""

    def sequence_scores(self, group: dict) -> Any:
        """float [n_targets, n_items]."""
        ...
