"""Ante-RNN Figure 8: a user's interest topics (Eq. 7) week by week, the three that weigh most in the
user's latest week (Liu, Zhang and Gulla, section 4.10.1).

    python reproduce/anternn_figure8.py [--profile small] [--datasets MovieLens]

Protocol and settings: `seqrec.experiments.ante_rnn`. Writes paper_tables/anternn_figure8.{png,md,json}.
"""

import sys
from pathlib import Path

from seqrec.experiments import cli  # isort: skip (first: it imports TensorFlow quietly)
from seqrec.experiments import ante_rnn

OUT = Path(__file__).resolve().parents[1] / "paper_tables"


def main(argv=None) -> int:
    args = cli.parse(__doc__, OUT, argv, paper=ante_rnn)
    cli.write(ante_rnn.figure8(**cli.options(args)), args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
