"""The store's search index as an :class:`~trialatlas.services.atlas.Atlas` holds it: caught up with
the store only while no ingest of that atlas writes."""

from __future__ import annotations

import threading

from trialatlas.search import SearchIndex
from trialatlas.store.base import TrialStore


class GuardedIndex(SearchIndex):
    """The store's search index, caught up with the store only while no ingest of this atlas writes.

    An ingest holds the store's lock while it waits for SQLite's write lock, and rebuilding the index
    holds SQLite's write lock while it reads the trials through the store: run together, each waits
    for the other until the store's timeout, and the ingest fails. So a search during an ingest uses
    the index as it was (the next search catches up), and only the very first build waits for it.
    """

    def __init__(self, path: str, guard: threading.Lock) -> None:
        super().__init__(path)
        self._guard = guard

    def sync(self, store: TrialStore) -> int:
        if not self._guard.acquire(blocking=not self.is_built()):
            return 0
        try:
            return super().sync(store)
        finally:
            self._guard.release()


__all__ = ["GuardedIndex"]
