"""The search index: every stored trial's words in tantivy, with filter columns and facet values.

The words live in a tantivy index (:mod:`~trialatlas.search.engine`: top-k BM25 retrieval, exact
counts) in ``<store file>.search-engine/<build id>``, or in memory for a store without a file. The
rest is in tables (all named ``search_*``), in the store's own SQLite file for a file-backed store,
else in an in-memory database:

- ``search_docs``: one row per trial (its doc number, the key of everything else): filter and sort
  columns;
- ``search_text``: the result summary (JSON) and the searchable texts (JSON in a zlib stream), which
  snippets read for the shown hits only;
- ``search_values`` / ``search_facets``: each distinct facet value once, and which trials hold it;
- ``search_learned``: abbreviations and MeSH names learned per trial (see ``synonyms.py``);
- ``search_drugs``: the packaged drug vocabulary (name → generic name);
- ``search_meta``: the change number of the store the index has caught up with, the random id of
  the build, and the generation: a random token written by every change, which tells cached results
  (arrays, rankings, totals, facets, results) apart and never repeats, whichever process wrote.

Several processes may share the file (a server searching, a command rebuilding): a rebuild writes
new ``search_next_*`` tables batch by batch and a new tantivy index in the folder of its build id,
under a build lock held across processes, commits the words, then swaps the tables in for the live
ones and names its build live in one transaction, so a reader sees the old index or the new one,
never a mix; a build killed midway leaves a folder no reader opens, which the next build removes.
A sync writes the live words and tables (the words first, see :meth:`SearchIndex.sync`).
Reads go through one connection per thread (SQLite's WAL lets readers run beside each other and
beside the writer), so one slow query holds up no other; a write takes the one writer connection.

The index depends on nothing of a store but :class:`~trialatlas.store.TrialStore`: it reads trials and
follows the store's change feed (:meth:`sync`); for a :class:`~trialatlas.store.SqliteStore` it only
uses its ``location``.
"""

from __future__ import annotations

import shutil
import sqlite3
import threading
import time
import weakref
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import orjson

from trialatlas.errors import QueryCostError, QueryError, StoreError
from trialatlas.search import engine
from trialatlas.search.arrays import DocArrays
from trialatlas.search.budget import BUDGET_STEPS, Budget, Stopped
from trialatlas.search.connections import Connections
from trialatlas.search.document import SNIPPET_SOURCE_CHARS, Document, encode_texts, make_document
from trialatlas.search.engine import Engine
from trialatlas.search.execute import Page, Ranking, Request, Run
from trialatlas.search.facets import country_key, value_key
from trialatlas.search.index_schema import (
    DOC_COLUMNS,
    ENGINE_SUFFIX,
    FORMER,
    INDEX_SCHEMA,
    LIVE,
    META,
    STAGING,
    TABLES,
    statements,
    token,
)
from trialatlas.search.memo import MISSING, LookupMemo
from trialatlas.search.query import COLUMNS, WEIGHTS, fts_string
from trialatlas.search.snippets import snippets as cut_snippets
from trialatlas.search.synonyms import drug_rows
from trialatlas.store import TrialStore, derived_path, server_url
from trialatlas.store.compression import decompress
from trialatlas.store.schema import marks, sqlite_chunks

BATCH = 500
# A typed word in more than this share of the trials has (clamped) zero IDF in BM25: it is left out of
# an AND query that has other words, since it would cost the most and change the ranking least.
COMMON_SHARE = 0.5
COMMON_MIN_DOCS = 1000
_MEMO_SIZE = 50_000
# Catching up key by key costs more than rebuilding once this share of the index changed.
REBUILD_SHARE = 0.3


@dataclass
class BuildReport:
    docs: int
    seconds: float
    bytes: int


_indexes: weakref.WeakKeyDictionary[Any, SearchIndex] = weakref.WeakKeyDictionary()
_indexes_lock = threading.Lock()


def _prepare(conn: sqlite3.Connection) -> None:
    """Nothing to set up: the index's SQL needs no functions of its own."""


class SearchIndex:
    """Search over a store's trials: words in tantivy, the rest in tables (see the module docstring)."""

    # The layout version this engine writes; an index of another version is rebuilt.
    schema = INDEX_SCHEMA

    def __init__(self, path: str = ":memory:", *, cache_size: int = 64) -> None:
        self.location = path
        self._connections = Connections(path, _prepare)
        self._state_lock = threading.Lock()
        self._arrays_lock = threading.Lock()
        self._arrays: DocArrays | None = None
        self._ranking: Ranking | None = None
        self._doc_total_cache: tuple[str, int] | None = None
        # What expansions looked up (per term, for one generation): see memo.py.
        self._lookups = LookupMemo(_MEMO_SIZE)
        self._cache: dict[tuple[Any, ...], tuple[int, dict[str, list[tuple[str, int]]]]] = {}
        self.cache_size = cache_size
        # The tantivy index of each build this process has opened (in memory: the only copy).
        self._engines: dict[str, Engine] = {}
        self._engines_lock = threading.Lock()

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
        with self._engines_lock:
            self._engines.clear()

    # --- the words' engine -------------------------------------------------------------------------

    def _engine_root(self) -> Path | None:
        return None if self._connections.shared else Path(self.location + ENGINE_SUFFIX)

    def _engine(self, build: str) -> Engine:
        """The tantivy index of a build (opened once per process)."""
        with self._engines_lock:
            found = self._engines.get(build)
            if found is not None:
                return found
            root = self._engine_root()
            if root is None or not build or not (root / build / "meta.json").exists():
                # Never open (and so create) an empty index in place of one a rebuild removed.
                raise StoreError(f"{self.location}: the search index changed meanwhile; search again")
            for old in [name for name in self._engines if name != build]:
                del self._engines[old]
            found = self._engines[build] = Engine(root / build)
            return found

    def searcher(self, conn: sqlite3.Connection) -> Any:
        """A tantivy searcher of the state ``conn``'s snapshot reads (see :meth:`reading`)."""
        build = self._meta_of(conn, "build") or ""
        return self._engine(build).searcher(self._meta_of(conn, "generation") or "")

    def _staged_engine(self, build: str) -> Engine:
        root = self._engine_root()
        if root is not None:
            # Left by builds that died: the caller holds the build lock, so none is running.
            live = self.build_id
            for folder in root.glob("*") if root.exists() else []:
                if folder.name != live:
                    shutil.rmtree(folder, ignore_errors=True)
        staged = Engine(None if root is None else root / build)
        if root is None:
            with self._engines_lock:
                self._engines[build] = staged
        return staged

    def _retire(self, live: str, previous: str) -> None:
        """Remove the builds before ``previous``: a process that read the previous build's id just
        before the swap may still open it; older ones nobody can."""
        root = self._engine_root()
        if root is None:
            with self._engines_lock:
                for name in [name for name in self._engines if name != live]:
                    del self._engines[name]
            return
        for folder in root.glob("*") if root.exists() else []:
            if folder.name not in {live, previous}:
                shutil.rmtree(folder, ignore_errors=True)

    # --- state -------------------------------------------------------------------------------

    def _meta_of(self, conn: sqlite3.Connection, name: str) -> str | None:
        """A meta row as ``conn`` sees it; read once per read snapshot (a search asks for the
        generation and the build a dozen times), on every call on the writer."""
        memo = self._connections.memo(conn)
        if memo is None:
            return self._read_meta(conn).get(name)
        meta = memo.get("meta")
        if meta is None:
            meta = memo["meta"] = self._read_meta(conn)
        return meta.get(name)

    @staticmethod
    def _read_meta(conn: sqlite3.Connection) -> dict[str, str]:
        try:
            return {
                str(name): str(value) for name, value in conn.execute("SELECT name, value FROM search_meta")
            }
        except sqlite3.OperationalError:
            return {}

    def _meta(self, name: str) -> str | None:
        with self.reading() as conn:
            return self._meta_of(conn, name)

    # Whether every write of the store brings this index up to date itself (its derived-data step), so
    # that a request only reads it: true of an index in a PostgreSQL store's database, shared by every
    # process; an index in a file is caught up by whoever opens it first after a write.
    kept_by_writes = False

    def is_built(self) -> bool:
        return self._meta("schema") == str(self.schema)

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
            self._set_meta(conn, "generation", token())
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
            build = token()
            previous = self.build_id
            seq, _ = store.changes_since(0)
            staged = self._staged_engine(build)
            writer = staged.writer(engine.BUILD_HEAP, 0)
            with self._connections.write() as conn:
                for statement in FORMER:
                    conn.execute(statement)
                self._drop_staging(conn)
                for statement in statements(STAGING, build, indexes=False):
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
                        count += _index_words(writer, self._insert(conn, batch, values, STAGING))
                    batch.clear()
                    if on_progress is not None:
                        on_progress(count)
            with self._connections.write() as conn:
                count += _index_words(writer, self._insert(conn, batch, values, STAGING))
            # One short transaction each: a writer meanwhile waits for one index, not for all.
            for statement in statements(STAGING, build, indexes=True):
                with self._connections.write() as conn:
                    conn.execute(statement)
            # Written whole before the swap names it: a build killed before this point leaves a
            # folder no reader opens (the next build removes it).
            writer.commit()
            writer.wait_merging_threads()
            del writer
            with self._write() as live:
                assert live is not None
                self._swap(live, build, seq)
            self._retire(build, previous)
        return BuildReport(count, time.perf_counter() - started, self.size_bytes())

    @staticmethod
    def _drop_staging(conn: sqlite3.Connection) -> None:
        """Drop what a build that died left (the caller holds the build lock: no build is running)."""
        for table in TABLES:
            conn.execute(f"DROP TABLE IF EXISTS {STAGING}{table}")

    def _swap(self, conn: sqlite3.Connection, build: str, seq: int) -> None:
        for table in TABLES:
            conn.execute(f"DROP TABLE IF EXISTS {LIVE}{table}")
        for table in TABLES:
            conn.execute(f"ALTER TABLE {STAGING}{table} RENAME TO {LIVE}{table}")
        conn.execute(META)
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
            added = self._insert(live, list(found.values()), None, LIVE)
            # The words are committed before the tables (whose commit publishes the change): a
            # kill in between leaves the words ahead, and the next sync, deleting by key before it
            # adds, applies the same change again. Meanwhile a search drops hits it has no row for.
            words = self._engine(self._meta_of(live, "build") or "")
            writer = words.writer(engine.SYNC_HEAP)
            engine.delete(writer, keys)
            _index_words(writer, added)
            writer.commit()
            del writer
            self._set_meta(live, "last_seq", seq)
        return len(keys)

    def _insert(
        self,
        conn: sqlite3.Connection,
        docs: list[Document],
        values: dict[tuple[str, str], int] | None,
        prefix: str,
    ) -> list[tuple[int, Document]]:
        """Writes the docs' rows; each doc with the number it was given."""
        if not docs:
            return []
        insert = f"INSERT INTO {prefix}docs ({', '.join(DOC_COLUMNS)}) VALUES ({marks(len(DOC_COLUMNS))})"
        numbered: list[tuple[int, Document]] = []
        facet_rows: list[tuple[int, int]] = []
        learned_rows: list[tuple[int, str, str, str]] = []
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
            numbered.append((number, doc))
            for facet, label in doc.facets:
                facet_rows.append((number, self._value_id(conn, facet, label, values, prefix)))
            learned_rows.extend((number, kind, key, alt) for kind, key, alt in doc.learned)
        conn.executemany(f"INSERT INTO {prefix}text (doc, summary, text) VALUES (?, ?, ?)", text_rows)
        conn.executemany(f"INSERT OR IGNORE INTO {prefix}facets (doc, fv) VALUES (?, ?)", facet_rows)
        conn.executemany(
            f"INSERT INTO {prefix}learned (doc, kind, key, alt) VALUES (?, ?, ?, ?)", learned_rows
        )
        return numbered

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
        for chunk in sqlite_chunks(list(keys)):
            rows = conn.execute(
                f"SELECT doc FROM search_docs WHERE key IN ({marks(len(chunk))})", chunk
            ).fetchall()
            numbers = [(number,) for (number,) in rows]
            conn.executemany("DELETE FROM search_facets WHERE doc = ?", numbers)
            conn.executemany("DELETE FROM search_learned WHERE doc = ?", numbers)
            conn.executemany("DELETE FROM search_text WHERE doc = ?", numbers)
            conn.executemany("DELETE FROM search_docs WHERE doc = ?", numbers)

    def size_bytes(self) -> int:
        """Bytes the index takes: its tables and the words' tantivy index."""
        with self.reading() as conn:
            root = self._engine_root()
            build = self._meta_of(conn, "build") or ""
            words = 0
            if root is not None and build and (root / build).is_dir():
                words = sum(path.stat().st_size for path in (root / build).rglob("*") if path.is_file())
            try:
                row = conn.execute(
                    "SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name LIKE 'search%'"
                ).fetchone()
                return int(row[0]) + words
            except sqlite3.OperationalError:
                page = conn.execute("PRAGMA page_size").fetchone()[0]
                return int(page) * int(conn.execute("PRAGMA page_count").fetchone()[0]) + words

    # --- what expansions need ------------------------------------------------------------------

    def _generation_of(self, conn: sqlite3.Connection) -> str:
        return self._meta_of(conn, "generation") or ""

    def learned(self, keys: Sequence[str]) -> dict[str, list[tuple[str, str, int]]]:
        with self.reading() as conn:
            generation = self._generation_of(conn)
            found: dict[str, list[tuple[str, str, int]]] = {}
            for key in dict.fromkeys(keys):
                known = self._lookups.get(generation, ("learned", key))
                if known is not MISSING:
                    found[key] = known
            wanted = [key for key in dict.fromkeys(keys) if key not in found]
            fetched: dict[str, list[tuple[str, str, int]]] = {key: [] for key in wanted}
            for chunk in sqlite_chunks(wanted):
                rows = conn.execute(
                    f"SELECT key, kind, alt, count(*) FROM search_learned WHERE key IN ({marks(len(chunk))})"
                    " GROUP BY key, kind, alt",
                    chunk,
                )
                for key, kind, alt, count in rows:
                    fetched[key].append((kind, alt, int(count)))
            for key, rows_of_key in fetched.items():
                rows_of_key.sort(key=lambda row: (-row[2], row[1]))
                self._lookups.put(generation, ("learned", key), rows_of_key)
                found[key] = rows_of_key
        return {key: list(found[key]) for key in dict.fromkeys(keys) if found[key]}

    def drugs(self, keys: Sequence[str]) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        with self.reading() as conn:
            generation = self._generation_of(conn)
            wanted: list[str] = []
            for key in dict.fromkeys(k for k in keys if len(k) >= 4):
                known = self._lookups.get(generation, ("drugs", key))
                if known is MISSING:
                    wanted.append(key)
                elif known:
                    found[key] = list(known)
            for chunk in sqlite_chunks(wanted):
                generics: dict[str, list[str]] = {}
                for name, generic in conn.execute(
                    f"SELECT name, generic FROM search_drugs WHERE name IN ({marks(len(chunk))})", chunk
                ):
                    generics.setdefault(name, []).append(generic)
                for key in chunk:
                    others: dict[str, None] = {}
                    names = generics.get(key, [])
                    others.update(dict.fromkeys(g for g in names if g != key))
                    for generic in names:
                        for (name,) in conn.execute(
                            "SELECT name FROM search_drugs WHERE generic = ? AND name != ?"
                            " ORDER BY brand DESC",
                            (generic, key),
                        ):
                            others[name] = None
                    self._lookups.put(generation, ("drugs", key), tuple(others) if names else ())
                    if names:
                        found[key] = list(others)
        return found

    def cooccurrence(self, phrase: str, context: Sequence[str]) -> int:
        terms = [fts_string(phrase), *(fts_string(word) for word in context[:6] if word)]
        expression = " AND ".join(terms)
        with self.reading() as conn:
            if self._meta_of(conn, "schema") != str(INDEX_SCHEMA):
                return 0
            generation = self._generation_of(conn)
            known = self._lookups.get(generation, ("cooccurrence", expression))
            if known is not MISSING:
                return int(known)
            query, _ = engine.translate(expression, WEIGHTS)
            found = engine.count(self.searcher(conn), query)
            self._lookups.put(generation, ("cooccurrence", expression), found)
        return found

    def is_common(self, word: str) -> bool:
        """Whether a word is in more than :data:`COMMON_SHARE` of the trials (BM25 gives it no weight)."""
        with self.reading() as conn:
            total = self._doc_total(conn)
            if total < COMMON_MIN_DOCS:
                return False
            generation = self._generation_of(conn)
            known = self._lookups.get(generation, ("common", word))
            if known is not MISSING:
                return bool(known)
            query, _ = engine.translate(fts_string(word), WEIGHTS)
            found = engine.count(self.searcher(conn), query)
            common = found > COMMON_SHARE * total
            self._lookups.put(generation, ("common", word), common)
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
            budget = Budget(request.budget_s)
            if request.budget_s is not None:
                # SQLite calls back every few thousand steps; past the budget the query is stopped.
                conn.set_progress_handler(budget.spent, BUDGET_STEPS)
            try:
                generation = self._meta_of(conn, "generation") or ""
                searcher = self.searcher(conn) if request.match is not None else None
                cache_key = (generation, *request.hits_key(), tuple(request.facets), request.facet_limit)
                with self._state_lock:
                    cached = self._cache.get(cache_key)
                    ranking = self._ranking
                if cached is not None:
                    # The total and facets of the first page serve the next ones.
                    request = replace(request, facets=[])
                kept = self._arrays
                run = Run(
                    conn,
                    lambda: self._load_arrays(conn, generation),
                    request,
                    generation,
                    ranking,
                    searcher,
                    budget.check,
                    arrays_kept=kept is not None and kept.generation == generation,
                )
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
            except (sqlite3.OperationalError, Stopped) as exc:
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

    def clear_cache(self, *, lookups: bool = True) -> None:
        """Forget kept totals, facets and rankings, and unless ``lookups`` is false the expansions'
        look-ups too (benchmarks: every query pays its own way, with or without a warm lexicon)."""
        with self._state_lock:
            self._cache.clear()
            self._ranking = None
        if lookups:
            self._lookups.clear()

    @contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        """One snapshot of the index across several calls of this thread, e.g. a page and its
        snippets: doc numbers are only meaningful within one generation. Yields the connection."""
        with self._connections.read() as conn:
            yield conn

    def snippets(self, match: str, docs: Sequence[int], tokens: int = 24) -> dict[int, str]:
        """Per doc, the best stretch of its text with matched terms between \\x02 and \\x03: read
        from the stored texts of these docs only (the start of each column)."""
        if not docs:
            return {}
        query, terms = engine.translate(match, WEIGHTS)
        texts: dict[int, list[str]] = {}
        with self.reading() as conn:
            for chunk in sqlite_chunks(list(docs)):
                sql = f"SELECT doc, text FROM search_text WHERE doc IN ({marks(len(chunk))})"
                for number, blob in conn.execute(sql, chunk):
                    texts[int(number)] = [
                        text[:SNIPPET_SOURCE_CHARS] for text in orjson.loads(decompress(blob))
                    ]
            return cut_snippets(self.searcher(conn), query, terms, texts, tokens)

    def briefs(self, docs: Sequence[int], chars: int = 300) -> dict[int, str]:
        """The start of each doc's brief summary (else description): the snippet when nothing matched."""
        found: dict[int, str] = {}
        summary, description = COLUMNS.index("summary"), COLUMNS.index("description")
        with self.reading() as conn:
            for chunk in sqlite_chunks(list(docs)):
                sql = f"SELECT doc, text FROM search_text WHERE doc IN ({marks(len(chunk))})"
                for number, blob in conn.execute(sql, chunk):
                    texts = orjson.loads(decompress(blob))
                    text = " ".join((texts[summary] or texts[description]).split())
                    found[int(number)] = text[:chars] + ("…" if len(text) > chars else "")
        return found

    def score(self, match: str, docs: Sequence[int] | None, weights: dict[str, float]) -> dict[int, float]:
        """BM25 (higher is better) of every matching doc, or of the given ones; absent docs did not
        match."""
        query, _ = engine.translate(match, weights)
        with self.reading() as conn:
            searcher = self.searcher(conn)
            if docs is not None:
                if not docs:
                    return {}
                query = engine.restricted(query, docs)
            numbers, scores, _ = engine.top(searcher, query, max(1, searcher.num_docs))
        return {int(n): -float(s) for n, s in zip(numbers.tolist(), scores.tolist(), strict=True)}

    def docs_of(self, keys: Sequence[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        with self.reading() as conn:
            for chunk in sqlite_chunks(list(keys)):
                found.update(
                    (str(k), int(n))
                    for k, n in conn.execute(
                        f"SELECT key, doc FROM search_docs WHERE key IN ({marks(len(chunk))})", chunk
                    )
                )
        return found


def _index_words(writer: Any, numbered: list[tuple[int, Document]]) -> int:
    """Adds the docs' texts to the words' index (a tantivy writer); how many."""
    for number, doc in numbered:
        engine.add(writer, number, doc.key, doc.texts)
    return len(numbered)


__all__ = [
    "DOC_COLUMNS",
    "ENGINE_SUFFIX",
    "INDEX_SCHEMA",
    "WEIGHTS",
    "BuildReport",
    "Page",
    "Request",
    "SearchIndex",
]
