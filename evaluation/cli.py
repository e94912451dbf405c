"""The command line shared by every reproduce script.

Every script takes ``--profile {smoke,small,paper}``, ``--data-dir``, ``--datasets``, ``--out``
(default: the repository's ``paper_tables/``), ``--seed``, ``--logdir`` and ``--deterministic``:

* ``smoke``: seconds; synthetic data or a tiny real slice; CI runs it for every script;
* ``small``: minutes on a 2-core CPU; real data present; the paper's protocol and hyper-parameters,
  scaled down only where the output says so;
* ``paper``: the paper's datasets, protocol and hyper-parameters as written.
"""

import argparse
import logging
from pathlib import Path

from tqdm import tqdm

PROFILES = ("smoke", "small", "paper")


def parser(description: str, default_out: str | Path) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--profile", choices=PROFILES, default="small",
                   help="smoke: seconds; small: minutes on a CPU (default); paper: as the paper")
    p.add_argument("--data-dir", help="raw datasets folder (default $SEQREC_DATA_DIR or ~/seqrec_data)")
    p.add_argument("--datasets", nargs="+", metavar="NAME",
                   help="the paper datasets to run (default: every one present)")
    p.add_argument("--out", default=str(default_out), help="output folder (default %(default)s)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--logdir", help="TensorBoard log folder (scalars per epoch, hyper-parameters)")
    p.add_argument("--deterministic", action="store_true",
                   help="deterministic TensorFlow ops (slower, bit-identical reruns)")
    return p


class Progress:
    """A progress bar over a script's plan of steps (dataset x method), with a line per finished step."""

    def __init__(self, steps: int, label: str = "runs"):
        self.bar = tqdm(total=steps, unit=label, dynamic_ncols=True)

    def step(self, what: str) -> None:
        tqdm.write(what)
        self.bar.update(1)


def start(doc: str, stem: str, profiles: dict, default_out: str | Path, argv=None, options=None):
    """Parse a reproduce script's arguments and open its run: returns ``(args, profile, manifest)``,
    the manifest already noting everything the profile scales down (``profile.scaled``).
    ``options(parser)`` adds a script's own arguments."""
    from .manifest import Manifest

    p = parser(doc.split("\n\n")[0], default_out)
    if options is not None:
        options(p)
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    profile = profiles[args.profile]
    manifest = Manifest(script=f"reproduce/{stem}.py", profile=args.profile, seed=args.seed)
    manifest.notes += [f"{args.profile} profile: {s}" for s in profile.scaled]
    return args, profile, manifest


def logdir(args: argparse.Namespace, *parts: str) -> Path | None:
    """The TensorBoard folder of one run under ``--logdir`` (``None`` when no ``--logdir`` was given)."""
    return Path(args.logdir, *parts) if args.logdir else None
