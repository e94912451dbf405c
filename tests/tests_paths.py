"""Paths of the repository for tests that run or import its scripts."""

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
REPRODUCE = REPO / "reproduce"
BENCHMARKS = REPO / "benchmarks"
REFERENCE = REPO / "paper_tables" / "reference"
