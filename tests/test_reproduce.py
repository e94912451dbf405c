"""Every reproduce script runs end to end in its smoke profile and writes its outputs."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest
import tensorflow as tf
from tests_paths import REPRODUCE

SCRIPTS = {
    "iarn_table2.py": ["iarn_table2.md", "iarn_table2.json"],
    "iarn_figure3.py": ["iarn_figure3.png", "iarn_figure3.md", "iarn_figure3.json"],
    "iarn_figure4.py": ["iarn_figure4.png", "iarn_figure4.md", "iarn_figure4.json"],
    "iarn_figure5.py": ["iarn_figure5.png", "iarn_figure5.md", "iarn_figure5.json"],
    "mtam_table2.py": ["mtam_table2.md", "mtam_table2.json"],
    "mtam_table3.py": ["mtam_table3.md", "mtam_table3.json"],
    "mtam_figure3_4.py": ["mtam_figure3_4.png", "mtam_figure3_4.md", "mtam_figure3_4.json"],
    "mtam_figure5.py": ["mtam_figure5.png", "mtam_figure5.md", "mtam_figure5.json"],
    "usergru_table2.py": ["usergru_table2.md", "usergru_table2.json"],
    "dmran_table2.py": ["dmran_table2.md", "dmran_table2.json"],
    "dmran_figure3_4.py": ["dmran_figure3_4.png", "dmran_figure3_4.md", "dmran_figure3_4.json"],
    "dmran_figure5.py": ["dmran_figure5.png", "dmran_figure5.md", "dmran_figure5.json"],
    "anternn_table4.py": ["anternn_figure5.png", "anternn_figure5.md", "anternn_figure5.json",
                          "anternn_table4.md", "anternn_table4.json"],
    "anternn_table5.py": ["anternn_table5.md", "anternn_table5.json"],
    "anternn_table6.py": ["anternn_table6.md", "anternn_table6.json"],
    "anternn_figure6_7.py": ["anternn_figure6_7.png", "anternn_figure6_7.md", "anternn_figure6_7.json"],
    "anternn_figure8.py": ["anternn_figure8.png", "anternn_figure8.md", "anternn_figure8.json"],
    "anternn_figure9.py": ["anternn_figure9.png", "anternn_figure9.md", "anternn_figure9.json"],
}
UNTRAINED = {"anternn_figure8.py"}  # figures of data alone (topics from the training part): no method fitted
UNTESTED = {"anternn_table5.py"}  # training times: the methods are fitted, not tested


def _environment(cache_dir) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    env["SEQREC_CACHE_DIR"] = str(cache_dir)
    return env


@pytest.mark.parametrize("script", sorted(SCRIPTS))
def test_script_smoke(script, tmp_path, cache_dir):
    done = subprocess.run([sys.executable, str(REPRODUCE / script), "--profile", "smoke", "--out",
                           str(tmp_path), "--logdir", str(tmp_path / "tb")],
                          capture_output=True, text=True, env=_environment(cache_dir), timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    # quiet by default: none of TensorFlow's C++ log lines (I0000 ..., W0000 ...) or tfds' prints
    noise = [line for line in done.stderr.splitlines()
             if (line[:1] in "IWE" and line[1:5].isdigit()) or "absl::InitializeLog" in line]
    assert not noise, noise[:3]
    assert "Downloading and preparing" not in done.stdout
    for name in SCRIPTS[script]:
        assert (tmp_path / name).stat().st_size > 0, name
    stem = SCRIPTS[script][-1]
    payload = json.loads((tmp_path / stem).read_text())
    assert payload["manifest"]["profile"] == "smoke" and payload["manifest"]["wall_time_s"] > 0
    assert any(d["substitute"] for d in payload["manifest"]["datasets"])
    if "cells" in payload:  # a table: only ok cells carry our number, and some are ok
        assert all((c["ours"] is not None) == (c["status"] == "ok") for c in payload["cells"])
        assert sum(c["status"] == "ok" for c in payload["cells"]) >= 4
    else:
        assert payload["rows"], "a figure without numbers"
    assert "Run manifest" in (tmp_path / SCRIPTS[script][-2]).read_text()
    if script in UNTRAINED:
        return
    # TensorBoard: one folder per script and run; every fitted method has its settings and final metrics
    runs = [p for p in (tmp_path / "tb").glob("*/*") if p.is_dir()]
    assert len(runs) == 1 and runs[0].parent.name.endswith(script.removesuffix(".py").split("_", 1)[1]), runs
    finals = {p.parent.name for p in runs[0].rglob("events.out.tfevents.*")
              if p.parent.name not in ("train", "validation", "attention")
              and any(v.tag.startswith("test/") for e in tf.compat.v1.train.summary_iterator(str(p))
                      for v in e.summary.value)}
    assert bool(finals) != (script in UNTESTED), "test metrics logged: " + ", ".join(sorted(finals))


def test_a_table_run_killed_between_methods_resumes_to_the_same_table(tmp_path, cache_dir):
    """SIGKILL a smoke run once it has kept three (dataset, method) runs; rerun with --resume: the kept
    runs are read back, not refitted, and the table equals an uninterrupted run's, cell for cell."""
    script, env = [sys.executable, str(REPRODUCE / "usergru_table2.py"), "--profile", "smoke",
                   "--deterministic"], _environment(cache_dir)
    full = subprocess.run([*script, "--out", str(tmp_path / "full")], capture_output=True, text=True, env=env,
                          timeout=900)
    assert full.returncode == 0, full.stderr[-3000:]
    assert not (tmp_path / "full" / ".checkpoints").exists()  # removed once the table is written
    out = tmp_path / "killed"
    killed = subprocess.Popen([*script, "--out", str(out)], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, env=env)
    deadline, kept = time.monotonic() + 600, []
    while len(kept) < 3 and killed.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
        kept = [p for p in out.rglob("*.pkl") if not p.name.startswith(".")]  # not a write under way
    killed.send_signal(signal.SIGKILL)
    killed.wait(60)
    assert len(kept) >= 3 and not (out / "usergru_table2.json").exists(), kept
    resumed = subprocess.run([*script, "--out", str(out), "--resume"], capture_output=True, text=True,
                             env=env, timeout=900)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert resumed.stderr.count(", read back)") == len(kept), resumed.stderr[-3000:]
    table = json.loads((out / "usergru_table2.json").read_text())
    notes = [n for n in table["manifest"]["notes"] if "read back from" in n]
    assert len(notes) == len(kept), notes
    expected = json.loads((tmp_path / "full" / "usergru_table2.json").read_text())["cells"]
    assert table["cells"] == expected
    assert not (out / ".checkpoints").exists()
