"""Ante-RNN Figure 9: why Ante-RNN recommends an item to a real user: the user's latest behaviours with their
contextual attention weights, the recommended item's words that weigh most under the user's topics, and the
poster region aligned to each word, drawn on the poster (section 4.10.1, Liu, Zhang and Gulla).

    python reproduce/anternn_figure9.py                     # small profile, MovieLens or its stand-in

Protocol, methods and settings: `seqrec.experiments.ante_rnn`. Writes
paper_tables/anternn_figure9.{png,md,json}.
"""

import sys
from pathlib import Path

from seqrec.experiments import cli  # isort: skip (first: it imports TensorFlow quietly)
from seqrec.experiments import ante_rnn

OUT = Path(__file__).resolve().parents[1] / "paper_tables"


def main(argv=None) -> int:
    args = cli.parse(__doc__, OUT, argv, paper=ante_rnn)
    cli.write(ante_rnn.figure9(**cli.options(args)), args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
