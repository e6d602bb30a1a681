"""The search index of a PostgreSQL store, in the store's own database: nothing kept per process.

:class:`PostgresSearchIndex` fills the same seam as the SQLite index (:class:`SearchIndex`: ``sync``,
``execute``, ``snippets``, ``briefs``, the lexicon look-ups expansions make, ``score``), so
:func:`trialatlas.search.search`, the matcher and every interface run unchanged on it. Every server
process on the database reads the same tables; a process keeps only small caches keyed by the index's
generation (a random token every write sets, read from the database), so a write through one
process shows in the next search of every other.

Tables (``search_*``, beside the store's):

- ``search_docs``: one row per trial: doc number (kept for as long as the trial is; cursors hold it),
  filter and sort columns, the result summary, the texts of each column of
  :data:`~trialatlas.search.query.COLUMNS`, a weighted ``tsvector`` (A title; B conditions and
  interventions; C summary and sponsors; D the rest) and one vector per field prefix, each with a
  GIN index;
- ``search_values``: each facet value once; a trial's values are the array ``search_docs.fvs``
  (GIN-indexed), so counting the facets of a query reads only the matching rows;
- ``search_learned`` / ``search_drugs``: what expansions look up (abbreviations and MeSH names
  learned per trial; the packaged drug vocabulary);
- ``search_meta``: layout version, the change number reached, the generation.

Searching is SQL: the compiled query becomes ``tsquery`` conditions (:mod:`.postgres_query`),
filters are overlaps with the row's facet values (``fvs && …``) or column comparisons, totals are
``count(*)``, facets are grouped counts of the matching rows' values, ranking is ``ts_rank_cd`` with
the column weights, cursors are keyset conditions on (score, doc) or (value, doc), and headlines
(``ts_headline``) are made for the shown hits only.

Writes (catching up with the store's change feed) run in one transaction under an advisory lock, so
two processes never apply the same changes; a process that finds the lock taken searches the index
as it is and catches up on its next search.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import orjson
import psycopg
from psycopg import errors as pg_errors
from psycopg_pool import ConnectionPool

from trialatlas.errors import QueryCostError, QueryError, StoreError
from trialatlas.search.document import SNIPPET_SOURCE_CHARS, Document, make_document
from trialatlas.search.execute import Page, Request
from trialatlas.search.facets import FACETS, country_key, value_key
from trialatlas.search.index import COMMON_MIN_DOCS, COMMON_SHARE, BuildReport, SearchIndex
from trialatlas.search.index_schema import token
from trialatlas.search.postgres_query import Sql, Translated, translate
from trialatlas.search.postgres_schema import (
    HEADLINE,
    PG_DOC_COLUMNS,
    PG_INDEX_SCHEMA,
    RANGE_COLUMNS,
    RANK_NORMALISATION,
    SCHEMA,
    SORT_COLUMNS,
    TABLES,
    VECTOR_COLUMNS,
    label_weights,
    vector_sql,
)
from trialatlas.search.query import COLUMNS
from trialatlas.search.synonyms import drug_rows
from trialatlas.store import TrialStore

BATCH = 500
# Connections one process keeps to the database for searching (threads beyond wait for one).
POOL_SIZE = 8
# An advisory lock apart from the store's writer lock: catching up never waits for an ingest.
_INDEX_LOCK = 0x7365_6172_6368  # "search"
# Accents folded like FTS5's remove_diacritics, where the unaccent extension can be had.
_CONFIG, _FALLBACK_CONFIG = "trialatlas_search", "english"
_MEMO_SIZE = 50_000
_CACHE_SIZE = 64


def top_values(
    counted: list[tuple[str, str, int]], name: str, limit: int, selected: set[str]
) -> list[tuple[str, int]]:
    """The ``limit`` most frequent ``(label, key, count)`` of a facet (and any selected one), in the
    facet's own order (as :meth:`DocArrays.top <trialatlas.search.arrays.DocArrays.top>` lists them)."""
    ranked = sorted(
        ((label, count, key) for label, key, count in counted if count), key=lambda i: (-i[1], i[0])
    )
    kept = [(label, count) for label, count, _ in ranked[:limit]]
    kept += [(label, count) for label, count, key in ranked[limit:] if key in selected]
    sort_key = FACETS[name].sort_key if name in FACETS else None
    if sort_key is not None:
        kept.sort(key=lambda item: sort_key(item[0]))
    return kept


class PostgresSearchIndex(SearchIndex):
    """Full-text search in the store's PostgreSQL database; see the module docstring.

    A subclass of :class:`SearchIndex` for its seam only: it shares none of the SQLite machinery."""

    schema = PG_INDEX_SCHEMA
    kept_by_writes = True

    def __init__(self, url: str, *, location: str | None = None, pool_size: int = POOL_SIZE) -> None:
        # The SQLite index's state is not set up: every method it would read is overridden here.
        self.location = location or url
        self._url = url
        self._pool = ConnectionPool(
            url,
            min_size=1,
            max_size=pool_size,
            kwargs={"autocommit": True},
            open=True,
            name="trialatlas-search",
        )
        self._local = threading.local()
        self._state_lock = threading.Lock()
        self._memo: tuple[str, dict[tuple[str, str], Any]] = ("", {})
        self._cache: dict[tuple[Any, ...], tuple[int, dict[str, list[tuple[str, int]]]]] = {}
        self._prepared = False
        self._config = _FALLBACK_CONFIG
        self.cache_size = _CACHE_SIZE

    def close(self) -> None:
        self._pool.close()

    # --- connections -------------------------------------------------------------------------

    @contextmanager
    def reading(self) -> Iterator[Any]:
        """One snapshot of the index across several calls of this thread (a page, then its
        headlines): doc numbers and the generation stay those of one state of the database."""
        held = getattr(self._local, "conn", None)
        if held is not None:
            yield held
            return
        self._prepare()
        with self._pool.connection() as conn:
            # One statement opens the snapshot (psycopg's transaction() would add a second to set it).
            conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            self._local.conn = conn
            try:
                yield conn
            finally:
                self._local.conn = None
                if not conn.closed:
                    conn.execute("ROLLBACK")  # read only: nothing to keep

    @contextmanager
    def _one(self) -> Iterator[psycopg.Connection[Any]]:
        """This thread's snapshot when it holds one (:meth:`reading`), else a connection whose
        statements each see the latest state (a look-up of one statement needs no transaction)."""
        held = getattr(self._local, "conn", None)
        if held is not None:
            yield held
            return
        self._prepare()
        with self._pool.connection() as conn:
            yield conn

    @contextmanager
    def _writing(self, *, wait: bool) -> Iterator[psycopg.Connection[Any] | None]:
        """One write transaction under the index's lock, with a new generation; ``None`` (nothing
        written) when ``wait`` is false and another process holds the lock."""
        self._prepare()
        with self._pool.connection() as conn, conn.transaction():
            if wait:
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (_INDEX_LOCK,))
            else:
                row = conn.execute("SELECT pg_try_advisory_xact_lock(%s)", (_INDEX_LOCK,)).fetchone()
                if not row or not row[0]:
                    yield None
                    return
            yield conn
            self._put_meta(conn, "generation", token())
        with self._state_lock:
            self._cache.clear()

    def _prepare(self) -> None:
        """Create the tables (once per database and layout version) and learn the configuration."""
        if self._prepared:
            return
        try:
            with self._pool.connection() as conn:
                meta = self._meta_rows(conn)
                if meta.get("tables") != str(PG_INDEX_SCHEMA):
                    with conn.transaction():
                        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_INDEX_LOCK,))
                        conn.execute(SCHEMA[0])
                        meta = self._meta_rows(conn)
                        if meta.get("tables") != str(PG_INDEX_SCHEMA):
                            self._create(conn)
                            meta = self._meta_rows(conn)
                self._config = meta.get("config", _FALLBACK_CONFIG)
        except psycopg.Error as exc:
            raise StoreError(f"{self.location}: cannot open the search index: {exc}") from exc
        self._prepared = True

    def _create(self, conn: psycopg.Connection[Any]) -> None:
        for table in TABLES:
            conn.execute(f"DROP TABLE IF EXISTS {table} CASCADE")
        conn.execute("DELETE FROM search_meta")
        for statement in SCHEMA[1:]:
            conn.execute(statement)
        self._put_meta(conn, "config", self._create_config(conn))
        self._put_meta(conn, "tables", PG_INDEX_SCHEMA)
        self._put_meta(conn, "generation", token())
        rows: dict[tuple[str, str], bool] = {}
        for name, generic, brand in drug_rows():
            rows.setdefault((name, generic), bool(brand))
        with conn.cursor().copy("COPY search_drugs (name, generic, brand) FROM STDIN") as copy:
            for (name, generic), brand in rows.items():
                copy.write_row((name, generic, brand))

    @staticmethod
    def _create_config(conn: psycopg.Connection[Any]) -> str:
        """English stemming with accents folded (``unaccent``, a trusted extension), else plain English."""
        try:
            with conn.transaction():
                conn.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
                exists = conn.execute(
                    "SELECT 1 FROM pg_ts_config c JOIN pg_namespace n ON n.oid = c.cfgnamespace"
                    " WHERE c.cfgname = %s AND n.nspname = current_schema()",
                    (_CONFIG,),
                ).fetchone()
                if not exists:
                    conn.execute(f"CREATE TEXT SEARCH CONFIGURATION {_CONFIG} (COPY = english)")
                    conn.execute(
                        f"ALTER TEXT SEARCH CONFIGURATION {_CONFIG} ALTER MAPPING FOR"
                        " hword, hword_part, word WITH unaccent, english_stem"
                    )
            return _CONFIG
        except psycopg.Error:
            return _FALLBACK_CONFIG

    # --- state -------------------------------------------------------------------------------

    @staticmethod
    def _meta_rows(conn: psycopg.Connection[Any]) -> dict[str, str]:
        exists = conn.execute("SELECT to_regclass('search_meta') IS NOT NULL").fetchone()
        if not exists or not exists[0]:
            return {}
        return {str(n): str(v) for n, v in conn.execute("SELECT name, value FROM search_meta")}

    @staticmethod
    def _put_meta(conn: psycopg.Connection[Any], name: str, value: object) -> None:
        conn.execute(
            "INSERT INTO search_meta (name, value) VALUES (%s, %s)"
            " ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            (name, str(value)),
        )

    def _meta(self, name: str) -> str | None:
        with self._one() as conn:
            row = conn.execute("SELECT value FROM search_meta WHERE name = %s", (name,)).fetchone()
        return str(row[0]) if row else None

    def doc_count(self) -> int:
        with self._one() as conn:
            row = conn.execute("SELECT count(*) FROM search_docs").fetchone()
        return int(row[0]) if row else 0

    def size_bytes(self) -> int:
        with self._one() as conn:
            row = conn.execute(
                "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c"
                " JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE n.nspname = current_schema() AND c.relkind = 'r' AND c.relname LIKE 'search\\_%'"
            ).fetchone()
        return int(row[0]) if row else 0

    def clear_cache(self, *, lookups: bool = True) -> None:
        with self._state_lock:
            self._cache.clear()
            if lookups:
                self._memo = ("", {})

    # --- building ----------------------------------------------------------------------------

    def rebuild(self, store: TrialStore, on_progress: Callable[[int], None] | None = None) -> BuildReport:
        """Index every trial of ``store`` afresh, in one transaction: searches meanwhile (in any
        process) read the old index, then the new one."""
        started = time.perf_counter()
        with self._writing(wait=True) as conn:
            assert conn is not None
            count = self._fill(conn, store, on_progress)
        return BuildReport(count, time.perf_counter() - started, self.size_bytes())

    def _fill(
        self, conn: psycopg.Connection[Any], store: TrialStore, on_progress: Callable[[int], None] | None
    ) -> int:
        seq, _ = store.changes_since(0)
        conn.execute("DELETE FROM search_docs")
        conn.execute("DELETE FROM search_values")
        count = 0
        batch: list[Document] = []
        for trial in store.iter_trials():
            batch.append(make_document(trial))
            if len(batch) >= BATCH:
                count += self._upsert(conn, batch)
                batch.clear()
                if on_progress is not None:
                    on_progress(count)
        count += self._upsert(conn, batch)
        self._put_meta(conn, "schema", PG_INDEX_SCHEMA)
        self._put_meta(conn, "last_seq", seq)
        self._put_meta(conn, "build", token())
        return count

    def sync(self, store: TrialStore) -> int:
        """Catch up with the store's change feed; how many trials were re-indexed. Never waits for
        another process's write once the index is built (the next search catches up)."""
        self._prepare()
        with self._pool.connection() as conn:
            meta = self._meta_rows(conn)
        built = meta.get("schema") == str(PG_INDEX_SCHEMA)
        last_seq = int(meta.get("last_seq") or 0)
        if built:
            seq, keys = store.changes_since(last_seq)
            if seq == last_seq and not keys:
                return 0
        try:
            with self._writing(wait=not built) as conn:
                if conn is None:
                    return 0
                meta = self._meta_rows(conn)
                if meta.get("schema") != str(PG_INDEX_SCHEMA):
                    return self._fill(conn, store, None)
                # Read again under the lock: another process may have caught up meanwhile.
                last_seq = int(meta.get("last_seq") or 0)
                seq, keys = store.changes_since(last_seq)
                found: dict[str, Document] = {}
                for start in range(0, len(keys), BATCH):
                    chunk = keys[start : start + BATCH]
                    found.update((t.key, make_document(t)) for t in store.get_many(chunk) if t.key in chunk)
                gone = [key for key in keys if key not in found]
                if gone:
                    conn.execute("DELETE FROM search_docs WHERE key = ANY(%s)", (gone,))
                self._upsert(conn, list(found.values()))
                self._put_meta(conn, "last_seq", seq)
                return len(keys)
        except pg_errors.InsufficientPrivilege:
            # A reader role: the index is kept current by the account that writes the store.
            return 0

    def _upsert(self, conn: psycopg.Connection[Any], docs: list[Document]) -> int:
        if not docs:
            return 0
        names = [*PG_DOC_COLUMNS, *VECTOR_COLUMNS]
        # The facet values are set afresh below, for the trials that have any.
        updates = ", ".join(f"{name} = excluded.{name}" for name in names[1:]) + ", fvs = '{}'"
        values = ", ".join(f"%({name})s" for name in PG_DOC_COLUMNS)
        statement = (
            f"INSERT INTO search_docs ({', '.join(names)}) VALUES ({values}, {vector_sql(self._config)})"
            f" ON CONFLICT (key) DO UPDATE SET {updates} RETURNING doc"
        )
        rows = []
        for doc in docs:
            row: dict[str, Any] = {
                "key": doc.key,
                "nct_id": doc.nct_id,
                "is_partial": doc.is_partial,
                "status": doc.status,
                "study_type": doc.study_type,
                "start_date": doc.start_date,
                "completion_date": doc.completion_date,
                "last_update": doc.last_update,
                "enrollment": doc.enrollment,
                "min_age": doc.min_age,
                "max_age": doc.max_age,
                "ages_known": doc.ages_known,
                "summary": orjson.dumps(doc.summary).decode(),
                "texts": list(doc.texts),
            }
            row.update((f"text_{column}", text) for column, text in zip(COLUMNS, doc.texts, strict=True))
            rows.append(row)
        cursor = conn.cursor()
        cursor.executemany(statement, rows, returning=True)
        numbers: list[int] = []
        while True:
            found = cursor.fetchone()
            assert found is not None
            numbers.append(int(found[0]))
            if not cursor.nextset():
                break
        conn.execute("DELETE FROM search_learned WHERE doc = ANY(%s)", (numbers,))
        pairs = {(facet, value_key(facet, label)): label for doc in docs for facet, label in doc.facets}
        if pairs:
            cursor.executemany(
                "INSERT INTO search_values (facet, norm, label) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
                [(facet, key, label) for (facet, key), label in pairs.items()],
            )
        facet_rows = [
            (number, facet, value_key(facet, label))
            for number, doc in zip(numbers, docs, strict=True)
            for facet, label in doc.facets
        ]
        if facet_rows:
            conn.execute(
                "UPDATE search_docs d SET fvs = h.fvs FROM (SELECT r.doc, array_agg(DISTINCT v.fv) AS fvs"
                " FROM unnest(%s::bigint[], %s::text[], %s::text[]) AS r(doc, facet, norm)"
                " JOIN search_values v ON v.facet = r.facet AND v.norm = r.norm GROUP BY r.doc) h"
                " WHERE d.doc = h.doc",
                ([r[0] for r in facet_rows], [r[1] for r in facet_rows], [r[2] for r in facet_rows]),
            )
        learned = [
            (number, kind, key, alt)
            for number, doc in zip(numbers, docs, strict=True)
            for kind, key, alt in doc.learned
        ]
        if learned:
            with cursor.copy("COPY search_learned (doc, kind, key, alt) FROM STDIN") as copy:
                for learned_row in learned:
                    copy.write_row(learned_row)
        return len(docs)

    # --- what expansions need ------------------------------------------------------------------

    def _lexicon_memo(self, conn: psycopg.Connection[Any]) -> dict[tuple[str, str], Any]:
        row = conn.execute("SELECT value FROM search_meta WHERE name = 'generation'").fetchone()
        generation = str(row[0]) if row else ""
        with self._state_lock:
            if self._memo[0] != generation or len(self._memo[1]) > _MEMO_SIZE:
                self._memo = (generation, {})
            return self._memo[1]

    def learned(self, keys: Sequence[str]) -> dict[str, list[tuple[str, str, int]]]:
        wanted_all = list(dict.fromkeys(keys))
        with self._one() as conn:
            memo = self._lexicon_memo(conn)
            wanted = [key for key in wanted_all if ("learned", key) not in memo]
            fetched: dict[str, list[tuple[str, str, int]]] = {key: [] for key in wanted}
            if wanted:
                for key, kind, alt, count in conn.execute(
                    "SELECT key, kind, alt, count(*) FROM search_learned WHERE key = ANY(%s)"
                    " GROUP BY key, kind, alt",
                    (wanted,),
                ):
                    fetched[str(key)].append((str(kind), str(alt), int(count)))
            for key, rows in fetched.items():
                rows.sort(key=lambda row: (-row[2], row[1]))
                memo[("learned", key)] = rows
            found = {key: memo.get(("learned", key), fetched.get(key, [])) for key in wanted_all}
        return {key: list(rows) for key, rows in found.items() if rows}

    def drugs(self, keys: Sequence[str]) -> dict[str, list[str]]:
        wanted = list(dict.fromkeys(k for k in keys if len(k) >= 4))
        if not wanted:
            return {}
        found: dict[str, list[str]] = {}
        with self._one() as conn:
            generics: dict[str, list[str]] = {}
            for name, generic in conn.execute(
                "SELECT name, generic FROM search_drugs WHERE name = ANY(%s)", (wanted,)
            ):
                generics.setdefault(str(name), []).append(str(generic))
            for key, names in generics.items():
                others: dict[str, None] = dict.fromkeys(g for g in names if g != key)
                for (name,) in conn.execute(
                    "SELECT name FROM search_drugs WHERE generic = ANY(%s) AND name != %s"
                    " ORDER BY array_position(%s::text[], generic), brand DESC",
                    (names, key, names),
                ):
                    others[str(name)] = None
                found[key] = list(others)
        return found

    def _count(self, conn: psycopg.Connection[Any], query: Sql) -> int:
        row = conn.execute(
            f"SELECT count(*) FROM search_docs d WHERE d.tsv @@ {query.text}", query.params
        ).fetchone()
        return int(row[0]) if row else 0

    def cooccurrence(self, phrase: str, context: Sequence[str]) -> int:
        terms = [phrase, *(word for word in context[:6] if word)]
        query = Sql(
            "(" + " && ".join(f"phraseto_tsquery('{self._config}', %s)" for _ in terms) + ")", list(terms)
        )
        with self._one() as conn:
            return self._count(conn, query)

    def is_common(self, word: str) -> bool:
        with self._one() as conn:
            memo = self._lexicon_memo(conn)
            total = memo.get(("total", ""))
            if total is None:
                memo[("total", "")] = total = self.doc_count()
            if total < COMMON_MIN_DOCS:
                return False
            known = memo.get(("common", word))
            if known is None:
                query = Sql(f"phraseto_tsquery('{self._config}', %s)", [word])
                memo[("common", word)] = known = self._count(conn, query) > COMMON_SHARE * total
        return bool(known)

    def country(self, key: str) -> str | None:
        with self._one() as conn:
            row = conn.execute(
                "SELECT label FROM search_values v WHERE facet = 'country' AND norm = %s"
                " AND EXISTS (SELECT 1 FROM search_docs d WHERE d.fvs @> ARRAY[v.fv])",
                (country_key(key),),
            ).fetchone()
        return str(row[0]) if row else None

    # --- querying ------------------------------------------------------------------------------

    def _translated(self, match: str | None) -> Translated | None:
        return translate(match, self._config) if match else None

    def execute(self, request: Request) -> Page:
        with self.reading() as conn:
            try:
                if request.budget_s is not None:
                    conn.execute(
                        "SELECT set_config('statement_timeout', %s, true)",
                        (f"{int(request.budget_s * 1000)}ms",),
                    )
                page = self._execute(conn, request)
                if request.budget_s is not None:
                    conn.execute("SELECT set_config('statement_timeout', '0', true)")
                return page
            except pg_errors.QueryCanceled as exc:
                raise QueryCostError(
                    f"the query took longer than its {request.budget_s:g} s budget; "
                    "use fewer or more specific words"
                ) from exc
            except psycopg.Error as exc:
                raise QueryError(f"the search could not be run ({exc}); simplify the query") from exc

    def _execute(self, conn: psycopg.Connection[Any], request: Request) -> Page:
        row = conn.execute("SELECT value FROM search_meta WHERE name = 'generation'").fetchone()
        generation = str(row[0]) if row else ""
        match = self._translated(request.match)
        cache_key = (generation, *request.hits_key(), tuple(request.facets), request.facet_limit)
        with self._state_lock:
            cached = self._cache.get(cache_key)
        filters = self._filters(conn, request, match)
        where = _and([condition for _, condition in filters])
        if cached is not None:
            total, facets = cached
        else:
            counted = conn.execute(f"SELECT count(*) FROM search_docs d WHERE {where.text}", where.params)
            total = int((counted.fetchone() or (0,))[0])
            facets = self._facets(conn, request, filters)
            with self._state_lock:
                if len(self._cache) >= self.cache_size:
                    self._cache.pop(next(iter(self._cache)))
                self._cache[cache_key] = (total, facets)
        chosen = self._page(conn, request, match, where)
        limit = request.limit
        shown = chosen[:limit]
        summaries = dict(
            conn.execute(
                "SELECT doc, summary FROM search_docs WHERE doc = ANY(%s)", ([n for n, _, _ in shown],)
            )
        )
        rows = [(number, score, str(summaries[number]), value) for number, score, value in shown]
        return Page(rows, total, facets, len(chosen) > limit)

    def _filters(
        self, conn: psycopg.Connection[Any], request: Request, match: Translated | None
    ) -> list[tuple[str | None, Sql]]:
        """Each condition with the facet it selects (``""`` for the query and the ids, ``None`` for a
        range): a selected facet is counted under all the conditions but its own."""
        found: list[tuple[str | None, Sql]] = []
        if match is not None:
            found.append(("", match.where))
        if request.id_keys is not None:
            found.append(("", Sql("d.key = ANY(%s)", [list(request.id_keys)])))
        for facet, keys in request.values.items():
            numbers = [
                int(fv)
                for (fv,) in conn.execute(
                    "SELECT fv FROM search_values WHERE facet = %s AND norm = ANY(%s)", (facet, list(keys))
                )
            ]
            found.append(
                (
                    facet,
                    Sql(
                        "d.fvs && %s::integer[]",
                        [numbers],
                    ),
                )
            )
        for condition in request.ranges:
            if condition.column == "age":
                age = float(condition.value)
                sql = Sql(
                    "(d.ages_known AND (d.min_age IS NULL OR d.min_age <= %s)"
                    " AND (d.max_age IS NULL OR d.max_age >= %s))",
                    [age, age],
                )
            elif condition.column in RANGE_COLUMNS and condition.op in (">=", "<="):
                sql = Sql(f"d.{condition.column} {condition.op} %s", [condition.value])
            else:
                raise QueryError(f"unknown range filter {condition.column}")
            found.append((None, sql))
        return found

    def _rank(self, match: Translated, weights: dict[str, float]) -> Sql:
        return Sql(
            f"-ts_rank_cd(%s::float4[], d.tsv, {match.rank.text}, {RANK_NORMALISATION})::float8",
            [label_weights(weights), *match.rank.params],
        )

    def _page(
        self, conn: psycopg.Connection[Any], request: Request, match: Translated | None, where: Sql
    ) -> list[tuple[int, float, Any]]:
        wanted = request.limit + 1
        after = request.after
        if request.sort == "relevance" and match is not None:
            rank = self._rank(match, request.weights)
            inner = f"SELECT d.doc, {rank.text} AS score FROM search_docs d WHERE {where.text}"
            params: list[Any] = [*rank.params, *where.params]
            keyset = ""
            if after is not None:
                keyset = " WHERE (s.score, s.doc) > (%s::float8, %s)"
                params += [float(after[0]), int(after[1])]
            ranked = conn.execute(
                f"SELECT s.doc, s.score FROM ({inner}) s{keyset} ORDER BY s.score, s.doc LIMIT %s",
                [*params, wanted],
            )
            return [(int(n), float(s), None) for n, s in ranked]
        if request.sort == "relevance":
            keyset, params = "", list(where.params)
            if after is not None:
                keyset, params = " AND d.doc > %s", [*params, int(after[-1])]
            browsed = conn.execute(
                f"SELECT d.doc FROM search_docs d WHERE {where.text}{keyset} ORDER BY d.doc LIMIT %s",
                [*params, wanted],
            )
            return [(int(n), 0.0, None) for (n,) in browsed]
        if request.sort not in SORT_COLUMNS:
            raise QueryError(f"unknown sort {request.sort!r}")
        column = f"d.{request.sort}"
        direction = "DESC" if request.descending else "ASC"
        keyset, params = "", list(where.params)
        if after is not None:
            value, number = after
            if value is None:
                keyset, params = f" AND {column} IS NULL AND d.doc > %s", [*params, int(number)]
            else:
                beyond = "<" if request.descending else ">"
                keyset = f" AND ({column} IS NULL OR {column} {beyond} %s OR ({column} = %s AND d.doc > %s))"
                params += [value, value, int(number)]
        rows = list(
            conn.execute(
                f"SELECT d.doc, {column} FROM search_docs d WHERE {where.text}{keyset}"
                f" ORDER BY {column} IS NULL, {column} {direction}, d.doc LIMIT %s",
                [*params, wanted],
            )
        )
        scores: dict[int, float] = {}
        if match is not None and rows:
            rank = self._rank(match, request.weights)
            scores = {
                int(n): float(s)
                for n, s in conn.execute(
                    f"SELECT d.doc, {rank.text} FROM search_docs d WHERE d.doc = ANY(%s)",
                    [*rank.params, [int(r[0]) for r in rows]],
                )
            }
        return [(int(n), scores.get(int(n), 0.0), v) for n, v in rows]

    def _facets(
        self, conn: psycopg.Connection[Any], request: Request, filters: list[tuple[str | None, Sql]]
    ) -> dict[str, list[tuple[str, int]]]:
        if not request.facets:
            return {}
        found: dict[str, list[tuple[str, int]]] = {}
        plain = [name for name in request.facets if name not in request.values]
        groups: list[tuple[list[str], Sql]] = []
        if plain:
            groups.append((plain, _and([condition for _, condition in filters])))
        for name in request.facets:
            if name in request.values:
                others = _and([condition for facet, condition in filters if facet != name])
                groups.append(([name], others))
        for names, where in groups:
            counted: dict[str, list[tuple[str, str, int]]] = {name: [] for name in names}
            selected = [key for name in names for key in request.values.get(name, [])]
            # Only each facet's first ``facet_limit`` values (by count, then label, as top_values
            # orders them) and the selected ones leave the database: a facet such as city holds
            # thousands of values.
            rows = conn.execute(
                "WITH c AS (SELECT u.fv, count(*) AS n FROM search_docs d, unnest(d.fvs) AS u(fv)"
                f" WHERE {where.text} GROUP BY u.fv),"
                " r AS (SELECT v.facet, v.label, v.norm, c.n, row_number() OVER"
                ' (PARTITION BY v.facet ORDER BY c.n DESC, v.label COLLATE "C") AS k'
                " FROM c JOIN search_values v ON v.fv = c.fv WHERE v.facet = ANY(%s))"
                " SELECT facet, label, norm, n FROM r WHERE k <= %s OR norm = ANY(%s)",
                [*where.params, names, request.facet_limit, selected],
            )
            for facet, label, key, count in rows:
                counted[str(facet)].append((str(label), str(key), int(count)))
            for name in names:
                found[name] = top_values(
                    counted[name], name, request.facet_limit, set(request.values.get(name, []))
                )
        return {name: found.get(name, []) for name in request.facets}

    def snippets(self, match: str, docs: Sequence[int], tokens: int = 24) -> dict[int, str]:
        """Per doc, the best stretch of its texts with the matched terms between \\x02 and \\x03."""
        if not docs:
            return {}
        translated = self._translated(match)
        if translated is None:
            return {}
        options = HEADLINE.format(tokens=tokens, least=max(1, tokens // 3))
        text = (
            "array_to_string(ARRAY(SELECT left(t, %s) FROM unnest(d.texts) WITH ORDINALITY u(t, i)"
            " WHERE t <> '' ORDER BY i), E'\\n')"
        )
        with self._one() as conn:
            rows = conn.execute(
                f"SELECT d.doc, ts_headline('{self._config}', {text}, {translated.rank.text}, %s)"
                " FROM search_docs d WHERE d.doc = ANY(%s)",
                [SNIPPET_SOURCE_CHARS, *translated.rank.params, options, list(docs)],
            )
            # A headline without a match (the trial matched by a vector the text lost) shows the brief.
            return {int(n): str(t) for n, t in rows if t and "\x02" in t}

    def briefs(self, docs: Sequence[int], chars: int = 300) -> dict[int, str]:
        summary, description = COLUMNS.index("summary") + 1, COLUMNS.index("description") + 1
        found: dict[int, str] = {}
        with self._one() as conn:
            for number, first, second in conn.execute(
                f"SELECT doc, texts[{summary}], texts[{description}] FROM search_docs WHERE doc = ANY(%s)",
                (list(docs),),
            ):
                text = " ".join(str(first or second or "").split())
                found[int(number)] = text[:chars] + ("…" if len(text) > chars else "")
        return found

    def score(self, match: str, docs: Sequence[int] | None, weights: dict[str, float]) -> dict[int, float]:
        """Rank (higher is better) of every matching doc, or of the given ones; absent docs did not match."""
        translated = self._translated(match)
        if translated is None:
            return {}
        rank = self._rank(translated, weights)
        where = translated.where
        extra, params = "", [*rank.params, *where.params]
        if docs is not None:
            extra, params = " AND d.doc = ANY(%s)", [*params, list(docs)]
        with self._one() as conn:
            scored = conn.execute(
                f"SELECT d.doc, {rank.text} FROM search_docs d WHERE {where.text}{extra}", params
            )
            return {int(n): -float(s) for n, s in scored}

    def docs_of(self, keys: Sequence[str]) -> dict[str, int]:
        with self._one() as conn:
            return {
                str(k): int(n)
                for k, n in conn.execute(
                    "SELECT key, doc FROM search_docs WHERE key = ANY(%s)", (list(keys),)
                )
            }


def _and(conditions: list[Sql]) -> Sql:
    if not conditions:
        return Sql("TRUE")
    return Sql(" AND ".join(f"({c.text})" for c in conditions), [v for c in conditions for v in c.params])


__all__ = ["PG_INDEX_SCHEMA", "PostgresSearchIndex", "top_values"]
