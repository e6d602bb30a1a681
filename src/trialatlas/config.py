"""Where trialatlas keeps its store, its caches and finds the shared sample data; all overridable by
environment."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

DB_ENV = "TRIALATLAS_DB"
DATA_ENV = "TRIALATLAS_SHARED_DATA"
CACHE_ENV = "TRIALATLAS_CACHE"
PROGRESS_ENV = "TRIALATLAS_PROGRESS"


def default_db_path() -> str:
    """``$TRIALATLAS_DB``, else ``trialatlas.db`` in the user's data directory."""
    configured = os.environ.get(DB_ENV)
    if configured:
        return configured
    return str(Path(platformdirs.user_data_dir("trialatlas")) / "trialatlas.db")


def progress_asked() -> bool:
    """Whether ``$TRIALATLAS_PROGRESS`` asks for progress where none would show: on a stderr that is
    no terminal (plain lines, for logs) and beside ``--json`` answers (stderr only)."""
    return os.environ.get(PROGRESS_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


def cache_dir() -> Path | None:
    """``$TRIALATLAS_CACHE``, else the user's cache directory; ``None`` when set empty (no caching).

    Only derived data of the program itself goes there (parsed unit definitions), never trial or
    patient data: deleting it costs a slower next start, nothing else."""
    configured = os.environ.get(CACHE_ENV)
    if configured is not None:
        return Path(configured) if configured.strip() else None
    return Path(platformdirs.user_cache_dir("trialatlas"))


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
