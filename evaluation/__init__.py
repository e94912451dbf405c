"""Evaluation of seqrec: how a fitted method is judged. Metrics, the chunked full-ranking evaluator, the
evaluation tasks (rating, next item, whole sequence), significance tests, and the table and figure
writers that put our numbers beside the papers', each with its run manifest.

Imports only `seqrec.datasets`: it judges anything that satisfies a scoring contract
(`seqrec.training.contracts`).
"""

from . import figures, manifest, metrics, ranking, stats, tables, tasks
from .figures import FigureOutput
from .manifest import Manifest
from .ranking import RankingResult, ScoreError, evaluate_ranking
from .stats import TTest, paired_ttest, relative_improvement
from .tables import Cell, TableOutput
from .tasks import NextItemTask, RatingResult, RatingTask, SelectThenTest, SequenceTask

__all__ = [
    "Cell",
    "FigureOutput",
    "Manifest",
    "NextItemTask",
    "RankingResult",
    "RatingResult",
    "RatingTask",
    "ScoreError",
    "SelectThenTest",
    "SequenceTask",
    "TTest",
    "TableOutput",
    "evaluate_ranking",
    "figures",
    "manifest",
    "metrics",
    "paired_ttest",
    "ranking",
    "relative_improvement",
    "stats",
    "tables",
    "tasks",
]
