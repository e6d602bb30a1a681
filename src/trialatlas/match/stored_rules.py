"""Every trial's parsed eligibility criteria and what the matcher ranks it by, made once when the
trial is written and kept.

Parsing a trial's criteria costs milliseconds (hundreds of criteria a second); reading the parsed
rules back costs a tenth of one. Counting a trial's terms for relevance (its words and the condition
concepts its texts name) costs several milliseconds too, for each of the few hundred candidates of a
match. So both are made while the store is written (the derived-data step after an ingest, see
:mod:`trialatlas.services.derived`) and a match only reads them: the term counts and prefilter fields
of its candidates in one query, then the rules of the hundred or so it evaluates.

Tables (named ``derived_*``), in the store's own SQLite file for a file-backed store, in the store's
database for a PostgreSQL store (created by its schema: every server process reads the same rows and
none parses what the ingest parsed), else in an in-memory database for the process:

- ``derived_criteria``: per trial key, the digest of what was parsed and the rules as compressed JSON;
- ``derived_terms``: per trial key, the digest of what was counted and, as compressed JSON, the
  prefilter's fields (:class:`~trialatlas.match.relevance.TrialGate`) and the term counts
  (:class:`~trialatlas.match.relevance.TrialTerms`);
- ``derived_meta``: the table layout's version, the parser's and the term counter's fingerprints, and
  the change number of the store the rows have caught up with.

A row is keyed by the digest of the trial's texts and of the code that made it (its source and
vocabulary files), so a trial whose texts did not change is not parsed again, and a new parser
re-parses every trial once (a new term counter recounts every trial once, without re-parsing). The
change number is written only after every changed trial of the catch-up is stored, each batch in its
own transaction: a catch-up killed midway leaves whole rows and the old change number, and the next one
redoes only the trials whose rows are missing or stale. A match trusts a term row for a trial the
change feed does not name after that number (it does not load the trial to check); the rules it reads
are checked against the loaded trial's digest.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import sqlite3
import threading
import time
import weakref
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from trialatlas.collector import tune_worker
from trialatlas.errors import ReadOnlyStoreError, StoreError
from trialatlas.model import Trial
from trialatlas.store import derived_path, server_url
from trialatlas.store.compression import compress, decompress
from trialatlas.store.sqlite import transaction

if TYPE_CHECKING:
    from concurrent.futures import Executor

    from pydantic import TypeAdapter

    from trialatlas.extract.criteria import ParsedCriterion
    from trialatlas.match.relevance import TrialFields, TrialGate, TrialTerms
    from trialatlas.store.base import TrialStore

# Bumped whenever the tables' layout changes: older tables are dropped and filled again.
RULES_SCHEMA = 1
# Trials read, parsed and written per transaction.
BATCH = 200
# From this many trials to parse on, the parsing runs in worker processes, one per core: it costs
# tens of milliseconds a trial (a whole registry's worth is hours on one core), while starting a
# worker (its vocabularies) costs seconds.
PARALLEL_FROM = 2000

# Made apart from the rules' table (by the writer that first finds it missing, on either backend):
# a store whose rules are current gains it without parsing anything again.
TERMS_TABLE = (
    "CREATE TABLE IF NOT EXISTS derived_terms"
    " (key TEXT PRIMARY KEY, digest TEXT NOT NULL, terms BLOB NOT NULL)"
)
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS derived_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS derived_criteria"
    " (key TEXT PRIMARY KEY, digest TEXT NOT NULL, rules BLOB NOT NULL) WITHOUT ROWID",
    TERMS_TABLE,
)


@cache
def parser_fingerprint() -> str:
    """A digest of the criteria parser's source and vocabulary files: rules parsed by another parser
    are parsed again (the parser is data as much as code)."""
    digest = hashlib.sha256()
    # The package's folder, found without importing it (a command that only checks whether the rules
    # are current must not load the parser).
    root = Path(__file__).resolve().parent.parent / "extract" / "criteria"
    for path in sorted(root.rglob("*")):
        if path.suffix in (".py", ".json", ".txt", ".tsv", ".csv") and "__pycache__" not in path.parts:
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


@cache
def terms_fingerprint() -> str:
    """A digest of what a trial's stored term counts depend on besides its texts: the term counter
    (``match/relevance.py``), the tokenizer and its stop words, and the condition vocabulary (the
    parser's fingerprint covers it)."""
    digest = hashlib.sha256(parser_fingerprint().encode())
    package = Path(__file__).resolve().parent.parent
    for path in (
        package / "match" / "relevance.py",
        package / "text" / "words.py",
        package / "text" / "stop_words.txt",
    ):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def terms_digest(fields: TrialFields, gate: TrialGate) -> str:
    """What a trial's stored term row depends on: its texts, its prefilter fields and the counter."""
    payload = orjson.dumps([fields.about, fields.body, fields.criteria, gate.as_list()])
    return hashlib.blake2b(payload + terms_fingerprint().encode(), digest_size=16).hexdigest()


def criteria_digest(trial: Trial) -> str:
    """What a trial's parsed rules depend on: its criteria texts and the parser."""
    eligibility = trial.eligibility
    payload = orjson.dumps([eligibility.criteria_text, eligibility.inclusion, eligibility.exclusion])
    return hashlib.blake2b(payload + parser_fingerprint().encode(), digest_size=16).hexdigest()


@cache
def _adapter() -> TypeAdapter[list[ParsedCriterion]]:
    from pydantic import TypeAdapter

    from trialatlas.extract.criteria import ParsedCriterion

    return TypeAdapter(list[ParsedCriterion])


def parse_trial(trial: Trial) -> list[ParsedCriterion]:
    from trialatlas.extract.criteria import parse_eligibility

    eligibility = trial.eligibility
    return parse_eligibility(eligibility.criteria_text, eligibility.inclusion, eligibility.exclusion)


# One trial's work: its key, its criteria texts when they are to be parsed, its texts and prefilter
# fields when its terms are to be counted.
_Job = tuple[str, "tuple[str | None, list[str], list[str]] | None", "tuple[TrialFields, TrialGate] | None"]


def encode_terms(gate: TrialGate, terms: TrialTerms) -> bytes:
    return compress(orjson.dumps([gate.as_list(), *terms.as_lists()]), 1)


def decode_terms(blob: bytes) -> tuple[TrialGate, TrialTerms]:
    from trialatlas.match.relevance import TrialGate, TrialTerms

    gate, weighted, about = orjson.loads(decompress(blob))
    return TrialGate.from_list(gate), TrialTerms.from_lists([weighted, about])


def _derive(batch: list[_Job]) -> list[tuple[str, bytes | None, bytes | None]]:
    """A worker's share: each trial's criteria parsed and its terms counted, encoded as they are
    stored (``None`` for what was not asked)."""
    from trialatlas.extract.criteria import parse_eligibility
    from trialatlas.match.relevance import TrialTerms

    adapter = _adapter()
    done: list[tuple[str, bytes | None, bytes | None]] = []
    for key, texts, counted in batch:
        rules = None if texts is None else compress(adapter.dump_json(parse_eligibility(*texts)), 1)
        terms = None if counted is None else encode_terms(counted[1], TrialTerms.of(counted[0]))
        done.append((key, rules, terms))
    return done


def _start_worker(parent: int) -> None:
    """A parsing worker's start: the collector tuned for bulk work, and an end once ``parent`` is gone."""
    tune_worker()
    _exit_with(parent)


def _exit_with(parent: int) -> None:
    """In a parsing worker: end it once the process that started it is gone (an ingest killed
    midway must not leave its workers waiting forever on a queue no one writes to)."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, name="trialatlas-parent-check", daemon=True).start()


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


class CriteriaRules:
    """The parsed criteria of a store's trials, kept beside them (see the module docstring)."""

    # The driver's parameter mark.
    mark = "?"

    def __init__(self, path: str = ":memory:") -> None:
        self.location = path
        self._lock = threading.RLock()
        try:
            self._conn: Any = sqlite3.connect(
                path, isolation_level=None, check_same_thread=False, timeout=30.0
            )
            self._conn.execute("PRAGMA journal_mode = WAL")
        except sqlite3.Error as exc:
            raise StoreError(f"{path}: cannot open the stored criteria rules: {exc}") from exc

    @classmethod
    def for_store(cls, store: TrialStore) -> CriteriaRules:
        """The rules of ``store``: in its SQLite file when it has one, in its database for a
        PostgreSQL store, else in memory; one per store."""
        with _rules_lock:
            rules = _rules.get(store)
            if rules is None:
                url = server_url(store)
                if url is not None:
                    rules = PostgresCriteriaRules(url, location=store.location)
                    hooks = getattr(store, "on_close", None)
                    if isinstance(hooks, list):
                        hooks.append(rules.close)  # its connection closes with the store
                else:
                    path = derived_path(store, "")
                    rules = cls(str(path) if path is not None else ":memory:")
                _rules[store] = rules
            return rules

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextmanager
    def _transaction(self) -> Iterator[Any]:
        with self._lock, transaction(self._conn, "IMMEDIATE") as conn:
            yield conn

    def _rows(self, sql: str, params: Sequence[object] = ()) -> list[Any]:
        """The rows of one statement; ``[]`` when the tables do not exist yet."""
        with self._lock:
            try:
                return list(self._conn.execute(sql.format(m=self.mark), params).fetchall())
            except sqlite3.OperationalError:  # no tables yet
                return []

    def _has_rules_table(self) -> bool:
        found = self._rows(
            "SELECT count(*) FROM sqlite_schema WHERE type = 'table'"
            " AND name IN ('derived_criteria', 'derived_terms')"
        )
        return bool(found) and found[0][0] == 2

    def _create(self, conn: Any) -> None:
        if self._meta("schema") not in (None, str(RULES_SCHEMA)):
            conn.execute("DROP TABLE IF EXISTS derived_criteria")
        for statement in _SCHEMA:
            conn.execute(statement)

    def _where_in(self, keys: Sequence[str]) -> tuple[str, list[Any]]:
        return f"key IN ({','.join('?' * len(keys))})", list(keys)

    def _meta(self, name: str) -> str | None:
        rows = self._rows("SELECT value FROM derived_meta WHERE name = {m}", (name,))
        return str(rows[0][0]) if rows else None

    def _set_meta(self, conn: Any, name: str, value: object) -> None:
        conn.execute(
            f"INSERT INTO derived_meta (name, value) VALUES ({self.mark}, {self.mark})"
            " ON CONFLICT (name) DO UPDATE SET value = excluded.value",
            (name, str(value)),
        )

    def is_current_layout(self) -> bool:
        """Whether the tables exist in this version's layout, filled by this parser and term counter."""
        meta = dict(
            self._rows("SELECT name, value FROM derived_meta WHERE name IN ('schema', 'parser', 'terms')")
        )
        if meta != {
            "schema": str(RULES_SCHEMA),
            "parser": parser_fingerprint(),
            "terms": terms_fingerprint(),
        }:
            return False
        return self._has_rules_table()

    @property
    def last_seq(self) -> int:
        """The store's change number the rules have caught up with (0: none yet, or to be redone)."""
        if not self.is_current_layout():
            return 0
        return int(self._meta("last_seq") or 0)

    def behind(self, store: TrialStore) -> int:
        """How many trials changed in the store since the rules caught up (0: current)."""
        return len(store.changes_since(self.last_seq)[1])

    def _prepare(self) -> None:
        """The tables in this version's layout; rules of an older layout or parser are dropped."""
        if self.is_current_layout():
            return
        with self._transaction() as conn:
            self._create(conn)
            # Rows of another parser stay, but their digests no longer match: each is parsed again.
            self._set_meta(conn, "schema", RULES_SCHEMA)
            self._set_meta(conn, "parser", parser_fingerprint())
            self._set_meta(conn, "terms", terms_fingerprint())
            self._set_meta(conn, "last_seq", 0)

    def catch_up(
        self,
        store: TrialStore,
        on_progress: Callable[[int, int], None] | None = None,
        *,
        parse: Callable[[Trial], list[ParsedCriterion]] | None = None,
        workers: int | None = None,
    ) -> int:
        """Parse and keep the criteria of every trial changed since the last catch-up; how many trials
        were parsed. ``on_progress(done, total)`` hears after each batch. ``parse`` replaces the parser
        (and keeps the work in this process); ``workers`` the processes to parse in (default: one per
        core when there are many trials to parse)."""
        self._prepare()
        since = self.last_seq
        seq, keys = store.changes_since(since)
        if workers is None:
            workers = _cores() if parse is None and len(keys) >= PARALLEL_FROM else 1
        pool = None
        if workers > 1:
            from concurrent.futures import ProcessPoolExecutor

            pool = ProcessPoolExecutor(
                workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker,
                initargs=(os.getpid(),),
            )
        try:
            parsed = self._catch_up(keys, store, on_progress, parse, pool, workers)
        finally:
            if pool is not None:
                pool.shutdown(cancel_futures=True)
        if seq != since or not keys:
            with self._transaction() as conn:
                self._set_meta(conn, "last_seq", seq)
        return parsed

    def _catch_up(
        self,
        keys: list[str],
        store: TrialStore,
        on_progress: Callable[[int, int], None] | None,
        parse: Callable[[Trial], list[ParsedCriterion]] | None,
        pool: Executor | None,
        workers: int,
    ) -> int:
        """How many trials had their rules parsed or their terms counted."""
        from trialatlas.match.relevance import TrialFields, TrialGate, TrialTerms

        adapter = _adapter()
        made = 0
        for start in range(0, len(keys), BATCH):
            chunk = keys[start : start + BATCH]
            stored_rules = self._digests("derived_criteria", chunk)
            stored_terms = self._digests("derived_terms", chunk)
            # get_many also answers for an alias: a key renamed away finds its new trial, filed under
            # its own key (which the feed names too).
            found = {trial.key: trial for trial in store.get_many(chunk) if trial.key in chunk}
            jobs: list[_Job] = []
            digests: dict[str, tuple[str, str]] = {}
            for key, trial in found.items():
                eligibility = trial.eligibility
                fields, gate = TrialFields.of(trial), TrialGate.of(trial)
                digests[key] = (criteria_digest(trial), terms_digest(fields, gate))
                texts = (eligibility.criteria_text, eligibility.inclusion, eligibility.exclusion)
                parse_it = stored_rules.get(key) != digests[key][0]
                count_it = stored_terms.get(key) != digests[key][1]
                if parse_it or count_it:
                    jobs.append((key, texts if parse_it else None, (fields, gate) if count_it else None))
            done: list[tuple[str, bytes | None, bytes | None]]
            if parse is not None:
                done = [
                    (
                        key,
                        None if texts is None else compress(adapter.dump_json(parse(found[key])), 1),
                        None if counted is None else encode_terms(counted[1], TrialTerms.of(counted[0])),
                    )
                    for key, texts, counted in jobs
                ]
            elif pool is None:
                done = _derive(jobs)
            else:
                shares = [jobs[i::workers] for i in range(workers)]
                done = [row for rows in pool.map(_derive, shares) for row in rows]
            rules = [(key, digests[key][0], blob) for key, blob, _ in done if blob is not None]
            terms = [(key, digests[key][1], blob) for key, _, blob in done if blob is not None]
            gone = [key for key in chunk if key not in found]
            if done or gone:
                with self._transaction() as conn:
                    cursor, m = conn.cursor(), self.mark
                    for table, column, rows in (
                        ("derived_criteria", "rules", rules),
                        ("derived_terms", "terms", terms),
                    ):
                        if rows:
                            cursor.executemany(
                                f"INSERT INTO {table} (key, digest, {column}) VALUES ({m}, {m}, {m})"
                                f" ON CONFLICT (key) DO UPDATE"
                                f" SET digest = excluded.digest, {column} = excluded.{column}",
                                rows,
                            )
                        if gone:
                            cursor.executemany(
                                f"DELETE FROM {table} WHERE key = {m}", [(key,) for key in gone]
                            )
            made += len(done)
            if on_progress is not None:
                on_progress(min(start + BATCH, len(keys)), len(keys))
        return made

    def _digests(self, table: str, keys: Sequence[str]) -> dict[str, str]:
        where, params = self._where_in(keys)
        rows = self._rows(f"SELECT key, digest FROM {table} WHERE {where}", params)
        return {str(key): str(digest) for key, digest in rows}

    def rules_of(self, trials: Sequence[Trial]) -> dict[str, list[ParsedCriterion]]:
        """The kept rules of ``trials`` whose criteria and parser are those the rules were parsed from
        (a trial written since the last catch-up is left out: the caller parses it)."""
        if not trials or not self.is_current_layout():
            return {}
        wanted = {trial.key: criteria_digest(trial) for trial in trials}
        where, params = self._where_in(list(wanted))
        rows = self._rows(f"SELECT key, digest, rules FROM derived_criteria WHERE {where}", params)
        adapter = _adapter()
        return {
            str(key): adapter.validate_json(decompress(blob))
            for key, digest, blob in rows
            if wanted.get(str(key)) == digest
        }

    def terms_of(self, store: TrialStore, keys: Sequence[str]) -> dict[str, tuple[TrialGate, TrialTerms]]:
        """The kept prefilter fields and term counts of ``keys``, read without loading the trials: only
        of those the store's change feed does not name after the catch-up's change number (a trial
        written since is left out: the caller loads it and counts its terms)."""
        if not keys or not self.is_current_layout():
            return {}
        changed = set(store.changes_since(self.last_seq)[1])
        fresh = [key for key in keys if key not in changed]
        if not fresh:
            return {}
        where, params = self._where_in(fresh)
        rows = self._rows(f"SELECT key, terms FROM derived_terms WHERE {where}", params)
        return {str(key): decode_terms(blob) for key, blob in rows}


class PostgresCriteriaRules(CriteriaRules):
    """The rules in a PostgreSQL store's database (``derived_criteria`` and ``derived_meta``, created
    with the store's tables), read by every process on it."""

    mark = "%s"

    def __init__(self, url: str, *, location: str | None = None) -> None:
        import psycopg

        self.location = location or url
        self._lock = threading.RLock()
        try:
            self._conn = psycopg.connect(url, autocommit=True, connect_timeout=10)
        except psycopg.Error as exc:
            raise StoreError(f"{self.location}: cannot open the stored criteria rules: {exc}") from exc

    @contextmanager
    def _transaction(self) -> Iterator[Any]:
        import psycopg

        try:
            with self._writing() as conn:
                yield conn
        except psycopg.errors.InsufficientPrivilege as exc:
            raise ReadOnlyStoreError(f"{self.location}: this account may not write the rules: {exc}") from exc

    @contextmanager
    def _writing(self) -> Iterator[Any]:
        with self._lock, self._conn.transaction():
            # One catch-up at a time (the store's own writers take another lock).
            self._conn.execute("SELECT pg_advisory_xact_lock(%s)", (_RULES_LOCK,))
            yield self._conn

    def _rows(self, sql: str, params: Sequence[object] = ()) -> list[Any]:
        with self._lock:
            return list(self._conn.execute(sql.format(m=self.mark), params).fetchall())

    def _has_rules_table(self) -> bool:
        return bool(
            self._rows(
                "SELECT 1 WHERE to_regclass('derived_criteria') IS NOT NULL"
                " AND to_regclass('derived_terms') IS NOT NULL"
            )
        )

    def _create(self, conn: Any) -> None:
        # The store's schema holds the rules' table; a layout change here empties it. The terms'
        # table came later: a database made before it gains it here.
        if self._meta("schema") not in (None, str(RULES_SCHEMA)):
            conn.execute("DELETE FROM derived_criteria")
        from trialatlas.store.postgres import DERIVED_TERMS_TABLE

        conn.execute(DERIVED_TERMS_TABLE)

    def _where_in(self, keys: Sequence[str]) -> tuple[str, list[Any]]:
        return "key = ANY(%s)", [list(keys)]


# Any fixed number, apart from the store's and the search index's locks.
_RULES_LOCK = 0x7275_6C65_7300  # "rules"

_rules: weakref.WeakKeyDictionary[TrialStore, CriteriaRules] = weakref.WeakKeyDictionary()
_rules_lock = threading.Lock()


__all__ = [
    "CriteriaRules",
    "PostgresCriteriaRules",
    "criteria_digest",
    "decode_terms",
    "encode_terms",
    "parser_fingerprint",
    "terms_digest",
    "terms_fingerprint",
]
