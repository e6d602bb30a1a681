"""Shared fixtures: where the shared sample data lives (read-only, never copied into the repo)."""

from __future__ import annotations

from pathlib import Path

import pytest

from trialatlas.config import shared_data_dir

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
