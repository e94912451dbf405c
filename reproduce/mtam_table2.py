"""MTAM Table 2: HR@10 and NDCG@10 of every method on every dataset, the paper's numbers beside ours, with
MTAM's improvement over the best baseline and its paired t-test (Ji et al., 2020, section 6.4).

    python reproduce/mtam_table2.py                       # small profile, every dataset present
    python reproduce/mtam_table2.py --profile paper --data-dir ~/seqrec_data

Protocol, methods and settings: `seqrec.experiments.mtam`. Writes paper_tables/mtam_table2.{md,json}.
"""

import sys
from pathlib import Path

from seqrec.experiments import cli, mtam

OUT = Path(__file__).resolve().parents[1] / "paper_tables"


def main(argv=None) -> int:
    args = cli.parse(__doc__, OUT, argv, paper=mtam)
    cli.write(mtam.table2(**cli.options(args)), args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
