"""Shape of the papers' reference tables in paper_tables/reference/.

Each CSV must hold exactly the (dataset, method, metric) cells its paper's table prints, typed here
from the papers' row and column names. The tests never expect a paper's number: they check names,
the set of cells, that values parse, that marks are valid and that a `best` mark sits on its group's
best value."""

import csv
from itertools import product
from pathlib import Path

import pytest

REF = Path(__file__).resolve().parents[1] / "paper_tables" / "reference"
COLUMNS = ["dataset", "method", "metric", "value", "mark", "note"]
MARKS = {"best", "runner-up", ""}
LOWER_IS_BETTER = {"RMSE", "Runtime (seconds)"}


def grid(datasets, methods, metrics):
    return set(product(datasets, methods, metrics))


# --------------------------------------------------------------------------- IARN, Table 2
IARN_DATASETS = ["Netflix", "MovieLens", "Electronic", "Home", "Clothing", "Sport"]
IARN_RMSE_METHODS = ["MF", "TimeSVD++", "HieVH", "IARN"]
IARN_AUC_METHODS = ["MF", "BPR", "TimeSVD++", "HieVH", "Item2Vec", "NCF", "MP2Vec", "IARN"]

# --------------------------------------------------------------------------- UserGRU, Table 2
USERGRU_DATASETS = ["MovieLens", "LastFM"]
USERGRU_METHODS = [
    "Item-based k-NN", "Exp. Dec. Item-based k-NN", "Matrix Factorization", "Seq. Matrix Factorization",
    "Standard GRU", "Linear User-based GRU", "Rectified Linear User-based GRU", "Attentional User-based GRU",
]
USERGRU_METRICS = ["MRR@20", "Recall@20"]

# --------------------------------------------------------------------------- DMRAN, Table 2
DMRAN_DATASETS = ["Amazon Electronic", "Amazon Clothing"]
DMRAN_METHODS = [
    "BPR-MF", "Bi-LSTM", "Bi-LSTM+Attention", "CNN+Pooling", "ATRank",
    "DMRAN_No_Time", "DMRAN_Item", "DMRAN_Feature", "DMRAN",
]

# --------------------------------------------------------------------------- Ante-RNN, Tables 4-6
ANTE_DATASETS = ["MovieLens", "Pinterest"]
ANTE_T4_METHODS = [
    "BPR", "CTR", "VBPR", "GRU", "IARN", "MLAM", "MV-RNN",
    "v-Ante-RNN", "t-Ante-RNN", "Ante-RNN-D", "Ante-RNN-N", "Ante-RNN",
]
ANTE_T4_METRICS = [f"{name}@{k}" for name in ("Recall", "NDCG") for k in ("5", "10", "15", "20", "25")]
ANTE_T5_METHODS = ["GRU", "IARN", "Ante-RNN", "MV-RNN"]
ANTE_T6_METHODS = [
    f"Ante-RNN ({kind})" for kind in ("None", "T", "C-T_w", "C-δt", "C", "T+C-T_w", "T+C-δt", "T+C")
]
ANTE_T6_METRICS = ["Recall@20", "NDCG@20"]

# --------------------------------------------------------------------------- MTAM, Tables 2-3
MTAM_DATASETS = ["ML-25m", "Electronics", "CDs & Vinyl", "Movies & TV", "Yoochoose", "Ali Mobile"]
MTAM_METRICS = ["HR@10", "NDCG@10"]
MTAM_T2_METHODS = [
    "Top Pop", "P-Pop", "BPR-MF", "GRU−−", "GRU", "T-SeqRec", "T-GRU", "SASRec", "TiSASRec",
    "NARM", "NARM+", "NARM++", "STAMP", "MTAM",
]
MTAM_T2_SUMMARY = ["improv.", "p-value"]
MTAM_T3_METHODS = [
    "GRU", "MTAM", "MTAM with T-SeqRec", "MTAM without Time-Aware RNN", "MTAM without Time-Aware Attention",
    "MTAM via T-GRU", "MTAM via GRU", "Time-Aware Self Attention",
]
MTAM_T3_SUMMARY = ["improvement"]

# file -> (every cell the table prints, the cells printed as a dash, summary "methods" that are not
# compared for the best mark)
TABLES = {
    "iarn_table2.csv": (
        grid(IARN_DATASETS, IARN_RMSE_METHODS, ["RMSE"]) | grid(IARN_DATASETS, IARN_AUC_METHODS, ["AUC"]),
        {("Netflix", "HieVH", "RMSE"), ("Netflix", "HieVH", "AUC"), ("Netflix", "MP2Vec", "AUC")},
        [],
    ),
    "usergru_table2.csv": (grid(USERGRU_DATASETS, USERGRU_METHODS, USERGRU_METRICS), set(), []),
    "dmran_table2.csv": (
        grid(DMRAN_DATASETS, DMRAN_METHODS, ["AUC"]),
        {("Amazon Clothing", "DMRAN_No_Time", "AUC")},
        [],
    ),
    "dmran_figure5.csv": ({("Amazon Electronic", f"r = {r}", "AUC") for r in (2, 8, 10, 15, 20)}, set(), []),
    "anternn_table4.csv": (grid(ANTE_DATASETS, ANTE_T4_METHODS, ANTE_T4_METRICS), set(), []),
    "anternn_table5.csv": (grid(ANTE_DATASETS, ANTE_T5_METHODS, ["Runtime (seconds)"]), set(), []),
    "anternn_table6.csv": (grid(ANTE_DATASETS, ANTE_T6_METHODS, ANTE_T6_METRICS), set(), []),
    "mtam_table2.csv": (
        grid(MTAM_DATASETS, MTAM_T2_METHODS + MTAM_T2_SUMMARY, MTAM_METRICS),
        set(),
        MTAM_T2_SUMMARY,
    ),
    "mtam_table3.csv": (
        grid(MTAM_DATASETS, MTAM_T3_METHODS + MTAM_T3_SUMMARY, MTAM_METRICS),
        set(),
        MTAM_T3_SUMMARY,
    ),
}


def read(name):
    with open(REF / name, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        return reader.fieldnames, list(reader)


def key(row):
    return row["dataset"], row["method"], row["metric"]


def test_reference_folder_holds_exactly_the_tables():
    assert {p.name for p in REF.glob("*.csv")} == set(TABLES)


def test_readme_describes_every_table():
    text = (REF / "README.md").read_text(encoding="utf-8")
    for name in TABLES:
        assert name in text, f"README.md does not describe {name}"


@pytest.mark.parametrize("name", sorted(TABLES))
def test_columns(name):
    fields, _ = read(name)
    assert fields == COLUMNS


@pytest.mark.parametrize("name", sorted(TABLES))
def test_exact_cells_no_duplicates(name):
    cells, _, _ = TABLES[name]
    _, rows = read(name)
    keys = [key(r) for r in rows]
    duplicates = sorted({k for k in keys if keys.count(k) > 1})
    assert not duplicates, f"duplicate cells: {duplicates}"
    assert not set(keys) - cells, f"cells the paper does not print: {sorted(set(keys) - cells)}"
    assert not cells - set(keys), f"cells missing: {sorted(cells - set(keys))}"


@pytest.mark.parametrize("name", sorted(TABLES))
def test_values_marks_and_dashes(name):
    _, dashes, _ = TABLES[name]
    _, rows = read(name)
    for row in rows:
        assert row["mark"] in MARKS, row
        if key(row) in dashes:
            assert row["value"] == "", row
            assert row["note"].strip(), f"a dash cell needs the paper's reason in note: {row}"
            assert row["mark"] == "", row
        else:
            assert row["value"] != "", f"empty value for a printed cell: {row}"
            assert row["value"] == row["value"].strip() and "," not in row["value"], row
            float(row["value"])


@pytest.mark.parametrize("name", sorted(TABLES))
def test_best_mark_on_best_value(name):
    _, _, summary = TABLES[name]
    _, rows = read(name)
    groups = {}
    for row in rows:
        if row["value"] and row["method"] not in summary:
            groups.setdefault((row["dataset"], row["metric"]), []).append(row)
    for (_dataset, metric), group in groups.items():
        sign = -1.0 if metric in LOWER_IS_BETTER else 1.0
        top = max(sign * float(r["value"]) for r in group)
        for row in group:
            if row["mark"] == "best":
                assert sign * float(row["value"]) == top, row
            if row["mark"] == "runner-up":
                assert sign * float(row["value"]) <= top, row
    for row in rows:
        if row["method"] in summary:
            assert row["mark"] == "", row

def test_summary_rows_are_never_marked_as_our_best():
    from seqrec.evaluation import tables

    summaries = {row for _, _, summary in TABLES.values() for row in summary}
    assert summaries <= set(tables.STATISTIC_ROWS), summaries - set(tables.STATISTIC_ROWS)
