"""Derived data of a PostgreSQL store lives in its database and is made by the writes: after an ingest
the search index, the criteria rules, the matcher's statistics and the related-trials index are current
there; a search, a related list or a match only reads them, in whichever process; two server processes
on one database answer alike without either building anything of its own."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import orjson
import psycopg
import pytest

from refusals import refusing
from trialatlas.errors import ReadOnlyStoreError
from trialatlas.match import matcher as matcher_module
from trialatlas.match.stats_file import BLOB_NAME as STATS_BLOB
from trialatlas.match.stats_file import load_stats, stats_current
from trialatlas.match.stored_rules import CriteriaRules, PostgresCriteriaRules, parse_trial
from trialatlas.related import index as related_index
from trialatlas.related.saved import BLOB_NAME as RELATED_BLOB
from trialatlas.related.saved import shared_marker
from trialatlas.search import SearchIndex
from trialatlas.search.postgres import PostgresSearchIndex
from trialatlas.services.atlas import Atlas
from trialatlas.services.derived import PARTS, behind, bring_up_to_date, is_current
from trialatlas.services.ingest import ingest
from trialatlas.store.postgres import PostgresStore
from web_support import serve_command

NEW = "NCT03580291"
NOTE = "A 45-year-old woman with type 2 diabetes and hypertension. Not pregnant. No history of cancer."


@pytest.fixture
def ingested_pg(pg_url: str, target_trials: Path) -> Iterator[str]:
    """A database written by an ingest of every target trial but one (``NEW``), derived data included."""
    with PostgresStore(pg_url) as store:
        files = [str(path) for path in sorted(target_trials.glob("*.xml")) if path.stem != NEW]
        assert ingest(files, store).new == len(files)
    yield pg_url


def _refuse(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every way a request could write or derive something raises, and is recorded."""
    called: list[str] = []

    refuse = partial(refusing, called)

    monkeypatch.setattr(PostgresSearchIndex, "sync", refuse("search sync"))
    monkeypatch.setattr(PostgresSearchIndex, "rebuild", refuse("search rebuild"))
    monkeypatch.setattr(PostgresStore, "write_derived", refuse("write a derived blob"))
    monkeypatch.setattr(PostgresCriteriaRules, "_transaction", refuse("write criteria rules"))
    monkeypatch.setattr(related_index, "build_index", refuse("related build_index"))
    monkeypatch.setattr(related_index, "patch_index", refuse("related patch_index"))
    monkeypatch.setattr(matcher_module, "parse_eligibility", refuse("criteria parse"))
    monkeypatch.setattr(matcher_module, "sample_stats", refuse("statistics sample"))
    related_index._BY_STORE.clear()
    return called


def _commits(url: str) -> int:
    """Transactions that wrote something in the database, as the search index's generation and the
    derived data's stamps record them."""
    with psycopg.connect(url, autocommit=True) as conn:
        generation = conn.execute("SELECT value FROM search_meta WHERE name = 'generation'").fetchone()
        stamps = conn.execute(
            "SELECT string_agg(name || stamp, ',' ORDER BY name) FROM derived_blobs"
        ).fetchone()
        seq = conn.execute("SELECT value FROM derived_meta WHERE name = 'last_seq'").fetchone()
    return hash((generation, stamps, seq))


def test_ingest_leaves_every_part_current_in_the_database(ingested_pg: str) -> None:
    with PostgresStore(ingested_pg) as store:
        assert behind(store) == dict.fromkeys(PARTS, 0)
        rules = CriteriaRules.for_store(store)
        assert isinstance(rules, PostgresCriteriaRules)
        assert rules.last_seq == store.changes_since(0)[0]
        trials = list(store.iter_trials())
        kept = rules.rules_of(trials)
        with_criteria = [t for t in trials if t.eligibility.criteria_text or t.eligibility.inclusion]
        assert with_criteria and all(t.key in kept for t in with_criteria)
        assert kept[with_criteria[0].key] == parse_trial(with_criteria[0])
        assert stats_current(store)
        loaded = load_stats(store)
        assert loaded is not None and loaded[1] == store.count()
        marker = shared_marker(store)
        assert marker is not None and marker["seq"] == store.changes_since(0)[0]
        assert marker["count"] == store.count()
        assert SearchIndex.for_store(store).doc_count() == store.count()
    # Another store object (another process) reads the same rows: nothing to catch up.
    with PostgresStore(ingested_pg) as again:
        assert is_current(again)
        assert bring_up_to_date(again).as_dict() == {
            part: {"changed": 0, "seconds": pytest.approx(0, abs=60)} for part in PARTS
        }


def test_a_search_related_and_match_only_read(
    ingested_pg: str, target_trials: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _commits(ingested_pg)
    with Atlas(PostgresStore(ingested_pg)) as atlas:
        called = _refuse(monkeypatch)
        assert atlas.derived_current()
        first = atlas.search({"q": "lupus nephritis", "limit": 5})
        assert first.total > 0
        key = first.hits[0].trial.key
        related = atlas.related({"nct": key, "top": 5})
        assert related.computed and all(r.nct_id != key for r in related.computed)
        answer = atlas.match({"note": NOTE, "top": 5, "status": "any"})
        assert answer.trials and any(t.criteria for t in answer.trials)
        assert called == []
        assert _commits(ingested_pg) == before
        monkeypatch.undo()
        # A write through another process (its own store object), then found at once by this one:
        # the ingest brought the index current, the search here does no catch-up.
        with PostgresStore(ingested_pg) as writer:
            assert ingest([str(target_trials / f"{NEW}.xml")], writer).new == 1
        called = _refuse(monkeypatch)
        found = atlas.search({"q": f"id:{NEW}", "limit": 5})
        assert [hit.trial.key for hit in found.hits] == [NEW]
        of_new = atlas.related({"nct": NEW, "top": 3}).computed
        assert of_new and all(r.nct_id != NEW for r in of_new)
        assert called == []
        monkeypatch.undo()
        # A trial deleted, then the write's derived step: gone from search and from related lists.
        with PostgresStore(ingested_pg) as writer:
            assert writer.delete([NEW]) == 1
            bring_up_to_date(writer)
        called = _refuse(monkeypatch)
        assert atlas.search({"q": f"id:{NEW}", "limit": 5}).total == 0
        assert all(r.nct_id != NEW for r in atlas.related({"nct": key, "top": 50}).computed)
        assert called == []


def test_two_server_processes_give_the_same_related_list_and_match(ingested_pg: str) -> None:
    with PostgresStore(ingested_pg) as store:
        key = next(iter(store.iter_trials())).key
        stamp = store.derived_stamp(RELATED_BLOB), store.derived_stamp(STATS_BLOB)
        assert None not in stamp
    answers: list[tuple[Any, Any]] = []
    with (
        serve_command(ingested_pg, "--workers", "1", "--match-workers", "0") as (_, first),
        serve_command(ingested_pg, "--workers", "1", "--match-workers", "0") as (_, second),
    ):
        for http in (first, second):
            started = time.perf_counter()
            related = http.get(f"/api/trials/{key}/related", params={"top": 10})
            assert related.status_code == 200, related.text
            match = http.post("/api/match", json={"note": NOTE, "top": 5, "status": "any"})
            assert match.status_code == 200, match.text
            assert time.perf_counter() - started < 60
            answers.append(
                (
                    [(r["nct_id"], round(r["score"], 6)) for r in related.json()["computed"]],
                    [(t["nct_id"], t["verdict"], round(t["score"], 6)) for t in match.json()["trials"]],
                )
            )
    assert answers[0] == answers[1]
    assert answers[0][0] and answers[0][1]
    # Neither process built or wrote its own: the blobs are those the ingest saved.
    with PostgresStore(ingested_pg) as store:
        assert (store.derived_stamp(RELATED_BLOB), store.derived_stamp(STATS_BLOB)) == stamp
        assert orjson.loads(stamp[0] or "{}")["seq"] == store.changes_since(0)[0]


def test_a_reader_account_serves_what_the_last_write_left(ingested_pg: str, target_trials: Path) -> None:
    """A role that may only read: its commands and servers never fail for want of writing; a part the
    store is ahead of is caught up in its memory only, and saved by the writer's next derived step."""
    role = f"reader_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(ingested_pg, autocommit=True) as conn:
        conn.execute(f'CREATE ROLE "{role}" LOGIN')
        conn.execute(f'GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{role}"')
    reader_url = ingested_pg.replace("postgresql://postgres@", f"postgresql://{role}@")
    with PostgresStore(ingested_pg) as writer:
        # A write without its derived step (an ingest killed before it): every part is behind.
        assert ingest([str(target_trials / f"{NEW}.xml")], writer, derive=False).new == 1
        stamp = writer.derived_stamp(RELATED_BLOB)
    with Atlas(PostgresStore(reader_url)) as atlas:
        assert not atlas.derived_current()
        atlas.catch_up()  # refused writes are skipped, not raised
        with pytest.raises(ReadOnlyStoreError):
            atlas.store.write_derived("probe", "0", b"")  # type: ignore[attr-defined]
        related = atlas.related({"nct": NEW, "top": 3})
        assert related.computed and all(r.nct_id != NEW for r in related.computed)
        assert atlas.match({"note": NOTE, "top": 3, "status": "any"}).trials
    with PostgresStore(ingested_pg) as writer:
        assert writer.derived_stamp(RELATED_BLOB) == stamp
        bring_up_to_date(writer)
        assert is_current(writer) and writer.derived_stamp(RELATED_BLOB) != stamp
    with psycopg.connect(ingested_pg, autocommit=True) as conn:
        conn.execute(f'DROP OWNED BY "{role}"')
        conn.execute(f'DROP ROLE "{role}"')
