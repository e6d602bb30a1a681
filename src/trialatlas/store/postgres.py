"""The shared store: the same layout as the SQLite file, in a PostgreSQL database (psycopg 3).

Chosen by a ``postgresql://`` URL. One server holds the store for a team: any number of readers,
and writers serialised by a transaction-scoped advisory lock, which plays the part of SQLite's
``BEGIN IMMEDIATE``: the upsert planner reads what it needs and the plan is applied under one lock,
in one transaction, so a batch lands whole or not at all and two writers can never plan against the
same stale state. It also keeps change numbers in commit order, which the change feed relies on.

Every text column that is sorted or paged on uses the ``"C"`` collation, so keys sort byte-wise as
in SQLite and both backends agree on order and digests. Trials are stored zlib-compressed with the
shared codec; full-text search uses a weighted ``tsvector`` column with a GIN index.
"""

from __future__ import annotations

import datetime as dt
import threading
import zlib
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import orjson
import psycopg

from trialatlas.errors import QueryError, StoreError
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

SCHEMA_VERSION = 1
# Any fixed number: every trialatlas writer of a database takes the same lock.
_WRITE_LOCK = 0x7472_6961_6C61  # "triala"

_SCHEMA = """
CREATE TABLE trialatlas_meta (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE trials (
    key TEXT COLLATE "C" PRIMARY KEY,
    nct_id TEXT,
    org_study_id TEXT,
    is_partial BOOLEAN NOT NULL,
    record_date TEXT,
    updated_at TEXT NOT NULL,
    overall_status TEXT,
    study_type TEXT,
    phases TEXT,
    start_date TEXT,
    last_update TEXT,
    enrollment INTEGER,
    min_age_years DOUBLE PRECISION,
    max_age_years DOUBLE PRECISION,
    sex TEXT,
    countries TEXT,
    title TEXT,
    n_sources INTEGER NOT NULL,
    data BYTEA NOT NULL,
    search TSVECTOR NOT NULL
);
CREATE INDEX trials_overall_status ON trials (overall_status);
CREATE INDEX trials_study_type ON trials (study_type);
CREATE INDEX trials_start_date ON trials (start_date);
CREATE INDEX trials_last_update ON trials (last_update);
CREATE INDEX trials_record_date ON trials (record_date);
CREATE INDEX trials_enrollment ON trials (enrollment);
CREATE INDEX trials_min_age ON trials (min_age_years);
CREATE INDEX trials_max_age ON trials (max_age_years);
CREATE INDEX trials_search ON trials USING GIN (search);

CREATE TABLE raw_records (
    trial_key TEXT COLLATE "C" NOT NULL REFERENCES trials (key) ON DELETE CASCADE ON UPDATE CASCADE,
    source_id TEXT COLLATE "C" NOT NULL,
    format TEXT NOT NULL,
    location TEXT NOT NULL,
    record_date TEXT COLLATE "C",
    raw_sha BYTEA,
    reading_sha BYTEA,
    raw BYTEA,
    PRIMARY KEY (trial_key, source_id)
);
CREATE INDEX raw_records_source ON raw_records (source_id);

CREATE TABLE trial_ids (
    id TEXT COLLATE "C" NOT NULL,
    kind TEXT NOT NULL,
    key TEXT COLLATE "C" NOT NULL REFERENCES trials (key) ON DELETE CASCADE ON UPDATE CASCADE,
    PRIMARY KEY (id, kind, key)
);
CREATE INDEX trial_ids_key ON trial_ids (key);

CREATE TABLE trial_changes (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    key TEXT COLLATE "C" NOT NULL
);

CREATE TABLE trial_versions (
    key TEXT COLLATE "C" NOT NULL REFERENCES trials (key) ON DELETE CASCADE ON UPDATE CASCADE,
    version INTEGER NOT NULL,
    stored_at TEXT NOT NULL,
    replaced_at TEXT NOT NULL,
    data BYTEA NOT NULL,
    PRIMARY KEY (key, version)
)
"""

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
    "updated_at",
)
# Title words weigh most, then conditions and keywords, then interventions and the summary.
_SEARCH_VECTOR = (
    "setweight(to_tsvector('english', %s), 'A') || setweight(to_tsvector('english', %s), 'B')"
    " || setweight(to_tsvector('english', %s), 'C')"
)
_INSERT_TRIAL = (
    f"INSERT INTO trials ({', '.join(_ROW_COLUMNS)}, search)"
    f" VALUES ({', '.join(['%s'] * len(_ROW_COLUMNS))}, {_SEARCH_VECTOR})"
)
_UPSERT_TRIAL = (
    _INSERT_TRIAL
    + " ON CONFLICT (key) DO UPDATE SET "
    + ", ".join(f"{column} = excluded.{column}" for column in (*_ROW_COLUMNS[1:], "search"))
)
_UPSERT_RAW = (
    "INSERT INTO raw_records (trial_key, source_id, format, location, record_date, raw_sha, reading_sha, raw)"
    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
    " ON CONFLICT (trial_key, source_id) DO UPDATE SET format = excluded.format,"
    " location = excluded.location, record_date = excluded.record_date,"
    " raw_sha = CASE WHEN excluded.raw IS NULL THEN raw_records.raw_sha ELSE excluded.raw_sha END,"
    " reading_sha = CASE WHEN excluded.raw IS NULL THEN raw_records.reading_sha"
    " ELSE excluded.reading_sha END,"
    " raw = coalesce(excluded.raw, raw_records.raw)"
)
_SUPERSEDE = (
    "INSERT INTO trial_versions (key, version, stored_at, replaced_at, data)"
    " SELECT key, (SELECT coalesce(max(version), 0) + 1 FROM trial_versions v WHERE v.key = t.key),"
    " updated_at, %s, data FROM trials t WHERE key = %s"
)
_RAW_META = "format, location, record_date, raw_sha, reading_sha"
_KIND_RANK = " ".join(
    ["CASE kind", *(f"WHEN '{kind}' THEN {rank}" for kind, rank in ID_PRIORITY.items()), "END"]
)


# Each asked id with the key it finds, in one statement: an exact key first, else the best-ranked id.
_RESOLVED = f"""
WITH wanted AS (SELECT * FROM unnest(%s::text[], %s::text[]) AS w(text, norm)),
exact AS (SELECT w.text, t.key FROM wanted w JOIN trials t ON t.key = w.text),
by_id AS (
    SELECT DISTINCT ON (w.text) w.text, i.key FROM wanted w JOIN trial_ids i ON i.id = w.norm
    WHERE w.text NOT IN (SELECT text FROM exact) ORDER BY w.text, {_KIND_RANK}, i.key
),
resolved AS (SELECT * FROM exact UNION ALL SELECT * FROM by_id)
"""
_RESOLVE = _RESOLVED + "SELECT text, key FROM resolved"
_GET_MANY = _RESOLVED + "SELECT r.text, r.key, t.data FROM resolved r JOIN trials t ON t.key = r.key"


def _bytes(value: Any) -> bytes | None:
    # bytea arrives as bytes or memoryview depending on the transfer format.
    return None if value is None else bytes(value)


def _meta(row: Sequence[Any]) -> RawMeta:
    fmt, location, record_date, sha, reading = row
    return RawMeta(fmt, location, record_date, _bytes(sha), _bytes(reading))


def search_text(trial: Trial) -> tuple[str, str, str]:
    """The three weighted parts of a trial's search vector: titles; conditions and keywords;
    interventions and the brief summary."""
    return _search_parts(trial.model_dump(include=_SEARCH_FIELDS, exclude_defaults=True))


_SEARCH_FIELDS: Any = {
    "brief_title",
    "official_title",
    "acronym",
    "conditions",
    "keywords",
    "condition_mesh",
    "interventions",
    "intervention_mesh",
    "brief_summary",
}


def _search_parts(fields: dict[str, Any]) -> tuple[str, str, str]:
    def names(key: str, part: str) -> list[str]:
        return [str(item.get(part) or "") for item in fields.get(key) or () if isinstance(item, dict)]

    titles = " ".join(
        str(fields[key]) for key in ("brief_title", "official_title", "acronym") if fields.get(key)
    )
    topics = " ".join(
        [*(fields.get("conditions") or ()), *(fields.get("keywords") or ()), *names("condition_mesh", "term")]
    )
    treatments = " ".join([*names("interventions", "name"), *names("intervention_mesh", "term")])
    return titles.strip(), topics.strip(), f"{treatments} {fields.get('brief_summary') or ''}".strip()


def _search_text_of(data: bytes) -> tuple[str, str, str]:
    # The encoded trial read as plain JSON: several times cheaper than validating it into a Trial.
    return _search_parts(orjson.loads(data))


def redact(url: str) -> str:
    """The URL without its password, fit for messages and ``location``."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)
    user = (parts.username or "") + ":***"
    return urlunsplit(parts._replace(netloc=f"{user}@{netloc[-1]}"))


class _State:
    """What the upsert planner reads, from inside the locked write transaction."""

    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self.conn = conn

    def find_ids(self, ids: Sequence[str]) -> list[tuple[str, str, str]]:
        if not ids:
            return []
        rows = self.conn.execute("SELECT id, kind, key FROM trial_ids WHERE id = ANY(%s)", (list(ids),))
        return [(found, kind, key) for found, kind, key in rows]

    def find_sources(self, source_ids: Sequence[str]) -> list[tuple[str, str, RawMeta]]:
        if not source_ids:
            return []
        rows = self.conn.execute(
            f"SELECT source_id, trial_key, {_RAW_META} FROM raw_records WHERE source_id = ANY(%s)",
            (list(source_ids),),
        )
        return [(row[0], row[1], _meta(row[2:])) for row in rows]

    def load_data(self, keys: Sequence[str]) -> dict[str, bytes]:
        if not keys:
            return {}
        rows = self.conn.execute("SELECT key, data FROM trials WHERE key = ANY(%s)", (list(keys),))
        return {key: zlib.decompress(blob) for key, blob in rows}

    def load_raws(self, keys: Sequence[str]) -> dict[str, dict[str, RawMeta]]:
        raws: dict[str, dict[str, RawMeta]] = {}
        if not keys:
            return raws
        rows = self.conn.execute(
            f"SELECT trial_key, source_id, {_RAW_META} FROM raw_records WHERE trial_key = ANY(%s)",
            (list(keys),),
        )
        for row in rows:
            raws.setdefault(row[0], {})[row[1]] = _meta(row[2:])
        return raws


class PostgresStore:
    """A :class:`~trialatlas.store.base.TrialStore` in a PostgreSQL database named by ``url``.

    The tables are created on first use (the role needs CREATE on the database's schema; readers
    only need SELECT). Calls on one store object are serialised; open one store per thread or process
    for parallel reads.
    """

    def __init__(self, url: str, *, compression: int = 1, connect_timeout: int = 10) -> None:
        self.url = url
        self.location = redact(url)
        self._compression = compression
        self._lock = threading.RLock()
        self._conn: psycopg.Connection[Any] | None = None
        try:
            self._conn = psycopg.connect(url, autocommit=True, connect_timeout=connect_timeout)
            self._prepare_schema()
        except (psycopg.Error, StoreError) as exc:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
            if isinstance(exc, StoreError):
                raise
            raise StoreError(f"{self.location}: cannot open the store: {exc}") from exc

    # --- lifecycle ---------------------------------------------------------------------------

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
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        conn.execute(statement.strip())
                conn.execute(
                    "INSERT INTO trialatlas_meta (name, value) VALUES ('schema_version', %s)",
                    (str(SCHEMA_VERSION),),
                )
            elif version > SCHEMA_VERSION:
                raise StoreError(
                    f"{self.location}: store schema {version} is newer than this trialatlas"
                    f" (schema {SCHEMA_VERSION}); upgrade trialatlas"
                )

    @staticmethod
    def _stored_version(conn: psycopg.Connection[Any]) -> int | None:
        exists = conn.execute("SELECT to_regclass('trialatlas_meta') IS NOT NULL").fetchone()
        if not exists or not exists[0]:
            return None
        row = conn.execute("SELECT value FROM trialatlas_meta WHERE name = 'schema_version'").fetchone()
        return int(row[0]) if row else None

    @property
    def schema_version(self) -> int:
        with self._lock:
            return self._stored_version(self._connection()) or 0

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> PostgresStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"PostgresStore({self.location!r})"

    def _connection(self) -> psycopg.Connection[Any]:
        if self._conn is None or self._conn.closed:
            raise StoreError(f"{self.location}: the store is closed")
        return self._conn

    @contextmanager
    def _write(self) -> Iterator[psycopg.Connection[Any]]:
        with self._lock:
            conn = self._connection()
            with conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (_WRITE_LOCK,))
                yield conn

    @contextmanager
    def _read(self) -> Iterator[psycopg.Connection[Any]]:
        """One snapshot for reads that take several statements (a rename may commit in between)."""
        with self._lock:
            conn = self._connection()
            with conn.transaction():
                conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                yield conn

    # --- writes ------------------------------------------------------------------------------

    def upsert_batch(self, trials: Sequence[Trial]) -> UpsertSummary:
        if not trials:
            return UpsertSummary()
        try:
            with self._write() as conn:
                plan = plan_batch(trials, _State(conn))
                self._apply(conn, plan)
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
            zlib.compress(row.data, self._compression),
            stored_at,
            *_search_text_of(row.data),
        )

    def _write_raws(self, conn: psycopg.Connection[Any], raws: Iterable[RawWrite]) -> None:
        level = self._compression
        params = [
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
        ]
        if params:
            conn.cursor().executemany(_UPSERT_RAW, params)

    @staticmethod
    def _many(conn: psycopg.Connection[Any], statement: str, params: Sequence[Sequence[Any]]) -> None:
        if params:
            conn.cursor().executemany(statement, params)

    def _apply(self, conn: psycopg.Connection[Any], plan: BatchPlan) -> None:
        now = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        # Renaming the primary key cascades to raw_records, trial_ids and trial_versions.
        self._many(
            conn, "UPDATE trials SET key = %s WHERE key = %s", [(new, old) for old, new in plan.renames]
        )
        self._many(conn, _SUPERSEDE, [(now, key) for key in plan.superseded])
        self._many(conn, _UPSERT_TRIAL, [self._row_params(row, now) for row in plan.rows])
        if plan.replace_ids_of:
            conn.execute("DELETE FROM trial_ids WHERE key = ANY(%s)", (plan.replace_ids_of,))
        self._many(
            conn, "INSERT INTO trial_ids (id, kind, key) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING", plan.ids
        )
        self._write_raws(conn, plan.raws)
        changed = [*(old for old, _ in plan.renames), *(row.key for row in plan.rows)]
        self._many(conn, "INSERT INTO trial_changes (key) VALUES (%s)", [(key,) for key in changed])

    def import_trials(self, items: Sequence[StoredTrial]) -> int:
        if not items:
            return 0
        try:
            rows = [trial_row(item.key, decode_trial(item.data), item.data) for item in items]
            keys = [item.key for item in items]
            with self._write() as conn:
                clash = conn.execute("SELECT key FROM trials WHERE key = ANY(%s)", (keys,)).fetchall()
                if clash:
                    found = [key for (key,) in clash]
                    raise StoreError(f"{self.location}: cannot import keys already stored: {found}")
                params = [
                    self._row_params(row, item.stored_at) for row, item in zip(rows, items, strict=True)
                ]
                self._many(conn, _INSERT_TRIAL, params)
                ids = [
                    (found, kind, row.key)
                    for row in rows
                    for found, kind in identity_ids(decode_trial(row.data))
                ]
                self._many(conn, "INSERT INTO trial_ids (id, kind, key) VALUES (%s, %s, %s)", ids)
                self._write_raws(conn, (raw for item in items for raw in item.raws))
                versions = [
                    (item.key, number, stored, replaced, zlib.compress(data, self._compression))
                    for item in items
                    for number, (stored, replaced, data) in enumerate(item.versions, start=1)
                ]
                self._many(
                    conn,
                    "INSERT INTO trial_versions (key, version, stored_at, replaced_at, data)"
                    " VALUES (%s, %s, %s, %s, %s)",
                    versions,
                )
                self._many(conn, "INSERT INTO trial_changes (key) VALUES (%s)", [(key,) for key in keys])
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
                deleted = conn.execute("DELETE FROM trials WHERE key = ANY(%s)", (unique,)).rowcount
                self._many(conn, "INSERT INTO trial_changes (key) VALUES (%s)", [(key,) for key in unique])
                return deleted
        except psycopg.Error as exc:
            raise StoreError(f"{self.location}: delete failed: {exc}") from exc

    # --- reads -------------------------------------------------------------------------------

    def changes_since(self, seq: int) -> tuple[int, list[str]]:
        with self._lock:
            conn = self._connection()
            rows = conn.execute(
                "SELECT max(seq), key FROM trial_changes WHERE seq > %s GROUP BY key ORDER BY min(seq)",
                (seq,),
            ).fetchall()
            if not rows:
                newest = conn.execute("SELECT coalesce(max(seq), 0) FROM trial_changes").fetchone()
                return max(int(newest[0]) if newest else 0, seq), []
        return max(int(row[0]) for row in rows), [str(row[1]) for row in rows]

    def _resolve(self, conn: psycopg.Connection[Any], wanted: Sequence[str]) -> dict[str, str]:
        """Store key of each asked id that finds a trial."""
        unique = list(dict.fromkeys(wanted))
        rows = conn.execute(_RESOLVE, (unique, [normalize_id(text) for text in unique]))
        return {text: key for text, key in rows}

    def get(self, key: str) -> Trial | None:
        found = self.get_many([key])
        return found[0] if found else None

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
                    by_key[key] = decode_trial(zlib.decompress(blob))
                found[text] = by_key[key]
        return [
            found[key].model_copy(deep=True) if keys.count(key) > 1 else found[key]
            for key in keys
            if key in found
        ]

    def versions(self, key: str) -> list[TrialVersion]:
        with self._read() as conn:
            resolved = self._resolve(conn, [key])
            if key not in resolved:
                return []
            rows = conn.execute(
                "SELECT version, stored_at, replaced_at, data FROM trial_versions WHERE key = %s"
                " UNION ALL SELECT NULL, updated_at, NULL, data FROM trials WHERE key = %s",
                (resolved[key], resolved[key]),
            ).fetchall()
        older = sorted((row for row in rows if row[0] is not None), key=lambda row: int(row[0]))
        current = [row for row in rows if row[0] is None]
        return [
            TrialVersion(number, stored_at, replaced_at, decode_trial(zlib.decompress(blob)))
            for number, (_, stored_at, replaced_at, blob) in enumerate([*older, *current], start=1)
        ]

    def raw_records(self, key: str) -> list[tuple[str, str]]:
        with self._read() as conn:
            resolved = self._resolve(conn, [key])
            if key not in resolved:
                return []
            rows = conn.execute(
                "SELECT source_id, raw FROM raw_records WHERE trial_key = %s AND raw IS NOT NULL"
                " ORDER BY record_date IS NOT NULL, record_date, source_id",
                (resolved[key],),
            ).fetchall()
        return [(source_id, zlib.decompress(raw).decode()) for source_id, raw in rows]

    def iter_trials(self, batch_size: int = 500) -> Iterator[Trial]:
        after = ""
        while True:
            with self._lock:
                rows = (
                    self._connection()
                    .execute(
                        "SELECT key, data FROM trials WHERE key > %s ORDER BY key LIMIT %s",
                        (after, batch_size),
                    )
                    .fetchall()
                )
            if not rows:
                return
            for _, blob in rows:
                yield decode_trial(zlib.decompress(blob))
            after = rows[-1][0]

    def export_trials(self, batch_size: int = 500) -> Iterator[StoredTrial]:
        after = ""
        while True:
            with self._read() as conn:
                rows = conn.execute(
                    "SELECT key, data, updated_at FROM trials WHERE key > %s ORDER BY key LIMIT %s",
                    (after, batch_size),
                ).fetchall()
                if not rows:
                    return
                keys = [key for key, _, _ in rows]
                raws: dict[str, list[RawWrite]] = {}
                for key, source_id, *meta, raw in conn.execute(
                    f"SELECT trial_key, source_id, {_RAW_META}, raw FROM raw_records"
                    " WHERE trial_key = ANY(%s) ORDER BY trial_key, source_id",
                    (keys,),
                ):
                    fmt, location, record_date, sha, reading = meta
                    text = None if raw is None else zlib.decompress(raw).decode()
                    raws.setdefault(key, []).append(
                        RawWrite(
                            key, source_id, fmt, location, record_date, _bytes(sha), text, _bytes(reading)
                        )
                    )
                versions: dict[str, list[tuple[str, str, bytes]]] = {}
                for key, stored, replaced, blob in conn.execute(
                    "SELECT key, stored_at, replaced_at, data FROM trial_versions"
                    " WHERE key = ANY(%s) ORDER BY key, version",
                    (keys,),
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

    def keys(self) -> list[str]:
        with self._lock:
            return [key for (key,) in self._connection().execute("SELECT key FROM trials ORDER BY key")]

    def count(self) -> int:
        with self._lock:
            row = self._connection().execute("SELECT count(*) FROM trials").fetchone()
            return int(row[0]) if row else 0

    def count_by(self, column: str) -> list[tuple[str, int]]:
        check_count_column(column)
        expression = "substr(start_date, 1, 4)" if column == "start_year" else column
        with self._lock:
            grouped = self._connection().execute(
                f"SELECT {expression}, count(*) FROM trials WHERE {expression} IS NOT NULL GROUP BY 1"
            )
            return tally(column, ((value, int(number)) for value, number in grouped))

    def stats(self) -> dict[str, int]:
        with self._read() as conn:
            trials, partial = conn.execute(
                "SELECT count(*), count(*) FILTER (WHERE is_partial) FROM trials"
            ).fetchone() or (0, 0)
            raws, with_raw = conn.execute("SELECT count(*), count(raw) FROM raw_records").fetchone() or (0, 0)
            ids = (conn.execute("SELECT count(*) FROM trial_ids").fetchone() or (0,))[0]
        return {
            "trials": int(trials),
            "partial": int(partial),
            "raw_records": int(raws),
            "with_raw": int(with_raw),
            "ids": int(ids),
        }

    def search(self, query: str, limit: int = 20) -> list[tuple[str, float]]:
        """Keys of the trials best matching ``query`` (web-search syntax: words, "phrases", -not, or),
        with their rank, best first."""
        if limit < 1:
            raise QueryError("limit must be at least 1")
        with self._lock:
            rows = self._connection().execute(
                "SELECT key, ts_rank_cd(search, q) AS rank FROM trials, websearch_to_tsquery('english', %s) q"
                " WHERE search @@ q ORDER BY rank DESC, key LIMIT %s",
                (query, limit),
            )
            return [(key, float(rank)) for key, rank in rows]

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

    def content_digest(self) -> str:
        digest = ContentDigest()
        with self._read() as conn, conn.cursor(name="digest") as cursor:
            # A server-side cursor: the whole store never sits in memory at once.
            cursor.itersize = 500
            cursor.execute(
                "SELECT t.key, t.data, r.source_id, r.format, r.location, r.record_date, r.raw"
                " FROM trials t LEFT JOIN raw_records r ON r.trial_key = t.key ORDER BY t.key, r.source_id"
            )
            current = None
            for key, data, source_id, fmt, location, record_date, raw in cursor:
                if key != current:
                    digest.trial(key, zlib.decompress(data))
                    current = key
                if source_id is not None:
                    text = None if raw is None else zlib.decompress(raw).decode()
                    digest.raw(source_id, fmt, location, record_date, text)
        return digest.hexdigest()

    def integrity_check(self, *, deep: bool = True) -> list[str]:
        problems: list[str] = []
        with self._read() as conn:
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

    def _deep_check(self, conn: psycopg.Connection[Any], page: int = 500) -> list[str]:
        problems: list[str] = []
        after = ""
        while rows := conn.execute(
            "SELECT key, data FROM trials WHERE key > %s ORDER BY key LIMIT %s", (after, page)
        ).fetchall():
            after = rows[-1][0]
            keys = [key for key, _ in rows]
            raws: dict[str, dict[str, tuple[bytes | None, bytes | None]]] = {}
            for key, source_id, sha, raw in conn.execute(
                "SELECT trial_key, source_id, raw_sha, raw FROM raw_records WHERE trial_key = ANY(%s)",
                (keys,),
            ):
                raws.setdefault(key, {})[source_id] = (_bytes(sha), _bytes(raw))
            ids: dict[str, set[tuple[str, str]]] = {}
            for found, kind, key in conn.execute(
                "SELECT id, kind, key FROM trial_ids WHERE key = ANY(%s)", (keys,)
            ):
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
