"""The committed outputs in paper_tables/ are what the current writers make of their JSON: a table or
figure written by an older writer (or edited by hand) fails here, so it cannot go stale unnoticed."""

import json
from pathlib import Path

import pytest

from seqrec.evaluation import tables

OUTPUTS = sorted((Path(__file__).resolve().parents[1] / "paper_tables").glob("*.json"))


def test_every_output_has_its_markdown():
    assert OUTPUTS, "no committed outputs found"
    for path in OUTPUTS:
        assert path.with_suffix(".md").exists(), f"{path.name} has no markdown beside it"


# the first line of an output written under older rules, until it is regenerated
STALE = "> **Stale:**"


@pytest.mark.parametrize("path", OUTPUTS, ids=[p.stem for p in OUTPUTS])
def test_committed_markdown_is_the_current_rendering_of_its_json(path):
    markdown = path.with_suffix(".md").read_text(encoding="utf-8")
    if markdown.startswith(STALE):  # labelled for the reader; its body is still its JSON's rendering
        assert f"python reproduce/{path.stem}.py" in markdown.splitlines()[0]
        return
    assert markdown == tables.render_saved(path), (
        f"{path.with_suffix('.md').name} differs from what the current writer makes of {path.name}: "
        f"regenerate it (python reproduce/{path.stem}.py, see the manifest's command)")


def test_the_check_catches_a_changed_number(tmp_path):
    table = next(p for p in OUTPUTS if "table" in p.stem)
    payload = json.loads(table.read_text(encoding="utf-8"))
    cell = next(c for c in payload["cells"] if c["status"] == "ok")
    cell["ours"] += 0.01
    changed = tmp_path / table.name
    changed.write_text(json.dumps(payload), encoding="utf-8")
    assert tables.render_saved(changed) != tables.render_saved(table)


def _dataset(label: str, name: str) -> dict:
    return {"paper_dataset": label, "name": name, "substitute": True, "source": "test", "sha256": "0" * 64,
            "users": 10, "items": 20, "interactions": 100}


def test_rendering_of_statistic_rows_and_synthetic_stand_ins():
    """p-values with 3 significant digits and no difference, improvements in per cent with 2 decimals;
    a synthetic stand-in shows no difference to the paper's numbers (they are not comparable)."""
    cells = [tables.Cell(d, m, "HR@10", paper, ours, "ok") for d in ("ML", "Smoke") for m, paper, ours in
             (("GRU", "0.5", 0.43216), ("improv.", "1.70", -10.0), ("p-value", "0.00123", 0.36261))]
    manifest = tables.Manifest(script="test", profile="smoke", seed=0, wall_time_s=1.0,
                               datasets=[_dataset("ML", "movielens-latest-small"),
                                         _dataset("Smoke", "synthetic-small")])
    text = tables.render_markdown(cells, manifest, "Demo")
    real, synthetic = text.split("## ML")[1].split("## Smoke")
    assert "| GRU | 0.5 | **0.4322** | -0.0678 |" in real
    assert "| improv. | 1.70 | -10.00 | -11.70 |" in real
    assert "| p-value | 0.00123 | 0.363 |  |" in real
    assert "not comparable with the paper's" in synthetic and "not comparable" not in real
    assert "| GRU | 0.5 | **0.4322** |  |" in synthetic and "| improv. | 1.70 | -10.00 |  |" in synthetic
