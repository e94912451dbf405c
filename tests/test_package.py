"""The wheel: one top-level package `seqrec` with its subpackages and the embedded latest-small archive,
and nothing of the repository's tests, reproduction scripts or benchmarks."""

import configparser
import hashlib
import io
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# build outputs and caches that must not leak from the working tree into the build
NOT_SOURCES = shutil.ignore_patterns(".git", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache",
                                     ".ruff_cache", ".venv")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> zipfile.ZipFile:
    """The wheel built from a clean copy of the repository (the build writes build/ and *.egg-info/ into
    the tree it builds, so it must not run in the repository itself)."""
    root = tmp_path_factory.mktemp("wheel")
    source = root / "source"
    shutil.copytree(REPO, source, ignore=NOT_SOURCES, symlinks=True)
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", str(root / "dist"),
         str(source)], capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    wheels = list((root / "dist").glob("*.whl"))
    assert len(wheels) == 1, wheels
    with zipfile.ZipFile(wheels[0]) as zf:
        yield zf


@pytest.fixture(scope="module")
def version() -> str:
    config = configparser.ConfigParser()
    config.read(REPO / "setup.cfg")
    return config["metadata"]["version"]


def test_wheel_name_and_layout(wheel, version):
    assert Path(wheel.filename).name == f"seqrec-{version}-py3-none-any.whl"
    names = wheel.namelist()
    outside = [n for n in names if not n.startswith(("seqrec/", f"seqrec-{version}.dist-info/"))]
    assert outside == []
    # `seqrec` is a namespace package: no seqrec/__init__.py, and no seqrec/ folder in the repository
    # that could shadow the installed package when code runs from the repository's root
    assert "seqrec/__init__.py" not in names and not (REPO / "seqrec").exists()
    for required in ("seqrec/layers/__init__.py", "seqrec/models/__init__.py",
                     "seqrec/datasets/__init__.py", "seqrec/training/__init__.py",
                     "seqrec/evaluation/__init__.py", "seqrec/experiments/__init__.py",
                     "seqrec/reference/__init__.py", "seqrec/reference/mtam_table2.csv",
                     "seqrec/datasets/embedded/ml-latest-small.zip", "seqrec/datasets/embedded/README.md"):
        assert required in names, required


PACKAGES = {"layers": "layers", "models": "models", "datasets": "datasets", "training": "training",
            "evaluation": "evaluation", "experiments": "experiments", "reference": "paper_tables/reference"}


@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_wheel_ships_every_module_of_the_tree(wheel, package):
    """Each source folder is installed as ``seqrec/<package>``, every module in it (subfolders included:
    a subpackage missing from setup.cfg would be left out of the wheel)."""
    folder, prefix = PACKAGES[package], f"seqrec/{package}/"
    shipped = {n.removeprefix(prefix) for n in wheel.namelist() if n.startswith(prefix) and n.endswith(".py")}
    sources = {p.relative_to(REPO / folder).as_posix() for p in (REPO / folder).rglob("*.py")
               if "__pycache__" not in p.parts}
    assert shipped == sources


def test_wheel_ships_every_reference_table_and_the_licence(wheel, version):
    tables = sorted(p.name for p in (REPO / "paper_tables" / "reference").glob("*.csv"))
    assert tables and all(f"seqrec/reference/{name}" in wheel.namelist() for name in tables)
    licences = [n for n in wheel.namelist() if n.startswith(f"seqrec-{version}.dist-info/")
                and n.endswith("LICENSE")]
    assert licences


def test_wheel_top_level_is_only_seqrec(wheel, version):
    top_level = wheel.read(f"seqrec-{version}.dist-info/top_level.txt").decode().split()
    assert top_level == ["seqrec"]


def test_wheel_has_nothing_from_tests_reproduce_benchmarks(wheel):
    for name in wheel.namelist():
        parts = Path(name).parts
        assert not {"tests", "reproduce", "benchmarks"} & set(parts), name
        assert not name.endswith(("conftest.py", ".pyc")) and "/test_" not in name, name


def test_embedded_archive_is_the_real_latest_small(wheel, shared_data):
    embedded = zipfile.ZipFile(io.BytesIO(wheel.read("seqrec/datasets/embedded/ml-latest-small.zip")))
    files = sorted(n for n in embedded.namelist() if not n.endswith("/"))
    assert files == [f"ml-latest-small/{name}"
                     for name in ("README.txt", "links.csv", "movies.csv", "ratings.csv", "tags.csv")]
    manifest = (shared_data / "movielens-latest-small" / "MANIFEST.md").read_text(encoding="utf-8")
    pinned = re.search(r"^\| `ratings\.csv` \| [\d,]+ \| `([0-9a-f]{64})` \|", manifest, re.MULTILINE)
    assert pinned, "the MANIFEST has no sha256 row for ratings.csv"
    assert hashlib.sha256(embedded.read("ml-latest-small/ratings.csv")).hexdigest() == pinned.group(1)
    # the other four files are byte-identical to the real release too
    for name in ("README.txt", "links.csv", "movies.csv", "tags.csv"):
        real = (shared_data / "movielens-latest-small" / name).read_bytes()
        assert embedded.read(f"ml-latest-small/{name}") == real, name
