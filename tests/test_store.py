"""The store contract, run against every backend, plus what only the SQLite file can show."""

from __future__ import annotations

import datetime as dt
import random
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from trialatlas.errors import QueryError, StoreError
from trialatlas.model import (
    Age,
    AgeUnit,
    Arm,
    Design,
    Eligibility,
    Enrollment,
    Location,
    OverallStatus,
    PartialDate,
    Phase,
    SecondaryId,
    SecondaryIdType,
    Sex,
    SourceFormat,
    SourceRecord,
    Sponsor,
    StatusInfo,
    StudyType,
    Trial,
)
from trialatlas.model.merge import stamp_provenance
from trialatlas.model.registries import registry_name
from trialatlas.services.stats import NONE_LABEL, store_stats
from trialatlas.store import MemoryStore, SqliteStore, TrialStore, UpsertOutcome, open_store
from trialatlas.store import sqlite as sqlite_module

NCT1, NCT2, NCT3 = "NCT00000001", "NCT00000002", "NCT00000003"


def make_trial(
    nct: str | None = NCT1,
    *,
    org: str | None = None,
    source: str | None = None,
    date: dt.date | None = dt.date(2020, 1, 1),
    partial: bool = False,
    raw: str | None = "",
    location: str | None = None,
    **fields: Any,
) -> Trial:
    """A single-source trial as a reader yields it (provenance stamped); ``raw=""`` means "derive one"."""
    source_id = source or f"ctgov-xml:{nct or org}:{date}"
    record = SourceRecord(
        id=source_id,
        format=SourceFormat.CTGOV_XML,
        location=location or f"/data/{source_id}.xml",
        record_date=date,
        partial=partial,
        raw=f"<study id='{nct or org}' date='{date}'/>" if raw == "" else raw,
    )
    trial = Trial(nct_id=nct, org_study_id=org, is_partial=partial, sources=[record], **fields)
    return stamp_provenance(trial)


def rich_trial() -> Trial:
    return make_trial(
        NCT1,
        org="ABC-123",
        brief_title="A rich trial",
        official_title="A trial with every kind of field filled",
        secondary_ids=[
            SecondaryId(id="2019-001234-56", type=SecondaryIdType.EUDRACT_NUMBER),
            SecondaryId(id="R01CA000001", type=SecondaryIdType.NIH),
        ],
        nct_id_aliases=["NCT00000099"],
        status=StatusInfo(
            overall_status=OverallStatus.RECRUITING, start_date=PartialDate(date="2019-11"), why_stopped=None
        ),
        design=Design(
            study_type=StudyType.INTERVENTIONAL,
            phases=[Phase.PHASE1, Phase.PHASE2],
            enrollment=Enrollment(count=120),
        ),
        eligibility=Eligibility(
            criteria_text="Inclusion: adults. Exclusion: none. — ünïcødé ✓",
            minimum_age=Age(value=18, unit=AgeUnit.YEARS),
            maximum_age=Age(value=6, unit=AgeUnit.MONTHS),
            sex=Sex.ALL,
        ),
        conditions=["Asthma", "COPD"],
        arms=[Arm(label="A", intervention_names=["Drug: X"])],
        lead_sponsor=Sponsor(name="Acme"),
        locations=[Location(city="Lyon", country="France"), Location(city="Oslo", country="Norway")],
    )


def without_raw(trial: Trial) -> dict[str, Any]:
    dump = trial.model_dump()
    for source in dump["sources"]:
        source["raw"] = None
    return dump


@pytest.fixture(params=["sqlite", "memory", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TrialStore]:
    backend: TrialStore
    if request.param == "sqlite":
        backend = SqliteStore(tmp_path / "nested" / "atlas.db")
    elif request.param == "postgres":
        backend = open_store(request.getfixturevalue("pg_url"))
    else:
        backend = MemoryStore()
    yield backend
    backend.close()


@pytest.fixture
def db(tmp_path: Path) -> Iterator[SqliteStore]:
    backend = SqliteStore(tmp_path / "atlas.db")
    yield backend
    backend.close()


# --- the protocol, on every backend ------------------------------------------------------------


def test_roundtrip_gives_back_the_trial_without_raw(store: TrialStore) -> None:
    trial = rich_trial()
    summary = store.upsert_batch([trial])
    assert summary.outcomes == {NCT1: UpsertOutcome.NEW}
    assert (summary.new, summary.updated, summary.unchanged) == (1, 0, 0)
    loaded = store.get(NCT1)
    assert loaded is not None
    assert loaded.model_dump() == without_raw(trial)
    assert loaded.sources[0].raw is None
    assert store.raw_records(NCT1) == [(trial.sources[0].id, trial.sources[0].raw)]
    assert isinstance(store, TrialStore)


def test_store_is_isolated_from_caller_objects(store: TrialStore) -> None:
    trial = make_trial(brief_title="Original")
    store.upsert_batch([trial])
    trial.brief_title = "Changed by the caller"
    loaded = store.get(NCT1)
    assert loaded is not None and loaded.brief_title == "Original"
    loaded.brief_title = "Changed after get"
    again = store.get(NCT1)
    assert again is not None and again.brief_title == "Original"


def test_newer_record_wins_per_field_and_older_does_not_overwrite(store: TrialStore) -> None:
    store.upsert_batch([make_trial(date=dt.date(2020, 1, 1), brief_title="Old", official_title="Only old")])
    summary = store.upsert_batch([make_trial(date=dt.date(2021, 1, 1), brief_title="New")])
    assert summary.outcomes == {NCT1: UpsertOutcome.UPDATED}
    summary = store.upsert_batch([make_trial(date=dt.date(2019, 1, 1), brief_title="Older", acronym="OLD")])
    assert summary.outcomes == {NCT1: UpsertOutcome.UPDATED}
    trial = store.get(NCT1)
    assert trial is not None
    assert trial.brief_title == "New"
    assert trial.official_title == "Only old"
    assert trial.acronym == "OLD"
    assert trial.field_sources["brief_title"] == f"ctgov-xml:{NCT1}:2021-01-01"
    assert trial.field_sources["acronym"] == f"ctgov-xml:{NCT1}:2019-01-01"
    assert [s.record_date for s in trial.sources] == [
        dt.date(2019, 1, 1),
        dt.date(2020, 1, 1),
        dt.date(2021, 1, 1),
    ]


def test_partial_record_never_overwrites_a_full_one(store: TrialStore) -> None:
    store.upsert_batch([make_trial(date=dt.date(2020, 1, 1), brief_title="Full")])
    partial = make_trial(
        date=dt.date(2024, 1, 1), partial=True, source="csv:row-7", brief_title="Partial", conditions=["Gout"]
    )
    store.upsert_batch([partial])
    trial = store.get(NCT1)
    assert trial is not None
    assert trial.brief_title == "Full"
    assert trial.conditions == ["Gout"]
    assert trial.is_partial is False


def test_incoming_record_wins_a_tie(store: TrialStore) -> None:
    store.upsert_batch([make_trial(source="a", brief_title="First")])
    store.upsert_batch([make_trial(source="b", brief_title="Second")])
    trial = store.get(NCT1)
    assert trial is not None and trial.brief_title == "Second"
    assert trial.field_sources["brief_title"] == "b"


def test_reupsert_is_unchanged_and_content_stays_identical(store: TrialStore) -> None:
    trials = [rich_trial(), make_trial(NCT2, brief_title="Two"), make_trial(None, org="LOCAL-1")]
    first = store.upsert_batch(trials)
    assert first.new == 3
    digest = store.content_digest()
    again = store.upsert_batch(trials)
    assert (again.new, again.updated, again.unchanged) == (0, 0, 3)
    assert set(again.outcomes.values()) == {UpsertOutcome.UNCHANGED}
    assert store.content_digest() == digest
    changed = store.upsert_batch([make_trial(NCT2, brief_title="Two, corrected")])
    assert changed.outcomes == {NCT2: UpsertOutcome.UPDATED}
    assert store.content_digest() != digest


def test_changed_raw_text_alone_is_an_update(store: TrialStore) -> None:
    store.upsert_batch([make_trial(raw="<v1/>")])
    summary = store.upsert_batch([make_trial(raw="<v2/>")])
    assert summary.outcomes == {NCT1: UpsertOutcome.UPDATED}
    assert store.raw_records(NCT1) == [(f"ctgov-xml:{NCT1}:2020-01-01", "<v2/>")]


def test_rereading_an_unchanged_record_changes_nothing(store: TrialStore) -> None:
    first = make_trial(source="s1", raw="<one/>", brief_title="From s1")
    store.upsert_batch([first, make_trial(source="s2", raw="<two/>", brief_title="From s2")])
    digest = store.content_digest()
    # Merging s1 again would win the date tie and flip the title back; a re-read must not.
    summary = store.upsert_batch([make_trial(source="s1", raw="<one/>", brief_title="From s1")])
    assert summary.outcomes == {NCT1: UpsertOutcome.UNCHANGED}
    assert store.content_digest() == digest
    trial = store.get(NCT1)
    assert trial is not None and trial.brief_title == "From s2"


def test_a_record_read_differently_is_merged_again(store: TrialStore) -> None:
    store.upsert_batch([make_trial(source="s1", raw="<one/>", brief_title="T")])
    # Same raw text, but an improved reader now finds the acronym in it.
    summary = store.upsert_batch([make_trial(source="s1", raw="<one/>", brief_title="T", acronym="NEW")])
    assert summary.outcomes == {NCT1: UpsertOutcome.UPDATED}
    trial = store.get(NCT1)
    assert trial is not None and trial.acronym == "NEW"
    again = store.upsert_batch([make_trial(source="s1", raw="<one/>", brief_title="T", acronym="NEW")])
    assert again.outcomes == {NCT1: UpsertOutcome.UNCHANGED}


def test_a_reread_after_a_change_in_the_same_batch_is_merged_by_rank(store: TrialStore) -> None:
    store.upsert_batch(
        [
            make_trial(source="s1", raw="<one/>", brief_title="A"),
            make_trial(source="s2", raw="<two/>", brief_title="B"),
        ]
    )
    changed = make_trial(source="s2", raw="<two, corrected/>", brief_title="C")
    summary = store.upsert_batch([changed, make_trial(source="s1", raw="<one/>", brief_title="A")])
    assert summary.outcomes == {NCT1: UpsertOutcome.UPDATED}
    trial = store.get(NCT1)
    # Same date and format: the higher source id ranks first, whatever order the records came in
    # (the merge rule in trialatlas.model.merge); the corrected record replaced its old version.
    assert trial is not None and trial.brief_title == "C"
    assert store.raw_records(NCT1) == [("s1", "<one/>"), ("s2", "<two, corrected/>")]


def test_lookup_by_every_id(store: TrialStore) -> None:
    store.upsert_batch([rich_trial(), make_trial(NCT2)])
    for text in (NCT1, "nct00000001", "ABC-123", " abc-123 ", "2019-001234-56", "R01CA000001", "NCT00000099"):
        found = store.get(text)
        assert found is not None and found.nct_id == NCT1, text
    assert store.get("NCT09999999") is None
    assert store.get("nobody") is None
    got = store.get_many([NCT2, "nobody", "abc-123", NCT2])
    assert [t.nct_id for t in got] == [NCT2, NCT1, NCT2]


def test_org_key_trial_is_found_by_its_key_and_org_id(store: TrialStore) -> None:
    store.upsert_batch([make_trial(None, org="ISRCTN-LOCAL-9", brief_title="No NCT")])
    assert store.keys() == ["ORG:ISRCTN-LOCAL-9"]
    for text in ("ORG:ISRCTN-LOCAL-9", "isrctn-local-9"):
        found = store.get(text)
        assert found is not None and found.brief_title == "No NCT"


def test_nct_less_record_merges_into_the_trial_with_its_org_study_id(store: TrialStore) -> None:
    store.upsert_batch([make_trial(NCT1, org="ABC-1", brief_title="Registry title")])
    page = make_trial(
        None, org="abc-1", source="page:1", date=dt.date(2021, 5, 1), brief_summary="From a page"
    )
    summary = store.upsert_batch([page])
    assert summary.outcomes == {NCT1: UpsertOutcome.UPDATED}
    assert store.keys() == [NCT1]
    trial = store.get(NCT1)
    assert trial is not None
    assert trial.brief_summary == "From a page"
    assert trial.brief_title == "Registry title"
    assert [source_id for source_id, _ in store.raw_records(NCT1)] == [
        f"ctgov-xml:{NCT1}:2020-01-01",
        "page:1",
    ]


def test_nct_less_record_merges_by_registry_secondary_id(store: TrialStore) -> None:
    eudract = SecondaryId(id="2019-001234-56", type=SecondaryIdType.EUDRACT_NUMBER)
    store.upsert_batch([make_trial(NCT1, org="SPONSOR-7", secondary_ids=[eudract])])
    store.upsert_batch([make_trial(None, org="2019-001234-56", source="euctr:1", acronym="EU")])
    assert store.keys() == [NCT1]
    trial = store.get(NCT1)
    assert trial is not None and trial.acronym == "EU"


def test_an_org_study_id_match_beats_a_secondary_id_match(store: TrialStore) -> None:
    other_registry = SecondaryId(id="X-1", type=SecondaryIdType.OTHER)
    store.upsert_batch(
        [make_trial(NCT1, org="X-1"), make_trial(NCT2, org="Y-2", secondary_ids=[other_registry])]
    )
    store.upsert_batch([make_trial(None, org="x-1", source="page:1", acronym="PAGE")])
    assert store.keys() == [NCT1, NCT2]
    trial = store.get(NCT1)
    assert trial is not None and trial.acronym == "PAGE"


def test_stored_org_trial_takes_the_nct_id_of_a_matching_record(store: TrialStore) -> None:
    store.upsert_batch([make_trial(None, org="ABC-1", source="page:1", brief_summary="From a page")])
    summary = store.upsert_batch([make_trial(NCT1, org="ABC-1", brief_title="Registry title")])
    assert summary.outcomes == {NCT1: UpsertOutcome.UPDATED}
    assert summary.renamed == {"ORG:ABC-1": NCT1}
    assert store.keys() == [NCT1]
    trial = store.get("ABC-1")
    assert trial is not None
    assert (trial.nct_id, trial.brief_summary, trial.brief_title) == (NCT1, "From a page", "Registry title")
    assert {source_id for source_id, _ in store.raw_records(NCT1)} == {
        "page:1",
        f"ctgov-xml:{NCT1}:2020-01-01",
    }
    assert store.integrity_check() == []


def test_a_key_renamed_earlier_in_the_batch_is_not_brought_back(store: TrialStore) -> None:
    store.upsert_batch([make_trial(None, org="X-1", source="page:1", brief_summary="Page")])
    summary = store.upsert_batch(
        [
            make_trial(NCT1, org="X-1", brief_title="Registry"),
            make_trial(None, org="X-1", source="page:2", date=dt.date(2022, 1, 1), acronym="LATER"),
        ]
    )
    assert summary.renamed == {"ORG:X-1": NCT1}
    assert summary.outcomes == {NCT1: UpsertOutcome.UPDATED}
    assert store.keys() == [NCT1]
    trial = store.get(NCT1)
    assert trial is not None
    assert (trial.brief_summary, trial.brief_title, trial.acronym) == ("Page", "Registry", "LATER")
    assert [source_id for source_id, _ in store.raw_records(NCT1)] == [
        f"ctgov-xml:{NCT1}:2020-01-01",
        "page:1",
        "page:2",
    ]
    assert store.integrity_check() == []


def test_identity_bridging_refuses_ambiguous_and_conflicting_ids(store: TrialStore) -> None:
    grant = SecondaryId(id="P30CA000001", type=SecondaryIdType.NIH)
    store.upsert_batch(
        [
            make_trial(NCT1, org="PROTOCOL-1"),
            make_trial(NCT2, org="PROTOCOL-1"),  # same org id, different NCT: two trials
            make_trial(NCT3, org="UNIQUE-3", secondary_ids=[grant]),
        ]
    )
    assert store.keys() == [NCT1, NCT2, NCT3]
    # Two trials share the org id: bridging would be a guess.
    store.upsert_batch([make_trial(None, org="PROTOCOL-1", source="page:a")])
    # A grant number funds many trials: it finds trials but never bridges them.
    store.upsert_batch([make_trial(None, org="P30CA000001", source="page:b")])
    assert store.keys() == [NCT1, NCT2, NCT3, "ORG:P30CA000001", "ORG:PROTOCOL-1"]
    found = store.get("P30CA000001")
    assert found is not None and found.key == "ORG:P30CA000001"


def test_nct_aliases_bridge_both_ways(store: TrialStore) -> None:
    store.upsert_batch([make_trial(NCT1, brief_title="Filed under the old id")])
    summary = store.upsert_batch([make_trial(NCT2, nct_id_aliases=[NCT1], official_title="Current")])
    assert summary.renamed == {NCT1: NCT2}
    assert store.keys() == [NCT2]
    summary = store.upsert_batch([make_trial(NCT1, source="old-copy", acronym="OLD")])
    assert summary.outcomes == {NCT2: UpsertOutcome.UPDATED}
    trial = store.get(NCT1)
    assert trial is not None
    assert (trial.nct_id, trial.brief_title, trial.official_title, trial.acronym) == (
        NCT2,
        "Filed under the old id",
        "Current",
        "OLD",
    )


def test_same_key_twice_in_one_batch_merges_in_order(store: TrialStore) -> None:
    summary = store.upsert_batch(
        [
            make_trial(date=dt.date(2021, 1, 1), brief_title="Newer"),
            make_trial(date=dt.date(2020, 1, 1), brief_title="Older", acronym="ACR"),
            make_trial(None, org="LATE", source="page:1", keywords=["bridged in batch"]),
            make_trial(NCT2),
        ]
    )
    assert summary.outcomes == {
        NCT1: UpsertOutcome.NEW,
        "ORG:LATE": UpsertOutcome.NEW,
        NCT2: UpsertOutcome.NEW,
    }
    trial = store.get(NCT1)
    assert trial is not None
    assert (trial.brief_title, trial.acronym, len(trial.sources)) == ("Newer", "ACR", 2)
    summary = store.upsert_batch(
        [make_trial(NCT3, org="X-9"), make_trial(None, org="x-9", source="page:2", keywords=["k"])]
    )
    assert summary.outcomes == {NCT3: UpsertOutcome.NEW}
    merged = store.get(NCT3)
    assert merged is not None and merged.keywords == ["k"]


def test_raw_records_are_kept_per_source(store: TrialStore) -> None:
    store.upsert_batch([make_trial(source="xml:1", date=dt.date(2021, 1, 1), raw="<xml/>")])
    store.upsert_batch([make_trial(source="json:1", date=dt.date(2020, 1, 1), raw='{"json": 1}')])
    store.upsert_batch([make_trial(source="csv:1", date=None, raw="a,b", partial=True)])
    assert store.raw_records(NCT1) == [("csv:1", "a,b"), ("json:1", '{"json": 1}'), ("xml:1", "<xml/>")]
    # A re-read without raw text keeps the text already stored.
    summary = store.upsert_batch([make_trial(source="xml:1", date=dt.date(2021, 1, 1), raw=None)])
    assert summary.outcomes == {NCT1: UpsertOutcome.UNCHANGED}
    assert ("xml:1", "<xml/>") in store.raw_records(NCT1)
    moved = make_trial(source="xml:1", date=dt.date(2021, 1, 1), raw=None, location="/moved/1.xml")
    assert store.upsert_batch([moved]).outcomes == {NCT1: UpsertOutcome.UPDATED}
    assert ("xml:1", "<xml/>") in store.raw_records(NCT1)
    store.upsert_batch([make_trial(NCT2, raw=None)])
    assert store.raw_records(NCT2) == []
    assert store.stats() == {"trials": 2, "partial": 0, "raw_records": 4, "with_raw": 3, "ids": 2}
    assert store.integrity_check() == []


def test_failing_batch_leaves_the_store_exactly_as_before(store: TrialStore) -> None:
    store.upsert_batch([make_trial(NCT1, brief_title="Kept"), make_trial(NCT2)])
    digest, keys = store.content_digest(), store.keys()
    # Built without validation, so it only fails when the store serialises it, mid-batch.
    not_a_title: Any = object()
    unserialisable = Trial.model_construct(nct_id=NCT3, brief_title=not_a_title, sources=[])
    batch = [
        make_trial(NCT1, date=dt.date(2030, 1, 1), brief_title="Lost"),
        make_trial("NCT00000004"),
        unserialisable,
    ]
    with pytest.raises(StoreError, match="upsert of 3 trials failed"):
        store.upsert_batch(batch)
    with pytest.raises(StoreError, match="trial 1 of the batch: a trial needs an NCT id"):
        store.upsert_batch([make_trial("NCT00000005"), Trial(brief_title="no ids")])
    assert store.content_digest() == digest
    assert store.keys() == keys
    kept = store.get(NCT1)
    assert kept is not None and kept.brief_title == "Kept"
    assert store.integrity_check() == []
    # The store still takes writes afterwards.
    assert store.upsert_batch([make_trial(NCT3)]).new == 1


def test_delete(store: TrialStore) -> None:
    store.upsert_batch([make_trial(NCT1, org="ORG-1"), make_trial(NCT2), make_trial(NCT3)])
    assert store.delete([NCT1, NCT3, NCT3, "NCT09999999"]) == 2
    assert store.keys() == [NCT2]
    assert store.get(NCT1) is None
    assert store.get("ORG-1") is None
    assert store.raw_records(NCT1) == []
    assert store.count() == 1
    assert store.delete([]) == 0
    assert store.integrity_check() == []
    assert store.upsert_batch([make_trial(NCT1)]).outcomes == {NCT1: UpsertOutcome.NEW}


def test_iteration_is_in_key_order(store: TrialStore) -> None:
    nct_ids = [f"NCT{n:08d}" for n in (7, 3, 11, 1, 5)]
    store.upsert_batch([make_trial(n) for n in nct_ids] + [make_trial(None, org="zz")])
    expected = [*sorted(nct_ids), "ORG:zz"]
    assert expected[:2] == ["NCT00000001", "NCT00000003"]
    assert store.keys() == expected
    assert [t.key for t in store.iter_trials(batch_size=2)] == expected
    assert store.count() == 6


def test_count_by(store: TrialStore) -> None:
    def trial(
        nct: str, status: OverallStatus, phases: list[Phase], countries: list[str], start: str
    ) -> Trial:
        return make_trial(
            nct,
            status=StatusInfo(overall_status=status, start_date=PartialDate(date=start)),
            design=Design(study_type=StudyType.INTERVENTIONAL, phases=phases),
            locations=[Location(country=country) for country in countries],
        )

    store.upsert_batch(
        [
            trial(
                NCT1, OverallStatus.RECRUITING, [Phase.PHASE1, Phase.PHASE2], ["France", "Norway"], "2019-11"
            ),
            trial(NCT2, OverallStatus.RECRUITING, [Phase.PHASE2], ["France"], "2019"),
            trial(NCT3, OverallStatus.COMPLETED, [Phase.PHASE3], [], "2021-02-03"),
            make_trial("NCT00000004"),
        ]
    )
    assert store.count_by("overall_status") == [("RECRUITING", 2), ("COMPLETED", 1)]
    assert store.count_by("study_type") == [("INTERVENTIONAL", 3)]
    assert store.count_by("phases") == [("PHASE2", 2), ("PHASE1", 1), ("PHASE3", 1)]
    assert store.count_by("countries") == [("France", 2), ("Norway", 1)]
    assert store.count_by("start_year") == [("2019", 2), ("2021", 1)]
    with pytest.raises(QueryError, match="cannot count by"):
        store.count_by("data; DROP TABLE trials")


def test_counts_by_registry_with_trials_of_none_named(store: TrialStore) -> None:
    """Registries are counted from the stored ids, and trials with no value under ``missing``; the
    store's statistics equal the counts read from every trial itself (as they were computed before
    they were read from the store's columns)."""
    store.upsert_batch(
        [
            make_trial(NCT1, status=StatusInfo(overall_status=OverallStatus.RECRUITING)),
            make_trial(NCT2, registry_ids=["ISRCTN12345678", "EudraCT 2016-004489-24"]),
            make_trial(None, org="LOCAL-7", registry_ids=["isrctn87654321"], source="isrctn:LOCAL-7"),
            make_trial(None, org="LOCAL-8", source="csv:LOCAL-8"),
        ]
    )
    assert store.count_by("registries") == [("ctgov", 2), ("isrctn", 2), ("euctr", 1)]
    assert store.count_by("registries", missing="-") == [("ctgov", 2), ("isrctn", 2), ("-", 1), ("euctr", 1)]
    assert store.count_by("overall_status", missing="-") == [("-", 3), ("RECRUITING", 1)]

    stats = store_stats(store).as_dict()
    trials = list(store.iter_trials())
    by_registry: dict[str, int] = {}
    for trial in trials:
        for name in [registry_name(code) for code in trial.registries] or [NONE_LABEL]:
            by_registry[name] = by_registry.get(name, 0) + 1
    assert stats["trials"] == len(trials) == 4
    assert stats["by_registry"] == by_registry
    assert stats["by_status"] == {NONE_LABEL: 3, "RECRUITING": 1}


def test_stats_count_each_country_once_under_the_name_search_gives_it(store: TrialStore) -> None:
    """Registries spell one country several ways ("United States", "United States of America",
    "Russia"): ``stats`` counts a trial once per country as the search's country facet and filter key
    it (``country_key``), not once per spelling (the make-run store's stats said "United States" 5,444
    and "United States of America" 2 where the facet said 5,446)."""
    from trialatlas.search.facets import country_key

    places = [
        ["United States", "United States of America"],
        ["United States of America"],
        ["USA", "Russia"],
        ["Russian Federation", "France"],
        ["France"],
    ]
    store.upsert_batch(
        [
            make_trial(f"NCT0000000{i}", locations=[Location(country=c) for c in countries])
            for i, countries in enumerate(places, start=1)
        ]
    )
    expected: dict[str, int] = {}
    for trial in store.iter_trials():
        for key in {country_key(loc.country) for loc in trial.locations if loc.country}:
            expected[key] = expected.get(key, 0) + 1
    counted = store_stats(store).as_dict()["by_country"]
    assert isinstance(counted, dict)
    assert {country_key(name): number for name, number in counted.items()} == expected
    assert len(counted) == len(expected)


def test_both_backends_agree_on_content(tmp_path: Path) -> None:
    batches = [
        [rich_trial(), make_trial(NCT2, raw=None), make_trial(None, org="LOCAL-1")],
        [
            make_trial(NCT1, source="b", date=dt.date(2022, 1, 1), acronym="B"),
            make_trial(NCT3, org="local-9"),
        ],
        [make_trial(None, org="LOCAL-9", source="page", conditions=["Flu"])],
    ]
    digests = []
    for backend in (SqliteStore(tmp_path / "a.db"), MemoryStore(), SqliteStore(tmp_path / "b.db")):
        summaries = [backend.upsert_batch(batch).outcomes for batch in batches]
        digests.append((backend.content_digest(), summaries, backend.keys()))
        backend.close()
    assert digests[0] == digests[1] == digests[2]


def random_batch(rng: random.Random, size: int, numbers: int = 25) -> list[Trial]:
    """Records of a few trials under every identity mix: NCT only, org only, both, aliases, re-reads."""
    batch = []
    for _ in range(size):
        number = rng.randrange(numbers)
        org = None if rng.random() < 0.25 else f"org-{number}"
        nct = None if org and rng.random() < 0.4 else f"NCT{number:08d}"
        aliases = [f"NCT{number + 100:08d}"] if rng.random() < 0.1 else []
        date = dt.date(2020 + rng.randrange(3), 1, 1)
        batch.append(
            make_trial(
                nct,
                org=org,
                source=f"s{number}-{rng.randrange(3)}",
                date=date,
                partial=rng.random() < 0.2,
                raw=rng.choice(["<a/>", "<b/>", None]),
                brief_title=rng.choice(["A", "B", None]),
                conditions=rng.choice([["X"], []]),
                nct_id_aliases=aliases,
            )
        )
    return batch


@pytest.mark.parametrize("seed", range(6))
def test_random_identity_mixes_keep_both_backends_equal_and_consistent(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    with SqliteStore(tmp_path / "fuzz.db") as sqlite_store, MemoryStore() as memory_store:
        for _ in range(40):
            batch = random_batch(rng, rng.randrange(1, 30))
            assert sqlite_store.upsert_batch(batch) == memory_store.upsert_batch(batch)
            assert sqlite_store.content_digest() == memory_store.content_digest()
            assert sqlite_store.integrity_check() == []
            assert memory_store.integrity_check() == []
        assert sqlite_store.keys() == memory_store.keys()
        assert sqlite_store.count() > 10


def test_closed_store_refuses_work(store: TrialStore) -> None:
    store.close()
    store.close()
    with pytest.raises(StoreError, match="closed"):
        store.count()


# --- what only the SQLite file can show --------------------------------------------------------


def _sql(path: str, query: str, *params: Any) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute(query, params).fetchall()
        conn.commit()
        return rows
    finally:
        conn.close()


def test_sqlite_file_setup_and_reopen(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "dir" / "atlas.db"
    with SqliteStore(path) as first:
        first.upsert_batch([rich_trial()])
        assert first.schema_version == sqlite_module.SCHEMA_VERSION
    assert _sql(str(path), "PRAGMA journal_mode") == [("wal",)]
    assert _sql(str(path), "PRAGMA user_version") == [(sqlite_module.SCHEMA_VERSION,)]
    with SqliteStore(path) as again:
        assert again.keys() == [NCT1]
        assert again.integrity_check() == []
        conn = again._connection()
        assert conn.execute("PRAGMA foreign_keys").fetchone() == (1,)
        assert conn.execute("PRAGMA synchronous").fetchone() == (1,)  # NORMAL


def test_sqlite_row_columns(db: SqliteStore) -> None:
    db.upsert_batch([rich_trial()])
    columns = "nct_id, org_study_id, is_partial, overall_status, study_type, phases, start_date, enrollment,"
    columns += " min_age_years, max_age_years, sex, countries, record_date, n_sources"
    assert _sql(db.location, f"SELECT {columns} FROM trials") == [
        (NCT1, "ABC-123", 0, "RECRUITING", "INTERVENTIONAL", "PHASE1|PHASE2", "2019-11", 120, 18.0, 0.5,
         "ALL", "France|Norway", "2020-01-01", 1)
    ]  # fmt: skip
    # The EudraCT number is a registry id: stored as the EU CTR trial it links to.
    assert sorted(_sql(db.location, "SELECT id, kind FROM trial_ids")) == [
        ("ABC-123", "org"),
        ("EUCTR2019-001234-56", "link"),
        ("NCT00000001", "nct"),
        ("NCT00000099", "alias"),
        ("R01CA000001", "grant"),
    ]
    assert _sql(db.location, "SELECT length(raw_sha), length(reading_sha) FROM raw_records") == [(32, 32)]


def test_sqlite_unchanged_rows_are_not_rewritten(db: SqliteStore) -> None:
    db.upsert_batch([make_trial(NCT1), make_trial(NCT2)])
    _sql(db.location, "UPDATE trials SET updated_at = 'sentinel'")
    db.upsert_batch([make_trial(NCT1), make_trial(NCT2, brief_title="changed")])
    assert _sql(db.location, "SELECT key, updated_at = 'sentinel' FROM trials ORDER BY key") == [
        (NCT1, 1),
        (NCT2, 0),
    ]


def test_sqlite_reingest_gives_byte_identical_data(tmp_path: Path) -> None:
    batches = [[rich_trial(), make_trial(NCT2)], [make_trial(NCT1, source="x", date=dt.date(2023, 1, 1))]]
    blobs = []
    for name in ("one.db", "two.db"):
        with SqliteStore(tmp_path / name) as backend:
            for batch in batches:
                backend.upsert_batch(batch)
            backend.upsert_batch(batches[0])
            blobs.append(_sql(backend.location, "SELECT key, data FROM trials ORDER BY key"))
    assert blobs[0] == blobs[1]


def test_sqlite_rolls_back_writes_already_made_in_the_batch(db: SqliteStore) -> None:
    db.upsert_batch([make_trial(NCT1, brief_title="Kept")])
    digest = db.content_digest()
    # Fails on the last statement of the batch, after its trial rows and ids were written.
    _sql(
        db.location,
        "CREATE TRIGGER refuse AFTER INSERT ON raw_records WHEN NEW.source_id = 'poison'"
        " BEGIN SELECT RAISE(ABORT, 'refused by test trigger'); END",
    )
    batch = [
        make_trial(NCT1, date=dt.date(2030, 1, 1), brief_title="Lost"),
        make_trial(NCT2, source="poison"),
    ]
    with pytest.raises(StoreError, match="refused by test trigger"):
        db.upsert_batch(batch)
    assert db.content_digest() == digest
    assert db.keys() == [NCT1]
    assert _sql(db.location, "SELECT count(*) FROM trial_ids") == [(1,)]
    assert db.integrity_check() == []


def test_sqlite_integrity_check_reports_damage(db: SqliteStore) -> None:
    db.upsert_batch([make_trial(NCT1), make_trial(NCT2, org="O-2")])
    assert db.integrity_check() == []
    _sql(db.location, "DELETE FROM raw_records WHERE trial_key = ?", NCT1)
    _sql(db.location, "DELETE FROM trial_ids WHERE key = ? AND kind = 'org'", NCT2)
    _sql(db.location, "UPDATE raw_records SET raw_sha = zeroblob(32) WHERE trial_key = ?", NCT2)
    problems = db.integrity_check()
    assert f"{NCT1}: 1 sources but 0 raw records" in problems
    assert f"{NCT2}: id rows do not match the trial's ids" in problems
    assert any(p.startswith(f"{NCT2}: raw record") and "checksum" in p for p in problems)
    assert f"{NCT1}: 1 sources but 0 raw records" in db.integrity_check(deep=False)


def test_sqlite_refuses_files_it_cannot_use(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match="cannot open"):
        SqliteStore(garbage)
    foreign = tmp_path / "foreign.db"
    _sql(str(foreign), "CREATE TABLE something (x)")
    with pytest.raises(StoreError, match="not a trialatlas store"):
        SqliteStore(foreign)
    newer = tmp_path / "newer.db"
    SqliteStore(newer).close()
    _sql(str(newer), "PRAGMA user_version = 99")
    with pytest.raises(StoreError, match="newer than this trialatlas"):
        SqliteStore(newer)


def test_sqlite_migration_hook_runs_missing_steps(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "old.db"
    with SqliteStore(path) as old:
        old.upsert_batch([make_trial(NCT1)])

    def add_notes(conn: sqlite3.Connection) -> None:
        conn.execute("ALTER TABLE trials ADD COLUMN notes TEXT")

    current = sqlite_module.SCHEMA_VERSION
    monkeypatch.setattr(sqlite_module, "SCHEMA_VERSION", current + 1)
    monkeypatch.setattr(sqlite_module, "MIGRATIONS", {})
    with pytest.raises(StoreError, match=f"no migration from schema {current} to {current + 1}"):
        SqliteStore(path)
    assert _sql(str(path), "PRAGMA user_version") == [(current,)]
    monkeypatch.setattr(sqlite_module, "MIGRATIONS", {current: add_notes})
    with SqliteStore(path) as migrated:
        assert migrated.schema_version == current + 1
        assert migrated.keys() == [NCT1]
    assert ("notes",) in [(row[1],) for row in _sql(str(path), "PRAGMA table_info(trials)")]


def test_open_store_picks_the_backend(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plain = open_store(str(tmp_path / "a" / "plain.db"))
    assert isinstance(plain, SqliteStore) and Path(plain.location).is_file()
    plain.close()
    url = open_store(f"sqlite:///{tmp_path}/url.db")
    assert isinstance(url, SqliteStore) and url.location == f"{tmp_path}/url.db"
    url.close()
    memory = open_store("memory://")
    assert isinstance(memory, MemoryStore)
    monkeypatch.setenv("TRIALATLAS_DB", str(tmp_path / "env.db"))
    default = open_store(None)
    assert isinstance(default, SqliteStore) and default.location == str(tmp_path / "env.db")
    default.close()
    with pytest.raises(StoreError, match="cannot open the store"):
        open_store("postgresql://nobody@127.0.0.1:1/atlas")
    with pytest.raises(StoreError, match="unknown store URL scheme"):
        open_store("mysql://host/db")
    with pytest.raises(StoreError, match="sqlite:///path"):
        open_store("sqlite://")


def test_change_feed_lists_written_and_deleted_keys(store: TrialStore) -> None:
    seq0, keys0 = store.changes_since(0)
    assert (seq0, keys0) == (0, [])
    store.upsert_batch([make_trial("NCT00000001"), make_trial("NCT00000002")])
    seq1, keys1 = store.changes_since(seq0)
    assert sorted(keys1) == ["NCT00000001", "NCT00000002"] and seq1 > seq0
    # nothing new: the same number back, no keys
    assert store.changes_since(seq1) == (seq1, [])
    store.delete(["NCT00000001"])
    seq2, keys2 = store.changes_since(seq1)
    assert keys2 == ["NCT00000001"] and store.get("NCT00000001") is None
    # re-reading an identical record writes nothing, so the feed stays quiet
    store.upsert_batch([make_trial("NCT00000002")])
    assert store.changes_since(seq2)[1] == []


def test_schema_1_store_gains_the_change_feed(tmp_path: Path) -> None:
    path = tmp_path / "v1.db"
    with SqliteStore(path) as store:
        store.upsert_batch([make_trial(NCT1), make_trial(NCT2)])
    # Turn the file back into a schema-1 store: no change feed yet.
    _sql(str(path), "DROP TABLE trial_changes")
    _sql(str(path), "PRAGMA user_version = 1")
    with SqliteStore(path) as migrated:
        assert migrated.schema_version == sqlite_module.SCHEMA_VERSION
        # every trial stored before the feed existed counts as changed, so indexes rebuild
        assert sorted(migrated.changes_since(0)[1]) == [NCT1, NCT2]


def test_schema_3_store_reindexes_registry_ids(tmp_path: Path) -> None:
    """A store written before registry ids were links finds them after opening, in any spelling."""
    path = tmp_path / "v3.db"
    eudract = SecondaryId(id="2019-001234-56", type=SecondaryIdType.EUDRACT_NUMBER)
    with SqliteStore(path) as store:
        store.upsert_batch([make_trial(NCT1, secondary_ids=[eudract])])
    # Turn the file back into a schema-3 store: the EudraCT number as a plain secondary id.
    _sql(str(path), "DELETE FROM trial_ids WHERE kind = 'link'")
    _sql(str(path), f"INSERT INTO trial_ids (id, kind, key) VALUES ('2019-001234-56', 'secondary', '{NCT1}')")
    _sql(str(path), "PRAGMA user_version = 3")
    with SqliteStore(path) as migrated:
        assert migrated.schema_version == sqlite_module.SCHEMA_VERSION
        assert migrated.integrity_check() == []
        for text in ("2019-001234-56", "EUCTR2019-001234-56-DE"):
            found = migrated.get(text)
            assert found is not None and found.key == NCT1, text
