"""seqrec: Keras 3 / TensorFlow reproductions of five attention- and gate-based sequential recommenders.

Sub-packages: `seqrec.layers`, `seqrec.models`, `seqrec.datasets`, `seqrec.evaluation`.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("seqrec")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "unknown"
