"""Datasets of seqrec: tensorflow-datasets builders, preprocessing protocols and tf.data pipelines.

Load a registered dataset with `load` (``python -m seqrec.datasets`` lists them), or your own log with
`load_log`.
"""

from .errors import DataError, DatasetNotFoundError, ProtocolError, SmallDataWarning
from .interactions import Interactions
from .own_log import LogFormat, load_log
from .registry import REGISTRY, first_loadable, get, load, status

__all__ = [
    "REGISTRY",
    "DataError",
    "DatasetNotFoundError",
    "Interactions",
    "LogFormat",
    "ProtocolError",
    "SmallDataWarning",
    "first_loadable",
    "get",
    "load",
    "load_log",
    "status",
]
