"""MTAM Table 2: HR@10 and NDCG@10 of every method on every dataset, the paper's numbers beside ours, with
MTAM's improvement over the best baseline and its paired t-test (Ji et al., 2020, section 6.4).

    python reproduce/mtam_table2.py                       # small profile, every dataset present
    python reproduce/mtam_table2.py --profile paper --data-dir ~/seqrec_data

Protocol and settings: see reproduce/mtam_common.py. Writes paper_tables/mtam_table2.{md,json}.
"""

import sys

from mtam_common import PROFILES, REFERENCE, REPO, metric_key, run_all, table2_methods

from seqrec.evaluation import cli, stats, tables

STEM = "mtam_table2"
METRICS = ("HR@10", "NDCG@10")
OURS = "MTAM"


def main(argv=None) -> int:
    args, profile, manifest = cli.start(__doc__, STEM, PROFILES, REPO / "paper_tables", argv)
    reference = tables.load_reference(REFERENCE / f"{STEM}.csv")
    results, why = run_all(args, profile, manifest, table2_methods(profile))
    ours = {}
    for label, runs in results.items():
        per_user = {m: r.per_user() for m, r in runs.items()}
        for method, result in runs.items():
            means = result.mean()
            for metric in METRICS:
                ours[(label, method, metric)] = means[metric_key(metric)]
        for metric in METRICS:
            key = metric_key(metric)
            baselines = {m: r.mean()[key] for m, r in runs.items() if m != OURS}
            if OURS not in runs or not baselines:
                continue
            best = max(baselines, key=baselines.get)
            gain = stats.relative_improvement(runs[OURS].mean()[key], baselines[best])
            test = stats.paired_ttest(per_user[OURS][key], per_user[best][key])
            ours[(label, "improv.", metric)] = 100 * gain
            if test.p_value == test.p_value:  # not NaN
                ours[(label, "p-value", metric)] = test.p_value
            manifest.notes.append(f"{label}: {OURS} vs {best} (best baseline) on per-user {metric}: "
                                  f"{100 * gain:+.2f} %, {test}")
    manifest.finish()

    cells = tables.build_cells(reference, ours, tables.statuses(why))
    md, _ = tables.write_table(cells, STEM, args.out, manifest,
                               "MTAM Table 2: HR@10 and NDCG@10 (Ji et al., 2020)")
    print(md.read_text(encoding="utf-8"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
