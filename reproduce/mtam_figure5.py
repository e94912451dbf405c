"""MTAM Figure 5: HR@10 and NDCG@10 of MTAM with 0 to 8 hops (0 hops is T-GRU alone) on every dataset
present (Ji et al., 2020, section 6.6).

    python reproduce/mtam_figure5.py [--profile small] [--hops 0 1 2 4 8]

The paper plots the figure without printing its numbers. Protocol and settings: see
reproduce/mtam_common.py. Writes paper_tables/mtam_figure5.{png,md,json}.
"""

import sys

import pandas as pd
from common import REPO, metric_key
from mtam_common import PROFILES, mtam, run_all

from seqrec.evaluation import cli
from seqrec.evaluation.figures import new_figure, write_figure

STEM = "mtam_figure5"
HOPS = tuple(range(9))  # section 6.6: "the number of hops in the range of 0 ~ 8"


def main(argv=None) -> int:
    def options(p):
        p.add_argument("--hops", type=int, nargs="+", default=list(HOPS),
                       help="hop counts to run (default: the paper's 0-8)")

    args, profile, manifest = cli.start(__doc__, STEM, PROFILES, REPO / "paper_tables", argv, options)
    hops = [h for h in args.hops if h <= 2] if args.profile == "smoke" else args.hops
    methods = {f"{k} hops": (lambda k=k: mtam(f"{k} hops", profile, hops=k)) for k in hops}
    results, why = run_all(args, profile, manifest, methods)
    manifest.notes += [f"{k}: {v}" for k, v in why.items()]
    manifest.finish()
    rows = pd.DataFrame([{"dataset": label, "hops": int(method.split()[0]),
                          "HR@10": result.mean()[metric_key("HR@10")],
                          "NDCG@10": result.mean()[metric_key("NDCG@10")]}
                         for label, runs in results.items() for method, result in runs.items()])
    figure, axes = new_figure(2 * max(1, len(results)), columns=2)
    for row, label in enumerate(results):
        curve = rows[rows["dataset"] == label]
        for col, metric in enumerate(("HR@10", "NDCG@10")):
            ax = axes[2 * row + col]
            ax.plot(curve["hops"], curve[metric], marker="o")
            ax.set(title=f"{label}: {metric}", xlabel="hops (0 = T-GRU)", ylabel=metric,
                   xticks=list(curve["hops"]))
    write_figure(figure, rows, STEM, args.out, manifest,
                 "MTAM Figure 5: hops 0-8 (Ji et al., 2020)",
                 "Full ranking over all items; the paper prints no numbers for this figure.")
    print(rows.to_string(index=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
