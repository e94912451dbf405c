"""Ante-RNN Table 5: the training time of GRU, IARN, Ante-RNN and MV-RNN trained as in Table 4, one after
the other in one run on this machine, with the ratios to GRU and seconds per epoch, the paper's number beside
ours, with a verdict on each ratio of section 4.6 (Liu, Zhang and Gulla). Run it on an idle machine.

    python reproduce/anternn_table5.py                      # small profile, every dataset present
    python reproduce/anternn_table5.py --profile paper --data-dir ~/seqrec_data

Protocol, methods and settings: `seqrec.experiments.ante_rnn`. Writes paper_tables/anternn_table5.{md,json}.
"""

import sys
from pathlib import Path

from seqrec.experiments import cli  # isort: skip (first: it imports TensorFlow quietly)
from seqrec.experiments import ante_rnn

OUT = Path(__file__).resolve().parents[1] / "paper_tables"


def main(argv=None) -> int:
    args = cli.parse(__doc__, OUT, argv, paper=ante_rnn)
    cli.write(ante_rnn.table5(**cli.options(args)), args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
