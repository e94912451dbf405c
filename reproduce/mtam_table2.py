"""MTAM Table 2: HR@10 and NDCG@10 of every method on every dataset, the paper's numbers beside ours, with
MTAM's improvement over the best baseline and its paired t-test (Ji et al., 2020, section 6.4).

    python reproduce/mtam_table2.py                       # small profile, every dataset present
    python reproduce/mtam_table2.py --profile paper --data-dir ~/seqrec_data

Protocol and settings: see reproduce/mtam_common.py. Writes paper_tables/mtam_table2.{md,json}.
"""

import sys

from common import REPO, best, compare, metric_cells, metric_key, write_table
from mtam_common import PROFILES, run_all, table2_methods

from seqrec.evaluation import cli

STEM = "mtam_table2"
METRICS = ("HR@10", "NDCG@10")
OURS = "MTAM"


def main(argv=None) -> int:
    args, profile, manifest = cli.start(__doc__, STEM, PROFILES, REPO / "paper_tables", argv)
    results, why = run_all(args, profile, manifest, table2_methods(profile))
    ours = metric_cells(results, METRICS)
    for label, runs in results.items():
        for metric in METRICS:
            key = metric_key(metric)
            baseline = best(runs, key, exclude=OURS)
            if OURS not in runs or baseline is None:
                continue
            gain, test = compare(runs, OURS, baseline, key)
            ours[(label, "improv.", metric)] = 100 * gain
            if test.p_value == test.p_value:  # not NaN
                ours[(label, "p-value", metric)] = test.p_value
            manifest.notes.append(f"{label}: {OURS} vs {baseline} (best baseline) on per-user {metric}: "
                                  f"{100 * gain:+.2f} %, {test}")
    write_table(args, manifest, STEM, "MTAM Table 2: HR@10 and NDCG@10 (Ji et al., 2020)", ours, why)
    return 0


if __name__ == "__main__":
    sys.exit(main())
