"""IARN Figure 5: the attention scores IARN gives every step of a user's and an item's history, for
real (user, item) pairs with an observed rating (Pei et al., CIKM 2017, section 4.2).

    python reproduce/iarn_figure5.py [--profile small] [--datasets MovieLens]

Protocol and settings: `seqrec.experiments.iarn`. Writes paper_tables/iarn_figure5.{png,md,json}.
"""

import sys
from pathlib import Path

from seqrec.experiments import cli, iarn

OUT = Path(__file__).resolve().parents[1] / "paper_tables"


def main(argv=None) -> int:
    args = cli.parse(__doc__, OUT, argv, paper=iarn)
    cli.write(iarn.figure5(**cli.options(args)), args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
