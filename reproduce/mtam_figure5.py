"""MTAM Figure 5: HR@10 and NDCG@10 of MTAM with 0 to 8 hops (0 hops is T-GRU alone) on every dataset
present (Ji et al., 2020, section 6.6).

    python reproduce/mtam_figure5.py [--profile small] [--hops 0 1 2 4 8]

Protocol and settings: `seqrec.experiments.mtam`. Writes paper_tables/mtam_figure5.{png,md,json}.
"""

import sys
from pathlib import Path

from seqrec.experiments import cli, mtam

OUT = Path(__file__).resolve().parents[1] / "paper_tables"


def main(argv=None) -> int:
    def extra(p):
        p.add_argument("--hops", type=int, nargs="+", default=list(mtam.HOPS),
                       help="hop counts to run (default: the paper's 0-8)")

    args = cli.parse(__doc__, OUT, argv, extra, paper=mtam)
    cli.write(mtam.figure5(hops=tuple(args.hops), **cli.options(args)), args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
