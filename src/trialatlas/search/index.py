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
- ``search_meta``: the change number of the store the index has caught up with, the random id of
  the build, and the generation: a random token written by every change, which tells cached results
  (arrays, rankings, totals, facets, results) apart and never repeats, whichever process wrote.

Several processes may share the file (a server searching, a command rebuilding): a rebuild writes
new ``search_next_*`` tables batch by batch, under a build lock held across processes, and swaps them
in for the live ones in one transaction, so a reader sees the old index or the new one, never a mix.
Reads go through one connection per thread (SQLite's WAL lets readers run beside each other and
beside the writer), so one slow query holds up no other; a write takes the one writer connection.

The index depends on nothing of a store but :class:`~trialatlas.store.TrialStore`: it reads trials and
follows the store's change feed (:meth:`sync`); for a :class:`~trialatlas.store.SqliteStore` it only
uses its ``location``.
"""

from __future__ import annotations

import secrets
import sqlite3
import threading
import time
import weakref
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

import orjson

from trialatlas.errors import QueryCostError, QueryError, StoreError
from trialatlas.search.arrays import DocArrays
from trialatlas.search.connections import Connections
from trialatlas.search.document import ColumnReader, Document, encode_texts, make_document
from trialatlas.search.execute import Page, Ranking, Request, Run
from trialatlas.search.facets import country_key, value_key
from trialatlas.search.query import COLUMNS, WEIGHTS, fts_string
from trialatlas.search.synonyms import drug_rows
from trialatlas.store import TrialStore, derived_path, server_url

# 2: the registry facet.
INDEX_SCHEMA = 2
TOKENIZER = "porter unicode61 remove_diacritics 2"
BATCH = 500
_CHUNK = 900
# A typed word in more than this share of the trials has (clamped) zero IDF in BM25: it is left out of
# an AND query that has other words, since it would cost the most and change the ranking least.
COMMON_SHARE = 0.5
COMMON_MIN_DOCS = 1000
_MEMO_SIZE = 50_000
# Catching up key by key costs more than rebuilding once this share of the index changed.
REBUILD_SHARE = 0.3

# The live tables are ``search_<name>``; a rebuild writes ``search_next_<name>`` and swaps them in.
LIVE, STAGING = "search_", "search_next_"

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

_META = "CREATE TABLE IF NOT EXISTS search_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)"
# ``{p}``: the tables' prefix (live or staging); ``{b}``: the build's id, which keeps the index names
# of a staging build apart from the live ones (index names are not renamed with their table).
_SCHEMA = [
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
    "CREATE INDEX search_{b}_docs_start ON {p}docs (start_date)",
    "CREATE INDEX search_{b}_docs_update ON {p}docs (last_update)",
    "CREATE INDEX search_{b}_docs_enrollment ON {p}docs (enrollment)",
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
    "CREATE INDEX search_{b}_learned_key ON {p}learned (key)",
    "CREATE INDEX search_{b}_learned_doc ON {p}learned (doc)",
    """CREATE TABLE {p}drugs (
        name TEXT NOT NULL,
        generic TEXT NOT NULL,
        brand INTEGER NOT NULL,
        PRIMARY KEY (name, generic)
    ) WITHOUT ROWID""",
    "CREATE INDEX search_{b}_drugs_generic ON {p}drugs (generic)",
    # The content option names the live view: FTS5 reads it only for snippets, never while building.
    f"CREATE VIRTUAL TABLE {{p}}fts USING fts5({', '.join(COLUMNS)}, content='search_content',"
    f" content_rowid='doc', tokenize='{TOKENIZER}')",
]
_VIEW = (
    "CREATE VIEW search_content AS SELECT doc, "
    + ", ".join(f"search_column(text, {i}) AS {column}" for i, column in enumerate(COLUMNS))
    + " FROM search_text"
)
# The FTS table first: dropping it drops its shadow tables.
_TABLES = ("fts", "docs", "text", "values", "facets", "learned", "drugs")


def _schema(prefix: str, build: str) -> list[str]:
    return [statement.replace("{p}", prefix).replace("{b}", build) for statement in _SCHEMA]


def _token() -> str:
    """A value never written before, by any process: what tells one state of the index from another."""
    return secrets.token_hex(8)


@dataclass
class BuildReport:
    docs: int
    seconds: float
    bytes: int


_indexes: weakref.WeakKeyDictionary[Any, SearchIndex] = weakref.WeakKeyDictionary()
_indexes_lock = threading.Lock()
# Virtual-machine steps between two looks at the clock while a query runs under a time budget.
_BUDGET_STEPS = 1_000


class _Budget:
    """A query's deadline, as SQLite's progress handler asks about it."""

    def __init__(self, seconds: float | None) -> None:
        self.deadline = None if seconds is None else time.monotonic() + seconds
        self.stopped = False

    def spent(self) -> int:
        if self.deadline is not None and time.monotonic() > self.deadline:
            self.stopped = True
            return 1  # non-zero: SQLite interrupts the statement
        return 0


def _prepare(conn: sqlite3.Connection) -> None:
    conn.create_function("search_column", 2, ColumnReader(), deterministic=True)


class SearchIndex:
    """FTS5 search over a store's trials; see the module docstring for its tables."""

    def __init__(self, path: str = ":memory:", *, cache_size: int = 64) -> None:
        self.location = path
        self._connections = Connections(path, _prepare)
        self._state_lock = threading.Lock()
        self._arrays_lock = threading.Lock()
        self._arrays: DocArrays | None = None
        self._ranking: Ranking | None = None
        self._doc_total_cache: tuple[str, int] | None = None
        self._memo: tuple[str, dict[tuple[str, str], Any]] = ("", {})
        self._cache: dict[tuple[Any, ...], tuple[int, dict[str, list[tuple[str, int]]]]] = {}
        self.cache_size = cache_size

    @classmethod
    def for_store(cls, store: TrialStore) -> SearchIndex:
        """The index of ``store``: in its SQLite file when it has one, in its database for a PostgreSQL
        store, else in memory; one per store."""
        with _indexes_lock:
            index = _indexes.get(store)
            if index is None:
                url = server_url(store)
                if url is not None:
                    # A PostgreSQL store: the index is tables of its database, shared by every process.
                    from trialatlas.search.postgres import PostgresSearchIndex

                    index = PostgresSearchIndex(url, location=store.location)
                    hooks = getattr(store, "on_close", None)
                    if isinstance(hooks, list):
                        hooks.append(index.close)  # its connections close with the store
                else:
                    path = derived_path(store, "")  # the index's tables live in the store's own file
                    index = cls(str(path) if path is not None else ":memory:")
                _indexes[store] = index
            return index

    def close(self) -> None:
        self._connections.close()

    # --- state -------------------------------------------------------------------------------

    @staticmethod
    def _meta_of(conn: sqlite3.Connection, name: str) -> str | None:
        try:
            row = conn.execute("SELECT value FROM search_meta WHERE name = ?", (name,)).fetchone()
        except sqlite3.OperationalError:
            return None
        return str(row[0]) if row else None

    def _meta(self, name: str) -> str | None:
        with self.reading() as conn:
            return self._meta_of(conn, name)

    def is_built(self) -> bool:
        return self._meta("schema") == str(INDEX_SCHEMA)

    @property
    def last_seq(self) -> int:
        return int(self._meta("last_seq") or 0)

    @property
    def generation(self) -> str:
        """The index's state: changes with every write (in any process) and never comes back."""
        return self._meta("generation") or ""

    @property
    def build_id(self) -> str:
        """The id of the rebuild the live tables come from (kept by catching up, new on each rebuild)."""
        return self._meta("build") or ""

    def doc_count(self) -> int:
        with self.reading() as conn:
            if self._meta_of(conn, "schema") != str(INDEX_SCHEMA):
                return 0
            return int(conn.execute("SELECT count(*) FROM search_docs").fetchone()[0])

    @contextmanager
    def _write(self, expected: str | None = None) -> Iterator[sqlite3.Connection | None]:
        """One write to the live tables, with a new generation; ``None`` (and nothing written) when
        ``expected`` is given and the index is no longer at that generation (another writer came first)."""
        with self._connections.write() as conn:
            if expected is not None and self._meta_of(conn, "generation") != expected:
                yield None
                return
            yield conn
            self._set_meta(conn, "generation", _token())
        self._forget()

    def _forget(self) -> None:
        with self._state_lock:
            self._ranking = None
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

        The new index is written into staging tables, one short transaction a batch (an ingest
        running meanwhile waits for one batch, never for the whole build), and swapped in for the live
        one in one transaction at the end: searches meanwhile, in this process or another, read the
        old index, then the new one. Changes made during the build come after ``seq`` in the change
        feed and the next :meth:`sync` takes them. One build at a time (across processes): a second
        waits, then builds afresh.
        """
        report = self._rebuild(store, on_progress, wait=True)
        assert report is not None
        return report

    def _rebuild(
        self,
        store: TrialStore,
        on_progress: Callable[[int], None] | None,
        *,
        wait: bool,
        unless_built: bool = False,
    ) -> BuildReport | None:
        """The build, or ``None`` when another is running and ``wait`` is false; with ``unless_built``,
        nothing (0 docs) when another builder finished the index while this one waited."""
        started = time.perf_counter()
        count = 0
        with self._connections.building(wait) as allowed:
            if not allowed:
                return None
            if unless_built and self.is_built():
                return BuildReport(0, time.perf_counter() - started, self.size_bytes())
            build = _token()
            seq, _ = store.changes_since(0)
            with self._connections.write() as conn:
                self._drop_staging(conn)
                for statement in _schema(STAGING, build):
                    conn.execute(statement)
                conn.executemany(
                    f"INSERT OR IGNORE INTO {STAGING}drugs (name, generic, brand) VALUES (?, ?, ?)",
                    drug_rows(),
                )
            values: dict[tuple[str, str], int] = {}
            batch: list[Document] = []
            for trial in store.iter_trials():
                batch.append(make_document(trial))
                if len(batch) >= BATCH:
                    with self._connections.write() as conn:
                        count += self._insert(conn, batch, values, STAGING)
                    batch.clear()
                    if on_progress is not None:
                        on_progress(count)
            with self._connections.write() as conn:
                count += self._insert(conn, batch, values, STAGING)
                conn.execute(f"INSERT INTO {STAGING}fts ({STAGING}fts) VALUES ('optimize')")
            with self._write() as live:
                assert live is not None
                self._swap(live, build, seq)
        return BuildReport(count, time.perf_counter() - started, self.size_bytes())

    @staticmethod
    def _drop_staging(conn: sqlite3.Connection) -> None:
        """Drop what a build that died left (the caller holds the build lock: no build is running)."""
        for table in _TABLES:
            conn.execute(f"DROP TABLE IF EXISTS {STAGING}{table}")

    def _swap(self, conn: sqlite3.Connection, build: str, seq: int) -> None:
        conn.execute("DROP VIEW IF EXISTS search_content")
        for table in _TABLES:
            conn.execute(f"DROP TABLE IF EXISTS {LIVE}{table}")
        for table in _TABLES:
            conn.execute(f"ALTER TABLE {STAGING}{table} RENAME TO {LIVE}{table}")
        conn.execute(_VIEW)
        conn.execute(_META)
        self._set_meta(conn, "schema", INDEX_SCHEMA)
        self._set_meta(conn, "last_seq", seq)
        self._set_meta(conn, "build", build)

    def sync(self, store: TrialStore) -> int:
        """Catch up with the store's changes since the last sync; how many trials were re-indexed.

        With a built index this never waits for another writer: when a rebuild runs (here or in
        another process) or another sync wrote first, it returns 0 and the index is searched as it
        is; the next sync catches up."""
        if not self.is_built():
            report = self._rebuild(store, None, wait=True, unless_built=True)
            return report.docs if report is not None else 0
        with self.reading() as conn:
            generation = self._meta_of(conn, "generation") or ""
            last_seq = int(self._meta_of(conn, "last_seq") or 0)
            count = int(conn.execute("SELECT count(*) FROM search_docs").fetchone()[0])
        seq, keys = store.changes_since(last_seq)
        if not keys:
            if seq != last_seq:
                with self._write(generation) as live:
                    if live is not None:
                        self._set_meta(live, "last_seq", seq)
            return 0
        if len(keys) > max(1000, REBUILD_SHARE * count):
            report = self._rebuild(store, None, wait=False)
            return report.docs if report is not None else 0
        found: dict[str, Document] = {}
        for start in range(0, len(keys), BATCH):
            for trial in store.get_many(keys[start : start + BATCH]):
                # get() also answers for an alias: a key renamed away finds its new trial, which is
                # filed (and fed) under its own key.
                if trial.key in keys:
                    found[trial.key] = make_document(trial)
        # Written only if no other writer (thread or process) came between: two catching up from the
        # same point would otherwise both apply the same changes, or a swap would be patched with
        # changes it already holds while the ones after it are skipped.
        with self._write(generation) as live:
            if live is None:
                return 0
            self._delete(live, keys)
            self._insert(live, list(found.values()), None, LIVE)
            self._set_meta(live, "last_seq", seq)
        return len(keys)

    def _insert(
        self,
        conn: sqlite3.Connection,
        docs: list[Document],
        values: dict[tuple[str, str], int] | None,
        prefix: str,
    ) -> int:
        if not docs:
            return 0
        marks = ", ".join("?" * len(_DOC_COLUMNS))
        insert = f"INSERT INTO {prefix}docs ({', '.join(_DOC_COLUMNS)}) VALUES ({marks})"
        fts = f"INSERT INTO {prefix}fts (rowid, {', '.join(COLUMNS)}) VALUES (?{', ?' * len(COLUMNS)})"
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
                facet_rows.append((number, self._value_id(conn, facet, label, values, prefix)))
            learned_rows.extend((number, kind, key, alt) for kind, key, alt in doc.learned)
        conn.executemany(f"INSERT INTO {prefix}text (doc, summary, text) VALUES (?, ?, ?)", text_rows)
        conn.executemany(fts, fts_rows)
        conn.executemany(f"INSERT OR IGNORE INTO {prefix}facets (doc, fv) VALUES (?, ?)", facet_rows)
        conn.executemany(
            f"INSERT INTO {prefix}learned (doc, kind, key, alt) VALUES (?, ?, ?, ?)", learned_rows
        )
        return len(docs)

    @staticmethod
    def _value_id(
        conn: sqlite3.Connection,
        facet: str,
        label: str,
        cache: dict[tuple[str, str], int] | None,
        prefix: str,
    ) -> int:
        key = value_key(facet, label)
        if cache is not None and (facet, key) in cache:
            return cache[(facet, key)]
        row = conn.execute(
            f"SELECT fv FROM {prefix}values WHERE facet = ? AND norm = ?", (facet, key)
        ).fetchone()
        if row is None:
            cursor = conn.execute(
                f"INSERT INTO {prefix}values (facet, norm, label) VALUES (?, ?, ?)", (facet, key, label)
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
        with self.reading() as conn:
            try:
                row = conn.execute(
                    "SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name LIKE 'search%'"
                ).fetchone()
                return int(row[0])
            except sqlite3.OperationalError:
                page = conn.execute("PRAGMA page_size").fetchone()[0]
                return int(page) * int(conn.execute("PRAGMA page_count").fetchone()[0])

    # --- what expansions need ------------------------------------------------------------------

    def _lexicon(self, conn: sqlite3.Connection) -> dict[tuple[str, str], Any]:
        """What expansions looked up, kept until the index changes: a query's words recur across
        queries (and within one, as n-grams are tried), and each look-up is a grouped scan."""
        generation = self._meta_of(conn, "generation") or ""
        with self._state_lock:
            if self._memo[0] != generation or len(self._memo[1]) > _MEMO_SIZE:
                self._memo = (generation, {})
            return self._memo[1]

    def learned(self, keys: Sequence[str]) -> dict[str, list[tuple[str, str, int]]]:
        with self.reading() as conn:
            memo = self._lexicon(conn)
            wanted = [key for key in dict.fromkeys(keys) if ("learned", key) not in memo]
            fetched: dict[str, list[tuple[str, str, int]]] = {key: [] for key in wanted}
            for chunk in _chunks(wanted):
                rows = conn.execute(
                    f"SELECT key, kind, alt, count(*) FROM search_learned WHERE key IN ({_marks(len(chunk))})"
                    " GROUP BY key, kind, alt",
                    chunk,
                )
                for key, kind, alt, count in rows:
                    fetched[key].append((kind, alt, int(count)))
            for key, rows_of_key in fetched.items():
                rows_of_key.sort(key=lambda row: (-row[2], row[1]))
                memo[("learned", key)] = rows_of_key
            found = {key: memo.get(("learned", key), fetched.get(key, [])) for key in dict.fromkeys(keys)}
        return {key: list(rows) for key, rows in found.items() if rows}

    def drugs(self, keys: Sequence[str]) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        with self.reading() as conn:
            for chunk in _chunks(list(dict.fromkeys(k for k in keys if len(k) >= 4))):
                generics: dict[str, list[str]] = {}
                for name, generic in conn.execute(
                    f"SELECT name, generic FROM search_drugs WHERE name IN ({_marks(len(chunk))})", chunk
                ):
                    generics.setdefault(name, []).append(generic)
                for key, names in generics.items():
                    others: dict[str, None] = dict.fromkeys(g for g in names if g != key)
                    for generic in names:
                        for (name,) in conn.execute(
                            "SELECT name FROM search_drugs WHERE generic = ? AND name != ?"
                            " ORDER BY brand DESC",
                            (generic, key),
                        ):
                            others[name] = None
                    found[key] = list(others)
        return found

    def cooccurrence(self, phrase: str, context: Sequence[str]) -> int:
        terms = [fts_string(phrase), *(fts_string(word) for word in context[:6] if word)]
        with self.reading() as conn:
            try:
                row = conn.execute(
                    "SELECT count(*) FROM search_fts WHERE search_fts MATCH ?", (" AND ".join(terms),)
                ).fetchone()
            except sqlite3.OperationalError:
                return 0
        return int(row[0])

    def is_common(self, word: str) -> bool:
        """Whether a word is in more than :data:`COMMON_SHARE` of the trials (BM25 gives it no weight)."""
        with self.reading() as conn:
            total = self._doc_total(conn)
            if total < COMMON_MIN_DOCS:
                return False
            memo = self._lexicon(conn)
            known = memo.get(("common", word))
            if known is not None:
                return bool(known)
            try:
                row = conn.execute(
                    "SELECT count(*) FROM search_fts WHERE search_fts MATCH ?", (fts_string(word),)
                ).fetchone()
            except sqlite3.OperationalError:
                return False
            memo[("common", word)] = common = int(row[0]) > COMMON_SHARE * total
        return common

    def _doc_total(self, conn: sqlite3.Connection) -> int:
        generation = self._meta_of(conn, "generation") or ""
        known = self._doc_total_cache
        if known is None or known[0] != generation:
            known = self._doc_total_cache = (generation, self.doc_count())
        return known[1]

    def country(self, key: str) -> str | None:
        """The stored spelling of a country, if any trial is in it."""
        with self.reading() as conn:
            row = conn.execute(
                "SELECT label FROM search_values WHERE facet = 'country' AND norm = ?"
                " AND EXISTS (SELECT 1 FROM search_facets f WHERE f.fv = search_values.fv)",
                (country_key(key),),
            ).fetchone()
        return str(row[0]) if row else None

    # --- querying ------------------------------------------------------------------------------

    def execute(self, request: Request) -> Page:
        # One read transaction (this thread's own connection): the arrays, the matches and the
        # summaries are of one generation, and other threads' searches run beside this one.
        with self.reading() as conn:
            budget = _Budget(request.budget_s)
            if request.budget_s is not None:
                # SQLite calls back every few thousand steps; past the budget the query is stopped.
                conn.set_progress_handler(budget.spent, _BUDGET_STEPS)
            try:
                generation = self._meta_of(conn, "generation") or ""
                cache_key = (generation, *request.hits_key(), tuple(request.facets), request.facet_limit)
                with self._state_lock:
                    cached = self._cache.get(cache_key)
                    ranking = self._ranking
                if cached is not None:
                    # The total and facets of the first page serve the next ones.
                    request = replace(request, facets=[])
                run = Run(conn, lambda: self._load_arrays(conn, generation), request, generation, ranking)
                page, ranking = run.page()
                with self._state_lock:
                    self._ranking = ranking
                    if cached is not None:
                        page.total, page.facets = cached
                    elif self.cache_size > 0:
                        if len(self._cache) >= self.cache_size:
                            self._cache.pop(next(iter(self._cache)))
                        self._cache[cache_key] = (page.total, page.facets)
                return page
            except sqlite3.OperationalError as exc:
                if budget.stopped:
                    raise QueryCostError(
                        f"the query took longer than its {request.budget_s:g} s budget; "
                        "use fewer or more specific words"
                    ) from exc
                # Every term reaches FTS5 quoted, so this is a query FTS5 still cannot run; say so
                # without showing SQL.
                raise QueryError(f"the search could not be run ({exc}); simplify the query") from exc
            finally:
                if request.budget_s is not None:
                    conn.set_progress_handler(None, 0)

    def _load_arrays(self, conn: sqlite3.Connection, generation: str) -> DocArrays:
        arrays = self._arrays
        if arrays is not None and arrays.generation == generation:
            return arrays
        # One thread reads them; the others of this generation wait and take its arrays.
        with self._arrays_lock:
            arrays = self._arrays
            if arrays is None or arrays.generation != generation:
                self._arrays = None  # the old generation's arrays go before the new ones are read
                arrays = self._arrays = DocArrays.load(conn, generation)
            return arrays

    def clear_cache(self) -> None:
        """Forget kept totals, facets, rankings and expansion look-ups (benchmarks: every query pays
        its own way)."""
        with self._state_lock:
            self._cache.clear()
            self._ranking = None
            self._memo = ("", {})

    @contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        """One snapshot of the index across several calls of this thread, e.g. a page and its
        snippets: doc numbers are only meaningful within one generation. Yields the connection."""
        with self._connections.read() as conn:
            yield conn

    def snippets(self, match: str, docs: Sequence[int], tokens: int = 24) -> dict[int, str]:
        """Per doc, the best stretch of its text with matched terms between \\x02 and \\x03."""
        if not docs:
            return {}
        with self.reading() as conn:
            try:
                rows = conn.execute(
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
        with self.reading() as conn:
            for chunk in _chunks(list(docs)):
                sql = f"SELECT doc, text FROM search_text WHERE doc IN ({_marks(len(chunk))})"
                for number, blob in conn.execute(sql, chunk):
                    texts = orjson.loads(zlib.decompress(blob))
                    text = " ".join((texts[summary] or texts[description]).split())
                    found[int(number)] = text[:chars] + ("…" if len(text) > chars else "")
        return found

    def score(self, match: str, docs: Sequence[int] | None, weights: dict[str, float]) -> dict[int, float]:
        """BM25 (negated: higher is better) of every matching doc, or of the given ones; absent docs
        did not match. (FTS5 scores the whole match either way: a rowid list is a filter after it.)"""
        weight_sql = ", ".join(repr(float(weights.get(c, 1.0))) for c in COLUMNS)
        sql = f"SELECT rowid, bm25(search_fts, {weight_sql}) FROM search_fts WHERE search_fts MATCH ?"
        wanted = None if docs is None else set(docs)
        with self.reading() as conn:
            rows = conn.execute(sql, (match,))
            return {int(n): -float(s) for n, s in rows if wanted is None or int(n) in wanted}

    def docs_of(self, keys: Sequence[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        with self.reading() as conn:
            for chunk in _chunks(list(keys)):
                found.update(
                    (str(k), int(n))
                    for k, n in conn.execute(
                        f"SELECT key, doc FROM search_docs WHERE key IN ({_marks(len(chunk))})", chunk
                    )
                )
        return found


def _chunks(items: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _marks(count: int) -> str:
    return ", ".join("?" * count)


__all__ = ["WEIGHTS", "BuildReport", "Page", "Request", "SearchIndex"]
