"""The search index file's connections: one writer, a reader per thread, and the build lock.

A server answers searches on many threads while a sync (or another process's rebuild) writes. On one
shared connection every search would wait for the slowest one; here each thread reads through its
own connection, inside a read transaction that holds one snapshot of the index for as long as the
caller needs it (a page and its snippets are of one generation), and SQLite's WAL lets such readers
run beside each other and beside the writer. An in-memory database cannot be opened twice, so there
one connection serves every thread, one at a time.

Rebuilds are serialised across threads and processes by :meth:`Connections.building`: a lock on
``<file>.search-lock`` (released by the system if the process dies), so that two builders never
write the same staging tables.
"""

from __future__ import annotations

import fcntl
import sqlite3
import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from typing import IO, Any

from trialatlas.store.sqlite import transaction

LOCK_SUFFIX = ".search-lock"
# Each reader's page cache (KiB, negative: SQLite's unit); the writer keeps a larger one for builds.
_READER_CACHE_KIB = 16_384
_WRITER_CACHE_KIB = 65_536


@dataclass
class _Reader:
    conn: sqlite3.Connection
    depth: int = 0
    # What callers read once per snapshot (the index's meta rows): valid while the snapshot is held.
    memo: dict[str, Any] = field(default_factory=dict)


class Connections:
    """The connections to one index file; ``prepare`` sets up each new connection (functions)."""

    def __init__(
        self, path: str, prepare: Callable[[sqlite3.Connection], None], timeout: float = 30.0
    ) -> None:
        self.path = path
        self.shared = path == ":memory:" or path.startswith("file::memory:")
        self._prepare = prepare
        self._timeout = timeout
        # Held around every statement on the writer (and, in memory, on the one connection).
        self.lock = threading.RLock()
        self.writer = self._open(_WRITER_CACHE_KIB)
        self._readers: weakref.WeakKeyDictionary[threading.Thread, _Reader] = weakref.WeakKeyDictionary()
        self._readers_lock = threading.Lock()
        self._build_lock = threading.Lock()
        self._shared_depth = 0
        self._shared_memo: dict[str, Any] = {}

    def _open(self, cache_kib: int) -> sqlite3.Connection:
        conn = sqlite3.connect(
            self.path, isolation_level=None, check_same_thread=False, timeout=self._timeout
        )
        self._prepare(conn)
        conn.execute("PRAGMA temp_store = MEMORY")
        conn.execute(f"PRAGMA cache_size = -{cache_kib}")
        return conn

    def _reader(self) -> _Reader:
        thread = threading.current_thread()
        with self._readers_lock:
            reader = self._readers.get(thread)
            if reader is None:
                # A thread's connection goes with the thread (the map holds threads weakly).
                reader = self._readers[thread] = _Reader(self._open(_READER_CACHE_KIB))
            return reader

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """This thread's connection inside one read transaction (one snapshot), however deeply nested."""
        if self.shared:
            with self.lock:
                yield from self._snapshot(self.writer, None)
            return
        reader = self._reader()
        yield from self._snapshot(reader.conn, reader)

    def _snapshot(self, conn: sqlite3.Connection, reader: _Reader | None) -> Iterator[sqlite3.Connection]:
        depth = reader.depth if reader is not None else self._shared_depth
        began = depth == 0 and not conn.in_transaction
        if began:
            self._memo_of(reader).clear()
            conn.execute("BEGIN")
            # A deferred transaction takes its snapshot at its first read: take it now.
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        self._set_depth(reader, depth + 1)
        try:
            yield conn
        finally:
            self._set_depth(reader, depth)
            if began and conn.in_transaction:
                conn.execute("COMMIT")

    def _memo_of(self, reader: _Reader | None) -> dict[str, Any]:
        return self._shared_memo if reader is None else reader.memo

    def memo(self, conn: sqlite3.Connection) -> dict[str, Any] | None:
        """What may be kept for the snapshot ``conn`` holds (this thread's, inside :meth:`read`), or
        ``None`` when ``conn`` holds none (the writer, or a reader between snapshots): values read
        in a snapshot do not change until it ends, so each is read once however often it is asked."""
        if self.shared:
            return self._shared_memo if conn is self.writer and self._shared_depth else None
        reader = self._readers.get(threading.current_thread())
        if reader is None or reader.conn is not conn or not reader.depth:
            return None
        return reader.memo

    def _set_depth(self, reader: _Reader | None, depth: int) -> None:
        if reader is None:
            self._shared_depth = depth
        else:
            reader.depth = depth

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """The writer inside one immediate transaction: committed at the end, rolled back on error."""
        with self.lock:
            # In memory the writer is the readers' connection too: what they kept may change.
            self._shared_memo.clear()
            try:
                with transaction(self.writer) as conn:
                    yield conn
            finally:
                self._shared_memo.clear()

    @contextmanager
    def building(self, wait: bool) -> Iterator[bool]:
        """Whether this caller may build (``False`` at once, when ``wait`` is false and another thread or
        process is building); held for the whole build."""
        if not self._build_lock.acquire(blocking=wait):
            yield False
            return
        try:
            handle = self._lock_file(wait)
            if handle is False:
                yield False
                return
            try:
                yield True
            finally:
                if handle is not None and handle is not True:
                    with suppress(OSError):
                        fcntl.flock(handle, fcntl.LOCK_UN)
                    handle.close()
        finally:
            self._build_lock.release()

    def _lock_file(self, wait: bool) -> IO[bytes] | bool | None:
        """The held lock file; ``None`` when there is none to hold (memory, a read-only place);
        ``False`` when another process holds it and ``wait`` is false."""
        if self.shared:
            return None
        try:
            handle = open(self.path + LOCK_SUFFIX, "ab")  # noqa: SIM115 (held for the build)
        except OSError:
            return None
        try:
            fcntl.flock(handle, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        return handle

    def close(self) -> None:
        with self._readers_lock:
            readers = list(self._readers.values())
            self._readers.clear()
        for reader in readers:
            with suppress(sqlite3.Error):
                reader.conn.close()
        with self.lock:
            self.writer.close()


__all__ = ["LOCK_SUFFIX", "Connections"]
