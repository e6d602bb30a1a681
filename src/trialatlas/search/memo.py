"""What query expansion looked up in the index, kept per term while the index stays the same.

A query's words recur across queries (and within one, as n-grams are tried), and each look-up is a
grouped scan or a count of the engine; the answers only change when the index does, so they are
kept, least recently used first out, for one generation of the index (a change drops them all).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any, Final

MISSING: Final = object()


class LookupMemo:
    """A bounded least-recently-used map of look-ups, valid for one generation of the index."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._lock = threading.Lock()
        self._generation = ""
        self._items: OrderedDict[Hashable, Any] = OrderedDict()

    def get(self, generation: str, key: Hashable) -> Any:
        """The kept answer, else :data:`MISSING`."""
        with self._lock:
            if generation != self._generation:
                return MISSING
            value = self._items.get(key, MISSING)
            if value is not MISSING:
                self._items.move_to_end(key)
            return value

    def put(self, generation: str, key: Hashable, value: Any) -> None:
        with self._lock:
            if generation != self._generation:
                self._generation, self._items = generation, OrderedDict()
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._generation, self._items = "", OrderedDict()

    def __len__(self) -> int:
        return len(self._items)


__all__ = ["MISSING", "LookupMemo"]
