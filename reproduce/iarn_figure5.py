"""IARN Figure 5: the attention scores IARN gives every step of a user's and an item's history, for
real (user, item) pairs with an observed rating (Pei et al., CIKM 2017, section 4.2).

    python reproduce/iarn_figure5.py [--profile small] [--datasets MovieLens]

IARN is trained as for Table 2; then a seeded sample of test ratings whose user and item both have at
least 5 earlier ratings is explained. A user's history lists the movies she rated before the rating,
with their titles and genres; an item's history lists the users who rated it before, each with the
genre that user rated most often before. Writes paper_tables/iarn_figure5.{png,md,json}.
"""

import sys

import numpy as np
import pandas as pd
from iarn_common import REPO, IARNMethod, paper_datasets, prepare, present, select_and_run
from iarn_table2 import PROFILES

from seqrec.evaluation import cli
from seqrec.evaluation.figures import new_figure, write_figure
from seqrec.evaluation.runner import RunContext
from seqrec.evaluation.tasks import RatingTask

STEM = "iarn_figure5"
EXAMPLES = 4
MIN_HISTORY = 5


def main(argv=None) -> int:
    args, profile, manifest = cli.start(__doc__, STEM, PROFILES, REPO / "paper_tables", argv)
    labels = args.datasets or ["MovieLens"]
    paper = next(p for p in paper_datasets(args.profile, labels) if present(p, args.data_dir))
    name = present(paper, args.data_dir)
    prepared = prepare(paper, name, args.data_dir)
    manifest.add_dataset(name, paper.label, prepared.interactions, prepared.substitute,
                         prepared.split.describe())
    variant = "IARN" if prepared.features is not None else "IARN-Plain"
    progress = cli.Progress(2, "steps")

    def make(**hp):
        return IARNMethod(variant, dim=paper.dim, epochs=profile.epochs, max_history=profile.max_history,
                          **hp)

    run = select_and_run(make, profile.iarn_grid, prepared, RatingTask(clip=paper.clip, ranking=False),
                         RunContext(args.seed, cli.logdir(args, name)))
    method = run["method"]
    manifest.hyperparameters[variant] = {**method.hyperparameters, **run["info"]}
    progress.step(f"{paper.label}: {variant} trained, test RMSE {run['result'].mean()['RMSE']:.4f}")

    data, items = prepared.data, prepared.interactions.items
    test = data.pairs("test")
    by_user, by_item = data.history_tables()
    enough = ((by_user.count_before(test["user"], test["time"]) - by_user.offsets[test["user"]]
               >= MIN_HISTORY) &
              (by_item.count_before(test["item"], test["time"]) - by_item.offsets[test["item"]]
               >= MIN_HISTORY))
    candidates = np.flatnonzero(enough)
    if not len(candidates):
        print(f"no test rating of {name} has {MIN_HISTORY} earlier ratings on both sides")
        return 1
    chosen = np.sort(np.random.default_rng(args.seed).choice(candidates, min(EXAMPLES, len(candidates)),
                                                              replace=False))
    att = method.attention(test["user"][chosen], test["item"][chosen], test["time"][chosen])

    def describe_item(index):
        item = data.items.decode([index])[0]
        meta = items.loc[item] if item in items.index else None
        title = "" if meta is None else meta["title"]
        genres = "" if meta is None else "|".join(meta["features"])
        return item, title, genres

    def top_genre(user, time):
        span = slice(by_user.offsets[user], by_user.count_before([user], [time])[0])
        genres = [g for i in by_user.values[span] for g in describe_item(i)[2].split("|") if g]
        return max(set(genres), key=genres.count) if genres else ""

    rows = []
    for k, where in enumerate(chosen):
        user, item, time = test["user"][where], test["item"][where], test["time"][where]
        target = describe_item(item)
        for step, (i, score) in enumerate(zip(att["user_items"][k], att["user_scores"][k], strict=True)):
            if i:
                iid, title, genres = describe_item(i)
                rows.append({"example": k + 1, "side": "user history", "step": step, "id": iid,
                             "label": f"{title} [{genres}]", "score": float(score)})
        for step, (u, score) in enumerate(zip(att["item_users"][k], att["item_scores"][k], strict=True)):
            if u:
                rows.append({"example": k + 1, "side": "item history", "step": step,
                             "id": data.users.decode([u])[0],
                             "label": f"user {data.users.decode([u])[0]} (mostly {top_genre(u, time)})",
                             "score": float(score)})
        manifest.notes.append(
            f"example {k + 1}: user {data.users.decode([user])[0]} rated '{target[1]}' [{target[2]}] "
            f"{test['rating'][where]} on {pd.Timestamp(time, unit='s', tz='UTC').date()}")
    manifest.finish()
    frame = pd.DataFrame(rows)
    figure, axes = new_figure(2 * len(chosen), columns=2, width=6.0, height=0.25 * tallest_panel(frame))
    for k in range(len(chosen)):
        for side, ax in zip(("user history", "item history"), axes[2 * k:2 * k + 2], strict=True):
            part = frame[(frame["example"] == k + 1) & (frame["side"] == side)]
            ax.barh(np.arange(len(part)), part["score"], color="tab:blue" if "user" in side else "tab:orange")
            ax.set_yticks(np.arange(len(part)), [lbl[:48] for lbl in part["label"]], fontsize=5)
            ax.invert_yaxis()
            ax.set_xlim(0, 1)
            ax.set_title(f"example {k + 1}: {side}", fontsize=8)
    _, md, _ = write_figure(figure, frame, STEM, args.out, manifest,
                            f"IARN Figure 5: attention scores on {paper.label} ({name})")
    progress.step("figure written")
    print(md.read_text(encoding="utf-8"))
    return 0


def tallest_panel(frame: pd.DataFrame) -> float:
    """Rows of the tallest panel, to size the figure."""
    return max(8.0, float(frame.groupby(["example", "side"]).size().max()))


if __name__ == "__main__":
    sys.exit(main())
