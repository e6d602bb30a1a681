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
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

import orjson

from trialatlas.errors import QueryCostError, QueryError, StoreError
from trialatlas.search.arrays import DocArrays
from trialatlas.search.document import ColumnReader, Document, encode_texts, make_document
from trialatlas.search.execute import Page, Ranking, Request, Run
from trialatlas.search.facets import country_key, value_key
from trialatlas.search.query import COLUMNS, WEIGHTS, fts_string
from trialatlas.search.synonyms import drug_rows
from trialatlas.store import TrialStore, derived_path

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


class SearchIndex:
    """FTS5 search over a store's trials; see the module docstring for its tables."""

    def __init__(self, path: str = ":memory:", *, cache_size: int = 64) -> None:
        self.location = path
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30.0)
        self._conn.create_function("search_column", 2, ColumnReader(), deterministic=True)
        self._conn.execute("PRAGMA temp_store = MEMORY")
        self._conn.execute("PRAGMA cache_size = -65536")
        self._arrays: DocArrays | None = None
        self._ranking: Ranking | None = None
        self._doc_total_cache: tuple[int, int] | None = None
        self._memo: tuple[int, dict[tuple[str, str], Any]] = (-1, {})
        self._cache: dict[tuple[Any, ...], tuple[int, dict[str, list[tuple[str, int]]]]] = {}
        self.cache_size = cache_size

    @classmethod
    def for_store(cls, store: TrialStore) -> SearchIndex:
        """The index of ``store``: in its SQLite file when it has one, else in memory; one per store."""
        with _indexes_lock:
            index = _indexes.get(store)
            if index is None:
                path = derived_path(store, "")  # the index's tables live in the store's own file
                index = cls(str(path) if path is not None else ":memory:")
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
        # Under the lock throughout: two threads catching up at once would both read the same changes
        # and the second would renumber the trials the first just indexed, under a running search.
        with self._lock:
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

    def _lexicon(self) -> dict[tuple[str, str], Any]:
        """What expansions looked up, kept until the index changes: a query's words recur across
        queries (and within one, as n-grams are tried), and each look-up is a grouped scan."""
        generation = self.generation
        if self._memo[0] != generation or len(self._memo[1]) > _MEMO_SIZE:
            self._memo = (generation, {})
        return self._memo[1]

    def learned(self, keys: Sequence[str]) -> dict[str, list[tuple[str, str, int]]]:
        with self._lock:
            memo = self._lexicon()
            wanted = [key for key in dict.fromkeys(keys) if ("learned", key) not in memo]
            fetched: dict[str, list[tuple[str, str, int]]] = {key: [] for key in wanted}
            for chunk in _chunks(wanted):
                rows = self._conn.execute(
                    f"SELECT key, kind, alt, count(*) FROM search_learned WHERE key IN ({_marks(len(chunk))})"
                    " GROUP BY key, kind, alt",
                    chunk,
                )
                for key, kind, alt, count in rows:
                    fetched[key].append((kind, alt, int(count)))
            for key, rows_of_key in fetched.items():
                rows_of_key.sort(key=lambda row: (-row[2], row[1]))
                memo[("learned", key)] = rows_of_key
            found = {key: memo[("learned", key)] for key in dict.fromkeys(keys)}
        return {key: list(rows) for key, rows in found.items() if rows}

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
            memo = self._lexicon()
            known = memo.get(("common", word))
            if known is not None:
                return bool(known)
            try:
                row = self._conn.execute(
                    "SELECT count(*) FROM search_fts WHERE search_fts MATCH ?", (fts_string(word),)
                ).fetchone()
            except sqlite3.OperationalError:
                return False
            memo[("common", word)] = common = int(row[0]) > COMMON_SHARE * total
        return common

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
            budget = _Budget(request.budget_s)
            if request.budget_s is not None:
                # SQLite calls back every few thousand steps; past the budget the query is stopped.
                conn.set_progress_handler(budget.spent, _BUDGET_STEPS)
            # One read transaction: the arrays, the matches and the summaries are of one generation.
            conn.execute("BEGIN")
            try:
                generation = int(self._meta("generation") or 0)
                cache_key = (generation, *request.hits_key(), tuple(request.facets), request.facet_limit)
                cached = self._cache.get(cache_key)
                if cached is not None:
                    # The total and facets of the first page serve the next ones.
                    request = replace(request, facets=[])
                run = Run(
                    conn, lambda: self._load_arrays(conn, generation), request, generation, self._ranking
                )
                page, self._ranking = run.page()
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
                if conn.in_transaction:
                    conn.execute("COMMIT")

    def _load_arrays(self, conn: sqlite3.Connection, generation: int) -> DocArrays:
        if self._arrays is None or self._arrays.generation != generation:
            self._arrays = None  # the old generation's arrays go before the new ones are read
            self._arrays = DocArrays.load(conn, generation)
        return self._arrays

    def clear_cache(self) -> None:
        """Forget kept totals, facets, rankings and expansion look-ups (benchmarks: every query pays
        its own way)."""
        with self._lock:
            self._cache.clear()
            self._ranking = None
            self._memo = (-1, {})

    @contextmanager
    def reading(self) -> Iterator[None]:
        """Hold the index still (no sync, no other search) across several calls, e.g. a page and its
        snippets: doc numbers are only meaningful within one generation."""
        with self._lock:
            yield

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


def _chunks(items: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _marks(count: int) -> str:
    return ", ".join("?" * count)


__all__ = ["WEIGHTS", "BuildReport", "Page", "Request", "SearchIndex"]
