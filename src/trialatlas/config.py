"""Where trialatlas keeps its store and finds the shared sample data; both overridable by environment."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

DB_ENV = "TRIALATLAS_DB"
DATA_ENV = "TRIALATLAS_SHARED_DATA"


def default_db_path() -> str:
    """``$TRIALATLAS_DB``, else ``trialatlas.db`` in the user's data directory."""
    configured = os.environ.get(DB_ENV)
    if configured:
        return configured
    return str(Path(platformdirs.user_data_dir("trialatlas")) / "trialatlas.db")


def shared_data_dir() -> Path:
    """``$TRIALATLAS_SHARED_DATA``, else ``../shared/data`` beside the checkout (or the working directory)."""
    configured = os.environ.get(DATA_ENV)
    if configured:
        return Path(configured)
    candidates = [
        Path(__file__).resolve().parents[3] / "shared" / "data",
        Path.cwd().parent / "shared" / "data",
    ]
    return next((path for path in candidates if path.is_dir()), candidates[0])
