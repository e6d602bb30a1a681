"""The tables both SQL backends keep, and the statements that read and write them, built once per dialect.

The SQLite file and the PostgreSQL database have the same layout (see :mod:`trialatlas.store.sqlite`).
Each table is declared here once, column by column, with the SQLite and the PostgreSQL spelling side by
side. They differ only where the dialects do: SQLite's INTEGER, REAL and BLOB are PostgreSQL's BOOLEAN,
DOUBLE PRECISION and BYTEA; PostgreSQL sorts every text column that is sorted or paged on with the
``"C"`` collation, so that keys sort byte-wise as in SQLite and both backends agree on order and digests.

The rendered DDL is what existing stores hold. SQLite keeps each CREATE statement's text as written, and
a store at the current schema version opens without migration, so a change here (even of white space)
is a schema change: it needs a migration and a new schema version in the backend.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any, NamedTuple

from trialatlas.store.base import ID_PRIORITY


class Dialect(Enum):
    SQLITE = "sqlite"
    POSTGRES = "postgres"


class Column(NamedTuple):
    """A column's name and its declaration in each dialect; ``None``: the dialect has no such column."""

    name: str
    sqlite: str | None
    postgres: str | None


class Table(NamedTuple):
    name: str
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...] = ()
    # (index name, indexed column), created right after the table.
    indexes: tuple[tuple[str, str], ...] = ()
    # Written after the closing parenthesis in SQLite only.
    sqlite_options: str = ""


# Every table but ``trials`` hangs off a trial key: renaming a trial (a key that gains an NCT id)
# carries its rows along, deleting it takes them with it.
_OF_TRIAL = "REFERENCES trials (key) ON DELETE CASCADE ON UPDATE CASCADE"

TRIALS = Table(
    "trials",
    (
        Column("key", "TEXT PRIMARY KEY NOT NULL", 'TEXT COLLATE "C" PRIMARY KEY'),
        Column("nct_id", "TEXT", "TEXT"),
        Column("org_study_id", "TEXT", "TEXT"),
        Column("is_partial", "INTEGER NOT NULL", "BOOLEAN NOT NULL"),
        Column("record_date", "TEXT", "TEXT"),
        Column("updated_at", "TEXT NOT NULL", "TEXT NOT NULL"),
        Column("overall_status", "TEXT", "TEXT"),
        Column("study_type", "TEXT", "TEXT"),
        Column("phases", "TEXT", "TEXT"),
        Column("start_date", "TEXT", "TEXT"),
        Column("last_update", "TEXT", "TEXT"),
        Column("enrollment", "INTEGER", "INTEGER"),
        Column("min_age_years", "REAL", "DOUBLE PRECISION"),
        Column("max_age_years", "REAL", "DOUBLE PRECISION"),
        Column("sex", "TEXT", "TEXT"),
        Column("countries", "TEXT", "TEXT"),
        Column("title", "TEXT", "TEXT"),
        Column("n_sources", "INTEGER NOT NULL", "INTEGER NOT NULL"),
        Column("data", "BLOB NOT NULL", "BYTEA NOT NULL"),
    ),
    indexes=(
        ("trials_overall_status", "overall_status"),
        ("trials_study_type", "study_type"),
        ("trials_start_date", "start_date"),
        ("trials_last_update", "last_update"),
        ("trials_record_date", "record_date"),
        ("trials_enrollment", "enrollment"),
        ("trials_min_age", "min_age_years"),
        ("trials_max_age", "max_age_years"),
    ),
)

RAW_RECORDS = Table(
    "raw_records",
    (
        Column("trial_key", f"TEXT NOT NULL {_OF_TRIAL}", f'TEXT COLLATE "C" NOT NULL {_OF_TRIAL}'),
        Column("source_id", "TEXT NOT NULL", 'TEXT COLLATE "C" NOT NULL'),
        Column("format", "TEXT NOT NULL", "TEXT NOT NULL"),
        Column("location", "TEXT NOT NULL", "TEXT NOT NULL"),
        Column("record_date", "TEXT", 'TEXT COLLATE "C"'),
        Column("raw_sha", "BLOB", "BYTEA"),
        Column("reading_sha", "BLOB", "BYTEA"),
        Column("raw", "BLOB", "BYTEA"),
    ),
    primary_key=("trial_key", "source_id"),
    indexes=(("raw_records_source", "source_id"),),
)

# Every id that finds a trial (NCT id, aliases, org study id, secondary ids), normalised.
TRIAL_IDS = Table(
    "trial_ids",
    (
        Column("id", "TEXT NOT NULL", 'TEXT COLLATE "C" NOT NULL'),
        Column("kind", "TEXT NOT NULL", "TEXT NOT NULL"),
        Column("key", f"TEXT NOT NULL {_OF_TRIAL}", f'TEXT COLLATE "C" NOT NULL {_OF_TRIAL}'),
    ),
    primary_key=("id", "kind", "key"),
    indexes=(("trial_ids_key", "key"),),
    sqlite_options=" WITHOUT ROWID",
)

# The change feed: one row per key written, renamed away or deleted, numbered in commit order.
TRIAL_CHANGES = Table(
    "trial_changes",
    (
        Column("seq", "INTEGER PRIMARY KEY AUTOINCREMENT", "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY"),
        Column("key", "TEXT NOT NULL", 'TEXT COLLATE "C" NOT NULL'),
    ),
)

# Superseded versions of each trial, whole: an upsert that changes a trial moves the stored row here
# first. They follow their trial's key through renames and go with it when it is deleted.
TRIAL_VERSIONS = Table(
    "trial_versions",
    (
        Column("key", f"TEXT NOT NULL {_OF_TRIAL}", f'TEXT COLLATE "C" NOT NULL {_OF_TRIAL}'),
        Column("version", "INTEGER NOT NULL", "INTEGER NOT NULL"),
        Column("stored_at", "TEXT NOT NULL", "TEXT NOT NULL"),
        Column("replaced_at", "TEXT NOT NULL", "TEXT NOT NULL"),
        Column("data", "BLOB NOT NULL", "BYTEA NOT NULL"),
    ),
    primary_key=("key", "version"),
)


def create_table(table: Table, dialect: Dialect, *, if_not_exists: bool = False) -> str:
    """The CREATE TABLE statement of ``table`` in ``dialect``, laid out as existing stores hold it."""
    lines = [
        f"{column.name} {declaration}"
        for column in table.columns
        if (declaration := column.sqlite if dialect is Dialect.SQLITE else column.postgres) is not None
    ]
    if table.primary_key:
        lines.append(f"PRIMARY KEY ({', '.join(table.primary_key)})")
    body = ",\n".join(f"    {line}" for line in lines)
    options = table.sqlite_options if dialect is Dialect.SQLITE else ""
    exists = " IF NOT EXISTS" if if_not_exists else ""
    return f"CREATE TABLE{exists} {table.name} (\n{body}\n){options}"


def create_indexes(table: Table) -> list[str]:
    return [f"CREATE INDEX {name} ON {table.name} ({column})" for name, column in table.indexes]


def create_statements(dialect: Dialect, tables: Sequence[Table]) -> list[str]:
    """Each table followed by its indexes, in order (a table before the tables that refer to it)."""
    return [
        statement for table in tables for statement in (create_table(table, dialect), *create_indexes(table))
    ]


# --- statements --------------------------------------------------------------------------------

# What a ``TrialRow`` fills, in its field order; ``updated_at`` (when the row was written) follows it.
ROW_COLUMNS: tuple[str, ...] = tuple(column.name for column in TRIALS.columns if column.name != "updated_at")
RAW_META = "format, location, record_date, raw_sha, reading_sha"
KIND_RANK = " ".join(
    ["CASE kind", *(f"WHEN '{kind}' THEN {rank}" for kind, rank in ID_PRIORITY.items()), "END"]
)

# Below SQLITE_MAX_VARIABLE_NUMBER of every SQLite build still in use (999 before 3.32).
SQLITE_MAX_PARAMETERS = 900


@dataclass(frozen=True)
class Statements:
    """The statements of one dialect. Where the dialects differ the two spellings are written out in
    :func:`_sqlite` and :func:`_postgres`; the rest is built from the same text with the dialect's
    parameter mark."""

    dialect: Dialect
    mark: str
    insert_trial: str
    upsert_trial: str
    # A raw record of ``None`` keeps the stored text with its checksum and reading.
    upsert_raw: str
    insert_ids: str
    insert_ids_if_new: str
    # Copies the stored row of a key into its history, numbered after the versions it already has.
    supersede: str
    insert_version: str
    insert_change: str
    rename: str
    count_trials: str

    def members(self, column: str, values: Sequence[Any]) -> Iterator[tuple[str, Sequence[Any]]]:
        """``column`` is one of ``values``, as ``(condition, parameters)`` pieces to run one by one.

        PostgreSQL takes the values as one array parameter; SQLite has no array parameter and caps the
        parameters of a statement, so the values come in chunks, each a list of marks.
        """
        if self.dialect is Dialect.POSTGRES:
            if values:
                yield f"{column} = ANY(%s)", (list(values),)
            return
        for chunk in sqlite_chunks(values):
            yield f"{column} IN ({marks(len(chunk))})", chunk


def sqlite_chunks(values: Sequence[Any]) -> Iterator[Sequence[Any]]:
    """``values`` in pieces one SQLite statement can bind: at most :data:`SQLITE_MAX_PARAMETERS` each."""
    for start in range(0, len(values), SQLITE_MAX_PARAMETERS):
        yield values[start : start + SQLITE_MAX_PARAMETERS]


def marks(count: int) -> str:
    """``count`` SQLite parameter marks: ``?, ?, ?``."""
    return ", ".join("?" * count)


def _insert_trial(mark: str) -> str:
    columns = (*ROW_COLUMNS, "updated_at")
    values = [mark] * (len(ROW_COLUMNS) + 1)
    return f"INSERT INTO trials ({', '.join(columns)}) VALUES ({', '.join(values)})"


def _upsert_trial(insert: str) -> str:
    updated = (*ROW_COLUMNS[1:], "updated_at")
    return insert + " ON CONFLICT (key) DO UPDATE SET " + ", ".join(f"{c} = excluded.{c}" for c in updated)


def _statements(
    dialect: Dialect,
    mark: str,
    *,
    upsert_raw_tail: str,
    insert_ids_if_new: str,
    count_trials: str,
) -> Statements:
    marks = ", ".join([mark] * 8)
    insert_trial = _insert_trial(mark)
    return Statements(
        dialect=dialect,
        mark=mark,
        insert_trial=insert_trial,
        upsert_trial=_upsert_trial(insert_trial),
        upsert_raw=(
            "INSERT INTO raw_records"
            " (trial_key, source_id, format, location, record_date, raw_sha, reading_sha, raw)"
            f" VALUES ({marks})"
            " ON CONFLICT (trial_key, source_id) DO UPDATE SET format = excluded.format,"
            " location = excluded.location, record_date = excluded.record_date," + upsert_raw_tail
        ),
        insert_ids=f"INSERT INTO trial_ids (id, kind, key) VALUES ({mark}, {mark}, {mark})",
        supersede=(
            "INSERT INTO trial_versions (key, version, stored_at, replaced_at, data)"
            " SELECT key, (SELECT coalesce(max(version), 0) + 1 FROM trial_versions v WHERE v.key = t.key),"
            f" updated_at, {mark}, data FROM trials t WHERE key = {mark}"
        ),
        insert_version=(
            "INSERT INTO trial_versions (key, version, stored_at, replaced_at, data)"
            f" VALUES ({mark}, {mark}, {mark}, {mark}, {mark})"
        ),
        insert_change=f"INSERT INTO trial_changes (key) VALUES ({mark})",
        rename=f"UPDATE trials SET key = {mark} WHERE key = {mark}",
        insert_ids_if_new=insert_ids_if_new,
        count_trials=count_trials,
    )


SQLITE = _statements(
    Dialect.SQLITE,
    "?",
    upsert_raw_tail=(
        " raw_sha = iif(excluded.raw IS NULL, raw_sha, excluded.raw_sha),"
        " reading_sha = iif(excluded.raw IS NULL, reading_sha, excluded.reading_sha),"
        " raw = coalesce(excluded.raw, raw)"
    ),
    insert_ids_if_new="INSERT OR IGNORE INTO trial_ids (id, kind, key) VALUES (?, ?, ?)",
    count_trials="SELECT count(*), coalesce(sum(is_partial), 0) FROM trials",
)

POSTGRES = _statements(
    Dialect.POSTGRES,
    "%s",
    upsert_raw_tail=(
        " raw_sha = CASE WHEN excluded.raw IS NULL THEN raw_records.raw_sha ELSE excluded.raw_sha END,"
        " reading_sha = CASE WHEN excluded.raw IS NULL THEN raw_records.reading_sha"
        " ELSE excluded.reading_sha END,"
        " raw = coalesce(excluded.raw, raw_records.raw)"
    ),
    insert_ids_if_new="INSERT INTO trial_ids (id, kind, key) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
    count_trials="SELECT count(*), count(*) FILTER (WHERE is_partial) FROM trials",
)
