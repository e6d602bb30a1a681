"""What the SQLite and PostgreSQL stores share: every read and write of the layout in
:mod:`trialatlas.store.schema`, written once against a DB-API connection.

A backend supplies its connection and transactions (``_read`` for a consistent snapshot, ``_write``
serialised against every other writer), how it runs one statement over many parameter rows, how it
finds the trial an id names (PostgreSQL does it in one statement, SQLite in two), and the checks only
its engine can make. Statements come from its :class:`~trialatlas.store.schema.Statements`; everything
else, down to the order rows are read in, is the same, so the two cannot drift apart.

Trials and raw text are stored as zlib streams (:mod:`trialatlas.store.compression`) of the shared
codec's JSON (:mod:`trialatlas.store.base`).
"""

from __future__ import annotations

import datetime as dt
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Any, ClassVar, Generic, Protocol, Self, TypeVar

from trialatlas.errors import StoreError
from trialatlas.model import Trial
from trialatlas.store.base import (
    ContentDigest,
    IdKind,
    RawMeta,
    RawWrite,
    StoredTrial,
    TrialRow,
    UpsertSummary,
    check_count_column,
    check_trial,
    decode_trial,
    identity_ids,
    raw_sha,
    registries_of_ids,
    tally,
    trial_row,
)
from trialatlas.store.compression import CompressionError, compress, decompress
from trialatlas.store.history import TrialVersion
from trialatlas.store.planner import BatchPlan, PreparedTrial, plan_batch
from trialatlas.store.schema import RAW_META, Statements


class Cursor(Protocol):
    """What the shared code uses of a cursor: sqlite3's and psycopg's both fit."""

    @property
    def rowcount(self) -> int: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def __iter__(self) -> Iterator[Any]: ...


class Connection(Protocol):
    def execute(self, sql: str, parameters: Any = ..., /) -> Cursor: ...

    def close(self) -> None: ...


ConnectionT = TypeVar("ConnectionT", bound=Connection)


def as_bytes(value: Any) -> bytes | None:
    # PostgreSQL's bytea arrives as bytes or memoryview depending on the transfer format.
    return None if value is None else bytes(value)


def _raw_meta(row: Sequence[Any]) -> RawMeta:
    fmt, location, record_date, sha, reading = row
    return RawMeta(fmt, location, record_date, as_bytes(sha), as_bytes(reading))


def _text(raw: Any) -> str | None:
    return None if raw is None else decompress(raw).decode()


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def select_where_in(
    conn: Connection, sql: Statements, select: str, column: str, values: Sequence[Any], order: str = ""
) -> Iterator[Any]:
    """The rows of ``select`` whose ``column`` is one of ``values`` (``order`` holds within each of
    SQLite's chunks of values, so callers ordering by ``column`` pass values sorted)."""
    for condition, parameters in sql.members(column, values):
        yield from conn.execute(f"{select} WHERE {condition}{order}", parameters)


class _StoredRows:
    """What the upsert planner reads (:class:`~trialatlas.store.base.StoredState`), from inside the
    write transaction."""

    def __init__(self, conn: Connection, sql: Statements) -> None:
        self.conn = conn
        self.sql = sql

    def _where_in(self, select: str, column: str, values: Sequence[str]) -> Iterator[Any]:
        return select_where_in(self.conn, self.sql, select, column, values)

    def find_ids(self, ids: Sequence[str]) -> list[tuple[str, str, str]]:
        rows = self._where_in("SELECT id, kind, key FROM trial_ids", "id", ids)
        return [(found, kind, key) for found, kind, key in rows]

    def find_sources(self, source_ids: Sequence[str]) -> list[tuple[str, str, RawMeta]]:
        select = f"SELECT source_id, trial_key, {RAW_META} FROM raw_records"
        return [
            (row[0], row[1], _raw_meta(row[2:])) for row in self._where_in(select, "source_id", source_ids)
        ]

    def load_data(self, keys: Sequence[str]) -> dict[str, bytes]:
        rows = self._where_in("SELECT key, data FROM trials", "key", keys)
        return {key: decompress(blob) for key, blob in rows}

    def load_raws(self, keys: Sequence[str]) -> dict[str, dict[str, RawMeta]]:
        raws: dict[str, dict[str, RawMeta]] = {}
        for row in self._where_in(
            f"SELECT trial_key, source_id, {RAW_META} FROM raw_records", "trial_key", keys
        ):
            raws.setdefault(row[0], {})[row[1]] = _raw_meta(row[2:])
        return raws


class SqlStore(ABC, Generic[ConnectionT]):
    """A :class:`~trialatlas.store.base.TrialStore` in an SQL database with the shared layout.

    Calls on one store object are serialised by ``_lock``.
    """

    SQL: ClassVar[Statements]
    # What the driver raises: ``delete`` reports it as a ``StoreError`` (other writes report anything).
    DRIVER_ERROR: ClassVar[type[Exception]]

    location: str
    _lock: threading.RLock
    _compression: int
    _conn: ConnectionT | None
    # Whether this object has written; SQLite refreshes its planner statistics on close if so.
    _wrote: bool

    # --- what a backend provides -------------------------------------------------------------

    @abstractmethod
    def _set_up(self, conn: ConnectionT) -> None:
        """Session settings and the schema (created or migrated), right after connecting."""

    @abstractmethod
    def _connection(self) -> ConnectionT:
        """The open connection; ``StoreError`` once closed."""

    @abstractmethod
    def _read(self) -> AbstractContextManager[ConnectionT]:
        """One snapshot for reads that take several statements (a rename may commit in between)."""

    @abstractmethod
    def _write(self) -> AbstractContextManager[ConnectionT]:
        """One transaction no other writer can interleave with; rolled back on any exception."""

    @abstractmethod
    def _executemany(self, conn: ConnectionT, statement: str, params: Sequence[Sequence[Any]]) -> None: ...

    @abstractmethod
    def _resolve(self, conn: ConnectionT, wanted: Sequence[str]) -> dict[str, str]:
        """Store key of each asked id that finds a trial: the exact key first, else the best-ranked id."""

    @abstractmethod
    def get_many(self, keys: Sequence[str]) -> list[Trial]: ...

    @abstractmethod
    def _digest_rows(self, conn: ConnectionT, query: str) -> AbstractContextManager[Iterable[Any]]:
        """The rows of ``query``, which may be the whole store: streamed where the driver can."""

    def _engine_checks(self, conn: ConnectionT) -> list[str]:
        """Problems the database engine itself reports."""
        return []

    # --- lifecycle ---------------------------------------------------------------------------

    def _open(self, connect: Callable[[], ConnectionT], errors: tuple[type[Exception], ...]) -> None:
        """Connect and set up; on failure nothing stays open and the error is a ``StoreError``."""
        caught: tuple[type[Exception], ...] = (*errors, StoreError)
        try:
            self._conn = connect()
            self._set_up(self._conn)
        except caught as exc:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
            if isinstance(exc, StoreError):
                raise
            raise StoreError(f"{self.location}: cannot open the store: {exc}") from exc

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.location!r})"

    @abstractmethod
    def close(self) -> None: ...

    # --- writes ------------------------------------------------------------------------------

    def upsert_batch(self, trials: Sequence[Trial | PreparedTrial]) -> UpsertSummary:
        if not trials:
            return UpsertSummary()
        try:
            # Planned and applied under the write lock: two writers never plan against the same state.
            with self._write() as conn:
                plan = plan_batch(trials, _StoredRows(conn, self.SQL))
                self._apply(conn, plan)
                self._wrote = True
        except StoreError:
            raise
        except Exception as exc:
            raise StoreError(f"{self.location}: upsert of {len(trials)} trials failed: {exc}") from exc
        return plan.summary

    def _row_params(self, row: TrialRow, stored_at: str) -> tuple[Any, ...]:
        """Values of ``ROW_COLUMNS`` and ``updated_at``, in the order of the trial statements."""
        return (
            row.key,
            row.nct_id,
            row.org_study_id,
            # SQLite stores a Python bool as the integer 1 or 0, as its INTEGER column wants.
            row.is_partial,
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
            self._packed(row.data, row.packed),
            stored_at,
        )

    @property
    def compression(self) -> int:
        """The zlib level trials and raw text are stored at (readers may compress for it ahead)."""
        return self._compression

    def _packed(self, data: bytes, packed: tuple[int, bytes] | None) -> bytes:
        """``data`` compressed, by a reader process when it did so at this store's level."""
        if packed is not None and packed[0] == self._compression:
            return packed[1]
        return compress(data, self._compression)

    def _write_raws(self, conn: ConnectionT, raws: Iterable[RawWrite]) -> None:
        params = [
            (
                raw.trial_key,
                raw.source_id,
                raw.format,
                raw.location,
                raw.record_date,
                raw.sha,
                raw.reading,
                None if raw.raw is None else self._packed(raw.raw.encode(), raw.packed),
            )
            for raw in raws
        ]
        self._executemany(conn, self.SQL.upsert_raw, params)

    def _delete_where_in(self, conn: ConnectionT, table: str, column: str, values: Sequence[str]) -> int:
        deleted = 0
        for condition, parameters in self.SQL.members(column, values):
            deleted += conn.execute(f"DELETE FROM {table} WHERE {condition}", parameters).rowcount
        return deleted

    def _apply(self, conn: ConnectionT, plan: BatchPlan) -> None:
        sql, now = self.SQL, _now()
        # Renaming the primary key cascades to raw_records, trial_ids and trial_versions.
        self._executemany(conn, sql.rename, [(new, old) for old, new in plan.renames])
        self._executemany(conn, sql.supersede, [(now, key) for key in plan.superseded])
        self._executemany(conn, sql.upsert_trial, [self._row_params(row, now) for row in plan.rows])
        self._delete_where_in(conn, "trial_ids", "key", plan.replace_ids_of)
        self._executemany(conn, sql.insert_ids_if_new, plan.ids)
        mark = sql.mark
        self._executemany(
            conn,
            f"UPDATE raw_records SET source_id = {mark}, location = {mark}"
            f" WHERE trial_key = {mark} AND source_id = {mark}",
            [(new, location, key, old) for key, old, new, location in plan.raw_renames],
        )
        self._write_raws(conn, plan.raws)
        # The change feed: derived indexes (search, related trials) catch up from it.
        changed = [*(old for old, _ in plan.renames), *(row.key for row in plan.rows)]
        self._executemany(conn, sql.insert_change, [(key,) for key in changed])

    def import_trials(self, items: Sequence[StoredTrial]) -> int:
        if not items:
            return 0
        sql = self.SQL
        try:
            rows = [trial_row(item.key, decode_trial(item.data), item.data) for item in items]
            keys = [item.key for item in items]
            with self._write() as conn:
                if clash := [
                    key for (key,) in select_where_in(conn, sql, "SELECT key FROM trials", "key", keys)
                ]:
                    raise StoreError(f"{self.location}: cannot import keys already stored: {clash}")
                params = [
                    self._row_params(row, item.stored_at) for row, item in zip(rows, items, strict=True)
                ]
                self._executemany(conn, sql.insert_trial, params)
                ids = [
                    (found, kind, row.key)
                    for row in rows
                    for found, kind in identity_ids(decode_trial(row.data))
                ]
                self._executemany(conn, sql.insert_ids, ids)
                self._write_raws(conn, (raw for item in items for raw in item.raws))
                versions = [
                    (item.key, number, stored, replaced, compress(data, self._compression))
                    for item in items
                    for number, (stored, replaced, data) in enumerate(item.versions, start=1)
                ]
                self._executemany(conn, sql.insert_version, versions)
                self._executemany(conn, sql.insert_change, [(key,) for key in keys])
                self._wrote = True
        except StoreError:
            raise
        except Exception as exc:
            raise StoreError(f"{self.location}: import of {len(items)} trials failed: {exc}") from exc
        return len(items)

    def delete(self, keys: Iterable[str]) -> int:
        unique = list(dict.fromkeys(keys))
        if not unique:
            return 0
        try:
            with self._write() as conn:
                deleted = self._delete_where_in(conn, "trials", "key", unique)
                self._executemany(conn, self.SQL.insert_change, [(key,) for key in unique])
                return deleted
        except self.DRIVER_ERROR as exc:
            raise StoreError(f"{self.location}: delete failed: {exc}") from exc

    # --- reads -------------------------------------------------------------------------------

    def changes_since(self, seq: int) -> tuple[int, list[str]]:
        with self._lock:
            conn = self._connection()
            rows = conn.execute(
                f"SELECT max(seq), key FROM trial_changes WHERE seq > {self.SQL.mark}"
                " GROUP BY key ORDER BY min(seq)",
                (seq,),
            ).fetchall()
            if not rows:
                newest = conn.execute("SELECT coalesce(max(seq), 0) FROM trial_changes").fetchone()
                return max(int(newest[0]) if newest else 0, seq), []
        return max(int(row[0]) for row in rows), [str(row[1]) for row in rows]

    def get(self, key: str) -> Trial | None:
        found = self.get_many([key])
        return found[0] if found else None

    def _rows_of_trial(self, key: str, query: str, uses: int = 1) -> list[Any]:
        """The rows of ``query`` for the trial ``key`` finds (each of its ``uses`` parameters is that
        trial's store key), read in the snapshot the lookup was made in; ``[]`` when none is found."""
        with self._read() as conn:
            resolved = self._resolve(conn, [key])
            if key not in resolved:
                return []
            return conn.execute(query, (resolved[key],) * uses).fetchall()

    def versions(self, key: str) -> list[TrialVersion]:
        mark = self.SQL.mark
        rows = self._rows_of_trial(
            key,
            f"SELECT version, stored_at, replaced_at, data FROM trial_versions WHERE key = {mark}"
            f" UNION ALL SELECT NULL, updated_at, NULL, data FROM trials WHERE key = {mark}",
            uses=2,
        )
        older = sorted((row for row in rows if row[0] is not None), key=lambda row: int(row[0]))
        current = [row for row in rows if row[0] is None]
        return [
            TrialVersion(number, stored_at, replaced_at, decode_trial(decompress(blob)))
            for number, (_, stored_at, replaced_at, blob) in enumerate([*older, *current], start=1)
        ]

    def raw_records(self, key: str) -> list[tuple[str, str]]:
        rows = self._rows_of_trial(
            key,
            f"SELECT source_id, raw FROM raw_records WHERE trial_key = {self.SQL.mark} AND raw IS NOT NULL"
            " ORDER BY record_date IS NOT NULL, record_date, source_id",
        )
        return [(source_id, decompress(raw).decode()) for source_id, raw in rows]

    def _page(self, conn: Connection, columns: str, after: str, size: int) -> list[Any]:
        """Keyset pages rather than one open cursor: the caller may write between pages."""
        mark = self.SQL.mark
        return conn.execute(
            f"SELECT {columns} FROM trials WHERE key > {mark} ORDER BY key LIMIT {mark}", (after, size)
        ).fetchall()

    def export_trials(self, batch_size: int = 500) -> Iterator[StoredTrial]:
        sql, after = self.SQL, ""
        while True:
            with self._read() as conn:
                rows = self._page(conn, "key, data, updated_at", after, batch_size)
                if not rows:
                    return
                keys = [key for key, _, _ in rows]
                raws: dict[str, list[RawWrite]] = {}
                select = f"SELECT trial_key, source_id, {RAW_META}, raw FROM raw_records"
                order = " ORDER BY trial_key, source_id"
                for key, source_id, *meta, raw in select_where_in(
                    conn, sql, select, "trial_key", keys, order
                ):
                    fmt, location, record_date, sha, reading = meta
                    raws.setdefault(key, []).append(
                        RawWrite(
                            key,
                            source_id,
                            fmt,
                            location,
                            record_date,
                            as_bytes(sha),
                            _text(raw),
                            as_bytes(reading),
                        )
                    )
                versions: dict[str, list[tuple[str, str, bytes]]] = {}
                select = "SELECT key, stored_at, replaced_at, data FROM trial_versions"
                for key, stored, replaced, blob in select_where_in(
                    conn, sql, select, "key", keys, " ORDER BY key, version"
                ):
                    versions.setdefault(key, []).append((stored, replaced, decompress(blob)))
            for key, blob, stored_at in rows:
                yield StoredTrial(
                    key,
                    decompress(blob),
                    stored_at,
                    tuple(raws.get(key, ())),
                    tuple(versions.get(key, ())),
                )
            after = rows[-1][0]

    def iter_trials(self, batch_size: int = 500) -> Iterator[Trial]:
        after = ""
        while True:
            with self._lock:
                rows = self._page(self._connection(), "key, data", after, batch_size)
            if not rows:
                return
            for _, blob in rows:
                yield decode_trial(decompress(blob))
            after = rows[-1][0]

    def keys(self) -> list[str]:
        with self._lock:
            return [key for (key,) in self._connection().execute("SELECT key FROM trials ORDER BY key")]

    def count(self) -> int:
        with self._lock:
            row = self._connection().execute("SELECT count(*) FROM trials").fetchone()
            return int(row[0]) if row else 0

    def count_by(
        self, column: str, missing: str | None = None, canonical: Callable[[str], str] | None = None
    ) -> list[tuple[str, int]]:
        check_count_column(column)
        if column == "registries":
            return tally(column, ((value, 1) for value in self._registries_per_trial()), missing, canonical)
        expression = "substr(start_date, 1, 4)" if column == "start_year" else column
        with self._lock:
            grouped = self._connection().execute(f"SELECT {expression}, count(*) FROM trials GROUP BY 1")
            return tally(column, ((value, int(number)) for value, number in grouped), missing, canonical)

    def _registries_per_trial(self) -> list[str | None]:
        """Every trial's registries, from its ids (one row per trial and id, in key order)."""
        query = (
            "SELECT t.key, i.id, i.kind FROM trials t LEFT JOIN trial_ids i ON i.key = t.key"
            f" AND i.kind IN ('{IdKind.NCT.value}', '{IdKind.REGISTRY.value}') ORDER BY t.key"
        )
        with self._read() as conn:
            rows = conn.execute(query).fetchall()
        per_trial: dict[str, list[tuple[str, str]]] = {}
        for key, found, kind in rows:
            ids = per_trial.setdefault(str(key), [])
            if found is not None:
                ids.append((str(found), str(kind)))
        return [registries_of_ids(ids) for ids in per_trial.values()]

    def stats(self) -> dict[str, int]:
        with self._read() as conn:
            trials, partial = conn.execute(self.SQL.count_trials).fetchone() or (0, 0)
            raws, with_raw = conn.execute("SELECT count(*), count(raw) FROM raw_records").fetchone() or (0, 0)
            ids = (conn.execute("SELECT count(*) FROM trial_ids").fetchone() or (0,))[0]
        return {
            "trials": int(trials),
            "partial": int(partial),
            "raw_records": int(raws),
            "with_raw": int(with_raw),
            "ids": int(ids),
        }

    # --- checks ------------------------------------------------------------------------------

    def content_digest(self) -> str:
        digest = ContentDigest()
        query = (
            "SELECT t.key, t.data, r.source_id, r.format, r.location, r.record_date, r.raw"
            " FROM trials t LEFT JOIN raw_records r ON r.trial_key = t.key ORDER BY t.key, r.source_id"
        )
        with self._read() as conn, self._digest_rows(conn, query) as rows:
            current = None
            for key, data, source_id, fmt, location, record_date, raw in rows:
                if key != current:
                    digest.trial(key, decompress(data))
                    current = key
                if source_id is not None:
                    digest.raw(source_id, fmt, location, record_date, _text(raw))
        return digest.hexdigest()

    def integrity_check(self, *, deep: bool = True) -> list[str]:
        with self._read() as conn:
            problems = self._engine_checks(conn)
            for key, expected, found in conn.execute(
                "SELECT t.key, t.n_sources, count(r.source_id) FROM trials t"
                " LEFT JOIN raw_records r ON r.trial_key = t.key"
                " GROUP BY t.key HAVING count(r.source_id) != t.n_sources ORDER BY t.key"
            ):
                problems.append(f"{key}: {expected} sources but {found} raw records")
            for (key,) in conn.execute(
                "SELECT key FROM trials WHERE NOT EXISTS (SELECT 1 FROM trial_ids i WHERE i.key = trials.key)"
                " ORDER BY key"
            ):
                problems.append(f"{key}: no id finds it")
            if deep:
                problems.extend(self._deep_check(conn))
        return problems

    def _deep_check(self, conn: ConnectionT, page: int = 500) -> list[str]:
        sql, after = self.SQL, ""
        problems: list[str] = []
        while rows := self._page(conn, "key, data", after, page):
            after = rows[-1][0]
            keys = [key for key, _ in rows]
            raws: dict[str, dict[str, tuple[bytes | None, bytes | None]]] = {}
            select = "SELECT trial_key, source_id, raw_sha, raw FROM raw_records"
            for key, source_id, sha, raw in select_where_in(conn, sql, select, "trial_key", keys):
                raws.setdefault(key, {})[source_id] = (as_bytes(sha), as_bytes(raw))
            ids: dict[str, set[tuple[str, str]]] = {}
            for found, kind, key in select_where_in(
                conn, sql, "SELECT id, kind, key FROM trial_ids", "key", keys
            ):
                ids.setdefault(key, set()).add((found, kind))
            for key, blob in rows:
                try:
                    trial = decode_trial(decompress(blob))
                except (*CompressionError, ValueError) as exc:
                    problems.append(f"{key}: unreadable trial: {exc}")
                    continue
                stored = raws.get(key, {})
                problems.extend(check_trial(key, trial, set(stored), ids.get(key, set())))
                for source_id, (sha, raw) in stored.items():
                    text = _text(raw)
                    if (sha is None) != (text is None) or (text is not None and raw_sha(text) != sha):
                        problems.append(f"{key}: raw record {source_id} does not match its checksum")
        return problems
