"""Shared fixtures: where the shared sample data lives (read-only, never copied into the repo), and the
stores several test files read, built once per run."""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

# pytest-xdist's workers start with COLUMNS=80 and LINES=24 set, which the command line's console
# would take as a fixed width at import; the tests run as in a plain pytest process, where each test
# that cares says its width.
if os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ.pop("COLUMNS", None)
    os.environ.pop("LINES", None)

from trialatlas.config import shared_data_dir
from trialatlas.search import SearchIndex
from trialatlas.services.ingest import ingest
from trialatlas.store import SqliteStore

# The throw-away PostgreSQL cluster (fixtures pg_cluster, pg_url) for the PostgreSQL store's tests, and
# the headless Chromium (fixture browser) of the browser tests.
pytest_plugins = ["conftest_pg", "browser_support"]


@pytest.fixture(scope="session")
def shared_data() -> Path:
    path = shared_data_dir()
    assert path.is_dir(), f"shared data not found at {path}; set TRIALATLAS_SHARED_DATA"
    return path


@pytest.fixture(scope="session")
def v2_jsonl(shared_data: Path) -> Path:
    return shared_data / "ctgov_api_v2_samples" / "ctgov_api_v2_studies.jsonl.gz"


@pytest.fixture(scope="session")
def target_trials(shared_data: Path) -> Path:
    return shared_data / "ctgov_target_trials"


@pytest.fixture(scope="session")
def legacy_xml_tarball(shared_data: Path) -> Path:
    return shared_data / "ctgov_legacy_xml_2023" / "ctgov_legacy_xml_feb2023.tar.gz"


def built_once(factory: pytest.TempPathFactory, name: str, build: Callable[[Path], None]) -> Path:
    """The folder ``build`` fills, built once per run: under pytest-xdist the workers share one folder
    (beside their own temporary folders) and the first to ask builds it while the others wait."""
    root = factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # the run's folder, above each worker's own
    folder = root / f"built-{name}"
    with (root / f"built-{name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, even if the build fails
        done = folder / ".built"
        if not done.exists():
            # A build that failed or was stopped (a timeout under load) left what it had written: the next
            # worker to ask starts from an empty folder, not from a store that already holds the trials.
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            build(folder)
            done.touch()
    return folder


@pytest.fixture(scope="session")
def tarball_db(tmp_path_factory: pytest.TempPathFactory, v2_jsonl: Path, legacy_xml_tarball: Path) -> Path:
    """An SQLite store of the API v2 sample and the legacy XML tarball (~7,600 trials) with its derived
    parts and search index, ingested once per run. Read-only for every test file that opens it (each
    opens its own connection); a test that writes works on a copy."""

    def build(folder: Path) -> None:
        with SqliteStore(folder / "atlas.db") as atlas:
            report = ingest([v2_jsonl, legacy_xml_tarball], atlas)
            assert report.new > 7000, report.as_dict()
            SearchIndex.for_store(atlas).sync(atlas)

    return built_once(tmp_path_factory, "tarball", build) / "atlas.db"


@pytest.fixture(scope="module")
def tarball_store(tarball_db: Path) -> Iterator[SqliteStore]:
    """The tarball store (``tarball_db``), opened for one test file."""
    with SqliteStore(tarball_db) as atlas:
        yield atlas


@pytest.fixture(scope="session")
def web_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The store the API, page and browser tests' server reads (``web_support.build_store``: the API v2
    sample, the target trials and one hostile trial), built once per run; servers only read it."""
    from web_support import build_store

    return built_once(tmp_path_factory, "web", lambda folder: build_store(folder / "atlas.db")) / "atlas.db"


@pytest.fixture(scope="session")
def sample_db(tmp_path_factory: pytest.TempPathFactory, target_trials: Path, v2_jsonl: Path) -> Path:
    """An SQLite store of the target trials and the API v2 sample (~810 trials) with its derived parts,
    ingested once per run; read-only for the test files that open it."""

    def build(folder: Path) -> None:
        with SqliteStore(folder / "atlas.db") as atlas:
            report = ingest([target_trials, v2_jsonl], atlas)
            assert report.ok, report.errors[:3]

    return built_once(tmp_path_factory, "sample", build) / "atlas.db"
