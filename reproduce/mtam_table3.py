"""MTAM Table 3: the ablations of MTAM's components (Ji et al., 2020, section 6.5), HR@10 and NDCG@10 of
GRU, MTAM and its variants, the paper's numbers beside ours, with the best variant's improvement over GRU.

    python reproduce/mtam_table3.py                       # small profile, every dataset present
    python reproduce/mtam_table3.py --profile paper --data-dir ~/seqrec_data

Protocol, methods and settings: `seqrec.experiments.mtam`. Writes paper_tables/mtam_table3.{md,json}.
"""

import sys
from pathlib import Path

from seqrec.experiments import cli, mtam

OUT = Path(__file__).resolve().parents[1] / "paper_tables"


def main(argv=None) -> int:
    args = cli.parse(__doc__, OUT, argv, paper=mtam)
    cli.write(mtam.table3(**cli.options(args)), args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
