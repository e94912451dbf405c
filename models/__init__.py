"""Models of seqrec: the papers' models, their variants, and their baselines.

Models take vocabulary sizes, feature arrays and numpy arrays; they never read datasets themselves
(`seqrec.training` sizes them for a dataset and trains them).
"""

from . import iarn
from .ante_rnn import AnteRNN
from .base import LossNetwork, Recommender
from .candidate import CandidateModel
from .content_mf import CTR, VBPR
from .dmran import DMRAN
from .dmran_baselines import ATRank, BiLSTM, CNNPooling
from .dropout import PhiloxDropout
from .hievh import HieVH
from .iarn import IARN
from .item2vec import Item2Vec, MP2Vec
from .item_categories import ItemCategories
from .knn import ItemKNN
from .mf import BPR, MF, BiasedDotScoring
from .mlam import MLAM
from .mtam import MTAM
from .mv_rnn import MVRNN
from .ncf import NCF
from .next_item import NextItemModel
from .popularity import PersonalPop, TopPop
from .self_attention import SASRec, SelfAttentionBlock, TimeAwareSelfAttention, TiSASRec
from .seq_mf import SequentialMF
from .session import NARM, STAMP
from .timesvd import TimeSVDpp
from .user_gru import UserGRU

__all__ = [
    "BPR",
    "CTR",
    "DMRAN",
    "IARN",
    "MF",
    "MLAM",
    "MTAM",
    "MVRNN",
    "NARM",
    "NCF",
    "STAMP",
    "VBPR",
    "ATRank",
    "AnteRNN",
    "BiLSTM",
    "BiasedDotScoring",
    "CNNPooling",
    "CandidateModel",
    "HieVH",
    "Item2Vec",
    "ItemCategories",
    "ItemKNN",
    "LossNetwork",
    "MP2Vec",
    "NextItemModel",
    "PersonalPop",
    "PhiloxDropout",
    "Recommender",
    "SASRec",
    "SelfAttentionBlock",
    "SequentialMF",
    "TiSASRec",
    "TimeAwareSelfAttention",
    "TimeSVDpp",
    "TopPop",
    "UserGRU",
    "iarn",
]
