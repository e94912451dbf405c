"""Command line: list datasets and their status, describe one (or your own log), or download one.

    python -m seqrec.datasets [--data-dir DIR]
    python -m seqrec.datasets describe NAME [--data-dir DIR] [--download]
    python -m seqrec.datasets describe --log PATH [--log-user COLUMN ...]
    python -m seqrec.datasets download NAME [--data-dir DIR]
    python -m seqrec.datasets image-features IMAGES_DIR OUT [--backbone NAME] [--weights PATH] [--grid 6]

The ``--log`` flags are those of the reproduce scripts (`seqrec.datasets.own_log.add_arguments`).
"""

import argparse
import json
import sys

from . import image_features, locations, own_log, registry
from .errors import DataError


def _list(data_dir) -> None:
    rows = [(name, *registry.status(name, data_dir)) for name in sorted(registry.REGISTRY)]
    width = max(len(r[0]) for r in rows)
    print(f"data directory: {locations.data_dir(data_dir)}")
    print(f"{'dataset':<{width}}  {'status':<12}  where")
    for name, state, where in rows:
        print(f"{name:<{width}}  {state:<12}  {where}")


def _describe(interactions) -> None:
    summary = interactions.summary()
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
    describe.add_argument("name", nargs="?", help="a registered dataset (or pass --log)")
    describe.add_argument("--download", action="store_true", help="download it if absent")
    own_log.add_arguments(describe)
    download = sub.add_parser("download", help="download and prepare a dataset")
    download.add_argument("name")
    for p in (describe, download):
        p.add_argument("--data-dir", default=argparse.SUPPRESS)
    images = sub.add_parser("image-features", help="region features of item images, cached with a manifest "
                            "(seqrec.datasets.image_features)")
    images.add_argument("images_dir", help="one image per item, named by the item id (e.g. 1.jpg)")
    images.add_argument("out", help="output folder: features.npz and manifest.json")
    images.add_argument("--backbone", default="resnet101",
                        choices=[image_features.HANDCRAFTED, *image_features.BACKBONES],
                        help="a keras.applications CNN (default %(default)s, the paper's ResNet-101) or "
                        "hand-crafted descriptors that need no weights")
    images.add_argument("--weights", default="imagenet",
                        help="imagenet (downloaded), a local weights file, or none (untrained, tests only)")
    images.add_argument("--grid", type=int, default=6, help="regions per side (default %(default)s: 36)")
    args = parser.parse_args(argv)
    if args.command == "describe":
        if (args.name is None) == (args.log is None):
            describe.error("name a registered dataset or pass --log PATH (one of them)")
        try:
            fmt = own_log.log_format(args)
        except ValueError as err:
            describe.error(str(err))
    try:
        if args.command == "image-features":
            weights = None if args.weights == "none" else args.weights
            ids, features, manifest = image_features.compute_features(args.images_dir, args.backbone, weights,
                                                                      args.grid)
            out = image_features.save_features(args.out, ids, features, manifest)
            print(f"{len(ids):,} images -> {out / 'features.npz'}: {features.shape[1]} regions x "
                  f"{features.shape[2]} ({manifest['substitute']}), {manifest['seconds']} s")
        elif args.command == "describe" and args.log is not None:
            _describe(own_log.load_log(args.log, fmt))
        elif args.command in ("describe", "download"):
            _describe(registry.load(args.name, data_dir=args.data_dir,
                                    download=args.command == "download" or args.download))
        else:
            _list(args.data_dir)
    except DataError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
