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

from mtam_common import PROFILES, REFERENCE, REPO, metric_key, run_all, table3_methods

from seqrec.evaluation import cli, stats, tables

STEM = "mtam_table3"
METRICS = ("HR@10", "NDCG@10")
BASE = "GRU"


def main(argv=None) -> int:
    args, profile, manifest = cli.start(__doc__, STEM, PROFILES, REPO / "paper_tables", argv)
    reference = tables.load_reference(REFERENCE / f"{STEM}.csv")
    results, why = run_all(args, profile, manifest, table3_methods(profile))
    ours = {}
    for label, runs in results.items():
        for method, result in runs.items():
            for metric in METRICS:
                ours[(label, method, metric)] = result.mean()[metric_key(metric)]
        for metric in METRICS:
            key = metric_key(metric)
            scores = {m: r.mean()[key] for m, r in runs.items() if m != BASE}
            if BASE not in runs or not scores:
                continue
            best = max(scores, key=scores.get)
            gain = stats.relative_improvement(scores[best], runs[BASE].mean()[key])
            ours[(label, "improvement", metric)] = 100 * gain
            test = stats.paired_ttest(runs[best].per_user()[key], runs[BASE].per_user()[key])
            manifest.notes.append(f"{label}: best variant on {metric} is {best}, {100 * gain:+.2f} % over "
                                  f"{BASE}; per-user paired test {test}")
    manifest.finish()

    cells = tables.build_cells(reference, ours, tables.statuses(why))
    md, _ = tables.write_table(cells, STEM, args.out, manifest,
                               "MTAM Table 3: ablations, HR@10 and NDCG@10 (Ji et al., 2020)")
    print(md.read_text(encoding="utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
