"""Ante-RNN Figures 6 and 7: Recall@20 and NDCG@20 of Table 4's methods by embedding size D in {32, 64, 128,
256, 512} (Figure 6) and of Ante-RNN by contextual window w_c in 1..6 (Figure 7) on MovieLens and Pinterest
(or their stand-ins), with a verdict on each claim of section 4.9 (Liu, Zhang and Gulla).

    python reproduce/anternn_figure6_7.py                   # small profile, every dataset present
    python reproduce/anternn_figure6_7.py --profile paper --data-dir ~/seqrec_data

Protocol, methods and settings: `seqrec.experiments.ante_rnn`. Writes
paper_tables/anternn_figure6_7.{png,md,json}.
"""

import sys
from pathlib import Path

from seqrec.experiments import cli  # isort: skip (first: it imports TensorFlow quietly)
from seqrec.experiments import ante_rnn

OUT = Path(__file__).resolve().parents[1] / "paper_tables"


def main(argv=None) -> int:
    args = cli.parse(__doc__, OUT, argv, paper=ante_rnn)
    cli.write(ante_rnn.figure6_7(**cli.options(args)), args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
