"""How a search is run (``execute.py``, ``arrays.py``): facet counts against a count over the trials
themselves, cursors that page without gaps or repeats, and searches from several threads while
another one syncs new trials into the same index.

The store holds the API v2 sample (~800 trials with statuses, phases, sites and ages)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest_pg import backend_store
from trialatlas.model import Trial
from trialatlas.search import FACETS, SearchIndex, iter_search, search
from trialatlas.search.facets import value_key
from trialatlas.search.filters import Filters, value_filters
from trialatlas.services.ingest import ingest
from trialatlas.store import MemoryStore, SqliteStore, TrialStore

# Filters of several facets at once: each selected facet is counted under all the other filters.
CASES: list[tuple[str, dict[str, Any]]] = [
    ("", {}),
    ("", {"status": "completed", "phase": ["2", "3"]}),
    ("cancer", {}),
    ("cancer", {"status": "open", "country": "United States", "sex": "female"}),
    ("cancer OR lymphoma", {"status": ["completed", "recruiting"], "phase": "2", "age": 40}),
    ("placebo", {"country": "China", "study_type": "interventional", "start_from": "2015"}),
    ('"breast cancer"', {"intervention_type": "drug", "enrollment_min": 100, "has_results": True}),
]


@pytest.fixture(scope="module")
def trials(v2_jsonl: Path) -> list[Trial]:
    source = MemoryStore()
    ingest([v2_jsonl], source)
    found = sorted(source.iter_trials(), key=lambda trial: trial.key)
    assert len(found) > 500
    return found


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def store(
    request: pytest.FixtureRequest, trials: list[Trial], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TrialStore]:
    """The same trials in each search engine: the SQLite index, and PostgreSQL's own."""
    with backend_store(request, tmp_path_factory.mktemp("execute")) as atlas:
        atlas.upsert_batch(trials)
        SearchIndex.for_store(atlas).sync(atlas)
        yield atlas


def _keys(store: TrialStore, query: str, filters: dict[str, Any]) -> set[str]:
    return {hit.trial.key for hit in iter_search(store, query, filters=filters, limit=1000, snippets=False)}


@pytest.mark.parametrize(("query", "filters"), CASES)
def test_facet_counts_equal_a_count_over_the_trials(
    store: TrialStore, trials: list[Trial], query: str, filters: dict[str, Any]
) -> None:
    results = search(store, query, filters, facet_limit=100_000, limit=5)
    by_key = {trial.key: trial for trial in trials}
    matched = _keys(store, query, {})
    selected = value_filters(Filters.model_validate(filters))
    # Which trials pass each filter on its own (the filter's own meaning is tested elsewhere).
    passing = {name: _keys(store, query, {name: value}) for name, value in filters.items()}
    facet_of_filter = {
        name: next(iter(value_filters(Filters.model_validate({name: value}))), None)
        for name, value in filters.items()
    }
    everything = set(matched).intersection(*passing.values())
    assert results.total == len(everything)
    for name in FACETS:
        counted = everything
        if name in selected:
            others = [keys for filter_name, keys in passing.items() if facet_of_filter[filter_name] != name]
            counted = set(matched).intersection(*others)
        expected = Counter(
            value_key(name, label) for key in counted for label in set(FACETS[name].values(by_key[key]))
        )
        shown = {value_key(name, item.value): item.count for item in results.facets[name]}
        assert shown == {key: count for key, count in expected.items() if count}, name


@pytest.mark.parametrize("sort", ["relevance", "start_date", "enrollment", "last_update"])
@pytest.mark.parametrize("order", ["desc", "asc"])
def test_cursors_page_without_gaps_or_repeats(store: TrialStore, sort: str, order: str) -> None:
    for query, filters in (("cancer", {"phase": "2"}), ("", {"status": "completed"}), ("treatment", {})):
        whole = search(store, query, filters, sort=sort, order=order, limit=1000, facets=False)
        assert whole.next_cursor is None
        walked: list[str] = []
        cursor: str | None = None
        pages = 0
        while True:
            page = search(store, query, filters, sort=sort, order=order, limit=7, cursor=cursor, facets=False)
            assert page.total == whole.total
            walked.extend(hit.trial.key for hit in page.hits)
            pages += 1
            cursor = page.next_cursor
            if cursor is None:
                break
        assert walked == [hit.trial.key for hit in whole.hits]
        assert len(set(walked)) == len(walked) == whole.total
        assert pages == max(1, -(-whole.total // 7))


def test_relevance_pages_keep_scores_in_order(store: TrialStore) -> None:
    scores: list[float] = []
    cursor: str | None = None
    while True:
        page = search(store, "cancer OR tumor", {"status": "completed"}, limit=5, cursor=cursor, facets=False)
        scores.extend(hit.score for hit in page.hits)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert scores == sorted(scores, reverse=True)
    assert len(scores) > 10


def test_concurrent_searches_while_another_thread_syncs(trials: list[Trial], tmp_path: Path) -> None:
    """Several threads search one index while another adds trials and syncs them in: no exceptions,
    every result consistent with itself, totals never going back, and the end state equal to an index
    built from scratch."""
    atlas = SqliteStore(tmp_path / "atlas.db")
    first, later = trials[: len(trials) // 2], trials[len(trials) // 2 :]
    atlas.upsert_batch(first)
    index = SearchIndex(atlas.location)
    index.sync(atlas)
    queries = [("cancer", {}), ("", {"status": "completed"}), ("treatment OR therapy", {"phase": "2"})]
    errors: list[BaseException] = []
    done = threading.Event()

    def searcher() -> None:
        last = dict.fromkeys(range(len(queries)), 0)
        try:
            while not done.is_set():
                for number, (query, filters) in enumerate(queries):
                    results = search(atlas, query, filters, limit=10, index=index)
                    keys = [hit.trial.key for hit in results.hits]
                    assert len(set(keys)) == len(keys)
                    assert results.total >= len(keys)
                    assert results.total >= last[number]  # trials are only added
                    last[number] = results.total
                    # One study type per trial, and no filter on it: its counts add up to at most the total.
                    assert sum(item.count for item in results.facets["study_type"]) <= results.total
                    scores = [hit.score for hit in results.hits]
                    assert scores == sorted(scores, reverse=True)
        except BaseException as exc:  # handed to the main thread
            errors.append(exc)

    def syncer() -> None:
        try:
            for start in range(0, len(later), 40):
                atlas.upsert_batch(later[start : start + 40])
                index.sync(atlas)
        except BaseException as exc:
            errors.append(exc)
        finally:
            done.set()

    threads = [threading.Thread(target=searcher) for _ in range(4)] + [threading.Thread(target=syncer)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not errors, errors
    assert index.doc_count() == len(trials)
    fresh = SearchIndex(":memory:")
    fresh.rebuild(atlas)
    for query, filters in queries:
        synced = search(atlas, query, filters, limit=50, index=index)
        built = search(atlas, query, filters, limit=50, index=fresh)
        assert synced.total == built.total
        assert [h.trial.key for h in synced.hits] == [h.trial.key for h in built.hits]
        assert synced.facets == built.facets
    atlas.close()


@pytest.mark.parametrize(
    "query", ["cancer", '"breast cancer"', "cancer NOT breast", "tumor OR lymphoma", "zzzqqq"]
)
def test_the_page_without_facets_is_the_page_with_them(store: TrialStore, query: str) -> None:
    """Without facets or filters only the total is wanted of the matches, and it is counted (or
    windowed) instead of listed: the page, its scores and the total must not change."""
    bare = search(store, query, limit=15, facets=False)
    full = search(store, query, limit=15)
    assert bare.total == full.total
    assert [(h.trial.key, h.score) for h in bare.hits] == [(h.trial.key, h.score) for h in full.hits]
    assert (bare.next_cursor is None) == (full.next_cursor is None)


@pytest.mark.parametrize(
    ("query", "filters"),
    [
        ("cancer", {"status": "open"}),
        ("cancer OR lymphoma", {"status": ["completed", "recruiting"], "phase": "2"}),
        ("placebo", {"country": "China", "study_type": "interventional"}),
    ],
)
def test_filters_read_from_the_rows_select_what_the_arrays_select(
    store: TrialStore, query: str, filters: dict[str, Any]
) -> None:
    """A filtered search counting no facets (a match's candidates) in a process whose index holds no
    arrays yet reads its filters' trials from the index's rows: the same page, scores and total."""
    shared = SearchIndex.for_store(store)
    if shared.kept_by_writes:
        pytest.skip("PostgreSQL's index filters in SQL and keeps no arrays")
    fresh = SearchIndex(shared.location)
    try:
        options: dict[str, Any] = {"filters": filters, "limit": 40, "facets": False, "snippets": False}
        cold = search(store, query, index=fresh, synced=True, **options)
        assert fresh._arrays is None  # no array was loaded for it
        search(store, query, index=fresh, synced=True, filters=filters, limit=5)  # facets load them
        assert fresh._arrays is not None
        warm = search(store, query, index=fresh, synced=True, **options)
    finally:
        fresh.close()
    assert cold.total == warm.total > 0
    assert [(h.trial.key, h.score) for h in cold.hits] == [(h.trial.key, h.score) for h in warm.hits]
