"""Shared checks of the dataset builders' tests: tiny copies written to a data directory, and bad input
refused with a message that names the file and the defect."""

from pathlib import Path

import pytest

from seqrec.datasets import DataError, load


def write_copy(data_dir: Path, name: str, files: dict[str, str]) -> Path:
    """Write ``files`` (file name -> text) into ``data_dir/name/``; returns that folder."""
    folder = data_dir / name
    folder.mkdir(parents=True)
    for file, content in files.items():
        (folder / file).write_text(content, encoding="utf-8")
    return folder


def assert_refused(tmp_path: Path, name: str, files: dict[str, str], culprit: str, parts) -> None:
    """Loading a copy made of ``files`` raises `DataError` naming the ``culprit`` file and every one of
    ``parts``."""
    folder = write_copy(tmp_path, name, files)
    with pytest.raises(DataError) as err:
        load(name, data_dir=tmp_path, cache_dir=tmp_path / "cache")
    message = str(err.value)
    assert str(folder / culprit) in message, message
    for part in parts:
        assert part in message, message
