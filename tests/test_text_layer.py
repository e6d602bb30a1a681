"""The ground layer (trialatlas.text) stays below every room: it imports nothing of trialatlas but
config, errors and its own modules, so that sources, extract, search, match and related can all use it."""

from __future__ import annotations

import ast
from pathlib import Path

import trialatlas.text

ALLOWED = {"trialatlas.config", "trialatlas.errors"}


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_text_imports_only_config_and_errors_of_trialatlas() -> None:
    folder = Path(trialatlas.text.__file__).parent
    modules = sorted(folder.glob("*.py"))
    assert len(modules) >= 4
    for module in modules:
        # Its own modules build on one another (shingles on the one tokenizer); nothing above it.
        inner = {
            name
            for name in _imports(module)
            if name.split(".")[0] == "trialatlas" and not name.startswith("trialatlas.text.")
        }
        assert inner <= ALLOWED, f"{module.name} imports {sorted(inner - ALLOWED)}"
