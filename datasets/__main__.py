"""Command line: list datasets and their status, describe one, or download one.

    python -m seqrec.datasets [--data-dir DIR]
    python -m seqrec.datasets describe NAME [--data-dir DIR] [--download]
    python -m seqrec.datasets download NAME [--data-dir DIR]
"""

import argparse
import json
import sys

from . import locations, registry
from .errors import DataError


def _list(data_dir) -> None:
    rows = [(name, *registry.status(name, data_dir)) for name in sorted(registry.REGISTRY)]
    width = max(len(r[0]) for r in rows)
    print(f"data directory: {locations.data_dir(data_dir)}")
    print(f"{'dataset':<{width}}  {'status':<12}  where")
    for name, state, where in rows:
        print(f"{name:<{width}}  {state:<12}  {where}")


def _describe(name: str, data_dir, download: bool) -> None:
    summary = registry.load(name, data_dir=data_dir, download=download).summary()
    lengths = summary.pop("sequence_length")
    for key, value in summary.items():
        print(f"{key:<20} {value:.6f}" if isinstance(value, float) else f"{key:<20} {value}")
    print(f"{'sequence length':<20} " + json.dumps({k: round(v, 1) for k, v in lengths.items()}))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m seqrec.datasets", description=__doc__.split(
        "\n")[0])
    parser.add_argument("--data-dir", help=f"raw data folder (default ${locations.DATA_DIR_ENV} "
                        "or ~/seqrec_data)")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("list", help="every dataset with its status (the default)")
    describe = sub.add_parser("describe", help="users, items, interactions, time span, density, "
                              "sequence-length quantiles")
    describe.add_argument("name")
    describe.add_argument("--download", action="store_true", help="download it if absent")
    download = sub.add_parser("download", help="download and prepare a dataset")
    download.add_argument("name")
    for p in (describe, download):
        p.add_argument("--data-dir", default=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    try:
        if args.command == "describe":
            _describe(args.name, args.data_dir, args.download)
        elif args.command == "download":
            _describe(args.name, args.data_dir, True)
        else:
            _list(args.data_dir)
    except DataError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
