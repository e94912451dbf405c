"""Shared fixtures: the real datasets in ../shared/data (or $SEQREC_TEST_DATA), read through the same
loaders a user would use, with prepared records cached in a per-session temporary directory."""

import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("SEQREC_TEST_DATA", REPO.parent / "shared" / "data"))

# dataset name -> folder of the shared test data holding that dataset's real files (or a real sample)
SHARED_FOLDERS = {
    "movielens-100k": "movielens-100k",
    "movielens-latest-small": "movielens-latest-small",
    "netflix-prize": "netflix-prize-sample",
    "amazon-2014-electronics": "amazon-2014-electronics-ratings-head",
    "amazon-2018-fashion": "amazon-2018-fashion-5core",
    "amazon-2018-magazine-subscriptions": "amazon-2018-magazine-ratings-sample",
    "yoochoose-clicks": "yoochoose",
    "tianchi-mobile": "tianchi-mobile",
    "lastfm-1k": "lastfm-1k-head",
    "movie-text": "movie-text",
}


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED.is_dir():
        pytest.fail(f"the real test datasets are not at {SHARED}; set SEQREC_TEST_DATA to the folder "
                    "that holds movielens-100k/, movielens-latest-small/, ...")
    return SHARED


@pytest.fixture(scope="session", autouse=True)
def cache_dir(tmp_path_factory):
    """Prepared tensorflow-datasets records go to a fresh temporary cache for the whole session."""
    path = tmp_path_factory.mktemp("seqrec-cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SEQREC_CACHE_DIR", str(path))
        yield path


@pytest.fixture(scope="session")
def data_dir(shared_data, tmp_path_factory) -> Path:
    """A data directory whose folders, named by dataset, link to the shared real data."""
    root = tmp_path_factory.mktemp("seqrec-data")
    for name, folder in SHARED_FOLDERS.items():
        (root / name).symlink_to(shared_data / folder, target_is_directory=True)
    return root


@pytest.fixture(scope="session")
def ml_small():
    """The embedded MovieLens latest-small."""
    from seqrec.datasets import load

    return load("movielens-latest-small")


@pytest.fixture(scope="session")
def ml_100k(data_dir):
    from seqrec.datasets import load

    return load("movielens-100k", data_dir=data_dir)


@pytest.fixture(scope="session")
def synthetic_small():
    from seqrec.datasets import load

    return load("synthetic-small")
