"""Every trial's parsed eligibility criteria, parsed once when the trial is written and kept.

Parsing a trial's criteria costs milliseconds (hundreds of criteria a second); reading the parsed
rules back costs a tenth of one. So the rules are parsed while the store is written (the derived-data
step after an ingest, see :mod:`trialatlas.services.derived`) and a match only reads them.

Tables (named ``derived_*``), in the store's own SQLite file for a file-backed store, in the store's
database for a PostgreSQL store (created by its schema: every server process reads the same rows and
none parses what the ingest parsed), else in an in-memory database for the process:

- ``derived_criteria``: per trial key, the digest of what was parsed and the rules as compressed JSON;
- ``derived_meta``: the table layout's version, the parser's fingerprint, and the change number of
  the store the rules have caught up with.

A row is keyed by the digest of the trial's criteria texts and of the parser (its source and
vocabulary files), so a trial whose criteria did not change is not parsed again, and a new parser
re-parses every trial once. The change number is written only after every changed trial of the
catch-up is stored, each batch in its own transaction: a catch-up killed midway leaves whole rows and
the old change number, and the next one redoes only the trials whose rows are missing or stale.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import sqlite3
import threading
import time
import weakref
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from trialatlas.errors import ReadOnlyStoreError, StoreError
from trialatlas.model import Trial
from trialatlas.store import derived_path, server_url
from trialatlas.store.sqlite import transaction

if TYPE_CHECKING:
    from concurrent.futures import Executor

    from pydantic import TypeAdapter

    from trialatlas.extract.criteria import ParsedCriterion
    from trialatlas.store.base import TrialStore

# Bumped whenever the tables' layout changes: older tables are dropped and filled again.
RULES_SCHEMA = 1
# Trials read, parsed and written per transaction.
BATCH = 200
# From this many trials to parse on, the parsing runs in worker processes, one per core: it costs
# tens of milliseconds a trial (a whole registry's worth is hours on one core), while starting a
# worker (its vocabularies) costs seconds.
PARALLEL_FROM = 2000

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS derived_meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS derived_criteria"
    " (key TEXT PRIMARY KEY, digest TEXT NOT NULL, rules BLOB NOT NULL) WITHOUT ROWID",
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


_Texts = tuple[str, str | None, list[str], list[str]]


def _parse_texts(batch: list[_Texts]) -> list[tuple[str, bytes]]:
    """A worker's share: each trial's criteria texts parsed and encoded as they are stored."""
    from trialatlas.extract.criteria import parse_eligibility

    adapter = _adapter()
    return [
        (key, zlib.compress(adapter.dump_json(parse_eligibility(text, inclusion, exclusion)), 1))
        for key, text, inclusion, exclusion in batch
    ]


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
        return bool(
            self._rows("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'derived_criteria'")
        )

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
        """Whether the tables exist in this version's layout, filled by this parser."""
        if self._meta("schema") != str(RULES_SCHEMA) or self._meta("parser") != parser_fingerprint():
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
                initializer=_exit_with,
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
        adapter = _adapter()
        parsed = 0
        for start in range(0, len(keys), BATCH):
            chunk = keys[start : start + BATCH]
            stored = self._digests(chunk)
            # get_many also answers for an alias: a key renamed away finds its new trial, filed under
            # its own key (which the feed names too).
            found = {trial.key: trial for trial in store.get_many(chunk) if trial.key in chunk}
            todo = {key: trial for key, trial in found.items() if stored.get(key) != criteria_digest(trial)}
            blobs: list[tuple[str, bytes]]
            if parse is not None:
                blobs = [(key, zlib.compress(adapter.dump_json(parse(t)), 1)) for key, t in todo.items()]
            else:
                texts = [
                    (key, t.eligibility.criteria_text, t.eligibility.inclusion, t.eligibility.exclusion)
                    for key, t in todo.items()
                ]
                if pool is None:
                    blobs = _parse_texts(texts)
                else:
                    shares = [texts[i::workers] for i in range(workers)]
                    blobs = [row for rows in pool.map(_parse_texts, shares) for row in rows]
            rows = [(key, criteria_digest(todo[key]), blob) for key, blob in blobs]
            gone = [key for key in chunk if key not in found]
            if rows or gone:
                with self._transaction() as conn:
                    cursor, m = conn.cursor(), self.mark
                    if rows:
                        cursor.executemany(
                            f"INSERT INTO derived_criteria (key, digest, rules) VALUES ({m}, {m}, {m})"
                            " ON CONFLICT (key) DO UPDATE"
                            " SET digest = excluded.digest, rules = excluded.rules",
                            rows,
                        )
                    if gone:
                        cursor.executemany(
                            f"DELETE FROM derived_criteria WHERE key = {m}", [(key,) for key in gone]
                        )
            parsed += len(rows)
            if on_progress is not None:
                on_progress(min(start + BATCH, len(keys)), len(keys))
        return parsed

    def _digests(self, keys: Sequence[str]) -> dict[str, str]:
        where, params = self._where_in(keys)
        rows = self._rows(f"SELECT key, digest FROM derived_criteria WHERE {where}", params)
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
            str(key): adapter.validate_json(zlib.decompress(blob))
            for key, digest, blob in rows
            if wanted.get(str(key)) == digest
        }


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
        return bool(self._rows("SELECT 1 WHERE to_regclass('derived_criteria') IS NOT NULL"))

    def _create(self, conn: Any) -> None:
        # The store's schema holds the tables; a layout change here empties them.
        if self._meta("schema") not in (None, str(RULES_SCHEMA)):
            conn.execute("DELETE FROM derived_criteria")

    def _where_in(self, keys: Sequence[str]) -> tuple[str, list[Any]]:
        return "key = ANY(%s)", [list(keys)]


# Any fixed number, apart from the store's and the search index's locks.
_RULES_LOCK = 0x7275_6C65_7300  # "rules"

_rules: weakref.WeakKeyDictionary[TrialStore, CriteriaRules] = weakref.WeakKeyDictionary()
_rules_lock = threading.Lock()


__all__ = ["CriteriaRules", "PostgresCriteriaRules", "criteria_digest", "parser_fingerprint"]
