"""DMRAN Figures 3 and 4: the AUC along training of the neural baselines and DMRAN (Figure 3) and of
DMRAN and its variants (Figure 4) on Amazon Electronic or its stand-in (Wang et al., 2019, section 5.2);
ours is the validation AUC after every epoch, since nothing may read the test part during training.

    python reproduce/dmran_figure3_4.py [--profile small]
    python reproduce/dmran_figure3_4.py --from-table paper_tables/dmran_table2.json   # no training

Protocol and settings: `seqrec.experiments.dmran`. Writes paper_tables/dmran_figure3_4.{png,md,json}.
"""

import sys
from pathlib import Path

from seqrec.experiments import cli, dmran

OUT = Path(__file__).resolve().parents[1] / "paper_tables"


def main(argv=None) -> int:
    def extra(p):
        p.add_argument("--from-table", metavar="JSON",
                       help="draw the curves of a Table 2 run (the JSON reproduce/dmran_table2.py wrote) "
                            "instead of training the methods again")

    args = cli.parse(__doc__, OUT, argv, extra, paper=dmran)
    cli.write(dmran.figure3_4(from_table=args.from_table, **cli.options(args)), args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
