"""The papers' own numbers, one CSV per table (``<paper>_<table>.csv``; README.md says how they were
transcribed), installed as ``seqrec.reference`` so that a table regenerated anywhere is printed beside
them."""

from pathlib import Path

FOLDER = Path(__file__).resolve().parent


def table_path(stem: str) -> Path:
    """The CSV of the paper table ``stem`` (e.g. ``"mtam_table2"``)."""
    path = FOLDER / f"{stem}.csv"
    if not path.is_file():
        known = sorted(p.stem for p in FOLDER.glob("*.csv"))
        raise FileNotFoundError(f"no reference table {stem!r} in {FOLDER}; known: {known}")
    return path
