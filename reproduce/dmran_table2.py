"""DMRAN Table 2: the paper's AUC of BPR-MF, Bi-LSTM, Bi-LSTM+Attention, CNN+Pooling, ATRank, DMRAN and
its variants on Amazon Electronic and Clothing (or their stand-ins), the paper's number beside ours, with
full-ranking AUC, HR@10 and NDCG@10 beside the paper's metric and DMRAN's paired t-test against the best
baseline (Wang et al., 2019, section 5.2).

    python reproduce/dmran_table2.py                      # small profile, every dataset present
    python reproduce/dmran_table2.py --profile paper --data-dir ~/seqrec_data

Protocol, methods and settings: `seqrec.experiments.dmran`. Writes paper_tables/dmran_table2.{md,json}.
"""

import sys
from pathlib import Path

from seqrec.experiments import cli, dmran

OUT = Path(__file__).resolve().parents[1] / "paper_tables"


def main(argv=None) -> int:
    args = cli.parse(__doc__, OUT, argv, paper=dmran)
    cli.write(dmran.table2(**cli.options(args)), args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
