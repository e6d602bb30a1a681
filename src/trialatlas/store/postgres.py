"""The shared store: the same layout as the SQLite file, in a PostgreSQL database (psycopg 3).

Chosen by a ``postgresql://`` URL. One server holds the store for a team: any number of readers,
and writers serialised by a transaction-scoped advisory lock, which plays the part of SQLite's
``BEGIN IMMEDIATE``: the upsert planner reads what it needs and the plan is applied under one lock,
in one transaction, so a batch lands whole or not at all and two writers can never plan against the
same stale state. It also keeps change numbers in commit order, which the change feed relies on.

Every text column that is sorted or paged on uses the ``"C"`` collation, so keys sort byte-wise as
in SQLite and both backends agree on order and digests. Trials are stored zlib-compressed with the
shared codec. Full-text search is the search index's tables (:mod:`trialatlas.search.postgres`).

What is derived from the trials and shared by every process on the database lives here too:
``derived_blobs`` holds named blobs (the related-trials index, the matcher's term statistics) with a
stamp saying what they hold, ``derived_criteria`` / ``derived_meta`` the parsed criteria rules
(:mod:`trialatlas.match.stored_rules`). A process reads them; only the derived-data step after a write
(``ingest``, ``sync``, ``copy``) writes them.

A database of an older layout is migrated once, when a newer trialatlas first opens it (each step
logged with its duration, see :data:`MIGRATIONS`), under the writers' lock.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg

from trialatlas.errors import ReadOnlyStoreError, StoreError
from trialatlas.model import Trial
from trialatlas.store.base import decode_trial, normalize_id
from trialatlas.store.compression import decompress
from trialatlas.store.schema import (
    KIND_RANK,
    POSTGRES,
    RAW_RECORDS,
    TRIAL_CHANGES,
    TRIAL_IDS,
    TRIAL_VERSIONS,
    TRIALS,
    Dialect,
    create_indexes,
    create_statements,
    create_table,
)
from trialatlas.store.sql import SqlStore

# 2: no search vector on the trials' rows (the search index's tables hold it); derived data shared
# by every process (derived_blobs, derived_criteria, derived_meta).
SCHEMA_VERSION = 2
# Any fixed number: every trialatlas writer of a database takes the same lock.
_WRITE_LOCK = 0x7472_6961_6C61  # "triala"
# A blob is written in parts of this size: a bytea value is capped at 1 GB, and smaller parts keep
# each row's memory in the server modest.
BLOB_PART = 32 * 1024 * 1024

logger = logging.getLogger(__name__)

# The matcher's per-trial term counts: a database made before them gains the table at its next
# catch-up of the criteria rules (trialatlas.match.stored_rules).
DERIVED_TERMS_TABLE = (
    'CREATE TABLE IF NOT EXISTS derived_terms (key TEXT COLLATE "C" PRIMARY KEY, digest TEXT NOT NULL,'
    " terms BYTEA NOT NULL)"
)
# Derived data every process shares; created by a new store and by the migration to 2 alike.
_DERIVED_STATEMENTS = [
    "CREATE TABLE IF NOT EXISTS derived_blobs (\n    name TEXT NOT NULL,\n    part INTEGER NOT NULL,\n"
    "    stamp TEXT NOT NULL,\n    data BYTEA NOT NULL,\n    PRIMARY KEY (name, part)\n)",
    "CREATE TABLE IF NOT EXISTS derived_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
    'CREATE TABLE IF NOT EXISTS derived_criteria (key TEXT COLLATE "C" PRIMARY KEY, digest TEXT NOT NULL,'
    " rules BYTEA NOT NULL)",
    DERIVED_TERMS_TABLE,
]

_CREATE_STATEMENTS = [
    # Where the schema version is kept (SQLite has PRAGMA user_version for it).
    "CREATE TABLE trialatlas_meta (\n    name TEXT PRIMARY KEY,\n    value TEXT NOT NULL\n)",
    create_table(TRIALS, Dialect.POSTGRES),
    *create_indexes(TRIALS),
    *create_statements(Dialect.POSTGRES, (RAW_RECORDS, TRIAL_IDS, TRIAL_CHANGES, TRIAL_VERSIONS)),
    *_DERIVED_STATEMENTS,
]


def _drop_row_search_vector(conn: psycopg.Connection[Any]) -> None:
    # The search index's own tables (search_docs.tsv) hold every trial's vector; the row's copy was
    # written with every upsert and read by nothing else. Dropping a column rewrites nothing.
    conn.execute("ALTER TABLE trials DROP COLUMN IF EXISTS search")
    for statement in _DERIVED_STATEMENTS:
        conn.execute(statement)


# Steps from version n to n + 1, each ``(what it does, step)``, run in order in the transaction that
# opens an older database. Add one (and bump SCHEMA_VERSION) whenever the layout changes.
MIGRATIONS: dict[int, tuple[str, Callable[[psycopg.Connection[Any]], None]]] = {
    1: (
        "drop the trials' duplicated search vector; add the shared derived-data tables",
        _drop_row_search_vector,
    ),
}

# Each asked id with the key it finds, in one statement: an exact key first, else the best-ranked id.
_RESOLVED = f"""
WITH wanted AS (SELECT * FROM unnest(%s::text[], %s::text[]) AS w(text, norm)),
exact AS (SELECT w.text, t.key FROM wanted w JOIN trials t ON t.key = w.text),
by_id AS (
    SELECT DISTINCT ON (w.text) w.text, i.key FROM wanted w JOIN trial_ids i ON i.id = w.norm
    WHERE w.text NOT IN (SELECT text FROM exact) ORDER BY w.text, {KIND_RANK}, i.key
),
resolved AS (SELECT * FROM exact UNION ALL SELECT * FROM by_id)
"""
_RESOLVE = _RESOLVED + "SELECT text, key FROM resolved"
_GET_MANY = _RESOLVED + "SELECT r.text, r.key, t.data FROM resolved r JOIN trials t ON t.key = r.key"


@contextmanager
def _writes_allowed(location: str) -> Iterator[None]:
    """A write refused for want of privileges, as :class:`ReadOnlyStoreError`."""
    try:
        yield
    except psycopg.errors.InsufficientPrivilege as exc:
        raise ReadOnlyStoreError(f"{location}: this account may not write the store: {exc}") from exc


def redact(url: str) -> str:
    """The URL without its password, fit for messages and ``location``."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)
    user = (parts.username or "") + ":***"
    return urlunsplit(parts._replace(netloc=f"{user}@{netloc[-1]}"))


class PostgresStore(SqlStore[psycopg.Connection[Any]]):
    """A :class:`~trialatlas.store.base.TrialStore` in a PostgreSQL database named by ``url``.

    The tables are created on first use (the role needs CREATE on the database's schema; readers
    only need SELECT). Calls on one store object are serialised; open one store per thread or process
    for parallel reads.
    """

    SQL = POSTGRES
    DRIVER_ERROR = psycopg.Error

    def __init__(self, url: str, *, compression: int = 1, connect_timeout: int = 10) -> None:
        self.url = url
        self.location = redact(url)
        self._compression = compression
        self._lock = threading.RLock()
        self._conn = None
        self._wrote = False
        # The migration steps this object ran on opening (each from schema n to n + 1).
        self.migrated: list[int] = []
        # Called when the store closes: what was opened on its database for it (its search index's
        # connections) closes with it.
        self.on_close: list[Callable[[], None]] = []
        self._open(
            lambda: psycopg.connect(url, autocommit=True, connect_timeout=connect_timeout), (psycopg.Error,)
        )

    # --- lifecycle ---------------------------------------------------------------------------

    def _set_up(self, conn: psycopg.Connection[Any]) -> None:
        self._prepare_schema()

    def _prepare_schema(self) -> None:
        conn = self._connection()
        if self._stored_version(conn) == SCHEMA_VERSION:
            return
        with conn.transaction():
            # Two processes opening a new database at once must not both create the tables.
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_WRITE_LOCK,))
            version = self._stored_version(conn)
            if version is None:
                found = conn.execute(
                    "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()"
                    " AND table_name IN ('trials', 'raw_records', 'trial_ids')"
                ).fetchone()
                if found and found[0]:
                    raise StoreError(f"{self.location}: a database that is not a trialatlas store")
                for statement in _CREATE_STATEMENTS:
                    conn.execute(statement)
                conn.execute(
                    "INSERT INTO trialatlas_meta (name, value) VALUES ('schema_version', %s)",
                    (str(SCHEMA_VERSION),),
                )
            elif version > SCHEMA_VERSION:
                raise StoreError(
                    f"{self.location}: store schema {version} is newer than this trialatlas"
                    f" (schema {SCHEMA_VERSION}); upgrade trialatlas"
                )
            elif version < SCHEMA_VERSION:
                self._migrate(conn, version)

    def _migrate(self, conn: psycopg.Connection[Any], version: int) -> None:
        """Take the store from ``version`` to this one, step by step, each logged (the progress an
        operator sees once, when a newer trialatlas first opens the database)."""
        steps = range(version, SCHEMA_VERSION)
        for number, step in enumerate(steps, 1):
            if step not in MIGRATIONS:
                raise StoreError(f"{self.location}: no migration from schema {step} to {step + 1}")
            what, run = MIGRATIONS[step]
            logger.warning(
                "%s: migrating the store, step %d of %d (schema %d to %d): %s…",
                self.location, number, len(steps), step, step + 1, what,
            )  # fmt: skip
            started = time.perf_counter()
            run(conn)
            self.migrated.append(step)
            logger.warning("%s: step %d done in %.1f s", self.location, number, time.perf_counter() - started)
        conn.execute(
            "UPDATE trialatlas_meta SET value = %s WHERE name = 'schema_version'", (str(SCHEMA_VERSION),)
        )

    @staticmethod
    def _stored_version(conn: psycopg.Connection[Any]) -> int | None:
        exists = conn.execute("SELECT to_regclass('trialatlas_meta') IS NOT NULL").fetchone()
        if not exists or not exists[0]:
            return None
        row = conn.execute("SELECT value FROM trialatlas_meta WHERE name = 'schema_version'").fetchone()
        return int(row[0]) if row else None

    def shared_secret(self, name: str) -> bytes:
        """A random secret kept in the database (``trialatlas_meta``), created on first ask: every
        server process on this database signs and checks with the same one (cursors)."""
        row_name = f"secret:{name}"
        with self._lock:
            # Read first: a reader account (SELECT only) finds the secret the writer made.
            found = (
                self._connection()
                .execute("SELECT value FROM trialatlas_meta WHERE name = %s", (row_name,))
                .fetchone()
            )
        if found is not None:
            return bytes.fromhex(str(found[0]))
        with _writes_allowed(self.location), self._write() as conn:
            conn.execute(
                "INSERT INTO trialatlas_meta (name, value) VALUES (%s, %s) ON CONFLICT (name) DO NOTHING",
                (row_name, secrets.token_hex(32)),
            )
            row = conn.execute("SELECT value FROM trialatlas_meta WHERE name = %s", (row_name,)).fetchone()
        if row is None:  # pragma: no cover - the insert above makes the row
            raise StoreError(f"{self.location}: cannot keep the secret {name!r}")
        return bytes.fromhex(str(row[0]))

    # --- derived data shared by every process (trialatlas.store.base.DerivedBlobs) ---------------

    def derived_stamp(self, name: str) -> str | None:
        """The stamp the blob ``name`` was written with; ``None`` when there is none."""
        with self._lock:
            row = (
                self._connection()
                .execute("SELECT stamp FROM derived_blobs WHERE name = %s AND part = 0", (name,))
                .fetchone()
            )
        return str(row[0]) if row else None

    def read_derived(self, name: str) -> tuple[str, bytes] | None:
        """The blob ``name`` and its stamp, read in one snapshot; ``None`` when there is none."""
        with self._read() as conn:
            rows = conn.execute(
                "SELECT stamp, data FROM derived_blobs WHERE name = %s ORDER BY part", (name,)
            ).fetchall()
        if not rows:
            return None
        return str(rows[0][0]), b"".join(bytes(data) for _, data in rows)

    def write_derived(self, name: str, stamp: str, data: bytes) -> None:
        """Replace the blob ``name`` whole, in one transaction: a reader sees the old one or the new.
        Raises :class:`ReadOnlyStoreError` for a role that may not write."""
        with self._lock, _writes_allowed(self.location):
            conn = self._connection()
            with conn.transaction():
                conn.execute("DELETE FROM derived_blobs WHERE name = %s", (name,))
                view = memoryview(data)
                parts = range(0, max(len(data), 1), BLOB_PART)
                conn.cursor().executemany(
                    "INSERT INTO derived_blobs (name, part, stamp, data) VALUES (%s, %s, %s, %s)",
                    [
                        (name, number, stamp, view[start : start + BLOB_PART])
                        for number, start in enumerate(parts)
                    ],
                )

    @property
    def schema_version(self) -> int:
        with self._lock:
            return self._stored_version(self._connection()) or 0

    def close(self) -> None:
        hooks, self.on_close = self.on_close, []
        for hook in hooks:
            hook()
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def _connection(self) -> psycopg.Connection[Any]:
        if self._conn is None or self._conn.closed:
            raise StoreError(f"{self.location}: the store is closed")
        return self._conn

    @contextmanager
    def _write(self) -> Iterator[psycopg.Connection[Any]]:
        # The advisory lock plays the part of SQLite's BEGIN IMMEDIATE, and keeps change numbers
        # in commit order.
        with self._lock:
            conn = self._connection()
            with conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (_WRITE_LOCK,))
                yield conn

    @contextmanager
    def _read(self) -> Iterator[psycopg.Connection[Any]]:
        with self._lock:
            conn = self._connection()
            with conn.transaction():
                conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                yield conn

    def _executemany(
        self, conn: psycopg.Connection[Any], statement: str, params: Sequence[Sequence[Any]]
    ) -> None:
        # An empty executemany would still be a round trip.
        if params:
            conn.cursor().executemany(statement, params)

    # --- reads -------------------------------------------------------------------------------

    def _resolve(self, conn: psycopg.Connection[Any], wanted: Sequence[str]) -> dict[str, str]:
        unique = list(dict.fromkeys(wanted))
        rows = conn.execute(_RESOLVE, (unique, [normalize_id(text) for text in unique]))
        return {text: key for text, key in rows}

    def get_many(self, keys: Sequence[str]) -> list[Trial]:
        unique = list(dict.fromkeys(keys))
        if not unique:
            return []
        # One statement: one round trip, one snapshot.
        with self._lock:
            rows = self._connection().execute(_GET_MANY, (unique, [normalize_id(text) for text in unique]))
            found: dict[str, Trial] = {}
            by_key: dict[str, Trial] = {}
            for text, key, blob in rows:
                if key not in by_key:
                    by_key[key] = decode_trial(decompress(blob))
                found[text] = by_key[key]
        return [
            found[key].model_copy(deep=True) if keys.count(key) > 1 else found[key]
            for key in keys
            if key in found
        ]

    def file_size(self) -> int:
        """Bytes the store's tables and indexes take on disk (TOAST included)."""
        with self._lock:
            row = (
                self._connection()
                .execute(
                    "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c"
                    " JOIN pg_namespace n ON n.oid = c.relnamespace"
                    " WHERE n.nspname = current_schema() AND c.relkind = 'r'"
                    " AND c.relname IN ('trials', 'raw_records', 'trial_ids', 'trial_changes',"
                    " 'trial_versions', 'trialatlas_meta')"
                )
                .fetchone()
            )
            return int(row[0]) if row and row[0] is not None else 0

    # --- checks ------------------------------------------------------------------------------

    @contextmanager
    def _digest_rows(self, conn: psycopg.Connection[Any], query: str) -> Iterator[Iterable[Any]]:
        # A server-side cursor: the whole store never sits in memory at once.
        with conn.cursor(name="digest") as cursor:
            cursor.itersize = 500
            cursor.execute(query)
            yield cursor
