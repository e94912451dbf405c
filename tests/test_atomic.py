"""`seqrec.datasets.atomic`: a write killed half-way leaves the previous file whole, and the table, figure
and feature-cache writers all write that way."""

import os
import signal
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from seqrec.datasets import atomic
from seqrec.datasets import image_features as fx
from seqrec.evaluation.figures import write_figure
from seqrec.evaluation.manifest import Manifest
from seqrec.evaluation.tables import Cell, write_table

KILLED_WRITER = """
import sys, time
from seqrec.datasets import atomic
with atomic.replacing(sys.argv[1]) as temporary:
    with open(temporary, "w") as handle:
        handle.write("new, half written")
        handle.flush()
        print("writing", flush=True)
        time.sleep(60)
"""


def test_write_text_replaces_with_the_default_mode_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "deep" / "table.md"
    atomic.write_text(target, "one")
    atomic.write_text(target, "two")
    assert target.read_text(encoding="utf-8") == "two"
    assert os.listdir(target.parent) == ["table.md"]
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask  # not tempfile's private 0600


def test_an_error_inside_the_block_keeps_the_old_file(tmp_path):
    target = tmp_path / "results.json"
    target.write_text("old", encoding="utf-8")
    with pytest.raises(RuntimeError), atomic.replacing(target) as temporary:
        temporary.write_text("new, half", encoding="utf-8")
        raise RuntimeError("killed")
    assert target.read_text(encoding="utf-8") == "old"
    assert os.listdir(tmp_path) == ["results.json"]


def test_a_process_killed_mid_write_leaves_the_old_file_whole(tmp_path):
    target = tmp_path / "table.json"
    target.write_text('{"old": true}', encoding="utf-8")
    writer = subprocess.Popen([sys.executable, "-c", KILLED_WRITER, str(target)], stdout=subprocess.PIPE,
                              text=True)
    try:
        assert writer.stdout.readline().strip() == "writing"
        writer.send_signal(signal.SIGKILL)
    finally:
        writer.wait(timeout=60)
    assert writer.returncode == -signal.SIGKILL
    assert target.read_text(encoding="utf-8") == '{"old": true}'
    leftovers = [p.name for p in tmp_path.iterdir() if p != target]
    assert len(leftovers) == 1 and leftovers[0].startswith(".table.") and leftovers[0].endswith(".json")


@pytest.fixture
def failing_rename(monkeypatch):
    """Every rename of `atomic` fails, as if the process died just before it."""
    def fail(source, target):
        raise OSError("killed before the rename")
    monkeypatch.setattr(atomic.os, "replace", fail)


def _old(paths) -> dict:
    for path in paths:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"old " + path.suffix.encode())
    return {path: path.read_bytes() for path in paths}


def test_tables_figures_and_feature_caches_write_atomically(tmp_path, failing_rename):
    manifest = Manifest(script="test", profile="smoke", seed=0)
    table = _old([tmp_path / "t.md", tmp_path / "t.json"])
    with pytest.raises(OSError, match="killed"):
        write_table([Cell("D", "M", "AUC", "0.5", 0.6, "ok")], "t", tmp_path, manifest, "T")
    figure = _old([tmp_path / "f.png", tmp_path / "f.md", tmp_path / "f.json"])
    with pytest.raises(OSError, match="killed"):
        write_figure(Figure(), pd.DataFrame({"x": [1]}), "f", tmp_path, manifest, "F")
    cache = _old([tmp_path / "cache" / "features.npz", tmp_path / "cache" / "manifest.json"])
    with pytest.raises(OSError, match="killed"):
        fx.save_features(tmp_path / "cache", np.array(["1"]), np.zeros((1, 4, 2)), {"grid": 2})
    for path, content in {**table, **figure, **cache}.items():
        assert path.read_bytes() == content, path
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == sorted(
        p.name for p in [*table, *figure, *cache])
