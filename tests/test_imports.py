"""Imports run one way (ARCHITECTURE.md): a module of the suite may import only the packages its layer
allows, reproduce scripts and benchmarks import only ``seqrec.*`` (never each other, never through
``sys.path``), and the packages' ``__all__`` list every public class."""

import ast
import importlib
import inspect
import pkgutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# the folder of each package of the suite, as setup.cfg installs it
FOLDERS = {"layers": "layers", "datasets": "datasets", "models": "models", "training": "training",
           "evaluation": "evaluation", "experiments": "experiments", "reference": "paper_tables/reference"}
# what each package may import from the suite (besides itself)
ALLOWED = {
    "layers": set(),
    "datasets": set(),
    "reference": set(),
    "models": {"layers"},
    "training": {"models", "layers", "datasets"},
    "evaluation": {"datasets"},
    "experiments": {"layers", "datasets", "models", "training", "evaluation", "reference"},
}
SCRIPT_FOLDERS = ("reproduce", "benchmarks")


def suite_imports(tree: ast.AST, package: str | None) -> list[tuple[int, str]]:
    """``(line, package)`` of every import of a ``seqrec`` package in ``tree`` (relative imports resolved
    against ``package``; ``from seqrec import x`` counts as package ``x``)."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name.split(".")[1] if "." in alias.name else "")
                      for alias in node.names if alias.name.split(".")[0] == "seqrec"]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: within the package, or above it
                if node.level == 1 and package is not None:
                    continue
                found.append((node.lineno, f"{'.' * node.level}{node.module or ''} (a relative import)"))
            elif node.module == "seqrec":
                found += [(node.lineno, alias.name) for alias in node.names]
            elif node.module and node.module.split(".")[0] == "seqrec":
                found.append((node.lineno, node.module.split(".")[1]))
    return found


def package_violations(source: str, package: str, where: str = "<source>") -> list[str]:
    """The imports of a module of ``package`` that go against the direction table."""
    allowed = ALLOWED[package] | {package}
    return [f"{where}:{line}: {package} imports " + (target if target.startswith(".") else f"seqrec.{target}")
            for line, target in suite_imports(ast.parse(source), package) if target not in allowed]


def script_violations(source: str, where: str = "<source>") -> list[str]:
    """The imports of a script that reach outside ``seqrec.*`` into the repository: another script's module
    (reproduce/, benchmarks/, tests/) or any ``sys.path`` edit."""
    local = {p.stem for folder in (*SCRIPT_FOLDERS, "tests") for p in (REPO / folder).glob("*.py")}
    tree = ast.parse(source)
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [f"{where}:{node.lineno}: imports {a.name}" for a in node.names
                    if a.name.split(".")[0] in local]
        elif isinstance(node, ast.ImportFrom):
            if node.level or (node.module and node.module.split(".")[0] in local):
                out.append(f"{where}:{node.lineno}: imports from {'.' * node.level}{node.module or ''}")
        elif isinstance(node, ast.Attribute) and node.attr == "path" and _name(node.value) == "sys":
            out.append(f"{where}:{node.lineno}: uses sys.path")
    return out


def _name(node: ast.AST) -> str | None:
    return node.id if isinstance(node, ast.Name) else None


def modules(folder: str) -> list[Path]:
    return sorted(p for p in (REPO / folder).rglob("*.py") if "__pycache__" not in p.parts)


@pytest.mark.parametrize("package", sorted(FOLDERS))
def test_packages_import_only_what_their_layer_allows(package):
    found = [v for path in modules(FOLDERS[package]) for v in package_violations(
        path.read_text(encoding="utf-8"), package, str(path.relative_to(REPO)))]
    assert found == []


@pytest.mark.parametrize("folder", SCRIPT_FOLDERS)
def test_scripts_import_only_the_installed_package(folder):
    found = [v for path in modules(folder)
             for v in script_violations(path.read_text(encoding="utf-8"), str(path.relative_to(REPO)))]
    assert found == []


def test_the_checks_catch_forbidden_imports():
    """Each kind of violation is reported (so the tests above can fail)."""
    assert package_violations("from seqrec.models import MTAM\n", "layers") == [
        "<source>:1: layers imports seqrec.models"]
    assert package_violations("import seqrec.evaluation.metrics\n", "training") == [
        "<source>:1: training imports seqrec.evaluation"]
    assert package_violations("from seqrec import training\n", "evaluation") == [
        "<source>:1: evaluation imports seqrec.training"]
    assert package_violations("from ..models import x\n", "datasets") == [
        "<source>:1: datasets imports ..models (a relative import)"]
    assert package_violations("from seqrec.datasets import load\nfrom .base import X\n", "models") == [
        "<source>:1: models imports seqrec.datasets"]
    assert package_violations("from seqrec.training import KerasNextItem\n", "experiments") == []
    assert script_violations("import sys\nsys.path.insert(0, 'reproduce')\n") == ["<source>:2: uses sys.path"]
    assert script_violations("from iarn_table2 import main\n") == ["<source>:1: imports from iarn_table2"]
    assert script_violations("from seqrec.experiments import mtam\nimport numpy\n") == []


@pytest.mark.parametrize("package", ["layers", "models", "training", "evaluation"])
def test_all_lists_every_public_class(package):
    module = importlib.import_module(f"seqrec.{package}")
    exported = set(module.__all__)
    assert all(hasattr(module, name) for name in exported)
    missing = set()
    for info in pkgutil.iter_modules(module.__path__):
        sub = importlib.import_module(f"seqrec.{package}.{info.name}")
        missing |= {name for name, obj in vars(sub).items()
                    if inspect.isclass(obj) and not name.startswith("_") and obj.__module__ == sub.__name__}
    missing -= exported
    assert missing == set()
