"""Models of seqrec: the papers' models, their variants, and their baselines.

Models take vocabulary sizes, feature arrays and numpy arrays; they never read datasets themselves.
"""

from . import iarn
from .base import Recommender
from .hievh import HieVH
from .iarn import IARN
from .item2vec import Item2Vec, MP2Vec
from .knn import ItemKNN
from .mf import BPR, MF
from .ncf import NCF
from .seq_mf import SequentialMF
from .timesvd import TimeSVDpp

__all__ = ["BPR", "IARN", "MF", "NCF", "HieVH", "Item2Vec", "ItemKNN", "MP2Vec", "Recommender",
           "SequentialMF", "TimeSVDpp", "iarn"]
