"""DMRAN Figure 5: DMRAN's AUC for r (the rows of the item-level attention) in {2, 5, 8, 10, 15, 20}
on every dataset present, beside the values section 5.4 quotes (Wang et al., 2019, section 5.4).

    python reproduce/dmran_figure5.py [--profile small] [--rows 2 5 10]

Protocol and settings: `seqrec.experiments.dmran`. Writes paper_tables/dmran_figure5.{png,md,json}.
"""

import sys
from pathlib import Path

from seqrec.experiments import cli, dmran

OUT = Path(__file__).resolve().parents[1] / "paper_tables"


def main(argv=None) -> int:
    def extra(p):
        p.add_argument("--rows", type=int, nargs="+", default=list(dmran.ROWS),
                       help="values of r to run (default: the paper's 2 5 8 10 15 20)")

    args = cli.parse(__doc__, OUT, argv, extra, paper=dmran)
    cli.write(dmran.figure5(rows=tuple(args.rows), **cli.options(args)), args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
