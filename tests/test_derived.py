"""Derived data is made as the store is written: after an ingest, related trials, matches and searches
only read (nothing is built or parsed on a request); a catch-up cut off midway is finished by the next
one, redoing nothing already done; a store whose derived tables are missing or were made by another
parser is brought up to date once."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from refusals import refusing
from trialatlas.cli import app
from trialatlas.match import matcher as matcher_module
from trialatlas.match import stored_rules
from trialatlas.match.matcher import StoreMatcher
from trialatlas.match.relevance import TrialGate, TrialTerms
from trialatlas.match.stored_rules import CriteriaRules, parse_trial
from trialatlas.model import PartialDate, Trial
from trialatlas.related import index as related_index
from trialatlas.search import SearchIndex
from trialatlas.services.atlas import Atlas
from trialatlas.services.derived import PARTS, behind, bring_up_to_date, is_current
from trialatlas.services.ingest import ingest
from trialatlas.store import SqliteStore, open_store

NOTE = "A 45-year-old woman with type 2 diabetes and hypertension. Not pregnant. No history of cancer."


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory, target_trials: Path) -> Path:
    """A store written by an ingest (with its derived data), copied by each test that changes it."""
    path = tmp_path_factory.mktemp("derived") / "atlas.db"
    with SqliteStore(path) as store:
        assert ingest([target_trials], store).ok
    return path


@pytest.fixture
def store_copy(ingested: Path, tmp_path: Path) -> Path:
    target = tmp_path / "atlas.db"
    for source in ingested.parent.iterdir():
        if source.name.startswith(ingested.name) and not source.name.endswith("-lock"):
            # Files beside the store, and folders (the search engine's).
            if source.is_dir():
                shutil.copytree(source, tmp_path / source.name)
            else:
                shutil.copy(source, tmp_path / source.name)
    return target


def _forget_in_memory_indexes() -> None:
    # A new process keeps no index in memory: what it reads comes from the store's files.
    related_index._BY_PATH.clear()


@pytest.fixture
def no_building(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every way a request could build or parse something raises, and is recorded."""
    called: list[str] = []

    refuse = partial(refusing, called)

    monkeypatch.setattr(related_index, "build_index", refuse("related build_index"))
    monkeypatch.setattr(related_index, "patch_index", refuse("related patch_index"))
    monkeypatch.setattr(SearchIndex, "rebuild", refuse("search rebuild"))
    monkeypatch.setattr(matcher_module, "parse_eligibility", refuse("criteria parse"))
    monkeypatch.setattr(matcher_module, "sample_stats", refuse("statistics sample"))
    # A candidate's term counts are read as the ingest kept them, never counted on a request.
    monkeypatch.setattr(TrialTerms, "of", refuse("term count"))
    _forget_in_memory_indexes()
    yield called


def test_ingest_leaves_every_part_current(ingested: Path) -> None:
    with SqliteStore(ingested) as store:
        assert behind(store) == dict.fromkeys(PARTS, 0)
        assert is_current(store)
        rules = CriteriaRules.for_store(store)
        assert rules.last_seq == store.changes_since(0)[0]
        # Every trial with criteria has its rules kept, equal to a fresh parse.
        trials = list(store.iter_trials())
        kept = rules.rules_of(trials)
        with_criteria = [t for t in trials if t.eligibility.criteria_text or t.eligibility.inclusion]
        assert with_criteria and all(t.key in kept for t in with_criteria)
        sample = with_criteria[0]
        assert kept[sample.key] == parse_trial(sample)
        # Every trial's prefilter fields and term counts are kept too, equal to a fresh count.
        counted = rules.terms_of(store, [t.key for t in trials])
        assert set(counted) == {t.key for t in trials}
        for trial in trials:
            assert counted[trial.key] == (TrialGate.of(trial), TrialTerms.of(trial))


def test_related_and_match_after_ingest_build_nothing(store_copy: Path, no_building: list[str]) -> None:
    with Atlas(open_store(str(store_copy))) as atlas:
        assert atlas.derived_current()
        first = next(atlas.store.iter_trials())
        related = atlas.related({"nct": first.key, "top": 5})
        assert related.computed and all(r.nct_id != first.key for r in related.computed)
        answer = atlas.match({"note": NOTE, "top": 5, "status": "any"})
        assert answer.trials
        # The verdicts come from the stored rules: at least one criterion was judged.
        assert any(t.criteria for t in answer.trials)
    assert no_building == []


def test_saved_related_index_is_mapped_and_patched_after_reload(store_copy: Path, v2_jsonl: Path) -> None:
    _forget_in_memory_indexes()
    with SqliteStore(store_copy) as store:
        path = related_index.index_path(store)
        assert path is not None
        loaded = related_index.load_index(path)
        assert loaded is not None
        # Read-only views of the file, not copies.
        assert not loaded.families["cond"].weights.flags.writeable
        # Plain arrays over the mapping (np.memmap's slicing runs Python code on every slice), still
        # backed by the file rather than copied into memory.
        weights = loaded.families["cond"].weights
        assert type(weights) is np.ndarray and not weights.flags.owndata
        base = weights
        while isinstance(base, np.ndarray) and not isinstance(base, np.memmap):
            base = base.base
        assert isinstance(base, np.memmap)
        built = related_index.build_index(store.iter_trials())
        assert loaded.keys == built.keys
        row = 0
        assert np.allclose(loaded.families["cond"].row(row)[1], built.families["cond"].row(row)[1])
        assert np.array_equal(loaded.lexical.index.postings.by_row[1], built.lexical.index.postings.by_row[1])
        before = loaded.size
        # A later ingest patches the mapped index (whose arrays cannot be written in place) and saves it.
        assert ingest([v2_jsonl], store).ok
        _forget_in_memory_indexes()
        again = related_index.load_index(path)
        assert again is not None
        assert again.size == store.count() > before
        assert again.marker["seq"] == related_index.store_sequence(store)


def test_catch_up_cut_off_midway_is_finished_next_time(
    store_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with SqliteStore(store_copy) as store:
        rules = CriteriaRules.for_store(store)
        # Forget the rules as if they had never been made: every trial is to be parsed.
        with sqlite3.connect(store_copy) as conn:
            conn.execute("DELETE FROM derived_criteria")
            conn.execute("UPDATE derived_meta SET value = '0' WHERE name = 'last_seq'")
        total = store.count()
        assert total > 4
        monkeypatch.setattr(stored_rules, "BATCH", 2)
        parsed: list[str] = []

        def parse_then_die(trial: Trial) -> list[Any]:
            if len(parsed) == 3:
                raise KeyboardInterrupt  # a kill in the middle of the third batch
            parsed.append(trial.key)
            return parse_trial(trial)

        with pytest.raises(KeyboardInterrupt):
            rules.catch_up(store, parse=parse_then_die)
        # Whole batches were kept; the change number did not move.
        assert rules.last_seq == 0
        assert behind(store)["criteria"] == total
        redone: list[str] = []

        def parse_counted(trial: Trial) -> list[Any]:
            redone.append(trial.key)
            return parse_trial(trial)

        assert rules.catch_up(store, parse=parse_counted) == total - 2
        assert not set(redone) & set(parsed[:2])  # the first batch was kept, not parsed again
        assert rules.last_seq == store.changes_since(0)[0]
        assert rules.catch_up(store, parse=parse_counted) == 0


def test_a_trial_written_after_the_catch_up_is_not_read_from_its_stale_term_row(
    store_copy: Path,
) -> None:
    with SqliteStore(store_copy) as store:
        trials = list(store.iter_trials())
        changed, unchanged = trials[0], trials[1]
        rules = CriteriaRules.for_store(store)
        before = rules.terms_of(store, [changed.key])[changed.key][1]
        # A matcher of a long-running process, which keeps the rows it decoded.
        matcher = StoreMatcher(store)
        assert matcher.term_rows([changed.key, unchanged.key])[changed.key][1] == before
        # A newer record of the trial (the merge keeps the newest record's title).
        newer = changed.status.model_copy(update={"last_update_post_date": PartialDate(date="2031-01-02")})
        retitled = changed.model_copy(
            update={"brief_title": "Zanubrutinib in marginal zone lymphoma", "status": newer}
        )
        assert store.upsert_batch([retitled]).updated == 1
        assert store.get(changed.key).title == "Zanubrutinib in marginal zone lymphoma"
        # The feed names the trial after the rows' change number: its row is not served (the matcher
        # loads the trial and counts it), the others' rows still are.
        kept = rules.terms_of(store, [changed.key, unchanged.key])
        assert changed.key not in kept and unchanged.key in kept
        assert set(matcher.term_rows([changed.key, unchanged.key])) == {unchanged.key}
        assert behind(store)["criteria"] == 1
        assert rules.catch_up(store) == 1
        recounted = rules.terms_of(store, [changed.key])[changed.key][1]
        assert recounted != before and recounted.about["zanubrutinib"] > 0
        assert recounted == TrialTerms.of(store.get(changed.key))
        assert matcher.term_rows([changed.key])[changed.key][1] == recounted


def test_a_new_term_counter_recounts_every_trial_once_without_parsing(
    store_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with SqliteStore(store_copy) as store:
        monkeypatch.setattr(stored_rules, "terms_fingerprint", lambda: "another-counter")
        rules = CriteriaRules.for_store(store)
        assert not rules.is_current_layout()
        assert rules.terms_of(store, [t.key for t in store.iter_trials()]) == {}  # never served
        called: list[str] = []
        # The rules' digests did not change: no criterion is parsed again.
        assert rules.catch_up(store, parse=refusing(called, "criteria parse")) == store.count()
        assert called == []
        assert rules.catch_up(store) == 0


def test_store_missing_its_derived_tables_migrates_once(store_copy: Path) -> None:
    with sqlite3.connect(store_copy) as conn:
        conn.execute("DROP TABLE derived_criteria")
        conn.execute("DROP TABLE derived_meta")
    with SqliteStore(store_copy) as store:
        assert behind(store)["criteria"] is None
        assert not is_current(store)
        calls: list[tuple[str, int, int | None]] = []
        report = bring_up_to_date(store, on_progress=lambda *step: calls.append(step))
        assert report.parts["criteria"].changed == store.count()
        assert report.parts["search"].changed == 0  # the other parts were current
        assert any(part == "criteria" and total for part, _, total in calls)  # progress was told
        assert is_current(store)
        assert bring_up_to_date(store).parts["criteria"].changed == 0


def test_a_new_parser_reparses_every_trial_once(store_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with SqliteStore(store_copy) as store:
        monkeypatch.setattr(stored_rules, "parser_fingerprint", lambda: "another-parser")
        rules = CriteriaRules.for_store(store)
        assert not rules.is_current_layout()
        assert rules.rules_of(list(store.iter_trials())) == {}  # old rules are never served
        assert rules.catch_up(store) == store.count()
        assert rules.catch_up(store) == 0


def test_cli_command_brings_a_behind_store_up_to_date_once(store_copy: Path) -> None:
    with sqlite3.connect(store_copy) as conn:
        conn.execute("DROP TABLE derived_criteria")
    runner = CliRunner()
    result = runner.invoke(app, ["match", "--db", str(store_copy), "--json", "--status", "any", NOTE])
    assert result.exit_code == 0, result.output
    with SqliteStore(store_copy) as store:
        assert is_current(store)


def test_a_store_that_is_no_file_keeps_nothing_derived(target_trials: Path) -> None:
    # Its derived data would go with the process: each process makes its own on first use, as before.
    with open_store("memory://derived") as store:
        assert ingest([target_trials], store).ok
        assert behind(store) == {}
        assert is_current(store)
        assert bring_up_to_date(store).parts == {}
        assert not CriteriaRules.for_store(store).is_current_layout()


def test_a_command_brings_up_to_date_only_what_it_reads(store_copy: Path) -> None:
    with sqlite3.connect(store_copy) as conn:
        conn.execute("DROP TABLE derived_criteria")
    result = CliRunner().invoke(app, ["search", "--db", str(store_copy), "--json", "lupus"])
    assert result.exit_code == 0, result.output
    with SqliteStore(store_copy) as store:
        # A search reads no criteria rules: they are left for the command (or write) that needs them.
        assert behind(store)["criteria"] is None
        assert behind(store)["search"] == 0


def test_a_record_changed_outside_its_criteria_is_not_parsed_again(
    store_copy: Path, target_trials: Path, tmp_path: Path
) -> None:
    # The rules are keyed by a digest of the criteria texts: an ingest that changes a trial's title
    # re-indexes it for search and counts its terms again, but parses none of its criteria again.
    source = target_trials / "NCT04048161.xml"
    text = source.read_text(encoding="utf-8")
    # A later update of the record, so it wins the merge wherever the data folder lies (two records
    # of the same date are ordered by their source ids, which hold their paths).
    changed = text.replace("<brief_title>", "<brief_title>Retitled: ", 1).replace(
        '<last_update_posted type="Actual">July 22, 2020',
        '<last_update_posted type="Actual">July 22, 2021',
        1,
    )
    assert changed.count("Retitled") == 1 and "July 22, 2021" in changed
    (tmp_path / "changed").mkdir()
    (tmp_path / "changed" / source.name).write_text(changed, encoding="utf-8")
    with SqliteStore(store_copy) as store:
        parsed: list[str] = []

        def parse_counted(trial: Trial) -> list[Any]:
            parsed.append(trial.key)
            return parse_trial(trial)

        assert ingest([tmp_path / "changed"], store, derive=False).updated == 1
        assert behind(store)["criteria"] == 1  # the trial is in the change feed
        retitled = store.get("NCT04048161")
        assert retitled is not None and retitled.title.startswith("Retitled: ")
        rules = CriteriaRules.for_store(store)
        kept = rules._digests("derived_criteria", ["NCT04048161"])
        assert rules.catch_up(store, parse=parse_counted) == 1  # its terms, counted again
        assert parsed == []
        assert rules._digests("derived_criteria", ["NCT04048161"]) == kept
        assert bring_up_to_date(store).parts["search"].changed == 1
        assert is_current(store)


def test_a_server_takes_no_request_before_its_indexes_hold_changes_made_before_it_started(
    store_copy: Path,
) -> None:
    from fastapi.testclient import TestClient

    from trialatlas.api.app import create_app

    with SqliteStore(store_copy) as store:
        gone = next(iter(store.iter_trials())).key
        assert store.delete([gone]) == 1  # a write that derives nothing: the indexes are now behind
        assert not is_current(store)
    with TestClient(create_app(str(store_copy))) as client:
        # Started: before any request, every index already holds the change (a search coming while
        # a background thread caught up would be answered from the index as it was).
        assert client.app.state.atlas.derived_current()  # type: ignore[attr-defined]
        found = client.get("/api/trials", params={"q": f"id:{gone}"}).json()
        assert found["total"] == 0
