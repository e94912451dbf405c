"""The README's commands and dataset table stay true to the code."""

import re
from pathlib import Path

from seqrec.datasets import REGISTRY

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text(encoding="utf-8")


def readme_commands() -> list[str]:
    return re.findall(r"```bash\n(.+?)\n```", README, flags=re.S)


def test_readme_opens_with_an_install_and_run_command_and_a_test_command():
    run, test = readme_commands()[:2]
    assert "pip install" in run and "pip install" in test
    assert "pytest" in test and "pytest" not in run


def test_ci_runs_exactly_the_readme_test_command():
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert readme_commands()[1] in ci.splitlines()


def test_every_registered_dataset_is_documented():
    for name in REGISTRY:
        assert f"`{name}`" in README, name
