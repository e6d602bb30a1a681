"""Start-up: the command line and ``import trialatlas`` load only what the command needs.

Each check runs a fresh interpreter and reads its ``sys.modules``, so it measures what a user's
``trialatlas --help`` or ``trialatlas show`` pays for, whatever this test session has imported.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import trialatlas

# What no light command may load: pint and the regimen parser (units), the matcher, the search
# engine, the exporters, the related-trials index, the web and API stacks.
HEAVY = (
    "pint",
    "trialatlas.extract.regimen",
    "trialatlas.extract.criteria",
    "trialatlas.match",
    "trialatlas.search",
    "trialatlas.related",
    "trialatlas.export",
    "trialatlas.api",
    "trialatlas.web",
    "fastapi",
    "numpy",
)


def _modules_after(code: str, *args: str) -> set[str]:
    """The modules a fresh interpreter holds after running ``code`` (which may read ``sys.argv``)."""
    script = code + "\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))\n"
    done = subprocess.run(
        [sys.executable, "-c", script, *args], capture_output=True, text=True, timeout=120, check=True
    )
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


def _heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY))


def test_import_trialatlas_loads_no_machinery() -> None:
    modules = _modules_after("import trialatlas")
    assert "trialatlas" in modules
    assert _heavy(modules) == []
    assert "pydantic" not in modules


def test_the_command_line_builds_without_the_machinery() -> None:
    # Building the app reads every command's options: each must be declared with light types only.
    modules = _modules_after("from trialatlas.cli import app\nimport typer.main\ntyper.main.get_command(app)")
    assert "trialatlas.cli.core" in modules and "trialatlas.cli.search" in modules
    assert _heavy(modules) == []


def test_showing_a_trial_loads_the_store_and_model_only(target_trials: Path, tmp_path: Path) -> None:
    db = tmp_path / "atlas.db"
    store = trialatlas.open_store(str(db))
    try:
        trialatlas.ingest([target_trials], store)
    finally:
        store.close()
    code = (
        "import sys\n"
        "from trialatlas.cli.show import render_trial\n"
        "from trialatlas.services.atlas import open_atlas\n"
        "with open_atlas(sys.argv[1]) as atlas:\n"
        "    parts = list(render_trial(atlas.trial('NCT04048161')))\n"
        "assert parts\n"
    )
    modules = _modules_after(code, str(db))
    assert "trialatlas.model" in modules and "trialatlas.store.sqlite" in modules
    assert _heavy(modules) == []


def test_lazy_names_are_the_defining_modules_objects() -> None:
    from trialatlas.extract.regimen import parse_regimen
    from trialatlas.services.atlas import Atlas

    assert trialatlas.parse_regimen is parse_regimen
    assert trialatlas.Atlas is Atlas
    assert set(trialatlas.__all__) <= set(dir(trialatlas))


def test_search_stays_the_function_when_its_package_loads() -> None:
    # The import system binds a loaded subpackage on its parent; the public name must not change.
    modules_code = (
        "import trialatlas\n"
        "import trialatlas.search.service\n"
        "from trialatlas.search import Filters\n"
        "assert callable(trialatlas.search) and trialatlas.search.__name__ == 'search', trialatlas.search\n"
        "assert trialatlas.Filters is Filters\n"
    )
    assert "trialatlas.search.service" in _modules_after(modules_code)
    assert callable(trialatlas.search) and not isinstance(trialatlas.search, type(trialatlas))
