"""IARN Table 2: rating prediction (RMSE) and personalised ranking (AUC) of every method on every
dataset, the paper's numbers beside ours (Pei et al., CIKM 2017).

    python reproduce/iarn_table2.py                       # small profile, every dataset present
    python reproduce/iarn_table2.py --profile paper --data-dir ~/seqrec_data

Protocol, methods and settings: `seqrec.experiments.iarn`. Writes paper_tables/iarn_table2.{md,json}.
"""

import sys
from pathlib import Path

from seqrec.experiments import cli, iarn

OUT = Path(__file__).resolve().parents[1] / "paper_tables"


def main(argv=None) -> int:
    args = cli.parse(__doc__, OUT, argv, paper=iarn)
    cli.write(iarn.table2(**cli.options(args)), args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
