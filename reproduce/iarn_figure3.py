"""IARN Figure 3: RMSE of the four recurrent backbones (RNN, LSTM, TAGM, IARN-Plain) by the minimum
length of user and item sequences, {3, 10, 20, 30, 50, 100} (Pei et al., CIKM 2017, section 4.2).

    python reproduce/iarn_figure3.py [--profile small] [--datasets Electronic Home]

Protocol and settings: `seqrec.experiments.iarn`. Writes paper_tables/iarn_figure3.{png,md,json}.
"""

import sys
from pathlib import Path

from seqrec.experiments import cli, iarn

OUT = Path(__file__).resolve().parents[1] / "paper_tables"


def main(argv=None) -> int:
    args = cli.parse(__doc__, OUT, argv, paper=iarn, check=iarn.check_figure3)
    cli.write(iarn.figure3(**cli.options(args)), args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
