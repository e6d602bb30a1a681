"""The layout of the SQLite search index: its tables, their secondary indexes and its version.

:mod:`~trialatlas.search.index` writes and reads these tables; a rebuild creates them under the
staging prefix and swaps them in for the live ones (see its docstring). The PostgreSQL index keeps the
same filter and sort columns (:data:`DOC_COLUMNS`) and adds its texts to them.
"""

from __future__ import annotations

import secrets

# 2: the registry facet. 3: the words in a tantivy index beside the file (engine.py). 4: learned
# terms indexed by (key, kind, alt), so that a look-up groups them from the index alone.
INDEX_SCHEMA = 4
# The tantivy index of each build lives in ``<store file><ENGINE_SUFFIX>/<build id>``.
ENGINE_SUFFIX = ".search-engine"

# The live tables are ``search_<name>``; a rebuild writes ``search_next_<name>`` and swaps them in.
LIVE, STAGING = "search_", "search_next_"

# A trial's one row of filter and sort values, the same on both backends (PostgreSQL adds its texts).
DOC_COLUMNS = (
    "key",
    "nct_id",
    "is_partial",
    "status",
    "study_type",
    "start_date",
    "completion_date",
    "last_update",
    "enrollment",
    "min_age",
    "max_age",
    "ages_known",
)

META = "CREATE TABLE IF NOT EXISTS search_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)"
# ``{p}``: the tables' prefix (live or staging); ``{b}``: the build's id, which keeps the index names
# of a staging build apart from the live ones (index names are not renamed with their table).
SCHEMA = [
    """CREATE TABLE {p}docs (
        doc INTEGER PRIMARY KEY,
        key TEXT NOT NULL UNIQUE,
        nct_id TEXT,
        is_partial INTEGER NOT NULL,
        status TEXT,
        study_type TEXT,
        start_date TEXT,
        completion_date TEXT,
        last_update TEXT,
        enrollment INTEGER,
        min_age REAL,
        max_age REAL,
        ages_known INTEGER NOT NULL
    )""",
    # Kept apart from search_docs so that scans of the filter columns stay small.
    """CREATE TABLE {p}text (
        doc INTEGER PRIMARY KEY,
        summary TEXT NOT NULL,
        text BLOB NOT NULL
    )""",
    # No index on the sort columns: sorts and range filters run over the numpy arrays (arrays.py),
    # which read the table whole; such indexes cost every build a sort each and 1 % of the file.
    """CREATE TABLE {p}values (
        fv INTEGER PRIMARY KEY,
        facet TEXT NOT NULL,
        norm TEXT NOT NULL,
        label TEXT NOT NULL,
        UNIQUE (facet, norm)
    )""",
    """CREATE TABLE {p}facets (
        doc INTEGER NOT NULL,
        fv INTEGER NOT NULL,
        PRIMARY KEY (doc, fv)
    ) WITHOUT ROWID""",
    "CREATE INDEX search_{b}_facets_fv ON {p}facets (fv, doc)",
    """CREATE TABLE {p}learned (
        doc INTEGER NOT NULL,
        kind TEXT NOT NULL,
        key TEXT NOT NULL,
        alt TEXT NOT NULL
    )""",
    # Covers the look-up (key IN …, GROUP BY key, kind, alt): a common key has thousands of rows.
    "CREATE INDEX search_{b}_learned_key ON {p}learned (key, kind, alt)",
    "CREATE INDEX search_{b}_learned_doc ON {p}learned (doc)",
    """CREATE TABLE {p}drugs (
        name TEXT NOT NULL,
        generic TEXT NOT NULL,
        brand INTEGER NOT NULL,
        PRIMARY KEY (name, generic)
    ) WITHOUT ROWID""",
    "CREATE INDEX search_{b}_drugs_generic ON {p}drugs (generic)",
]
TABLES = ("docs", "text", "values", "facets", "learned", "drugs")
# What an index of an earlier schema left: dropped with the first rebuild (the FTS table first:
# dropping it drops its shadow tables).
FORMER = (
    "DROP VIEW IF EXISTS search_content",
    "DROP TABLE IF EXISTS search_fts",
    "DROP TABLE IF EXISTS search_next_fts",
)


def statements(prefix: str, build: str, *, indexes: bool) -> list[str]:
    """The tables' statements, or (``indexes``) their secondary indexes: a build creates those once
    its rows are in (one sort each, where keeping them current row by row cost a third of the rows'
    writing)."""
    return [
        statement.replace("{p}", prefix).replace("{b}", build)
        for statement in SCHEMA
        if statement.startswith("CREATE INDEX") == indexes
    ]


def token() -> str:
    """A value never written before, by any process: what tells one state of the index from another."""
    return secrets.token_hex(8)
