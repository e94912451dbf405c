"""Where raw datasets and prepared records live.

* **Data directory** (raw files, one folder per dataset name, e.g. ``<data_dir>/movielens-100k/u.data``):
  the ``--data-dir`` option, else the ``SEQREC_DATA_DIR`` environment variable, else ``~/seqrec_data``.
* **Cache directory** (tensorflow-datasets records prepared from the raw files, downloads):
  ``SEQREC_CACHE_DIR``, else ``~/.cache/seqrec``. It can always be deleted; it is rebuilt on demand.
"""

import os
from pathlib import Path

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
