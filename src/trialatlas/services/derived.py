"""Everything derived from a store, kept current as the store is written, never on a user's request.

Four parts are derived from the stored trials: the search index, the related-trials index, every
trial's parsed criteria rules and the matcher's term statistics. Each records the store's change
number it holds, and :func:`bring_up_to_date` takes each one forward from there through the store's
change feed (``changes_since``): only the trials written since are re-indexed or re-parsed. It runs at
the end of every write command (``ingest``, ``sync``, ``copy``) with a progress bar, and once when a
command or server opens a store whose derived parts are behind (written by an older version, or by a
process killed midway), so that searches, related trials and matches only read.

Kept beside a store file, or in a PostgreSQL store's own database (the search index's tables, the
rules' tables, the related-trials index and the statistics as blobs), shared there by every process
and machine that opens the store: none derives its own. A memory store keeps its derived data in the
process's memory, made there on first use, since it goes with the process.

Each part is written so that a kill at any moment leaves it whole: the search index and the rules in
transactions of the store's file, the related-trials index and the statistics as files replaced in
one rename; a part's change number moves only once everything before it is written, so the next
catch-up redoes what was cut off and nothing else.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from trialatlas.collector import collector_tuned
from trialatlas.errors import ReadOnlyStoreError

if TYPE_CHECKING:
    from trialatlas.search import SearchIndex
    from trialatlas.store.base import TrialStore

# The parts, in the order they are brought up to date.
PARTS: tuple[str, ...] = ("search", "related", "criteria", "statistics")
DESCRIPTIONS: dict[str, str] = {
    "search": "search index",
    "related": "related-trials index",
    "criteria": "criteria rules",
    "statistics": "term statistics",
}


def kept_parts(store: TrialStore) -> tuple[str, ...]:
    """The parts kept for ``store``: all of them beside a store file or in a PostgreSQL store's
    database; none for a memory store, whose derived data lives in the process's memory and is made
    there on first use, as it would be lost with the process anyway."""
    from trialatlas.store import derived_path, server_url

    return PARTS if derived_path(store, "") is not None or server_url(store) is not None else ()


# The parts each reading operation needs current.
READS: dict[str, tuple[str, ...]] = {
    "search": ("search",),
    "related": ("related",),
    "match": ("search", "criteria", "statistics"),
}

# ``(part, done, total)``: ``total`` None while it is not known.
Progress = Callable[[str, int, "int | None"], None]


@dataclass
class PartReport:
    """What one part's catch-up did: how many trials it (re)indexed or parsed, and how long it took."""

    changed: int = 0
    seconds: float = 0.0


@dataclass
class DerivedReport:
    parts: dict[str, PartReport] = field(default_factory=dict)

    @property
    def seconds(self) -> float:
        return sum(part.seconds for part in self.parts.values())

    def as_dict(self) -> dict[str, dict[str, float | int]]:
        return {
            name: {"changed": part.changed, "seconds": round(part.seconds, 3)}
            for name, part in self.parts.items()
        }


def behind(
    store: TrialStore, *, search_index: SearchIndex | None = None, parts: tuple[str, ...] | None = None
) -> dict[str, int | None]:
    """Per part (of ``parts``, default all kept), how many trials it has yet to take from the store
    (0: current; ``None``: it has never been built, or was built by another version, and is built
    afresh). Cheap: reads only each part's recorded change number and the change feed after it, and
    loads none of the machinery that builds the parts."""
    wanted = [part for part in kept_parts(store) if parts is None or part in parts]
    found: dict[str, int | None] = {}
    for part in wanted:
        found[part] = _behind(part, store, search_index)
    return found


def _behind(part: str, store: TrialStore, search_index: SearchIndex | None) -> int | None:
    if part == "search":
        from trialatlas.search import SearchIndex

        index = search_index if search_index is not None else SearchIndex.for_store(store)
        return len(store.changes_since(index.last_seq)[1]) if index.is_built() else None
    if part == "related":
        from trialatlas.related.saved import index_kept, saved_behind

        if index_kept(store):
            return saved_behind(store)
        # A store that is no file keeps its index in this process's memory.
        from trialatlas.related.index import index_behind

        return index_behind(store)
    if part == "criteria":
        from trialatlas.match.stored_rules import CriteriaRules

        rules = CriteriaRules.for_store(store)
        return rules.behind(store) if rules.is_current_layout() else None
    if part == "statistics":
        from trialatlas.match.stats_file import stats_current

        return 0 if stats_current(store) else None
    raise ValueError(f"no derived part {part!r}; the parts are {', '.join(PARTS)}")


def is_current(
    store: TrialStore, *, search_index: SearchIndex | None = None, parts: tuple[str, ...] | None = None
) -> bool:
    """Whether every part (of ``parts``, default all) holds the store's newest change."""
    return all(count == 0 for count in behind(store, search_index=search_index, parts=parts).values())


def bring_up_to_date(
    store: TrialStore,
    *,
    search_index: SearchIndex | None = None,
    on_progress: Progress | None = None,
    parts: tuple[str, ...] | None = None,
) -> DerivedReport:
    """Take every derived part of ``store`` up to the store's newest change (see the module docstring).

    ``search_index`` is the index to catch up (default: the store's own); ``on_progress`` hears each
    part's progress; ``parts`` names the parts (default: all :func:`kept_parts`). Safe to call at any
    time: a part already current costs one look at the feed."""

    def progress(part: str) -> Callable[[int, int | None], None]:
        def tell(done: int, total: int | None = None) -> None:
            if on_progress is not None:
                on_progress(part, done, total)

        return tell

    report = DerivedReport()
    # Bulk work, like the ingest before it (see :mod:`trialatlas.collector`).
    with collector_tuned():
        for part in (p for p in kept_parts(store) if parts is None or p in parts):
            started = time.perf_counter()
            tell = progress(part)
            tell(0, None)
            try:
                changed = _catch_up(part, store, search_index, tell)
            except ReadOnlyStoreError:
                # A reader account of a shared database: it reads the part as the last write left it.
                changed = 0
            report.parts[part] = PartReport(changed, 0.0)
            report.parts[part].seconds = time.perf_counter() - started
            tell(1, 1)
    return report


def _catch_up(
    part: str, store: TrialStore, search_index: SearchIndex | None, tell: Callable[[int, int | None], None]
) -> int:
    """Bring one part up to date; how many trials it (re)indexed or parsed."""
    from trialatlas.match.matcher import refresh_stats
    from trialatlas.match.stored_rules import CriteriaRules
    from trialatlas.related.index import index_behind, index_for
    from trialatlas.search import SearchIndex

    count = store.count()
    if part == "search":
        index = search_index if search_index is not None else SearchIndex.for_store(store)
        if index.is_built():
            return index.sync(store)
        return index.rebuild(store, on_progress=lambda done: tell(done, count)).docs
    if part == "related":
        waiting = index_behind(store)
        index_for(store, on_progress=lambda done: tell(done, count))
        return count if waiting is None else waiting
    if part == "criteria":
        return CriteriaRules.for_store(store).catch_up(store, on_progress=tell)
    if part == "statistics":
        return count if refresh_stats(store) else 0
    raise ValueError(f"no derived part {part!r}; the parts are {', '.join(PARTS)}")


__all__ = [
    "DESCRIPTIONS",
    "PARTS",
    "READS",
    "DerivedReport",
    "PartReport",
    "behind",
    "bring_up_to_date",
    "is_current",
    "kept_parts",
]
