"""MTAM Figures 3-4 fall back to another Table 2 dataset when neither of theirs gives a run: the Tianchi
sample is present but too small for MTAM's protocol, so the embedded MovieLens stands in, and says so."""

import dataclasses

from seqrec.experiments import mtam


def test_a_dataset_too_small_for_the_protocol_gives_way_to_a_stand_in(data_dir, monkeypatch):
    tiny = dataclasses.replace(mtam.PROFILES["smoke"], scaled=("a one-model test",))
    monkeypatch.setitem(mtam.PROFILES, "small", tiny)
    monkeypatch.setattr(mtam, "FIGURE_MODELS", ("GRU",))
    output = mtam.figure3_4(profile="small", data_dir=str(data_dir))
    notes = output.manifest.notes
    assert any(n.startswith("Ali Mobile: not applicable") for n in notes)
    assert "neither Electronics nor Ali Mobile gave a run (above); ML-25m stands in" in notes
    assert set(output.rows["dataset"]) == {"ML-25m"} and set(output.rows["method"]) == {"GRU"}
