"""Ante-RNN Table 4: Recall@K and NDCG@K (K = 5, ..., 25) of BPR, CTR, VBPR, GRU, IARN, MLAM, MV-RNN and
Ante-RNN with its variants on MovieLens and Pinterest (or their stand-ins), the paper's number beside
ours, with a verdict on each claim of section 4.5 (Liu, Zhang and Gulla); and Figure 5 from the same runs:
Recall@20 and NDCG@20 by the number of items per user (section 4.8, no retraining).

    python reproduce/anternn_table4.py                      # small profile, every dataset present
    python reproduce/anternn_table4.py --profile paper --data-dir ~/seqrec_data

Protocol, methods and settings: `seqrec.experiments.ante_rnn`. Writes paper_tables/anternn_table4.{md,json}
and anternn_figure5.{png,md,json}.
"""

import sys
from pathlib import Path

from seqrec.experiments import cli  # isort: skip (first: it imports TensorFlow quietly)
from seqrec.experiments import ante_rnn

OUT = Path(__file__).resolve().parents[1] / "paper_tables"


def main(argv=None) -> int:
    args = cli.parse(__doc__, OUT, argv, paper=ante_rnn)
    for output in ante_rnn.table4(**cli.options(args)):
        cli.write(output, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
