"""How a method is fitted: the method contracts, the Keras trainers with validation-only early stopping,
stateful lanes, and the adapters that make the classical models of `seqrec.models` methods.

Imports `seqrec.models`, `seqrec.layers` and `seqrec.datasets`, never `seqrec.evaluation`: a trainer
selects on validation through the scoring function the pipeline hands it (`FitContext.validate`).
"""

from . import checkpoints, distribute, precision, tensorboard
from .adapters import (
    FactorAdapter,
    NeighbourAdapter,
    PersonalPopAdapter,
    SequentialFactorAdapter,
    windows_before,
)
from .ante_rnn import BehaviourInputs, Explanation, ItemContent, ante_rnn_method, explain
from .callbacks import EpochTimer, ValidationScore, selection_callbacks, set_seed
from .candidate import KerasCandidate, LearningRateDrop
from .checkpoints import ClockCallback, EpochCheckpoint, fit_epochs
from .contracts import FitContext, Method, NextItemMethod, RatingMethod, SequenceMethod
from .iarn import IARNMethod, IARNRanker, PairwiseScore
from .next_item import KerasNextItem, PairwiseRanking, next_item_model, target_mean_cross_entropy
from .stateful import StatefulNextItem
from .tensorboard import AttentionImages

__all__ = [
    "AttentionImages",
    "BehaviourInputs",
    "ClockCallback",
    "EpochCheckpoint",
    "EpochTimer",
    "Explanation",
    "FactorAdapter",
    "FitContext",
    "IARNMethod",
    "IARNRanker",
    "ItemContent",
    "KerasCandidate",
    "KerasNextItem",
    "LearningRateDrop",
    "Method",
    "NeighbourAdapter",
    "NextItemMethod",
    "PairwiseRanking",
    "PairwiseScore",
    "PersonalPopAdapter",
    "RatingMethod",
    "SequenceMethod",
    "SequentialFactorAdapter",
    "StatefulNextItem",
    "ValidationScore",
    "ante_rnn_method",
    "checkpoints",
    "distribute",
    "explain",
    "fit_epochs",
    "next_item_model",
    "precision",
    "selection_callbacks",
    "set_seed",
    "target_mean_cross_entropy",
    "tensorboard",
    "windows_before",
]
