"""Dependencies point one way: ui -> pipeline -> tools. Checked on every import statement."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# package -> top-level modules it must never import
FORBIDDEN = {
    "tools": {"streamlit", "zenml", "openai", "pipeline", "ui", "data"},
    "data": {"streamlit", "zenml", "openai", "pipeline", "ui"},
    "pipeline": {"streamlit", "ui"},
}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_imports_only_downstream_layers(package: str) -> None:
    files = sorted((ROOT / package).rglob("*.py"))
    assert files, f"no Python files under {package}/"
    offenders = {
        str(path.relative_to(ROOT)): sorted(imported_modules(path) & FORBIDDEN[package])
        for path in files
    }
    assert {path: bad for path, bad in offenders.items() if bad} == {}


def test_the_checker_sees_forbidden_imports(tmp_path: Path) -> None:
    module = tmp_path / "bad.py"
    module.write_text("import zenml.client\nfrom streamlit import session_state\nfrom . import x\n")
    assert imported_modules(module) == {"zenml", "streamlit"}
