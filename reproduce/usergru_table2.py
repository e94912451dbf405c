"""UserGRU Table 2: MRR@20 and Recall@20 of the baselines, the standard GRU and the three user-based GRUs,
the paper's numbers beside ours, with a verdict on each claim of the paper (paired t-tests over users)
(Donkers, Loepp and Ziegler, 2017, section 4.2).

    python reproduce/usergru_table2.py                       # small profile, every dataset present
    python reproduce/usergru_table2.py --profile paper --data-dir ~/seqrec_data

Protocol, methods and settings: `seqrec.experiments.usergru`. Writes paper_tables/usergru_table2.{md,json}.
"""

import sys
from pathlib import Path

from seqrec.experiments import cli, usergru

OUT = Path(__file__).resolve().parents[1] / "paper_tables"


def main(argv=None) -> int:
    def extra(p):
        p.add_argument("--lastfm-fraction", type=float, default=0.1,
                       help="share of each LastFM user's plays kept (the paper: 0.1; 1 keeps all)")

    args = cli.parse(__doc__, OUT, argv, extra, paper=usergru)
    cli.write(usergru.table2(lastfm_fraction=args.lastfm_fraction, **cli.options(args)), args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
