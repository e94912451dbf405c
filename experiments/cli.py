"""The command line shared by every reproduce script.

Every script takes ``--profile {smoke,small,paper}``, ``--data-dir``, ``--datasets``, ``--out`` (default:
the repository's ``paper_tables/``), ``--seed``, ``--logdir``, ``--deterministic``, ``--verbose``,
``--min-user``, ``--min-item``, ``--strategy``, ``--jit-compile``, ``--mixed-precision``, ``--resume``
(each finished (dataset, method) run, and each fit's latest epoch, is kept under ``OUT/.checkpoints``
until the output is written) and the ``--log`` flags (`RunOptions`), parses them with `parse`, calls its
paper's function with `options` and writes the output with `write`:

* ``smoke``: a minute or a few on a 2-core CPU (mostly TensorFlow's start and compilation); synthetic data
  or a tiny real slice; CI runs it for every script;
* ``small``: minutes on a 2-core CPU; real data present; the paper's protocol and hyper-parameters,
  scaled down only where the output says so;
* ``paper``: the paper's datasets, protocol and hyper-parameters as written.

Any dataset runs under the paper's protocol (`seqrec.experiments.pipeline.select`): ``--datasets`` takes
the paper table's labels and any registered dataset's name (an unknown name is an error naming the
closest ones); ``--log PATH`` runs your own interaction log, its columns named by ``--log-columns``,
``--log-user``, ``--log-item``, ``--log-time``, ``--log-rating`` (``none``: implicit feedback),
``--log-sep``, ``--log-time-format``, and ``--log-behavior COLUMN --log-keep A,B`` to keep some behaviours
(`seqrec.datasets.own_log.add_arguments`). A dataset that is not the paper's is an extra one, labelled by
its name (the log: its file name's stem), and the manifest says so. ``--min-user`` and ``--min-item``
replace the protocol's minimum counts, where it has them, and the manifest notes each as a deviation from
the paper.
"""

import os
import sys


def _verbosity(argv) -> int:
    """``--verbose N`` of a command line, read before it is parsed (0 when absent or malformed)."""
    for k, arg in enumerate(argv):
        value = arg.split("=", 1)[1] if arg.startswith("--verbose=") else (
            argv[k + 1] if arg == "--verbose" and k + 1 < len(argv) else None)
        if value is not None:
            return int(value) if value.isdigit() else 0
    return 0


def _import_tensorflow_quietly() -> None:
    """Import TensorFlow with its C++ log level at warnings-off (it reads the level once, at import) and
    the process's standard error closed meanwhile: TensorFlow 2.21 prints its oneDNN and absl notices at
    import whatever the level. An import error still raises, after standard error is back."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        import tensorflow  # noqa: F401
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


if _verbosity(sys.argv[1:]) == 0:  # quiet unless --verbose 1 or 2 is asked
    _import_tensorflow_quietly()

import argparse  # noqa: E402
import logging  # noqa: E402
import textwrap  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402
from types import ModuleType  # noqa: E402

import tensorflow_datasets as tfds  # noqa: E402

from seqrec.datasets import REGISTRY, own_log  # noqa: E402
from seqrec.training import distribute, precision  # noqa: E402

from . import resume  # noqa: E402
from .pipeline import PROFILES, RunOptions  # noqa: E402


class _Formatter(argparse.HelpFormatter):
    """Help wrapped without breaking dataset names at their hyphens."""

    def _split_lines(self, text, width):
        return textwrap.wrap(" ".join(text.split()), width, break_on_hyphens=False)


def parser(description: str, default_out: str | Path,
           paper: ModuleType | None = None) -> argparse.ArgumentParser:
    """The shared arguments; ``paper`` (e.g. `seqrec.experiments.mtam`) lists its table's labels in the help
    of ``--datasets``."""
    labels = ", ".join(p.label for p in paper.DATASETS) if paper is not None else "see the script's paper"
    p = argparse.ArgumentParser(description=description, formatter_class=_Formatter)
    p.add_argument("--profile", choices=PROFILES, default="small",
                   help="smoke: a minute or a few, synthetic data; small: minutes to hours on a CPU "
                        "(default); paper: as the paper")
    p.add_argument("--data-dir", help="raw datasets folder (default $SEQREC_DATA_DIR or ~/seqrec_data)")
    p.add_argument("--datasets", nargs="+", metavar="NAME",
                   help=f"the datasets to run: the paper table's labels ({labels}), or any registered "
                        "dataset, run under the paper's protocol as an extra dataset when it is not one the "
                        f"paper reads ({', '.join(sorted(REGISTRY))}). Default: every paper dataset present "
                        "(none with --log)")
    p.add_argument("--out", default=str(default_out), help="output folder (default %(default)s)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--logdir", help="TensorBoard log folder (scalars per epoch, hyper-parameters)")
    p.add_argument("--deterministic", action="store_true",
                   help="deterministic TensorFlow ops (slower, bit-identical reruns)")
    p.add_argument("--verbose", type=int, default=0, choices=(0, 1, 2),
                   help="Keras' verbosity; 1 or 2 also shows the messages of TensorFlow and "
                        "tensorflow-datasets, which 0 (the default) silences")
    p.add_argument("--min-user", type=int, metavar="N",
                   help="keep users with at least N events instead of the paper's threshold (a deviation "
                        "from the paper, noted in the manifest)")
    p.add_argument("--min-item", type=int, metavar="N",
                   help="keep items with at least N events instead of the paper's threshold (a deviation "
                        "from the paper, noted in the manifest)")
    p.add_argument("--strategy", choices=distribute.STRATEGIES, default="default",
                   help="distribution strategy of every Keras trainer: default (one device), mirrored (every "
                        "GPU of this machine) or multi-worker (the machines of TF_CONFIG; see the README)")
    p.add_argument("--jit-compile", choices=("on", "off"),
                   help="XLA for every Keras training step (default: each method's own choice)")
    p.add_argument("--mixed-precision", choices=(*precision.PRECISIONS, "float16"),
                   help="Keras' mixed precision for every Keras method: bfloat16 compute (a GPU's tensor "
                        "cores from the A100 on), float32 variables, logits, softmax and loss (default: "
                        "float32 throughout); float16 is refused, the time inputs in seconds overflow it")
    p.add_argument("--resume", action="store_true",
                   help="continue an interrupted run of the same command: every (dataset, method) run it "
                        f"finished, kept under OUT/{resume.FOLDER}, is read back, only the rest are computed")
    own_log.add_arguments(p)
    return p


def parse(doc: str, default_out: str | Path, argv=None,
          extra: Callable[[argparse.ArgumentParser], None] | None = None,
          paper: ModuleType | None = None,
          check: Callable[[RunOptions], None] | None = None) -> argparse.Namespace:
    """Parse a reproduce script's arguments (its docstring's first paragraph describes it; ``extra``
    adds the script's own arguments). With ``paper`` (the script's paper module), the datasets asked for
    are checked as its ``paper_datasets`` picks them: an unknown name, a missing log or a threshold the
    paper's protocol lacks is a usage error; so is a ``ValueError`` of ``check(options)``, the script's
    own rules."""
    p = parser(doc.split("\n\n")[0], default_out, paper)
    if extra is not None:
        extra(p)
    args = p.parse_args(argv)
    try:
        run_options = RunOptions(**options(args))
        distribute.get(run_options.strategy)  # made before any other TensorFlow op (multi-worker needs it)
        if paper is not None:
            paper.paper_datasets(run_options)
        if check is not None:
            check(run_options)
    except ValueError as err:
        p.error(str(err))
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING)
    if not args.verbose:
        tfds.disable_progress_bar()
        logging.getLogger("tensorflow").setLevel(logging.ERROR)
    return args


def options(args: argparse.Namespace) -> dict:
    """The `RunOptions` fields of parsed arguments, as keyword arguments of a paper's function (the
    ``--log`` flags make ``log_format``)."""
    names = RunOptions.__dataclass_fields__.keys() - {"log_format", "jit_compile", "checkpoints"}
    jit = getattr(args, "jit_compile", None)
    return {**{name: getattr(args, name) for name in names}, "log_format": own_log.log_format(args),
            "jit_compile": None if jit is None else jit == "on",
            "checkpoints": str(Path(args.out) / resume.FOLDER)}


def write(output, out: str | Path) -> None:
    """Write a `TableOutput` or `FigureOutput` to ``out`` and print its numbers (on a multi-worker
    cluster, only the chief writes: `seqrec.training.distribute.is_chief`); then the runs kept for
    ``--resume`` under ``out`` are removed (`seqrec.experiments.resume.discard`)."""
    if not distribute.is_chief():
        print(output.markdown())
        print("not written: this is not the cluster's chief (TF_CONFIG), which writes the outputs")
        return
    paths = output.write(out)
    manifest = output.manifest
    resume.discard(Path(out) / resume.FOLDER, manifest.script, manifest.profile)
    print(output.markdown())
    print("written: " + ", ".join(str(p) for p in paths))
