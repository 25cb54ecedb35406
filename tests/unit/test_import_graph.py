"""The package's shape: no import circles, nothing outside cli/ imports cli, the core imports no
stage. Read from the source with ast, function-local imports included."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "scripts" / "fieldcorpus"
CORE = {"errors", "files", "paths", "config", "manifest", "models", "units", "formats"}
STAGES = {"intake", "transcribe", "documents", "deid", "audio", "corpus", "provenance"}


def module_name(path: Path, package: Path) -> str:
    parts = path.relative_to(package.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path, modules: set[str]) -> set[str]:
    """Every fieldcorpus module `path` imports (a package counts as its __init__)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                raise AssertionError(
                    f"{path.name}: relative import; use fieldcorpus.<stage>.<module>"
                )
            base = node.module or ""
            # `from fieldcorpus.deid import ledger` imports the module fieldcorpus.deid.ledger.
            names = [f"{base}.{alias.name}" for alias in node.names] + [base]
        else:
            continue
        found.update(name for name in names if name in modules)
    return found


def import_graph(package: Path = PACKAGE) -> dict[str, set[str]]:
    files = {
        module_name(p, package): p for p in package.rglob("*.py") if "__pycache__" not in p.parts
    }
    modules = set(files)
    return {name: imported_modules(path, modules) - {name} for name, path in files.items()}


def find_circle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return stack[stack.index(target) :] + [target]
            if target not in state and (circle := visit(target)):
                return circle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (circle := visit(node)):
            return circle
    return None


def area(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def rule_breaks(graph: dict[str, set[str]]) -> list[str]:
    problems = []
    for module, targets in sorted(graph.items()):
        for target in sorted(targets):
            if area(target) == "cli" and area(module) != "cli":
                problems.append(f"{module} imports {target}: only cli/ imports cli")
            if area(module) in CORE and area(target) in STAGES | {"cli", "pipeline"}:
                problems.append(f"{module} (core) imports {target}")
    return problems


def test_the_package_has_no_import_circle():
    assert find_circle(import_graph()) is None


def test_no_cli_import_outside_cli_and_no_stage_import_in_the_core():
    assert rule_breaks(import_graph()) == []


def test_every_stage_has_its_jobs_module():
    for stage in STAGES:
        assert (PACKAGE / stage / "jobs.py").is_file(), stage
    assert not (PACKAGE / "stages.py").exists()


def test_the_checks_catch_what_they_are_for(tmp_path):
    """The same checks on a small package built to break each rule."""
    package = tmp_path / "fieldcorpus"
    for folder in ("cli", "deid"):
        (package / folder).mkdir(parents=True)
        (package / folder / "__init__.py").write_text("")
    (package / "__init__.py").write_text("")
    (package / "files.py").write_text("from fieldcorpus.deid.ledger import x\n")
    (package / "deid" / "ledger.py").write_text(
        "def f():\n    from fieldcorpus.deid import review\n"
    )
    (package / "deid" / "review.py").write_text("from fieldcorpus.deid.ledger import f\n")
    (package / "deid" / "jobs.py").write_text("from fieldcorpus.cli import main\n")
    (package / "cli" / "main.py").write_text("")
    graph = import_graph(package)
    circle = find_circle(graph)
    assert circle and set(circle) == {"fieldcorpus.deid.ledger", "fieldcorpus.deid.review"}
    problems = rule_breaks(graph)
    assert any("fieldcorpus.files (core) imports fieldcorpus.deid.ledger" in p for p in problems)
    assert any("fieldcorpus.deid.jobs imports fieldcorpus.cli" in p for p in problems)
    (package / "deid" / "rel.py").write_text("from .ledger import f\n")
    with pytest.raises(AssertionError, match="relative import"):
        import_graph(package)
