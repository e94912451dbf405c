"""Ante-RNN Table 6: Recall@20 and NDCG@20 of Ante-RNN with each attention setting (None, T, C-T_w, C-δt,
C, T+C-T_w, T+C-δt, T+C) on MovieLens and Pinterest (or their stand-ins), the paper's number beside
ours, with a verdict on each claim of section 4.7 (Liu, Zhang and Gulla).

    python reproduce/anternn_table6.py                      # small profile, every dataset present
    python reproduce/anternn_table6.py --profile paper --data-dir ~/seqrec_data

Protocol, methods and settings: `seqrec.experiments.ante_rnn`. Writes paper_tables/anternn_table6.{md,json}.
"""

import sys
from pathlib import Path

from seqrec.experiments import cli  # isort: skip (first: it imports TensorFlow quietly)
from seqrec.experiments import ante_rnn

OUT = Path(__file__).resolve().parents[1] / "paper_tables"


def main(argv=None) -> int:
    args = cli.parse(__doc__, OUT, argv, paper=ante_rnn)
    cli.write(ante_rnn.table6(**cli.options(args)), args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
