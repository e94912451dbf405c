"""Run manifests: everything needed to know how an output was made.

A manifest holds the script and command, profile, seed, every dataset actually used (its hash, source,
and whether it substitutes for the paper's dataset), each dataset's protocol report, the
hyper-parameters, library versions, hardware and wall time.
"""

import dataclasses
import datetime
import os
import platform
import sys
import time
from importlib.metadata import PackageNotFoundError, version


def versions() -> dict[str, str]:
    """Versions of Python and the libraries a result depends on."""
    out = {"python": platform.python_version()}
    for package in ("seqrec", "tensorflow", "tensorflow-cpu", "keras", "tensorflow-datasets", "numpy",
                    "pandas", "scikit-learn", "scipy"):
        try:
            out[package] = version(package)
        except PackageNotFoundError:
            continue
    return out


def hardware() -> dict:
    """CPU, core count and accelerators visible to TensorFlow."""
    import tensorflow as tf

    gpus = [d.name for d in tf.config.list_physical_devices("GPU")]
    return {"platform": platform.platform(), "processor": platform.processor() or platform.machine(),
            "cpu_cores": os.cpu_count(), "gpus": gpus}


def dataset_role(entry: dict) -> str:
    """How a manifest's dataset entry relates to the paper's dataset, for the outputs' headers."""
    if entry.get("extra"):
        return "not one of the paper's datasets, run under its protocol"
    role = "substitute for" if entry["substitute"] else "the paper's"
    return f"{role} {entry['paper_dataset']}"


@dataclasses.dataclass
class Manifest:
    """The run manifest written at the head of every table and figure."""

    script: str
    profile: str
    seed: int
    datasets: list[dict] = dataclasses.field(default_factory=list)
    protocols: dict[str, str] = dataclasses.field(default_factory=dict)
    hyperparameters: dict = dataclasses.field(default_factory=dict)
    notes: list[str] = dataclasses.field(default_factory=list)
    command: str = dataclasses.field(default_factory=lambda: " ".join([os.path.basename(sys.executable),
                                                                       *sys.argv]))
    started: str = dataclasses.field(
        default_factory=lambda: datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"))
    versions: dict = dataclasses.field(default_factory=versions)
    hardware: dict = dataclasses.field(default_factory=hardware)
    wall_time_s: float | None = None
    _t0: float = dataclasses.field(default_factory=time.perf_counter, repr=False)

    def add_dataset(self, name: str, paper_dataset: str, interactions, substitute: bool,
                    protocol: str, extra: bool = False) -> None:
        """Record a dataset used for the paper's ``paper_dataset`` (``extra``: not one of the paper's
        datasets, run under its protocol because it was asked for)."""
        summary = interactions.summary()
        self.datasets.append({
            "paper_dataset": paper_dataset, "name": name, "substitute": substitute,
            "source": interactions.source, "sha256": interactions.fingerprint(),
            "users": summary["users"], "items": summary["items"],
            "interactions": summary["interactions"], **({"extra": True} if extra else {}),
        })
        self.protocols[paper_dataset] = protocol

    def finish(self) -> "Manifest":
        self.wall_time_s = round(time.perf_counter() - self._t0, 1)
        return self

    def to_dict(self) -> dict:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)
                if not f.name.startswith("_")}
