"""IARN Figure 4: RMSE of IARN with and without its feature encoder (IARN vs IARN-Plain) on the datasets
that have item features (Pei et al., CIKM 2017, section 4.2).

    python reproduce/iarn_figure4.py [--profile small] [--datasets MovieLens Electronic]

Protocol and settings: `seqrec.experiments.iarn`. Writes paper_tables/iarn_figure4.{png,md,json}.
"""

import sys
from pathlib import Path

from seqrec.experiments import cli, iarn

OUT = Path(__file__).resolve().parents[1] / "paper_tables"


def main(argv=None) -> int:
    args = cli.parse(__doc__, OUT, argv, paper=iarn)
    cli.write(iarn.figure4(**cli.options(args)), args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
