"""MTAM Figures 3 and 4: HR@K and NDCG@K over K of typical models on Amazon Electronics (Figure 3) and
Ali Mobile (Figure 4) (Ji et al., 2020, section 6.4).

    python reproduce/mtam_figure3_4.py [--profile small] [--datasets Electronics "Ali Mobile"]

The paper plots the figures without printing their numbers or naming the K values and models in the
text; we plot K in {1, 5, 10, 30, 50} (the authors' code's cut-offs) for GRU, T-SeqRec, T-GRU, SASRec,
NARM++, STAMP and MTAM. When neither Electronics nor Ali Mobile is present (and no --datasets is given),
the first Table 2 dataset present stands in, and the output says so. Protocol and settings: see
reproduce/mtam_common.py. Writes paper_tables/mtam_figure3_4.{png,md,json}.
"""

import sys

import pandas as pd
from common import REPO, metric_key
from mtam_common import PROFILES, paper_datasets, present, run_all, table2_methods

from seqrec.evaluation import cli
from seqrec.evaluation.figures import new_figure, write_figure

STEM = "mtam_figure3_4"
KS = (1, 5, 10, 30, 50)
MODELS = ("GRU", "T-SeqRec", "T-GRU", "SASRec", "NARM++", "STAMP", "MTAM")
FIGURE_DATASETS = ("Electronics", "Ali Mobile")


def main(argv=None) -> int:
    args, profile, manifest = cli.start(__doc__, STEM, PROFILES, REPO / "paper_tables", argv)
    papers = paper_datasets(args.profile, args.datasets or FIGURE_DATASETS)
    if args.profile != "smoke" and not args.datasets and not any(present(p, args.data_dir) for p in papers):
        stand_in = next((p for p in paper_datasets(args.profile) if present(p, args.data_dir)), None)
        manifest.notes.append(f"neither {' nor '.join(FIGURE_DATASETS)} is present; "
                              f"{stand_in.label if stand_in else 'no dataset'} stands in")
        papers = [stand_in] if stand_in else []
    ks = tuple(k for k in KS if k <= 50)
    methods = {m: f for m, f in table2_methods(profile).items() if m in MODELS}
    results, why = run_all(args, profile, manifest, methods, ks=ks, papers=papers)
    manifest.notes += [f"{k}: {v}" for k, v in why.items()]
    manifest.finish()
    rows = pd.DataFrame([{"dataset": label, "method": method, "K": k,
                          "HR": result.mean()[metric_key(f"HR@{k}")],
                          "NDCG": result.mean()[metric_key(f"NDCG@{k}")]}
                         for label, runs in results.items() for method, result in runs.items() for k in ks])
    figure, axes = new_figure(2 * max(1, len(results)), columns=2)
    for row, label in enumerate(results):
        for col, metric in enumerate(("HR", "NDCG")):
            ax = axes[2 * row + col]
            for method, curve in rows[rows["dataset"] == label].groupby("method", sort=False):
                ax.plot(curve["K"], curve[metric], marker="o", label=method)
            ax.set(title=f"{label}: {metric}@K", xlabel="K", ylabel=f"{metric}@K", xticks=list(ks))
            ax.legend(fontsize=7)
    write_figure(figure, rows, STEM, args.out, manifest,
                 "MTAM Figures 3-4: HR@K and NDCG@K (Ji et al., 2020)",
                 "Full ranking over all items; the paper prints no numbers for these figures.")
    print(rows.to_string(index=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
