"""The search index: SQLite FTS5 over every stored trial, with filter columns and facet values.

Tables (all named ``search_*``), in the store's own SQLite file for a file-backed store, else in an
in-memory database:

- ``search_docs``: one row per trial: filter and sort columns, the result summary (JSON), and the
  searchable texts (zlib-compressed JSON), which the FTS table reads through the ``search_content``
  view when it needs them (snippets, deletes): one compressed copy of the text instead of a second
  plain one;
- ``search_fts``: the FTS5 table (porter stemming, accents folded) over the columns of
  :data:`~trialatlas.search.query.COLUMNS`;
- ``search_values`` / ``search_facets``: each distinct facet value once, and which trials hold it;
- ``search_learned``: abbreviations and MeSH names learned per trial (see ``synonyms.py``);
- ``search_drugs``: the packaged drug vocabulary (name → generic name);
- ``search_meta``: the change number of the store the index has caught up with, and a generation
  counter that tells cached results apart.

The index depends on nothing of a store but :class:`~trialatlas.store.TrialStore`: it reads trials and
follows the store's change feed (:meth:`sync`); for a :class:`~trialatlas.store.SqliteStore` it only
uses its ``location``.
"""

from __future__ import annotations

import sqlite3
import threading
import time
import weakref
import zlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson

from trialatlas.errors import QueryError, StoreError
from trialatlas.search.document import ColumnReader, Document, encode_texts, make_document
from trialatlas.search.facets import FacetMatrix, country_key, value_key
from trialatlas.search.query import COLUMNS, WEIGHTS, fts_string
from trialatlas.search.synonyms import drug_rows
from trialatlas.store import SqliteStore, TrialStore

INDEX_SCHEMA = 1
TOKENIZER = "porter unicode61 remove_diacritics 2"
BATCH = 500
_CHUNK = 900
# A typed word in more than this share of the trials has (clamped) zero IDF in BM25: it is left out of
# an AND query that has other words, since it would cost the most and change the ranking least.
COMMON_SHARE = 0.5
COMMON_MIN_DOCS = 1000
# Catching up key by key costs more than rebuilding once this share of the index changed.
REBUILD_SHARE = 0.3

_DOC_COLUMNS = (
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

_SCHEMA = [
    "CREATE TABLE search_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE search_docs (
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
    """CREATE TABLE search_text (
        doc INTEGER PRIMARY KEY,
        summary TEXT NOT NULL,
        text BLOB NOT NULL
    )""",
    "CREATE INDEX search_docs_start ON search_docs (start_date)",
    "CREATE INDEX search_docs_update ON search_docs (last_update)",
    "CREATE INDEX search_docs_enrollment ON search_docs (enrollment)",
    """CREATE TABLE search_values (
        fv INTEGER PRIMARY KEY,
        facet TEXT NOT NULL,
        norm TEXT NOT NULL,
        label TEXT NOT NULL,
        UNIQUE (facet, norm)
    )""",
    """CREATE TABLE search_facets (
        doc INTEGER NOT NULL,
        fv INTEGER NOT NULL,
        PRIMARY KEY (doc, fv)
    ) WITHOUT ROWID""",
    "CREATE INDEX search_facets_fv ON search_facets (fv, doc)",
    """CREATE TABLE search_learned (
        doc INTEGER NOT NULL,
        kind TEXT NOT NULL,
        key TEXT NOT NULL,
        alt TEXT NOT NULL
    )""",
    "CREATE INDEX search_learned_key ON search_learned (key)",
    "CREATE INDEX search_learned_doc ON search_learned (doc)",
    """CREATE TABLE search_drugs (
        name TEXT NOT NULL,
        generic TEXT NOT NULL,
        brand INTEGER NOT NULL,
        PRIMARY KEY (name, generic)
    ) WITHOUT ROWID""",
    "CREATE INDEX search_drugs_generic ON search_drugs (generic)",
    "CREATE VIEW search_content AS SELECT doc, "
    + ", ".join(f"search_column(text, {i}) AS {column}" for i, column in enumerate(COLUMNS))
    + " FROM search_text",
    f"CREATE VIRTUAL TABLE search_fts USING fts5({', '.join(COLUMNS)}, content='search_content',"
    f" content_rowid='doc', tokenize='{TOKENIZER}')",
]
_TABLES = (
    "search_fts",
    "search_docs",
    "search_text",
    "search_values",
    "search_facets",
    "search_learned",
    "search_drugs",
)


@dataclass
class BuildReport:
    docs: int
    seconds: float
    bytes: int


@dataclass
class Page:
    """What one query returns before the service dresses it: rows, total and facet counts."""

    rows: list[tuple[int, float, str, Any]]
    total: int
    facets: dict[str, list[tuple[str, int]]]
    has_more: bool


@dataclass
class Request:
    match: str | None
    id_keys: list[str] | None
    values: dict[str, list[str]]
    ranges: list[tuple[str, list[Any]]]
    sort: str
    descending: bool
    after: tuple[Any, ...] | None
    limit: int
    facets: list[str]
    facet_limit: int
    weights: dict[str, float]


SORT_COLUMNS = {"start_date": "d.start_date", "last_update": "d.last_update", "enrollment": "d.enrollment"}

_indexes: weakref.WeakKeyDictionary[Any, SearchIndex] = weakref.WeakKeyDictionary()
_indexes_lock = threading.Lock()


class SearchIndex:
    """FTS5 search over a store's trials; see the module docstring for its tables."""

    def __init__(self, path: str = ":memory:", *, cache_size: int = 64) -> None:
        self.location = path
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30.0)
        self._conn.create_function("search_column", 2, ColumnReader(), deterministic=True)
        self._conn.execute("PRAGMA temp_store = MEMORY")
        self._conn.execute("PRAGMA cache_size = -65536")
        for table in ("search_hits", "search_set", "search_set2"):
            self._conn.execute(
                f"CREATE TEMP TABLE IF NOT EXISTS {table} (doc INTEGER PRIMARY KEY, score REAL)"
            )
        self._facet_matrix: FacetMatrix | None = None
        self._doc_total_cache: tuple[int, int] | None = None
        self._hits_key: tuple[Any, ...] | None = None
        self._cache: dict[tuple[Any, ...], tuple[int, dict[str, list[tuple[str, int]]]]] = {}
        self.cache_size = cache_size

    @classmethod
    def for_store(cls, store: TrialStore) -> SearchIndex:
        """The index of ``store``: in its SQLite file when it has one, else in memory; one per store."""
        with _indexes_lock:
            index = _indexes.get(store)
            if index is None:
                in_memory = (
                    not isinstance(store, SqliteStore)
                    or store.location == ":memory:"
                    or (store.location.startswith("file::memory:"))
                )
                index = cls(":memory:" if in_memory else store.location)
                _indexes[store] = index
            return index

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    # --- state -------------------------------------------------------------------------------

    def _meta(self, name: str) -> str | None:
        # The connection is shared by every thread of a server: no statement may run unlocked.
        with self._lock:
            try:
                row = self._conn.execute("SELECT value FROM search_meta WHERE name = ?", (name,)).fetchone()
            except sqlite3.OperationalError:
                return None
            return str(row[0]) if row else None

    def is_built(self) -> bool:
        return self._meta("schema") == str(INDEX_SCHEMA)

    @property
    def last_seq(self) -> int:
        return int(self._meta("last_seq") or 0)

    @property
    def generation(self) -> int:
        return int(self._meta("generation") or 0)

    def doc_count(self) -> int:
        if not self.is_built():
            return 0
        with self._lock:
            return int(self._conn.execute("SELECT count(*) FROM search_docs").fetchone()[0])

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            conn = self._conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
                conn.execute(
                    "INSERT INTO search_meta (name, value) VALUES ('generation', ?)"
                    " ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                    (str(self.generation + 1),),
                )
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            finally:
                self._hits_key = None
                self._cache.clear()

    @staticmethod
    def _set_meta(conn: sqlite3.Connection, name: str, value: object) -> None:
        conn.execute(
            "INSERT INTO search_meta (name, value) VALUES (?, ?)"
            " ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            (name, str(value)),
        )

    # --- building ----------------------------------------------------------------------------

    def rebuild(self, store: TrialStore, on_progress: Callable[[int], None] | None = None) -> BuildReport:
        """Index every trial of ``store`` from scratch.

        The index shares the store's file, so it writes in one short transaction a batch: an ingest
        running meanwhile waits for one batch, never for the whole build. The index counts as built
        only once the last batch is in (``schema`` is written last); changes made during the build
        come after ``seq`` in the change feed and the next :meth:`sync` takes them.
        """
        started = time.perf_counter()
        count = 0
        with self._lock:
            seq, _ = store.changes_since(0)
            with self._write() as conn:
                for table in ("search_content", *_TABLES, "search_meta"):
                    kind = "VIEW" if table == "search_content" else "TABLE"
                    conn.execute(f"DROP {kind} IF EXISTS {table}")
                for statement in _SCHEMA:
                    conn.execute(statement)
                conn.executemany(
                    "INSERT OR IGNORE INTO search_drugs (name, generic, brand) VALUES (?, ?, ?)", drug_rows()
                )
            values: dict[tuple[str, str], int] = {}
            batch: list[Document] = []
            for trial in store.iter_trials():
                batch.append(make_document(trial))
                if len(batch) >= BATCH:
                    with self._write() as conn:
                        count += self._insert(conn, batch, values)
                    batch.clear()
                    if on_progress is not None:
                        on_progress(count)
            with self._write() as conn:
                count += self._insert(conn, batch, values)
                conn.execute("INSERT INTO search_fts (search_fts) VALUES ('optimize')")
                self._set_meta(conn, "schema", INDEX_SCHEMA)
                self._set_meta(conn, "last_seq", seq)
        return BuildReport(count, time.perf_counter() - started, self.size_bytes())

    def sync(self, store: TrialStore) -> int:
        """Catch up with the store's changes since the last sync; how many trials were re-indexed."""
        if not self.is_built():
            return self.rebuild(store).docs
        seq, keys = store.changes_since(self.last_seq)
        if not keys:
            if seq != self.last_seq:
                with self._write() as conn:
                    self._set_meta(conn, "last_seq", seq)
            return 0
        if len(keys) > max(1000, REBUILD_SHARE * self.doc_count()):
            return self.rebuild(store).docs
        found: dict[str, Document] = {}
        for start in range(0, len(keys), BATCH):
            for trial in store.get_many(keys[start : start + BATCH]):
                # get() also answers for an alias: a key renamed away finds its new trial, which is
                # filed (and fed) under its own key.
                if trial.key in keys:
                    found[trial.key] = make_document(trial)
        with self._write() as conn:
            self._delete(conn, keys)
            self._insert(conn, list(found.values()), None)
            self._set_meta(conn, "last_seq", seq)
        return len(keys)

    def _insert(
        self, conn: sqlite3.Connection, docs: list[Document], values: dict[tuple[str, str], int] | None
    ) -> int:
        if not docs:
            return 0
        marks = ", ".join("?" * len(_DOC_COLUMNS))
        insert = f"INSERT INTO search_docs ({', '.join(_DOC_COLUMNS)}) VALUES ({marks})"
        fts = f"INSERT INTO search_fts (rowid, {', '.join(COLUMNS)}) VALUES (?{', ?' * len(COLUMNS)})"
        facet_rows: list[tuple[int, int]] = []
        learned_rows: list[tuple[int, str, str, str]] = []
        fts_rows: list[tuple[Any, ...]] = []
        text_rows: list[tuple[int, str, bytes]] = []
        for doc in docs:
            cursor = conn.execute(
                insert,
                (
                    doc.key,
                    doc.nct_id,
                    int(doc.is_partial),
                    doc.status,
                    doc.study_type,
                    doc.start_date,
                    doc.completion_date,
                    doc.last_update,
                    doc.enrollment,
                    doc.min_age,
                    doc.max_age,
                    int(doc.ages_known),
                ),
            )
            number = int(cursor.lastrowid or 0)
            text_rows.append((number, orjson.dumps(doc.summary).decode(), encode_texts(doc.texts)))
            fts_rows.append((number, *doc.texts))
            for facet, label in doc.facets:
                facet_rows.append((number, self._value_id(conn, facet, label, values)))
            learned_rows.extend((number, kind, key, alt) for kind, key, alt in doc.learned)
        conn.executemany("INSERT INTO search_text (doc, summary, text) VALUES (?, ?, ?)", text_rows)
        conn.executemany(fts, fts_rows)
        conn.executemany("INSERT OR IGNORE INTO search_facets (doc, fv) VALUES (?, ?)", facet_rows)
        conn.executemany("INSERT INTO search_learned (doc, kind, key, alt) VALUES (?, ?, ?, ?)", learned_rows)
        return len(docs)

    @staticmethod
    def _value_id(
        conn: sqlite3.Connection, facet: str, label: str, cache: dict[tuple[str, str], int] | None
    ) -> int:
        key = value_key(facet, label)
        if cache is not None and (facet, key) in cache:
            return cache[(facet, key)]
        row = conn.execute(
            "SELECT fv FROM search_values WHERE facet = ? AND norm = ?", (facet, key)
        ).fetchone()
        if row is None:
            cursor = conn.execute(
                "INSERT INTO search_values (facet, norm, label) VALUES (?, ?, ?)", (facet, key, label)
            )
            number = int(cursor.lastrowid or 0)
        else:
            number = int(row[0])
        if cache is not None:
            cache[(facet, key)] = number
        return number

    def _delete(self, conn: sqlite3.Connection, keys: Sequence[str]) -> None:
        delete_fts = (
            f"INSERT INTO search_fts (search_fts, rowid, {', '.join(COLUMNS)})"
            f" VALUES ('delete', ?{', ?' * len(COLUMNS)})"
        )
        for chunk in _chunks(list(keys)):
            rows = conn.execute(
                f"SELECT d.doc, t.text FROM search_docs d JOIN search_text t ON t.doc = d.doc"
                f" WHERE d.key IN ({_marks(len(chunk))})",
                chunk,
            ).fetchall()
            for number, blob in rows:
                texts = orjson.loads(zlib.decompress(blob))
                conn.execute(delete_fts, (number, *texts))
            numbers = [(number,) for number, _ in rows]
            conn.executemany("DELETE FROM search_facets WHERE doc = ?", numbers)
            conn.executemany("DELETE FROM search_learned WHERE doc = ?", numbers)
            conn.executemany("DELETE FROM search_text WHERE doc = ?", numbers)
            conn.executemany("DELETE FROM search_docs WHERE doc = ?", numbers)

    def size_bytes(self) -> int:
        """Bytes the index's tables take (FTS shadow tables included)."""
        with self._lock:
            try:
                row = self._conn.execute(
                    "SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name LIKE 'search%'"
                ).fetchone()
                return int(row[0])
            except sqlite3.OperationalError:
                page = self._conn.execute("PRAGMA page_size").fetchone()[0]
                return int(page) * int(self._conn.execute("PRAGMA page_count").fetchone()[0])

    # --- what expansions need ------------------------------------------------------------------

    def learned(self, keys: Sequence[str]) -> dict[str, list[tuple[str, str, int]]]:
        found: dict[str, list[tuple[str, str, int]]] = {}
        with self._lock:
            for chunk in _chunks(list(dict.fromkeys(keys))):
                rows = self._conn.execute(
                    f"SELECT key, kind, alt, count(*) FROM search_learned WHERE key IN ({_marks(len(chunk))})"
                    " GROUP BY key, kind, alt",
                    chunk,
                )
                for key, kind, alt, count in rows:
                    found.setdefault(key, []).append((kind, alt, int(count)))
        for rows_of_key in found.values():
            rows_of_key.sort(key=lambda row: (-row[2], row[1]))
        return found

    def drugs(self, keys: Sequence[str]) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        with self._lock:
            for chunk in _chunks(list(dict.fromkeys(k for k in keys if len(k) >= 4))):
                generics: dict[str, list[str]] = {}
                for name, generic in self._conn.execute(
                    f"SELECT name, generic FROM search_drugs WHERE name IN ({_marks(len(chunk))})", chunk
                ):
                    generics.setdefault(name, []).append(generic)
                for key, names in generics.items():
                    others: dict[str, None] = dict.fromkeys(g for g in names if g != key)
                    for generic in names:
                        for (name,) in self._conn.execute(
                            "SELECT name FROM search_drugs WHERE generic = ? AND name != ?"
                            " ORDER BY brand DESC",
                            (generic, key),
                        ):
                            others[name] = None
                    found[key] = list(others)
        return found

    def cooccurrence(self, phrase: str, context: Sequence[str]) -> int:
        terms = [fts_string(phrase), *(fts_string(word) for word in context[:6] if word)]
        with self._lock:
            try:
                row = self._conn.execute(
                    "SELECT count(*) FROM search_fts WHERE search_fts MATCH ?", (" AND ".join(terms),)
                ).fetchone()
            except sqlite3.OperationalError:
                return 0
        return int(row[0])

    def is_common(self, word: str) -> bool:
        """Whether a word is in more than :data:`COMMON_SHARE` of the trials (BM25 gives it no weight)."""
        total = self._doc_total()
        if total < COMMON_MIN_DOCS:
            return False
        with self._lock:
            try:
                row = self._conn.execute(
                    "SELECT count(*) FROM search_fts WHERE search_fts MATCH ?", (fts_string(word),)
                ).fetchone()
            except sqlite3.OperationalError:
                return False
        return int(row[0]) > COMMON_SHARE * total

    def _doc_total(self) -> int:
        generation = self.generation
        if self._doc_total_cache is None or self._doc_total_cache[0] != generation:
            self._doc_total_cache = (generation, self.doc_count())
        return self._doc_total_cache[1]

    def country(self, key: str) -> str | None:
        """The stored spelling of a country, if any trial is in it."""
        with self._lock:
            row = self._conn.execute(
                "SELECT label FROM search_values WHERE facet = 'country' AND norm = ?"
                " AND EXISTS (SELECT 1 FROM search_facets f WHERE f.fv = search_values.fv)",
                (country_key(key),),
            ).fetchone()
        return str(row[0]) if row else None

    # --- querying ------------------------------------------------------------------------------

    def execute(self, request: Request) -> Page:
        with self._lock:
            conn = self._conn
            conn.execute("BEGIN")
            try:
                return self._execute(conn, request)
            except sqlite3.OperationalError as exc:
                # Every term reaches FTS5 quoted, so this is a query FTS5 still cannot run; say so
                # without showing SQL.
                raise QueryError(f"the search could not be run ({exc}); simplify the query") from exc
            finally:
                if conn.in_transaction:
                    conn.execute("COMMIT")

    def _fill_hits(self, conn: sqlite3.Connection, request: Request, generation: int) -> None:
        """temp.search_hits := every trial the query matches, with its BM25 (kept for the next page)."""
        key = (generation, request.match, tuple(request.id_keys or ()), request.id_keys is None, _w(request))
        if key == self._hits_key:
            return
        self._hits_key = None
        conn.execute("DELETE FROM temp.search_hits")
        if request.match is not None:
            weights = ", ".join(repr(float(request.weights.get(c, 1.0))) for c in COLUMNS)
            conn.execute(
                "INSERT INTO temp.search_hits (doc, score)"
                f" SELECT rowid, bm25(search_fts, {weights}) FROM search_fts WHERE search_fts MATCH ?",
                (request.match,),
            )
        if request.id_keys is not None:
            named = {
                int(number)
                for chunk in _chunks(request.id_keys)
                for (number,) in conn.execute(
                    f"SELECT doc FROM search_docs WHERE key IN ({_marks(len(chunk))})", chunk
                )
            }
            if request.match is None:
                conn.executemany(
                    "INSERT OR IGNORE INTO temp.search_hits (doc, score) VALUES (?, 0.0)",
                    [(d,) for d in named],
                )
            else:
                gone = [(d,) for (d,) in conn.execute("SELECT doc FROM temp.search_hits") if d not in named]
                conn.executemany("DELETE FROM temp.search_hits WHERE doc = ?", gone)
        self._hits_key = key

    def _materialize(self, conn: sqlite3.Connection, table: str, base: str, conditions: list[_Cond]) -> None:
        sql = " AND ".join(c.sql.format(doc="h.doc") for c in conditions)
        params = [p for c in conditions for p in c.params]
        # The hits drive (CROSS JOIN fixes the order): without statistics on the temp table the
        # planner may otherwise scan every trial and probe the hits.
        join = " CROSS JOIN search_docs d ON d.doc = h.doc" if any(c.needs_docs for c in conditions) else ""
        conn.execute(f"DELETE FROM temp.{table}")
        conn.execute(
            f"INSERT INTO temp.{table} (doc, score) SELECT h.doc, h.score FROM {base} h{join} WHERE {sql}",
            params,
        )

    def _execute(self, conn: sqlite3.Connection, request: Request) -> Page:
        generation = int(self._meta("generation") or 0)
        browse = request.match is None and request.id_keys is None
        if not browse:
            self._fill_hits(conn, request, generation)
        everything = "(SELECT doc, 0.0 AS score FROM search_docs)" if browse else "temp.search_hits"
        conditions = self._conditions(conn, request)
        base = everything
        if conditions:
            self._materialize(conn, "search_set", everything, conditions)
            base = "temp.search_set"

        order, position, position_params = self._order(request, browse)
        sort_value = SORT_COLUMNS.get(request.sort, "NULL")
        # The page is chosen first and only its rows read their summaries: joining the summaries
        # of every hit before the sort would read tens of thousands of rows for twenty.
        docs_join = " JOIN search_docs d ON d.doc = h.doc" if request.sort != "relevance" else ""
        page = (
            f"SELECT h.doc AS doc, h.score AS score, {sort_value} AS value FROM {base} h{docs_join}"
            f"{' WHERE ' + position if position else ''} ORDER BY {order} LIMIT ?"
        )
        chosen = conn.execute(page, [*position_params, request.limit + 1]).fetchall()
        summaries = dict(
            conn.execute(
                f"SELECT doc, summary FROM search_text WHERE doc IN ({_marks(len(chosen))})",
                [r[0] for r in chosen],
            ).fetchall()
            if chosen
            else []
        )
        rows = [(number, score, summaries[number], value) for number, score, value in chosen]
        has_more = len(rows) > request.limit
        rows = rows[: request.limit]

        cache_key = (
            generation,
            self._hits_key if not browse else None,
            repr(conditions),
            tuple(request.facets),
            request.facet_limit,
        )
        cached = self._cache.get(cache_key)
        if cached is not None:
            total, facets = cached
        else:
            total = int(conn.execute(f"SELECT count(*) FROM {base}").fetchone()[0])
            facets = self._facets(conn, request, conditions, base, everything, browse, generation)
            if self.cache_size > 0:
                if len(self._cache) >= self.cache_size:
                    self._cache.pop(next(iter(self._cache)))
                self._cache[cache_key] = (total, facets)
        return Page([(int(r[0]), float(r[1]), str(r[2]), r[3]) for r in rows], total, facets, has_more)

    def _conditions(self, conn: sqlite3.Connection, request: Request) -> list[_Cond]:
        conditions: list[_Cond] = []
        for facet, keys in request.values.items():
            numbers = [
                int(number)
                for chunk in _chunks(keys)
                for (number,) in conn.execute(
                    f"SELECT fv FROM search_values WHERE facet = ? AND norm IN ({_marks(len(chunk))})",
                    [facet, *chunk],
                )
            ]
            if numbers:
                sql = f"{{doc}} IN (SELECT doc FROM search_facets WHERE fv IN ({_marks(len(numbers))}))"
                conditions.append(_Cond(sql, numbers, facet))
            else:
                conditions.append(_Cond("0", [], facet))
        conditions.extend(_Cond(sql, params, None, True) for sql, params in request.ranges)
        return conditions

    @staticmethod
    def _order(request: Request, browse: bool) -> tuple[str, str, list[Any]]:
        """ORDER BY, and the keyset condition that starts after the cursor's row."""
        after = request.after
        if request.sort == "relevance":
            if browse:
                return "h.doc", ("h.doc > ?" if after else ""), ([after[-1]] if after else [])
            if after is None:
                return "h.score, h.doc", "", []
            return (
                "h.score, h.doc",
                "(h.score > ? OR (h.score = ? AND h.doc > ?))",
                [after[0], after[0], after[1]],
            )
        column = SORT_COLUMNS[request.sort]
        direction, compare = ("DESC", "<") if request.descending else ("ASC", ">")
        order = f"({column} IS NULL), {column} {direction}, h.doc"
        if after is None:
            return order, "", []
        value, number = after
        if value is None:
            return order, f"({column} IS NULL AND h.doc > ?)", [number]
        return (
            order,
            f"({column} IS NULL OR {column} {compare} ? OR ({column} = ? AND h.doc > ?))",
            [value, value, number],
        )

    def _matrix(self, conn: sqlite3.Connection, generation: int) -> FacetMatrix:
        if self._facet_matrix is None or self._facet_matrix.generation != generation:
            self._facet_matrix = FacetMatrix.load(conn, generation)
        return self._facet_matrix

    def _facets(
        self,
        conn: sqlite3.Connection,
        request: Request,
        conditions: list[_Cond],
        base: str,
        everything: str,
        browse: bool,
        generation: int,
    ) -> dict[str, list[tuple[str, int]]]:
        if not request.facets:
            return {}
        matrix = self._matrix(conn, generation)
        per_facet: dict[str, list[tuple[str, int]]] = {}
        # Facets with a selection are counted without their own filter, so that the alternatives
        # show; all the others once over the filtered set.
        passes: list[tuple[str, list[str]]] = [(base, [n for n in request.facets if n not in request.values])]
        for name in request.facets:
            if name in request.values:
                others = [c for c in conditions if c.facet != name]
                if others:
                    self._materialize(conn, "search_set2", everything, others)
                    passes.append(("temp.search_set2", [name]))
                else:
                    passes.append((everything, [name]))
        for source, names in passes:
            if not names:
                continue
            docs = None if source == everything and browse else _doc_array(conn, source)
            counts = matrix.count(docs)
            for name in names:
                selected = set(request.values.get(name, ()))
                per_facet[name] = matrix.top(counts, name, request.facet_limit, selected)
        return {name: per_facet.get(name, []) for name in request.facets}

    def snippets(self, match: str, docs: Sequence[int], tokens: int = 24) -> dict[int, str]:
        """Per doc, the best stretch of its text with matched terms between \\x02 and \\x03."""
        if not docs:
            return {}
        with self._lock:
            try:
                rows = self._conn.execute(
                    "SELECT rowid, snippet(search_fts, -1, char(2), char(3), '…', ?) FROM search_fts"
                    f" WHERE search_fts MATCH ? AND rowid IN ({_marks(len(docs))})",
                    [tokens, match, *docs],
                ).fetchall()
            except sqlite3.OperationalError as exc:
                raise StoreError(f"{self.location}: cannot read snippets: {exc}") from exc
        return {int(number): str(text or "") for number, text in rows}

    def briefs(self, docs: Sequence[int], chars: int = 300) -> dict[int, str]:
        """The start of each doc's brief summary (else description): the snippet when nothing matched."""
        found: dict[int, str] = {}
        summary, description = COLUMNS.index("summary"), COLUMNS.index("description")
        with self._lock:
            for chunk in _chunks(list(docs)):
                sql = f"SELECT doc, text FROM search_text WHERE doc IN ({_marks(len(chunk))})"
                for number, blob in self._conn.execute(sql, chunk):
                    texts = orjson.loads(zlib.decompress(blob))
                    text = " ".join((texts[summary] or texts[description]).split())
                    found[int(number)] = text[:chars] + ("…" if len(text) > chars else "")
        return found

    def keys_of(self, docs: Iterable[int]) -> dict[int, str]:
        wanted = list(docs)
        found: dict[int, str] = {}
        with self._lock:
            for chunk in _chunks(wanted):
                found.update(
                    (int(n), str(k))
                    for n, k in self._conn.execute(
                        f"SELECT doc, key FROM search_docs WHERE doc IN ({_marks(len(chunk))})", chunk
                    )
                )
        return found

    def score(self, match: str, docs: Sequence[int] | None, weights: dict[str, float]) -> dict[int, float]:
        """BM25 (negated: higher is better) of every matching doc, or of the given ones; absent docs
        did not match. (FTS5 scores the whole match either way: a rowid list is a filter after it.)"""
        weight_sql = ", ".join(repr(float(weights.get(c, 1.0))) for c in COLUMNS)
        sql = f"SELECT rowid, bm25(search_fts, {weight_sql}) FROM search_fts WHERE search_fts MATCH ?"
        wanted = None if docs is None else set(docs)
        with self._lock:
            rows = self._conn.execute(sql, (match,))
            return {int(n): -float(s) for n, s in rows if wanted is None or int(n) in wanted}

    def docs_of(self, keys: Sequence[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        with self._lock:
            for chunk in _chunks(list(keys)):
                found.update(
                    (str(k), int(n))
                    for k, n in self._conn.execute(
                        f"SELECT key, doc FROM search_docs WHERE key IN ({_marks(len(chunk))})", chunk
                    )
                )
        return found


def _doc_array(conn: sqlite3.Connection, source: str) -> Any:
    return np.fromiter((row[0] for row in conn.execute(f"SELECT doc FROM {source}")), dtype=np.int64)


@dataclass(frozen=True)
class _Cond:
    """An SQL condition on a trial (``{doc}`` stands for its doc number; ``d`` is search_docs)."""

    sql: str
    params: list[Any]
    facet: str | None = None
    needs_docs: bool = False


def _w(request: Request) -> tuple[float, ...]:
    return tuple(request.weights.get(column, 1.0) for column in COLUMNS)


def _chunks(items: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _marks(count: int) -> str:
    return ", ".join("?" * count)


__all__ = ["WEIGHTS", "BuildReport", "Page", "Request", "SearchIndex"]
