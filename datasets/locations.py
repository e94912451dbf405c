"""Where raw datasets and prepared records live.

* **Data directory** (raw files, one folder per dataset name, e.g. ``<data_dir>/movielens-100k/u.data``):
  the ``--data-dir`` option, else the ``SEQREC_DATA_DIR`` environment variable, else ``~/seqrec_data``.
* **Cache directory** (tensorflow-datasets records prepared from the raw files, downloads):
  ``SEQREC_CACHE_DIR``, else ``~/.cache/seqrec``. It can always be deleted; it is rebuilt on demand.
  Runs that share it prepare one dataset one at a time (`exclusive`): the first prepares, the others
  wait and then read its records.
"""

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: no advisory locks; concurrent preparations of one cache may collide
    fcntl = None

DATA_DIR_ENV = "SEQREC_DATA_DIR"
CACHE_DIR_ENV = "SEQREC_CACHE_DIR"


def data_dir(explicit: str | os.PathLike | None = None) -> Path:
    """The data directory: ``explicit``, else ``$SEQREC_DATA_DIR``, else ``~/seqrec_data``."""
    if explicit is not None:
        return Path(explicit).expanduser()
    return Path(os.environ.get(DATA_DIR_ENV, "~/seqrec_data")).expanduser()


def cache_dir(explicit: str | os.PathLike | None = None) -> Path:
    """The cache directory: ``explicit``, else ``$SEQREC_CACHE_DIR``, else ``~/.cache/seqrec``."""
    if explicit is not None:
        return Path(explicit).expanduser()
    return Path(os.environ.get(CACHE_DIR_ENV, "~/.cache/seqrec")).expanduser()


@contextlib.contextmanager
def exclusive(folder: str | os.PathLike) -> Iterator[None]:
    """Hold an exclusive lock on ``folder`` (the file ``<folder>.lock`` beside it) across processes: two
    runs preparing the same records in one cache would otherwise both write them, and the second rename
    of tensorflow-datasets' finished folder fails. Without ``fcntl`` (Windows) it locks nothing."""
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    with open(folder.parent / f"{folder.name}.lock", "w") as handle:
        if fcntl is not None:
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            if fcntl is not None:
                fcntl.flock(handle, fcntl.LOCK_UN)
