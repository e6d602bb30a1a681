"""One read snapshot per search: the expansions' look-ups, the page, its snippets and briefs are read
in one snapshot of the index (opened once, its meta rows read once), and a write between two
searches is seen by the second, whether the index is in a file (a reader connection per thread
beside the writer) or in memory (one connection for both, whose kept meta rows a write must drop)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from trialatlas.model import Trial
from trialatlas.search import SearchIndex, search
from trialatlas.search.connections import Connections
from trialatlas.store import MemoryStore, SqliteStore, TrialStore


def _trial(number: int, summary: str) -> Trial:
    # Made-up ids: even-numbered.
    return Trial(
        nct_id=f"NCT9100{number:04d}",
        brief_title=f"Lupus nephritis trial {number}",
        brief_summary=summary,
        conditions=["Lupus Nephritis"],
    )


@contextmanager
def _counting_snapshots() -> Iterator[list[int]]:
    """Counts the read snapshots opened (a read nested in another opens none)."""
    opened = [0]
    original = Connections._snapshot

    def counted(self: Connections, conn: Any, reader: Any) -> Iterator[Any]:
        depth = reader.depth if reader is not None else self._shared_depth
        if depth == 0 and not conn.in_transaction:
            opened[0] += 1
        yield from original(self, conn, reader)

    Connections._snapshot = counted  # type: ignore[method-assign]
    try:
        yield opened
    finally:
        Connections._snapshot = original  # type: ignore[method-assign]


@pytest.fixture(params=["file", "memory"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TrialStore]:
    atlas: TrialStore = SqliteStore(tmp_path / "atlas.db") if request.param == "file" else MemoryStore()
    atlas.upsert_batch(
        [
            _trial(n, f"Mycophenolate (MMF) versus tacrolimus for lupus nephritis, {n}")
            for n in range(2, 40, 2)
        ]
    )
    SearchIndex.for_store(atlas).sync(atlas)
    yield atlas
    atlas.close()


def test_a_search_opens_one_read_snapshot(store: TrialStore) -> None:
    index = SearchIndex.for_store(store)
    for query, filters in [("MMF lupus", {}), ("tacrolimus", {"status": "recruiting", "age": 30}), ("", {})]:
        index.clear_cache()
        with _counting_snapshots() as opened:
            results = search(store, query, filters, index=index, synced=True)
        assert opened[0] == 1, (query, opened[0])
        if not filters:
            assert results.total > 0 and all(hit.snippet for hit in results.hits)


def test_a_write_between_two_searches_is_seen_by_the_second(store: TrialStore) -> None:
    index = SearchIndex.for_store(store)
    before = search(store, "voclosporin")
    assert before.total == 0
    generation = index.generation
    store.upsert_batch([_trial(100, "Voclosporin added to mycophenolate for lupus nephritis")])
    after = search(store, "voclosporin")  # syncs the index first
    assert index.generation != generation
    assert [hit.trial.nct_id for hit in after.hits] == ["NCT91000100"]
    assert "<mark>Voclosporin</mark>" in after.hits[0].snippet
