"""The layers' documentation standard: every public layer of `seqrec.layers` has a keras-hub style
docstring whose ``Example:`` runs as written, and the package stays self-contained (it imports nothing of
the rest of the suite, so that a module can be copied into another Keras model)."""

import ast
import doctest
import re
from pathlib import Path

import pytest

import seqrec.layers

PUBLIC = sorted(seqrec.layers.__all__)
SECTIONS = ("Args:", "Call arguments:", "Returns:", "Example:", "References:")
LAYERS = Path(seqrec.layers.__file__).parent


def test_public_names_are_the_layer_classes():
    assert PUBLIC, "seqrec.layers exports nothing"
    for name in PUBLIC:
        assert isinstance(getattr(seqrec.layers, name), type), name


@pytest.mark.parametrize("name", PUBLIC)
def test_docstring_has_every_section_in_order(name):
    doc = getattr(seqrec.layers, name).__doc__ or ""
    lines = [line.strip() for line in doc.splitlines()]
    positions = []
    for section in SECTIONS:
        assert section in lines, f"{name}'s docstring has no {section!r} section"
        positions.append(lines.index(section))
    assert positions == sorted(positions), f"{name}'s sections are not in the order {SECTIONS}"
    assert lines[0], f"{name}'s docstring does not open with a summary line"
    references = doc[doc.index("References:"):]
    assert re.search(r"(19|20)\d\d", references), f"{name}'s references give no paper with its year"


@pytest.mark.parametrize("name", PUBLIC)
def test_example_runs_as_written(name):
    cls = getattr(seqrec.layers, name)
    tests = doctest.DocTestFinder(recurse=False).find(cls, name, globs={})
    examples = sum(len(test.examples) for test in tests)
    assert examples >= 2, f"{name}'s Example has no runnable >>> lines"
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    for test in tests:
        runner.run(test)
    assert runner.summarize(verbose=False).failed == 0, f"{name}'s Example does not run as written"


@pytest.mark.parametrize("path", sorted(LAYERS.glob("*.py")), ids=lambda p: p.name)
def test_layers_import_nothing_of_the_suite(path):
    allowed = {"keras", "numpy", "math", "collections", "typing"}
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots = {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: a sibling module of the package itself
                continue
            roots = {node.module.split(".")[0]}
        else:
            continue
        assert roots <= allowed, f"{path.name} imports {roots - allowed}"
