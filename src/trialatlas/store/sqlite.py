"""The embedded store: one SQLite file in WAL mode.

Layout: ``trials`` holds one row per trial (filterable columns copied out, the trial itself as
zlib-compressed JSON without raw text), ``raw_records`` the raw text of each source record, and
``trial_ids`` every id that finds a trial (NCT id, aliases, org study id, secondary ids), so that a
record from another registry can be bridged to the trial it describes.

Every write is one ``BEGIN IMMEDIATE`` transaction, planned and applied under the write lock, so a
batch is never half-written and a crash at any moment leaves the previous committed state.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any

from trialatlas.errors import StoreError
from trialatlas.model import Trial
from trialatlas.store.base import decode_trial, identity_ids, normalize_id
from trialatlas.store.compression import decompress
from trialatlas.store.schema import (
    KIND_RANK,
    RAW_RECORDS,
    SQLITE,
    TRIAL_CHANGES,
    TRIAL_IDS,
    TRIAL_VERSIONS,
    TRIALS,
    Dialect,
    create_statements,
    create_table,
)
from trialatlas.store.sql import SqlStore, select_where_in

# 4: registry ids indexed by their canonical spelling, as identity links.
SCHEMA_VERSION = 4


def _add_change_feed(conn: sqlite3.Connection) -> None:
    conn.execute(create_table(TRIAL_CHANGES, Dialect.SQLITE))
    # Derived indexes built before the feed existed must rebuild: every stored key counts as changed.
    conn.execute("INSERT INTO trial_changes (key) SELECT key FROM trials ORDER BY key")


def _add_version_history(conn: sqlite3.Connection) -> None:
    # Stores older than this kept no history: their current versions are the first ones known.
    conn.execute(create_table(TRIAL_VERSIONS, Dialect.SQLITE, if_not_exists=True))


def _reindex_registry_ids(conn: sqlite3.Connection) -> None:
    # Registry ids became identity links under their registry's canonical spelling ("2016-004489-24"
    # is found and linked as EUCTR2016-004489-24): every trial's id rows are written again.
    rows = conn.execute("SELECT key, data FROM trials").fetchall()
    conn.execute("DELETE FROM trial_ids")
    conn.executemany(
        "INSERT OR IGNORE INTO trial_ids (id, kind, key) VALUES (?, ?, ?)",
        (
            (normalized, kind, key)
            for key, data in rows
            for normalized, kind in identity_ids(decode_trial(decompress(data)))
        ),
    )


# Steps from version n to n + 1, run in order inside the opening transaction when a file is older
# than SCHEMA_VERSION. Add one (and bump SCHEMA_VERSION) whenever the schema changes.
MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {
    1: _add_change_feed,
    2: _add_version_history,
    3: _reindex_registry_ids,
}

# A new file's schema: the same statements the migrations run, so a migrated file and a new one agree
# (SQLite keeps each CREATE text without its IF NOT EXISTS).
_CREATE_STATEMENTS = [
    *create_statements(Dialect.SQLITE, (TRIALS, RAW_RECORDS, TRIAL_IDS, TRIAL_CHANGES)),
    create_table(TRIAL_VERSIONS, Dialect.SQLITE, if_not_exists=True),
]


@contextmanager
def transaction(conn: sqlite3.Connection, mode: str = "IMMEDIATE") -> Iterator[sqlite3.Connection]:
    """One transaction on ``conn``: committed at the end, rolled back on any exception."""
    conn.execute(f"BEGIN {mode}")
    try:
        yield conn
        conn.execute("COMMIT")
    except BaseException:
        # Some errors (SQLITE_FULL, interrupts) have already ended the transaction.
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


class SqliteStore(SqlStore[sqlite3.Connection]):
    """A :class:`~trialatlas.store.base.TrialStore` in one SQLite file (``":memory:"`` for none).

    Safe to share between threads (calls are serialised) and between processes (SQLite locking;
    readers never wait for a writer in WAL mode; a writer waits up to ``timeout`` seconds for another).
    """

    SQL = SQLITE
    DRIVER_ERROR = sqlite3.Error

    def __init__(self, path: str | os.PathLike[str], *, compression: int = 1, timeout: float = 30.0) -> None:
        self.location = os.fspath(path)
        self._compression = compression
        self._lock = threading.RLock()
        self._conn = None
        self._wrote = False
        in_memory = self.location == ":memory:" or self.location.startswith("file::memory:")

        def connect() -> sqlite3.Connection:
            if not in_memory:
                Path(self.location).expanduser().parent.mkdir(parents=True, exist_ok=True)
                self.location = str(Path(self.location).expanduser())
            # Autocommit at the driver level: transactions are begun explicitly, so that a batch is
            # exactly one BEGIN IMMEDIATE ... COMMIT.
            return sqlite3.connect(
                self.location, isolation_level=None, check_same_thread=False, timeout=timeout
            )

        self._open(connect, (sqlite3.Error, OSError))

    # --- lifecycle ---------------------------------------------------------------------------

    def _set_up(self, conn: sqlite3.Connection) -> None:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA cache_size = -32768")
        conn.execute("PRAGMA temp_store = MEMORY")
        self._prepare_schema()

    def _prepare_schema(self) -> None:
        # The usual case needs no write lock, so opening never waits for another process's ingest.
        if self._connection().execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION:
            return
        with self._transaction() as conn:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise StoreError(
                    f"{self.location}: store schema {version} is newer than this trialatlas"
                    f" (schema {SCHEMA_VERSION}); upgrade trialatlas"
                )
            if version == 0:
                tables = conn.execute("SELECT count(*) FROM sqlite_schema WHERE type = 'table'").fetchone()[0]
                if tables:
                    raise StoreError(f"{self.location}: an SQLite file that is not a trialatlas store")
                for statement in _CREATE_STATEMENTS:
                    conn.execute(statement)
            else:
                for step in range(version, SCHEMA_VERSION):
                    if step not in MIGRATIONS:
                        raise StoreError(f"{self.location}: no migration from schema {step} to {step + 1}")
                    MIGRATIONS[step](conn)
            if version != SCHEMA_VERSION:
                conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    @property
    def schema_version(self) -> int:
        with self._lock:
            return int(self._connection().execute("PRAGMA user_version").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            if self._conn is None:
                return
            try:
                if self._wrote:
                    # Refreshes planner statistics after writes; it may need the write lock, and
                    # closing must neither fail nor wait long because another process holds it.
                    self._conn.execute("PRAGMA busy_timeout = 200")
                    self._conn.execute("PRAGMA optimize")
            except sqlite3.Error:
                pass
            finally:
                self._conn.close()
                self._conn = None

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise StoreError(f"{self.location}: the store is closed")
        return self._conn

    @contextmanager
    def _transaction(self, mode: str = "IMMEDIATE") -> Iterator[sqlite3.Connection]:
        """One transaction; rolled back on any exception. ``DEFERRED`` gives a consistent read snapshot."""
        with self._lock, transaction(self._connection(), mode) as conn:
            yield conn

    def _read(self) -> AbstractContextManager[sqlite3.Connection]:
        return self._transaction("DEFERRED")

    def _write(self) -> AbstractContextManager[sqlite3.Connection]:
        # IMMEDIATE takes the write lock up front: the upsert planner reads under it.
        return self._transaction("IMMEDIATE")

    def _executemany(self, conn: sqlite3.Connection, statement: str, params: Sequence[Sequence[Any]]) -> None:
        conn.executemany(statement, params)

    # --- reads -------------------------------------------------------------------------------

    def _resolve(self, conn: sqlite3.Connection, wanted: Sequence[str]) -> dict[str, str]:
        unique = list(dict.fromkeys(wanted))
        resolved = {
            key: key for (key,) in select_where_in(conn, SQLITE, "SELECT key FROM trials", "key", unique)
        }
        by_id: dict[str, list[str]] = {}
        for text in unique:
            if text not in resolved:
                by_id.setdefault(normalize_id(text), []).append(text)
        best: dict[str, tuple[int, str]] = {}
        select = f"SELECT id, {KIND_RANK}, key FROM trial_ids"
        for found, rank, key in select_where_in(conn, SQLITE, select, "id", list(by_id)):
            if found not in best or (rank, key) < best[found]:
                best[found] = (rank, key)
        for found, (_, key) in best.items():
            for text in by_id[found]:
                resolved[text] = key
        return resolved

    def get_many(self, keys: Sequence[str]) -> list[Trial]:
        with self._read() as conn:
            resolved = self._resolve(conn, keys)
            rows = select_where_in(
                conn, SQLITE, "SELECT key, data FROM trials", "key", sorted(set(resolved.values()))
            )
            trials = {key: decode_trial(decompress(blob)) for key, blob in rows}
        return [trials[resolved[key]] for key in keys if key in resolved and resolved[key] in trials]

    def file_size(self) -> int:
        """Bytes on disk, write-ahead log included."""
        if not Path(self.location).is_file():
            return 0
        wal = Path(self.location + "-wal")
        return Path(self.location).stat().st_size + (wal.stat().st_size if wal.is_file() else 0)

    # --- checks ------------------------------------------------------------------------------

    def _digest_rows(self, conn: sqlite3.Connection, query: str) -> AbstractContextManager[Iterable[Any]]:
        # sqlite3 steps through the result as it is iterated: nothing to stream explicitly.
        return nullcontext(conn.execute(query))

    def _engine_checks(self, conn: sqlite3.Connection) -> list[str]:
        problems: list[str] = []
        results = [row[0] for row in conn.execute("PRAGMA integrity_check")]
        if results != ["ok"]:
            problems.extend(f"sqlite: {result}" for result in results)
        for table, rowid, parent, _ in conn.execute("PRAGMA foreign_key_check"):
            problems.append(f"{table} row {rowid} refers to a missing {parent} row")
        return problems
