"""The embedded store: one SQLite file in WAL mode.

Layout: ``trials`` holds one row per trial (filterable columns copied out, the trial itself as
zlib-compressed JSON without raw text), ``raw_records`` the raw text of each source record, and
``trial_ids`` every id that finds a trial (NCT id, aliases, org study id, secondary ids), so that a
record from another registry can be bridged to the trial it describes.

Every write is one ``BEGIN IMMEDIATE`` transaction, planned and applied under the write lock, so a
batch is never half-written and a crash at any moment leaves the previous committed state.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import threading
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from trialatlas.errors import StoreError
from trialatlas.model import Trial
from trialatlas.store.base import (
    ID_PRIORITY,
    BatchPlan,
    ContentDigest,
    RawMeta,
    RawWrite,
    StoredTrial,
    TrialRow,
    UpsertSummary,
    check_count_column,
    check_trial,
    decode_trial,
    identity_ids,
    normalize_id,
    plan_batch,
    raw_sha,
    tally,
    trial_row,
)
from trialatlas.store.history import TrialVersion

SCHEMA_VERSION = 3

_CHANGES_SCHEMA = """
CREATE TABLE trial_changes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT NOT NULL
)
"""


def _add_change_feed(conn: sqlite3.Connection) -> None:
    conn.execute(_CHANGES_SCHEMA)
    # Derived indexes built before the feed existed must rebuild: every stored key counts as changed.
    conn.execute("INSERT INTO trial_changes (key) SELECT key FROM trials ORDER BY key")


# Superseded versions of each trial, whole: an upsert that changes a trial moves the stored row here
# first. They follow their trial's key through renames and go with it when it is deleted.
_VERSIONS_SCHEMA = """
CREATE TABLE IF NOT EXISTS trial_versions (
    key TEXT NOT NULL REFERENCES trials (key) ON DELETE CASCADE ON UPDATE CASCADE,
    version INTEGER NOT NULL,
    stored_at TEXT NOT NULL,
    replaced_at TEXT NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (key, version)
)
"""


def _add_version_history(conn: sqlite3.Connection) -> None:
    # Stores older than this kept no history: their current versions are the first ones known.
    conn.execute(_VERSIONS_SCHEMA)


# Steps from version n to n + 1, run in order inside the opening transaction when a file is older
# than SCHEMA_VERSION. Add one (and bump SCHEMA_VERSION) whenever the schema below changes.
MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {1: _add_change_feed, 2: _add_version_history}

_SCHEMA = """
CREATE TABLE trials (
    key TEXT PRIMARY KEY NOT NULL,
    nct_id TEXT,
    org_study_id TEXT,
    is_partial INTEGER NOT NULL,
    record_date TEXT,
    updated_at TEXT NOT NULL,
    overall_status TEXT,
    study_type TEXT,
    phases TEXT,
    start_date TEXT,
    last_update TEXT,
    enrollment INTEGER,
    min_age_years REAL,
    max_age_years REAL,
    sex TEXT,
    countries TEXT,
    title TEXT,
    n_sources INTEGER NOT NULL,
    data BLOB NOT NULL
);
CREATE INDEX trials_overall_status ON trials (overall_status);
CREATE INDEX trials_study_type ON trials (study_type);
CREATE INDEX trials_start_date ON trials (start_date);
CREATE INDEX trials_last_update ON trials (last_update);
CREATE INDEX trials_record_date ON trials (record_date);
CREATE INDEX trials_enrollment ON trials (enrollment);
CREATE INDEX trials_min_age ON trials (min_age_years);
CREATE INDEX trials_max_age ON trials (max_age_years);

CREATE TABLE raw_records (
    trial_key TEXT NOT NULL REFERENCES trials (key) ON DELETE CASCADE ON UPDATE CASCADE,
    source_id TEXT NOT NULL,
    format TEXT NOT NULL,
    location TEXT NOT NULL,
    record_date TEXT,
    raw_sha BLOB,
    reading_sha BLOB,
    raw BLOB,
    PRIMARY KEY (trial_key, source_id)
);
CREATE INDEX raw_records_source ON raw_records (source_id);

CREATE TABLE trial_ids (
    id TEXT NOT NULL,
    kind TEXT NOT NULL,
    key TEXT NOT NULL REFERENCES trials (key) ON DELETE CASCADE ON UPDATE CASCADE,
    PRIMARY KEY (id, kind, key)
) WITHOUT ROWID;
CREATE INDEX trial_ids_key ON trial_ids (key);
"""
_SCHEMA += _CHANGES_SCHEMA + ";" + _VERSIONS_SCHEMA

_ROW_COLUMNS = (
    "key",
    "nct_id",
    "org_study_id",
    "is_partial",
    "record_date",
    "overall_status",
    "study_type",
    "phases",
    "start_date",
    "last_update",
    "enrollment",
    "min_age_years",
    "max_age_years",
    "sex",
    "countries",
    "title",
    "n_sources",
    "data",
)
_UPSERT_TRIAL = (
    f"INSERT INTO trials ({', '.join(_ROW_COLUMNS)}, updated_at)"
    f" VALUES ({', '.join('?' * (len(_ROW_COLUMNS) + 1))})"
    " ON CONFLICT (key) DO UPDATE SET "
    + ", ".join(f"{column} = excluded.{column}" for column in (*_ROW_COLUMNS[1:], "updated_at"))
)
_UPSERT_RAW = (
    "INSERT INTO raw_records (trial_key, source_id, format, location, record_date, raw_sha, reading_sha, raw)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
    " ON CONFLICT (trial_key, source_id) DO UPDATE SET format = excluded.format,"
    " location = excluded.location, record_date = excluded.record_date,"
    " raw_sha = iif(excluded.raw IS NULL, raw_sha, excluded.raw_sha),"
    " reading_sha = iif(excluded.raw IS NULL, reading_sha, excluded.reading_sha),"
    " raw = coalesce(excluded.raw, raw)"
)
# Copies the stored row of a key into its history, numbered after the versions it already has.
_SUPERSEDE = (
    "INSERT INTO trial_versions (key, version, stored_at, replaced_at, data)"
    " SELECT key, (SELECT coalesce(max(version), 0) + 1 FROM trial_versions v WHERE v.key = t.key),"
    " updated_at, ?, data FROM trials t WHERE key = ?"
)
_RAW_META = "format, location, record_date, raw_sha, reading_sha"
_KIND_RANK = " ".join(
    ["CASE kind", *(f"WHEN '{kind}' THEN {rank}" for kind, rank in ID_PRIORITY.items()), "END"]
)

# Below SQLITE_MAX_VARIABLE_NUMBER of every SQLite build still in use (999 before 3.32).
_CHUNK = 900


def _chunks(items: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _marks(count: int) -> str:
    return ", ".join("?" * count)


class _State:
    """What the upsert planner reads, from inside the write transaction."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def find_ids(self, ids: Sequence[str]) -> list[tuple[str, str, str]]:
        found: list[tuple[str, str, str]] = []
        for chunk in _chunks(ids):
            sql = f"SELECT id, kind, key FROM trial_ids WHERE id IN ({_marks(len(chunk))})"
            found.extend(self.conn.execute(sql, chunk))
        return found

    def find_sources(self, source_ids: Sequence[str]) -> list[tuple[str, str, RawMeta]]:
        found: list[tuple[str, str, RawMeta]] = []
        for chunk in _chunks(source_ids):
            where = f"source_id IN ({_marks(len(chunk))})"
            sql = f"SELECT source_id, trial_key, {_RAW_META} FROM raw_records WHERE {where}"
            found.extend(
                (source_id, key, RawMeta(*meta)) for source_id, key, *meta in self.conn.execute(sql, chunk)
            )
        return found

    def load_data(self, keys: Sequence[str]) -> dict[str, bytes]:
        data: dict[str, bytes] = {}
        for chunk in _chunks(keys):
            sql = f"SELECT key, data FROM trials WHERE key IN ({_marks(len(chunk))})"
            data.update((key, zlib.decompress(blob)) for key, blob in self.conn.execute(sql, chunk))
        return data

    def load_raws(self, keys: Sequence[str]) -> dict[str, dict[str, RawMeta]]:
        raws: dict[str, dict[str, RawMeta]] = {}
        for chunk in _chunks(keys):
            where = f"trial_key IN ({_marks(len(chunk))})"
            sql = f"SELECT trial_key, source_id, {_RAW_META} FROM raw_records WHERE {where}"
            for key, source_id, *meta in self.conn.execute(sql, chunk):
                raws.setdefault(key, {})[source_id] = RawMeta(*meta)
        return raws


class SqliteStore:
    """A :class:`~trialatlas.store.base.TrialStore` in one SQLite file (``":memory:"`` for none).

    Safe to share between threads (calls are serialised) and between processes (SQLite locking;
    readers never wait for a writer in WAL mode; a writer waits up to ``timeout`` seconds for another).
    """

    def __init__(self, path: str | os.PathLike[str], *, compression: int = 1, timeout: float = 30.0) -> None:
        self.location = os.fspath(path)
        self._compression = compression
        self._lock = threading.RLock()
        self._conn: sqlite3.Connection | None = None
        self._wrote = False
        in_memory = self.location == ":memory:" or self.location.startswith("file::memory:")
        try:
            if not in_memory:
                Path(self.location).expanduser().parent.mkdir(parents=True, exist_ok=True)
                self.location = str(Path(self.location).expanduser())
            # Autocommit at the driver level: transactions are begun explicitly, so that a batch is
            # exactly one BEGIN IMMEDIATE ... COMMIT.
            self._conn = sqlite3.connect(
                self.location, isolation_level=None, check_same_thread=False, timeout=timeout
            )
            self._conn.execute("PRAGMA journal_mode = WAL")
            self._conn.execute("PRAGMA synchronous = NORMAL")
            self._conn.execute("PRAGMA foreign_keys = ON")
            self._conn.execute("PRAGMA cache_size = -32768")
            self._conn.execute("PRAGMA temp_store = MEMORY")
            self._prepare_schema()
        except (sqlite3.Error, OSError, StoreError) as exc:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
            if isinstance(exc, StoreError):
                raise
            raise StoreError(f"{self.location}: cannot open the store: {exc}") from exc

    # --- lifecycle ---------------------------------------------------------------------------

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
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
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

    def __enter__(self) -> SqliteStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"SqliteStore({self.location!r})"

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise StoreError(f"{self.location}: the store is closed")
        return self._conn

    @contextmanager
    def _transaction(self, mode: str = "IMMEDIATE") -> Iterator[sqlite3.Connection]:
        """One transaction; rolled back on any exception. ``DEFERRED`` gives a consistent read snapshot."""
        with self._lock:
            conn = self._connection()
            conn.execute(f"BEGIN {mode}")
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                # Some errors (SQLITE_FULL, interrupts) have already ended the transaction.
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise

    # --- writes ------------------------------------------------------------------------------

    def upsert_batch(self, trials: Sequence[Trial]) -> UpsertSummary:
        if not trials:
            return UpsertSummary()
        try:
            with self._transaction() as conn:
                plan = plan_batch(trials, _State(conn))
                self._apply(conn, plan)
                self._wrote = True
        except StoreError:
            raise
        except Exception as exc:
            raise StoreError(f"{self.location}: upsert of {len(trials)} trials failed: {exc}") from exc
        return plan.summary

    def _row_params(self, row: TrialRow, stored_at: str) -> tuple[Any, ...]:
        return (
            row.key,
            row.nct_id,
            row.org_study_id,
            int(row.is_partial),
            row.record_date,
            row.overall_status,
            row.study_type,
            row.phases,
            row.start_date,
            row.last_update,
            row.enrollment,
            row.min_age_years,
            row.max_age_years,
            row.sex,
            row.countries,
            row.title,
            row.n_sources,
            zlib.compress(row.data, self._compression),
            stored_at,
        )

    def _write_raws(self, conn: sqlite3.Connection, raws: Iterable[RawWrite]) -> None:
        level = self._compression
        conn.executemany(
            _UPSERT_RAW,
            [
                (
                    raw.trial_key,
                    raw.source_id,
                    raw.format,
                    raw.location,
                    raw.record_date,
                    raw.sha,
                    raw.reading,
                    None if raw.raw is None else zlib.compress(raw.raw.encode(), level),
                )
                for raw in raws
            ],
        )

    def _apply(self, conn: sqlite3.Connection, plan: BatchPlan) -> None:
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        # Renaming the primary key cascades to raw_records, trial_ids and trial_versions.
        conn.executemany("UPDATE trials SET key = ? WHERE key = ?", [(new, old) for old, new in plan.renames])
        conn.executemany(_SUPERSEDE, [(now, key) for key in plan.superseded])
        conn.executemany(_UPSERT_TRIAL, [self._row_params(row, now) for row in plan.rows])
        conn.executemany("DELETE FROM trial_ids WHERE key = ?", [(key,) for key in plan.replace_ids_of])
        conn.executemany("INSERT OR IGNORE INTO trial_ids (id, kind, key) VALUES (?, ?, ?)", plan.ids)
        self._write_raws(conn, plan.raws)
        # The change feed: derived indexes (search, related trials) catch up from it.
        changed = [*(old for old, _ in plan.renames), *(row.key for row in plan.rows)]
        conn.executemany("INSERT INTO trial_changes (key) VALUES (?)", [(key,) for key in changed])

    def import_trials(self, items: Sequence[StoredTrial]) -> int:
        if not items:
            return 0
        try:
            rows = [trial_row(item.key, decode_trial(item.data), item.data) for item in items]
            with self._transaction() as conn:
                keys = [item.key for item in items]
                for chunk in _chunks(keys):
                    sql = f"SELECT key FROM trials WHERE key IN ({_marks(len(chunk))})"
                    if clash := [key for (key,) in conn.execute(sql, chunk)]:
                        raise StoreError(f"{self.location}: cannot import keys already stored: {clash}")
                conn.executemany(
                    _UPSERT_TRIAL.split(" ON CONFLICT")[0],
                    [self._row_params(row, item.stored_at) for row, item in zip(rows, items, strict=True)],
                )
                conn.executemany(
                    "INSERT INTO trial_ids (id, kind, key) VALUES (?, ?, ?)",
                    [
                        (found, kind, row.key)
                        for row in rows
                        for found, kind in identity_ids(decode_trial(row.data))
                    ],
                )
                self._write_raws(conn, (raw for item in items for raw in item.raws))
                conn.executemany(
                    "INSERT INTO trial_versions (key, version, stored_at, replaced_at, data)"
                    " VALUES (?, ?, ?, ?, ?)",
                    [
                        (item.key, number, stored, replaced, zlib.compress(data, self._compression))
                        for item in items
                        for number, (stored, replaced, data) in enumerate(item.versions, start=1)
                    ],
                )
                conn.executemany("INSERT INTO trial_changes (key) VALUES (?)", [(key,) for key in keys])
                self._wrote = True
        except StoreError:
            raise
        except Exception as exc:
            raise StoreError(f"{self.location}: import of {len(items)} trials failed: {exc}") from exc
        return len(items)

    def delete(self, keys: Iterable[str]) -> int:
        unique = [(key,) for key in dict.fromkeys(keys)]
        if not unique:
            return 0
        try:
            with self._transaction() as conn:
                deleted = conn.executemany("DELETE FROM trials WHERE key = ?", unique).rowcount
                conn.executemany("INSERT INTO trial_changes (key) VALUES (?)", unique)
                return deleted
        except sqlite3.Error as exc:
            raise StoreError(f"{self.location}: delete failed: {exc}") from exc

    # --- reads -------------------------------------------------------------------------------

    def changes_since(self, seq: int) -> tuple[int, list[str]]:
        with self._lock:
            conn = self._connection()
            rows = conn.execute(
                "SELECT max(seq), key FROM trial_changes WHERE seq > ? GROUP BY key ORDER BY min(seq)", (seq,)
            ).fetchall()
            if not rows:
                newest = conn.execute("SELECT coalesce(max(seq), 0) FROM trial_changes").fetchone()[0]
                return max(int(newest), seq), []
        return max(int(row[0]) for row in rows), [str(row[1]) for row in rows]

    def _resolve(self, conn: sqlite3.Connection, wanted: Sequence[str]) -> dict[str, str]:
        """Store key of each asked id that finds a trial: exact key first, then ``trial_ids``."""
        unique = list(dict.fromkeys(wanted))
        resolved: dict[str, str] = {}
        for chunk in _chunks(unique):
            sql = f"SELECT key FROM trials WHERE key IN ({_marks(len(chunk))})"
            resolved.update((key, key) for (key,) in conn.execute(sql, chunk))
        by_id: dict[str, list[str]] = {}
        for text in unique:
            if text not in resolved:
                by_id.setdefault(normalize_id(text), []).append(text)
        normalized = list(by_id)
        best: dict[str, tuple[int, str]] = {}
        for chunk in _chunks(normalized):
            sql = f"SELECT id, {_KIND_RANK}, key FROM trial_ids WHERE id IN ({_marks(len(chunk))})"
            for found, rank, key in conn.execute(sql, chunk):
                if found not in best or (rank, key) < best[found]:
                    best[found] = (rank, key)
        for found, (_, key) in best.items():
            for text in by_id[found]:
                resolved[text] = key
        return resolved

    def _load(self, conn: sqlite3.Connection, keys: Sequence[str]) -> dict[str, Trial]:
        loaded: dict[str, Trial] = {}
        for chunk in _chunks(keys):
            sql = f"SELECT key, data FROM trials WHERE key IN ({_marks(len(chunk))})"
            for key, blob in conn.execute(sql, chunk):
                loaded[key] = decode_trial(zlib.decompress(blob))
        return loaded

    def get(self, key: str) -> Trial | None:
        found = self.get_many([key])
        return found[0] if found else None

    def get_many(self, keys: Sequence[str]) -> list[Trial]:
        with self._transaction("DEFERRED") as conn:
            resolved = self._resolve(conn, keys)
            trials = self._load(conn, sorted(set(resolved.values())))
        return [trials[resolved[key]] for key in keys if key in resolved and resolved[key] in trials]

    def versions(self, key: str) -> list[TrialVersion]:
        with self._transaction("DEFERRED") as conn:
            resolved = self._resolve(conn, [key])
            if key not in resolved:
                return []
            rows = conn.execute(
                "SELECT version, stored_at, replaced_at, data FROM trial_versions WHERE key = ?"
                " UNION ALL SELECT NULL, updated_at, NULL, data FROM trials WHERE key = ?",
                (resolved[key], resolved[key]),
            ).fetchall()
        older = sorted((row for row in rows if row[0] is not None), key=lambda row: row[0])
        current = [row for row in rows if row[0] is None]
        return [
            TrialVersion(number, stored_at, replaced_at, decode_trial(zlib.decompress(blob)))
            for number, (_, stored_at, replaced_at, blob) in enumerate([*older, *current], start=1)
        ]

    def raw_records(self, key: str) -> list[tuple[str, str]]:
        with self._transaction("DEFERRED") as conn:
            resolved = self._resolve(conn, [key])
            if key not in resolved:
                return []
            rows = conn.execute(
                "SELECT source_id, raw FROM raw_records WHERE trial_key = ? AND raw IS NOT NULL"
                " ORDER BY record_date IS NOT NULL, record_date, source_id",
                (resolved[key],),
            ).fetchall()
        return [(source_id, zlib.decompress(raw).decode()) for source_id, raw in rows]

    def export_trials(self, batch_size: int = 500) -> Iterator[StoredTrial]:
        after = ""
        while True:
            with self._transaction("DEFERRED") as conn:
                rows = conn.execute(
                    "SELECT key, data, updated_at FROM trials WHERE key > ? ORDER BY key LIMIT ?",
                    (after, batch_size),
                ).fetchall()
                if not rows:
                    return
                keys = [key for key, _, _ in rows]
                marks = _marks(len(keys))
                raws: dict[str, list[RawWrite]] = {}
                for key, source_id, fmt, location, record_date, sha, reading, raw in conn.execute(
                    f"SELECT trial_key, source_id, {_RAW_META}, raw FROM raw_records"
                    f" WHERE trial_key IN ({marks}) ORDER BY trial_key, source_id",
                    keys,
                ):
                    text = None if raw is None else zlib.decompress(raw).decode()
                    raws.setdefault(key, []).append(
                        RawWrite(key, source_id, fmt, location, record_date, sha, text, reading)
                    )
                versions: dict[str, list[tuple[str, str, bytes]]] = {}
                for key, stored, replaced, blob in conn.execute(
                    "SELECT key, stored_at, replaced_at, data FROM trial_versions"
                    f" WHERE key IN ({marks}) ORDER BY key, version",
                    keys,
                ):
                    versions.setdefault(key, []).append((stored, replaced, zlib.decompress(blob)))
            for key, blob, stored_at in rows:
                yield StoredTrial(
                    key,
                    zlib.decompress(blob),
                    stored_at,
                    tuple(raws.get(key, ())),
                    tuple(versions.get(key, ())),
                )
            after = rows[-1][0]

    def iter_trials(self, batch_size: int = 500) -> Iterator[Trial]:
        # Keyset pages rather than one open cursor: the caller may write between pages.
        after = ""
        while True:
            with self._lock:
                rows = (
                    self._connection()
                    .execute(
                        "SELECT key, data FROM trials WHERE key > ? ORDER BY key LIMIT ?", (after, batch_size)
                    )
                    .fetchall()
                )
            if not rows:
                return
            for _, blob in rows:
                yield decode_trial(zlib.decompress(blob))
            after = rows[-1][0]

    def keys(self) -> list[str]:
        with self._lock:
            return [key for (key,) in self._connection().execute("SELECT key FROM trials ORDER BY key")]

    def count(self) -> int:
        with self._lock:
            return int(self._connection().execute("SELECT count(*) FROM trials").fetchone()[0])

    def count_by(self, column: str) -> list[tuple[str, int]]:
        check_count_column(column)
        expression = "substr(start_date, 1, 4)" if column == "start_year" else column
        with self._lock:
            grouped = self._connection().execute(
                f"SELECT {expression}, count(*) FROM trials WHERE {expression} IS NOT NULL GROUP BY 1"
            )
            return tally(column, grouped)

    def stats(self) -> dict[str, int]:
        with self._transaction("DEFERRED") as conn:
            trials, partial = conn.execute(
                "SELECT count(*), coalesce(sum(is_partial), 0) FROM trials"
            ).fetchone()
            raws, with_raw = conn.execute("SELECT count(*), count(raw) FROM raw_records").fetchone()
            ids = conn.execute("SELECT count(*) FROM trial_ids").fetchone()[0]
        return {"trials": trials, "partial": partial, "raw_records": raws, "with_raw": with_raw, "ids": ids}

    def file_size(self) -> int:
        """Bytes on disk, write-ahead log included."""
        if not Path(self.location).is_file():
            return 0
        wal = Path(self.location + "-wal")
        return Path(self.location).stat().st_size + (wal.stat().st_size if wal.is_file() else 0)

    # --- checks ------------------------------------------------------------------------------

    def content_digest(self) -> str:
        digest = ContentDigest()
        with self._transaction("DEFERRED") as conn:
            rows = conn.execute(
                "SELECT t.key, t.data, r.source_id, r.format, r.location, r.record_date, r.raw"
                " FROM trials t LEFT JOIN raw_records r ON r.trial_key = t.key ORDER BY t.key, r.source_id"
            )
            current = None
            for key, data, source_id, fmt, location, record_date, raw in rows:
                if key != current:
                    digest.trial(key, zlib.decompress(data))
                    current = key
                if source_id is not None:
                    text = None if raw is None else zlib.decompress(raw).decode()
                    digest.raw(source_id, fmt, location, record_date, text)
        return digest.hexdigest()

    def integrity_check(self, *, deep: bool = True) -> list[str]:
        problems: list[str] = []
        with self._transaction("DEFERRED") as conn:
            results = [row[0] for row in conn.execute("PRAGMA integrity_check")]
            if results != ["ok"]:
                problems.extend(f"sqlite: {result}" for result in results)
            for table, rowid, parent, _ in conn.execute("PRAGMA foreign_key_check"):
                problems.append(f"{table} row {rowid} refers to a missing {parent} row")
            for key, expected, found in conn.execute(
                "SELECT t.key, t.n_sources, count(r.source_id) FROM trials t"
                " LEFT JOIN raw_records r ON r.trial_key = t.key"
                " GROUP BY t.key HAVING count(r.source_id) != t.n_sources"
            ):
                problems.append(f"{key}: {expected} sources but {found} raw records")
            for (key,) in conn.execute(
                "SELECT key FROM trials WHERE NOT EXISTS (SELECT 1 FROM trial_ids i WHERE i.key = trials.key)"
            ):
                problems.append(f"{key}: no id finds it")
            if deep:
                problems.extend(self._deep_check(conn))
        return problems

    def _deep_check(self, conn: sqlite3.Connection, page: int = 500) -> list[str]:
        problems: list[str] = []
        after = ""
        while rows := conn.execute(
            "SELECT key, data FROM trials WHERE key > ? ORDER BY key LIMIT ?", (after, page)
        ).fetchall():
            after = rows[-1][0]
            keys = [key for key, _ in rows]
            marks = _marks(len(keys))
            raws: dict[str, dict[str, tuple[bytes | None, bytes | None]]] = {}
            sql = f"SELECT trial_key, source_id, raw_sha, raw FROM raw_records WHERE trial_key IN ({marks})"
            for key, source_id, sha, raw in conn.execute(sql, keys):
                raws.setdefault(key, {})[source_id] = (sha, raw)
            ids: dict[str, set[tuple[str, str]]] = {}
            sql = f"SELECT id, kind, key FROM trial_ids WHERE key IN ({marks})"
            for found, kind, key in conn.execute(sql, keys):
                ids.setdefault(key, set()).add((found, kind))
            for key, blob in rows:
                try:
                    trial = decode_trial(zlib.decompress(blob))
                except (zlib.error, ValueError) as exc:
                    problems.append(f"{key}: unreadable trial: {exc}")
                    continue
                stored = raws.get(key, {})
                problems.extend(check_trial(key, trial, set(stored), ids.get(key, set())))
                for source_id, (sha, raw) in stored.items():
                    text = None if raw is None else zlib.decompress(raw).decode()
                    if (sha is None) != (text is None) or (text is not None and raw_sha(text) != sha):
                        problems.append(f"{key}: raw record {source_id} does not match its checksum")
        return problems
