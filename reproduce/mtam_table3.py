"""MTAM Table 3: the ablations of MTAM's components (Ji et al., 2020, section 6.5), HR@10 and NDCG@10 of
GRU, MTAM and its variants, the paper's numbers beside ours, with the best method's improvement over GRU.

    python reproduce/mtam_table3.py                       # small profile, every dataset present
    python reproduce/mtam_table3.py --profile paper --data-dir ~/seqrec_data

Variants (`seqrec.models.mtam`): MTAM with a T-SeqRec unit; without the time-aware RNN (GRU); without
the time-aware attention (plain scaled dot product); a memory of T-GRU or GRU hidden states instead of
behaviour embeddings; and time-aware self-attention (SASRec with MTAM's time-aware kernel). Protocol and
settings: see reproduce/mtam_common.py. Writes paper_tables/mtam_table3.{md,json}.
"""

import sys

from common import REPO, best, compare, metric_cells, metric_key, write_table
from mtam_common import PROFILES, run_all, table3_methods

from seqrec.evaluation import cli

STEM = "mtam_table3"
METRICS = ("HR@10", "NDCG@10")
BASE = "GRU"


def main(argv=None) -> int:
    args, profile, manifest = cli.start(__doc__, STEM, PROFILES, REPO / "paper_tables", argv)
    results, why = run_all(args, profile, manifest, table3_methods(profile))
    ours = metric_cells(results, METRICS)
    for label, runs in results.items():
        for metric in METRICS:
            key = metric_key(metric)
            variant = best(runs, key, exclude=BASE)
            if BASE not in runs or variant is None:
                continue
            gain, test = compare(runs, variant, BASE, key)
            ours[(label, "improvement", metric)] = 100 * gain
            manifest.notes.append(f"{label}: best variant on {metric} is {variant}, {100 * gain:+.2f} % over "
                                  f"{BASE}; per-user paired test {test}")
    write_table(args, manifest, STEM, "MTAM Table 3: ablations, HR@10 and NDCG@10 (Ji et al., 2020)", ours,
                why)
    return 0


if __name__ == "__main__":
    sys.exit(main())
