"""Start-up: the command line and ``import trialatlas`` load only what the command needs.

Each check runs a fresh interpreter and reads its ``sys.modules``, so it measures what a user's
``trialatlas --help`` or ``trialatlas show`` pays for, whatever this test session has imported.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
from pathlib import Path

import pytest

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
    "lxml",
)
# What searching may load beyond a light command: the search engine, and numpy for its arrays.
SEARCH_MACHINERY = ("trialatlas.search", "numpy")

# Runs a command line in this interpreter, then prints what it loaded (the command's own output goes
# to stderr so the last stdout line is the module list).
_RUN_CLI = (
    "import contextlib, sys\n"
    "from trialatlas.cli import main\n"
    "with contextlib.redirect_stdout(sys.stderr):\n"
    "    try:\n"
    "        main()\n"
    "    except SystemExit as stop:\n"
    "        assert not stop.code, stop.code\n"
)


def _modules_after(code: str, *args: str) -> set[str]:
    """The modules a fresh interpreter holds after running ``code`` (which may read ``sys.argv``)."""
    script = code + "\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))\n"
    done = subprocess.run(
        [sys.executable, "-c", script, *args], capture_output=True, text=True, timeout=120, check=True
    )
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


def _heavy(modules: set[str], allowed: tuple[str, ...] = ()) -> list[str]:
    def under(module: str, names: tuple[str, ...]) -> bool:
        return any(module == name or module.startswith(name + ".") for name in names)

    return sorted(m for m in modules if under(m, HEAVY) and not under(m, allowed))


def _command_modules(*argv: str) -> set[str]:
    """What a fresh interpreter holds after running ``trialatlas ARGV`` to its end."""
    return _modules_after(_RUN_CLI, *argv)


@pytest.fixture(scope="module")
def target_db(target_trials: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("startup") / "atlas.db"
    store = trialatlas.open_store(str(db))
    try:
        trialatlas.ingest([target_trials], store)
    finally:
        store.close()
    return db


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


def test_help_runs_without_the_machinery() -> None:
    # `python -c CODE WORDS` runs CODE with sys.argv ["-c", *WORDS]: the command reads WORDS.
    modules = _command_modules("--help")
    assert "trialatlas.cli.core" in modules
    assert _heavy(modules) == []
    assert _heavy(_command_modules("show", "--help")) == []


def test_show_and_its_json_load_neither_the_machinery_nor_the_request_models(target_db: Path) -> None:
    for words in (
        ("show", "--db", str(target_db), "NCT04048161"),
        ("show", "--json", "--db", str(target_db), "NCT04048161"),
    ):
        modules = _command_modules(*words)
        assert "trialatlas.store.sqlite" in modules
        assert _heavy(modules) == [], words
        assert "trialatlas.services.models" not in modules, words


def test_search_loads_the_search_engine_but_not_the_matcher_or_pint(target_db: Path) -> None:
    modules = _command_modules("search", "--db", str(target_db), "lupus")
    assert "trialatlas.search.service" in modules
    assert _heavy(modules, allowed=SEARCH_MACHINERY) == []


def _cpu_seconds(command: list[str]) -> float:
    """User + system CPU seconds of ``command`` run in a child (waiting for a busy core is not counted)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(command, check=True, capture_output=True, timeout=120)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


def test_help_and_show_start_within_their_budget(target_db: Path) -> None:
    # CPU seconds, not wall-clock: a loaded CI box delays a child without making it do more work.
    # Goals are 0.5 s (--help) and 1 s (show); here they take about 0.16 and 0.35 CPU s (0.2 more
    # when PYTHONDONTWRITEBYTECODE makes every run compile trialatlas again). The bounds leave room
    # for a slow core; what loads is held by the module checks above, these catch a slow start of any
    # other kind (the former eager import cost 1.0-1.5 CPU s). The best of three drops a cold cache.
    cli = [sys.executable, "-m", "trialatlas"]
    help_cpu = min(_cpu_seconds([*cli, "--help"]) for _ in range(3))
    show_cpu = min(_cpu_seconds([*cli, "show", "--db", str(target_db), "NCT04048161"]) for _ in range(3))
    assert help_cpu < 1.0, help_cpu
    assert show_cpu < 1.2, show_cpu


def test_showing_a_trial_loads_the_store_and_model_only(target_db: Path) -> None:
    db = target_db
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


@pytest.mark.parametrize(
    "first",
    ["import trialatlas.search.index as index_module", "from trialatlas import search", "import trialatlas"],
)
def test_search_is_callable_and_its_submodules_import_in_any_order(first: str) -> None:
    # The import system binds a loaded subpackage on its parent: ``trialatlas.search`` is the package,
    # callable as the search function, whichever import comes first.
    code = (
        f"{first}\n"
        "import inspect\n"
        "import trialatlas\n"
        "import trialatlas.search.index as index_module\n"
        "import trialatlas.search.service as service\n"
        "from trialatlas import search\n"
        "from trialatlas.search import Filters, SearchIndex\n"
        "assert search is trialatlas.search and callable(search), search\n"
        "assert index_module.SearchIndex is SearchIndex is trialatlas.search.index.SearchIndex\n"
        "assert trialatlas.Filters is Filters is search.Filters\n"
        "assert list(inspect.signature(search).parameters)[:2] == ['store', 'query']\n"
        "from trialatlas.store import open_store\n"
        "store = open_store(':memory:')\n"
        "assert search(store, 'lupus').total == service.search(store, 'lupus').total == 0\n"
    )
    assert "trialatlas.search.service" in _modules_after(code)
