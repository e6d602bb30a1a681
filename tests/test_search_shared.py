"""Search over the shared records, checked against what the trials themselves say.

The store holds the API v2 sample and the legacy XML tarball (~7,600 trials), built once per run
(conftest's ``tarball_store``).
Expected sets are computed from the trials' own text and fields, never written down.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest_pg import postgres_store
from trialatlas.errors import QueryError
from trialatlas.model import OPEN_STATUSES, Trial
from trialatlas.model.enums import SourceFormat
from trialatlas.model.trial import SourceRecord
from trialatlas.search import SearchIndex, iter_search, search
from trialatlas.search.document import trial_texts
from trialatlas.services.ingest import ingest
from trialatlas.store import MemoryStore, SqliteStore, TrialStore, copy_store

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def file_store(tarball_store: SqliteStore) -> SqliteStore:
    """The API v2 sample and the legacy XML tarball with its search index (conftest's store)."""
    return tarball_store


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, file_store: SqliteStore) -> Iterator[TrialStore]:
    """The shared records in each search engine: the file's own index, and PostgreSQL's (the same
    trials copied into a database)."""
    if request.param == "sqlite":
        yield file_store
        return
    with postgres_store(request.getfixturevalue("pg_cluster")) as database:
        copy_store(file_store, database)
        SearchIndex.for_store(database).sync(database)
        yield database


@pytest.fixture(scope="module")
def trials(file_store: SqliteStore) -> dict[str, Trial]:
    return {trial.key: trial for trial in file_store.iter_trials()}


@pytest.fixture(scope="module")
def texts(trials: dict[str, Trial]) -> dict[str, str]:
    return {key: "\n".join(trial_texts(trial)).lower() for key, trial in trials.items()}


def _keys(store: TrialStore, query: str, **options: object) -> list[str]:
    return [hit.trial.key for hit in iter_search(store, query, limit=1000, snippets=False, **options)]


def _with(texts: dict[str, str], present: str, absent: str) -> set[str]:
    return {key for key, text in texts.items() if re.search(present, text) and not re.search(absent, text)}


def test_index_holds_every_trial(store: TrialStore) -> None:
    assert SearchIndex.for_store(store).doc_count() == store.count()


def test_mmf_finds_trials_that_only_spell_it_out_and_the_reverse(
    store: TrialStore, texts: dict[str, str]
) -> None:
    spelled_only = _with(texts, r"\bmycophenolate mofetil\b", r"\bmmf\b")
    short_only = _with(texts, r"\bmmf\b", r"\bmycophenolate mofetil\b")
    assert spelled_only and short_only
    found = _keys(store, "MMF")
    assert spelled_only <= set(found)
    assert short_only <= set(_keys(store, "mycophenolate mofetil"))
    # The word typed counts more than its expansion: the best hit says "MMF" itself.
    assert re.search(r"\bmmf\b", texts[found[0]])


def test_fk506_finds_tacrolimus_trials(store: TrialStore, texts: dict[str, str]) -> None:
    tacrolimus_only = _with(texts, r"\btacrolimus\b", r"\bfk[ -]?506\b")
    assert tacrolimus_only
    assert tacrolimus_only <= set(_keys(store, "FK506"))


def test_age_ten_never_returns_an_adults_only_trial(store: TrialStore, trials: dict[str, Trial]) -> None:
    def takes(trial: Trial, age: float) -> bool:
        low, high = trial.eligibility.minimum_age, trial.eligibility.maximum_age
        return (low is None or low.years <= age) and (high is None or high.years >= age)

    for query in ("", "asthma OR epilepsy OR leukemia"):
        everyone = _keys(store, query)
        children = _keys(store, query, age=10)
        assert children and all(takes(trials[key], 10) for key in children)
        # The filter did something: the same query without it returns trials that exclude a 10-year-old.
        assert any(not takes(trials[key], 10) for key in everyone)
        assert {key for key in everyone if takes(trials[key], 10)} == set(children)


def test_paging_returns_each_trial_exactly_once(store: TrialStore) -> None:
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        page = search(store, "", limit=100, cursor=cursor, facets=False)
        seen.extend(hit.trial.key for hit in page.hits)
        pages += 1
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert len(seen) == len(set(seen)) == store.count()
    assert set(seen) == set(store.keys())
    assert pages == math.ceil(store.count() / 100)


@pytest.mark.parametrize(
    ("query", "sort"), [("cancer", "relevance"), ("cancer", "start_date"), ("", "enrollment")]
)
def test_paging_a_query_in_any_order_is_complete(store: TrialStore, query: str, sort: str) -> None:
    total = search(store, query, facets=False).total
    keys = _keys(store, query, sort=sort)
    assert len(keys) == len(set(keys)) == total > 200


def test_sorts_order_the_hits(store: TrialStore, trials: dict[str, Trial]) -> None:
    dates = [hit.trial.start_date for hit in search(store, "lupus", sort="start_date", limit=50).hits]
    known = [d for d in dates if d]
    assert known == sorted(known, reverse=True) and dates[: len(known)] == known
    sizes = [hit.trial.enrollment for hit in search(store, "", sort="enrollment", order="asc", limit=50).hits]
    assert sizes == sorted(sizes)  # type: ignore[type-var]
    scores = [hit.score for hit in search(store, "membranous nephropathy", limit=20).hits]
    assert scores == sorted(scores, reverse=True) and scores[0] > 0


def test_facets_count_what_the_filters_return(store: TrialStore) -> None:
    results = search(store, "cancer")
    status = results.facets["status"]
    assert sum(f.count for f in status) <= results.total and len(status) > 2
    for facet in status[:3]:
        assert search(store, "cancer", status=facet.value, facets=False).total == facet.count
    country = results.facets["country"][0]
    assert search(store, "cancer", country=country.value, facets=False).total == country.count
    # A selected facet still lists the other values, counted without its own filter.
    narrowed = search(store, "cancer", status=status[0].value)
    assert narrowed.total == status[0].count
    assert {f.value for f in narrowed.facets["status"]} == {f.value for f in status}
    assert all(f.count <= narrowed.total for f in narrowed.facets["phase"])


def test_status_shortcuts(store: TrialStore, trials: dict[str, Trial]) -> None:
    recruiting = _keys(store, "", status="recruiting")
    assert recruiting and all(trials[k].status.overall_status == "RECRUITING" for k in recruiting)
    open_ = _keys(store, "", status="open")
    assert set(recruiting) < set(open_)
    assert all(trials[k].status.overall_status in OPEN_STATUSES for k in open_)
    expected = {k for k, t in trials.items() if t.status.overall_status in OPEN_STATUSES}
    assert set(open_) == expected


def test_value_and_range_filters(store: TrialStore, trials: dict[str, Trial]) -> None:
    women = _keys(store, "", sex="female", phase="3")
    assert women and all(trials[k].eligibility.sex in ("FEMALE", "ALL") for k in women)
    assert all("PHASE3" in trials[k].design.phases for k in women)
    started = _keys(store, "", start_from="2015", start_to="2016-06")
    assert started
    for key in started:
        date = trials[key].status.start_date
        assert date is not None and date.as_date is not None
        assert dt.date(2015, 1, 1) <= date.as_date <= dt.date(2016, 6, 30)
    big = _keys(store, "", enrollment_min=5000, has_results=True)
    assert big
    for key in big:
        enrollment = trials[key].design.enrollment
        assert enrollment is not None and (enrollment.count or 0) >= 5000 and trials[key].has_results


def test_filters_said_in_words(store: TrialStore) -> None:
    said = search(store, "recruiting phase 2 in China", facets=False)
    assert {note.split("=")[0] for note in said.interpreted} == {"status", "phase", "country"}
    explicit = search(store, "", status="recruiting", phase="2", country="China", facets=False)
    assert said.total == explicit.total > 0


def test_id_prefix_finds_the_trial_directly(store: TrialStore, trials: dict[str, Trial]) -> None:
    trial = next(t for t in trials.values() if t.org_study_id and t.nct_id and " " not in t.org_study_id)
    assert [h.trial.key for h in search(store, f"id:{trial.org_study_id}").hits] == [trial.key]
    assert [h.trial.key for h in search(store, trial.nct_id or "").hits] == [trial.key]


def test_snippets_mark_matched_terms(store: TrialStore) -> None:
    hit = search(store, "tacrolimus", limit=1).hits[0]
    assert "<mark>" in hit.snippet
    assert any(marked and "tacrolimus" in text.lower() for text, marked in hit.snippet_parts())


@pytest.mark.parametrize("query", ['"lupus nephritis', "NOT lupus", "lupus AND", "fts:x", "lupus^", "*"])
def test_malformed_queries_are_refused_without_sql(store: TrialStore, query: str) -> None:
    with pytest.raises(QueryError) as error:
        search(store, query)
    message = str(error.value).lower()
    assert "select" not in message and "sqlite" not in message and "syntax error" not in message


def test_a_cursor_belongs_to_its_query(store: TrialStore) -> None:
    cursor = search(store, "cancer", limit=5).next_cursor
    assert cursor is not None
    with pytest.raises(QueryError, match="another query"):
        search(store, "lupus", cursor=cursor)
    with pytest.raises(QueryError, match="invalid cursor"):
        search(store, "cancer", cursor="not-a-cursor")


def _record(nct: str, summary: str, day: int) -> Trial:
    source = SourceRecord(
        id=f"test:{nct}:{day}",
        format=SourceFormat.CTGOV_V2_JSON,
        location="test",
        record_date=dt.date(2024, 1, day),
        raw="{}",
    )
    return Trial(nct_id=nct, brief_title="A feed test", brief_summary=summary, sources=[source])


@pytest.fixture(params=["memory", "postgres"])
def fresh_store(request: pytest.FixtureRequest) -> Iterator[TrialStore]:
    if request.param == "memory":
        yield MemoryStore()
        return
    with postgres_store(request.getfixturevalue("pg_cluster")) as database:
        yield database


def test_the_index_follows_the_change_feed(target_trials: Path, fresh_store: TrialStore) -> None:
    memory = fresh_store
    ingest([target_trials], memory)
    index = SearchIndex.for_store(memory)
    assert search(memory, "zyxwvut").total == 0
    memory.upsert_batch([_record("NCT09999991", "A zyxwvut regimen.", 1)])
    assert [h.trial.key for h in search(memory, "zyxwvut").hits] == ["NCT09999991"]
    before, build = index.generation, index.build_id
    memory.upsert_batch([_record("NCT09999991", "A qwertyuiop regimen.", 2)])
    assert search(memory, "zyxwvut").total == 0
    assert [h.trial.key for h in search(memory, "qwertyuiop").hits] == ["NCT09999991"]
    after = index.generation
    assert after != before and index.build_id == build  # caught up by a sync, not a rebuild of everything
    assert search(memory, "zyxwvut").total == 0 and index.generation == after  # nothing new: no write
    memory.delete(["NCT09999991"])
    assert search(memory, "qwertyuiop").total == 0
    assert search(memory, "").total == memory.count() == 5
