"""Where trials are kept: the store protocol, its backends, and :func:`open_store` to pick one."""

from __future__ import annotations

from pathlib import Path

from trialatlas.config import default_db_path
from trialatlas.errors import StoreError
from trialatlas.store.base import CopyReport, TrialStore, UpsertOutcome, UpsertSummary, copy_store
from trialatlas.store.history import Change, TrialVersion, diff_trials, version_at
from trialatlas.store.memory import MemoryStore
from trialatlas.store.sqlite import SqliteStore

__all__ = [
    "Change",
    "CopyReport",
    "MemoryStore",
    "SqliteStore",
    "TrialStore",
    "TrialVersion",
    "UpsertOutcome",
    "UpsertSummary",
    "copy_store",
    "derived_path",
    "diff_trials",
    "open_store",
    "server_url",
    "version_at",
]

_SQLITE_PREFIX = "sqlite:///"


def open_store(url_or_path: str | None = None) -> TrialStore:
    """The store a path or URL names; ``None`` means the configured default (``$TRIALATLAS_DB``).

    - a plain path, or ``sqlite:///relative/path`` / ``sqlite:////absolute/path`` (SQLAlchemy's
      spelling): an SQLite file, created with its directories if missing;
    - ``memory://`` (any suffix names nothing): a :class:`MemoryStore`, gone when closed;
    - ``postgresql://`` and ``postgres://`` (also ``postgresql+psycopg://``): a :class:`PostgresStore`
      in that database (libpq URL: ``postgresql://user:password@host:port/dbname?sslmode=...``).
    """
    target = default_db_path() if url_or_path is None else url_or_path.strip()
    if not target:
        raise StoreError("no store given: pass a path or a URL")
    scheme = target.split("://", 1)[0].lower() if "://" in target else None
    if scheme is None:
        return SqliteStore(target)
    if scheme == "memory":
        return MemoryStore(target)
    if scheme == "sqlite":
        if not target.startswith(_SQLITE_PREFIX) or len(target) == len(_SQLITE_PREFIX):
            raise StoreError(f"{target}: an SQLite URL is sqlite:///path (four slashes for an absolute path)")
        return SqliteStore(target[len(_SQLITE_PREFIX) :])
    if scheme in {"postgresql", "postgres"} or scheme.startswith("postgresql+"):
        # Imported here: psycopg loads libpq, which SQLite-only sessions never need.
        from trialatlas.store.postgres import PostgresStore

        return PostgresStore("postgresql://" + target.split("://", 1)[1])
    raise StoreError(f"{target}: unknown store URL scheme {scheme!r}; use a path, sqlite:///, or memory://")


def derived_path(store: TrialStore, suffix: str) -> Path | None:
    """Where a file derived from ``store`` lives (an index, statistics, sync state): beside its SQLite
    file as ``<db><suffix>`` (``""``: in the file itself); ``None`` for a store that is not a file: a
    server store keeps its derived data in its database (tables, and blobs through
    :class:`~trialatlas.store.base.DerivedBlobs`), a memory store in memory for the process.

    The one rule for every derived file, so that moving or deleting a store moves or deletes them all.
    """
    location = getattr(store, "location", "")
    if (
        not isinstance(store, SqliteStore)
        or not location
        or location == ":memory:"
        or location.startswith("file:")
        or "://" in location
    ):
        return None
    return Path(location + suffix)


def server_url(store: TrialStore) -> str | None:
    """The database URL of a store kept by a server (PostgreSQL), whose derived indexes then live in
    that database, shared by every process; ``None`` for a file or memory store."""
    url = getattr(store, "url", None)
    return url if isinstance(url, str) and url.startswith("postgresql://") else None
