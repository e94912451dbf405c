"""MTAM Figures 3 and 4: HR@K and NDCG@K over K of typical models on Amazon Electronics (Figure 3) and
Ali Mobile (Figure 4), or the first Table 2 dataset present (Ji et al., 2020, section 6.4).

    python reproduce/mtam_figure3_4.py [--profile small] [--datasets Electronics "Ali Mobile"]

Protocol and settings: `seqrec.experiments.mtam`. Writes paper_tables/mtam_figure3_4.{png,md,json}.
"""

import sys
from pathlib import Path

from seqrec.experiments import cli, mtam

OUT = Path(__file__).resolve().parents[1] / "paper_tables"


def main(argv=None) -> int:
    args = cli.parse(__doc__, OUT, argv, paper=mtam)
    cli.write(mtam.figure3_4(**cli.options(args)), args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
