"""Table-level resume: each finished (dataset, method) run of a table kept on disk as it completes, so
that a run killed between methods and started again with ``--resume`` computes only what is missing.

`RunStore` keeps one pickle per run (its test result, what its fit reported, seconds, the method's name
and hyper-parameters) under
``<checkpoints>/<script>/<profile>/seed<seed>/<dataset label>/<dataset folder>/<method>.pkl``
(`seqrec.datasets.atomic`: a kill never leaves a half-written one), with a key: the dataset's name, data
hash and protocol, the method's grid, the run's options and the suite's version. A stored run is read back
only with ``--resume`` and only when its key matches this run's; the method it holds is a `Restored`
stand-in (name and hyper-parameters, not the fitted model), so a script that reads a fitted model after
the run (a figure of attention weights) names its methods in ``run(..., fitted=...)`` and they are always
fitted again. The command line (`seqrec.experiments.cli.write`) removes the script's stored runs once its
output is written: they serve an interrupted run only.

Pickle is read from the user's own checkpoint folder, written by this module; ``--resume`` assumes the
code has not changed since the interrupted run (the key holds the suite's version, not its source).
"""

import dataclasses
import json
import pickle
import re
import shutil
from pathlib import Path
from typing import Any

from seqrec.datasets import atomic
from seqrec.evaluation.manifest import versions
from seqrec.training import distribute

FOLDER = ".checkpoints"  # under a script's output folder (`cli`)
OPTION_KEYS = ("profile", "seed", "deterministic", "min_user", "min_item", "strategy", "jit_compile")


@dataclasses.dataclass
class Restored:
    """The method of a run read back from disk: its table name and hyper-parameters, no model."""

    name: str
    hyperparameters: dict

    def fit(self, data, context) -> dict:
        raise RuntimeError(f"{self.name} was read back from an interrupted run (--resume): it has no model "
                           "to fit; name it in run(..., fitted=...) to have it fitted again")


def _slug(text: str) -> str:
    """``text`` as one safe path component (letters, digits, ``.=,+-`` kept, the rest ``_``)."""
    return re.sub(r"[^\w.=,+-]", "_", text).strip(".") or "_"


def script_folder(checkpoints: str | Path, script: str, profile: str) -> Path:
    """The folder of a script's stored runs in a profile, every seed's (``script`` as the manifest names
    it, ``seqrec.experiments.mtam.table2``)."""
    return Path(checkpoints) / "_".join(script.split(".")[-2:]) / profile


class RunStore:
    """The stored runs of one `seqrec.experiments.pipeline.run` call (see the module docstring).

    Args:
      checkpoints: the checkpoint folder (`RunOptions.checkpoints`).
      script: the script, as its manifest names it.
      options: the run's `RunOptions` (their ``OPTION_KEYS`` enter each run's key; ``resume``: read
        matching stored runs back, else only write them).
    """

    def __init__(self, checkpoints: str | Path, script: str, options):
        self.folder = script_folder(checkpoints, script, options.profile) / f"seed{options.seed}"
        self.resume, self.options = options.resume, {k: getattr(options, k) for k in OPTION_KEYS}
        self._hashes: dict[str, str] = {}

    def path(self, prepared, method: str) -> Path:
        where = [_slug(prepared.label), *(_slug(p) for p in (prepared.folder or prepared.name).split("/"))]
        return self.folder.joinpath(*where, f"{_slug(method)}.pkl")

    def key(self, prepared, spec) -> dict:
        """What must match for a stored run to stand for this one."""
        data = f"{prepared.label}/{prepared.folder}"
        if data not in self._hashes:
            self._hashes[data] = prepared.interactions.fingerprint()
        return {"dataset": prepared.name, "sha256": self._hashes[data],
                "protocol": prepared.split.describe(), "method": spec.name,
                "grid": {k: [repr(v) for v in values] for k, values in spec.grid.items()},
                "options": self.options, "seqrec": versions().get("seqrec")}

    def load(self, prepared, spec) -> tuple[Any, Path] | None:
        """``(the stored run as (test, info, seconds, Restored), its path)`` when resuming and a stored run's
        key matches this run's; else None."""
        path = self.path(prepared, spec.name)
        if not self.resume or not path.is_file():
            return None
        with path.open("rb") as f:
            stored = pickle.load(f)
        if stored["key"] != self.key(prepared, spec):
            return None
        method = Restored(stored["name"], stored["hyperparameters"])
        return (stored["test"], stored["info"], stored["seconds"], method), path

    def fit_folder(self, prepared, spec, point: str) -> Path:
        """The per-epoch checkpoints of one fit of a run (a grid point, ``point``; one folder per task of
        a cluster, `seqrec.training.distribute.task_name`): emptied first, unless resuming a run with
        the same key; removed when the run is stored (`save`)."""
        task = distribute.task_name() or "_"
        folder = self.path(prepared, spec.name).with_suffix("") / _slug(point) / task
        key, expected = folder / "key.json", json.dumps(self.key(prepared, spec), sort_keys=True)
        if not (self.resume and key.is_file() and key.read_text(encoding="utf-8") == expected):
            shutil.rmtree(folder, ignore_errors=True)
            atomic.write_text(key, expected)
        return folder

    def save(self, prepared, spec, run_) -> Path:
        """Store a finished run (atomically) and remove its fits' per-epoch checkpoints."""
        path = self.path(prepared, spec.name)
        payload = {"key": self.key(prepared, spec), "name": run_.method.name,
                   "hyperparameters": run_.method.hyperparameters, "test": run_.test, "info": run_.info,
                   "seconds": run_.seconds}
        with atomic.replacing(path) as temporary, temporary.open("wb") as f:
            pickle.dump(payload, f, protocol=pickle.HIGHEST_PROTOCOL)
        shutil.rmtree(path.with_suffix(""), ignore_errors=True)
        return path


def discard(checkpoints: str | Path, script: str, profile: str) -> None:
    """Remove a script's stored runs in a profile (its output is written) and the checkpoint folders
    left empty."""
    folder = script_folder(checkpoints, script, profile)
    shutil.rmtree(folder, ignore_errors=True)
    for parent in (folder.parent, Path(checkpoints)):
        if parent.is_dir() and not any(parent.iterdir()):
            parent.rmdir()
