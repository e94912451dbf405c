"""The command line shared by every reproduce script.

Every script takes ``--profile {smoke,small,paper}``, ``--data-dir``, ``--datasets``, ``--out`` (default:
the repository's ``paper_tables/``), ``--seed``, ``--logdir``, ``--deterministic`` and ``--verbose``
(`RunOptions`), parses them with `parse`, calls its paper's function with `options` and writes the
output with `write`:

* ``smoke``: seconds; synthetic data or a tiny real slice; CI runs it for every script;
* ``small``: minutes on a 2-core CPU; real data present; the paper's protocol and hyper-parameters,
  scaled down only where the output says so;
* ``paper``: the paper's datasets, protocol and hyper-parameters as written.
"""

import argparse
import logging
from collections.abc import Callable
from pathlib import Path

from .pipeline import PROFILES, RunOptions


def parser(description: str, default_out: str | Path) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--profile", choices=PROFILES, default="small",
                   help="smoke: seconds; small: minutes on a CPU (default); paper: as the paper")
    p.add_argument("--data-dir", help="raw datasets folder (default $SEQREC_DATA_DIR or ~/seqrec_data)")
    p.add_argument("--datasets", nargs="+", metavar="NAME",
                   help="the paper datasets to run, by the table's labels (default: every one present)")
    p.add_argument("--out", default=str(default_out), help="output folder (default %(default)s)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--logdir", help="TensorBoard log folder (scalars per epoch, hyper-parameters)")
    p.add_argument("--deterministic", action="store_true",
                   help="deterministic TensorFlow ops (slower, bit-identical reruns)")
    p.add_argument("--verbose", type=int, default=0, choices=(0, 1, 2), help="Keras' verbosity")
    return p


def parse(doc: str, default_out: str | Path, argv=None,
          extra: Callable[[argparse.ArgumentParser], None] | None = None) -> argparse.Namespace:
    """Parse a reproduce script's arguments (its docstring's first paragraph describes it; ``extra``
    adds the script's own arguments)."""
    p = parser(doc.split("\n\n")[0], default_out)
    if extra is not None:
        extra(p)
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    return args


def options(args: argparse.Namespace) -> dict:
    """The `RunOptions` fields of parsed arguments, as keyword arguments of a paper's function."""
    return {field: getattr(args, field) for field in RunOptions.__dataclass_fields__}


def write(output, out: str | Path) -> None:
    """Write a `TableOutput` or `FigureOutput` to ``out`` and print its numbers."""
    paths = output.write(out)
    print(output.markdown())
    print("written: " + ", ".join(str(p) for p in paths))
