"""Version history on every backend: each change keeps the version it replaces; diffs by aspect."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

from test_store import NCT1, NCT2, make_trial
from trialatlas.model import (
    Design,
    Eligibility,
    Enrollment,
    Location,
    OverallStatus,
    PartialDate,
    StatusInfo,
    Trial,
)
from trialatlas.store import SqliteStore, TrialStore, diff_trials, version_at
from trialatlas.store import sqlite as sqlite_module
from trialatlas.store.history import Aspect, Change

CRITERIA = (
    "Inclusion Criteria:\n* Age {} or older\n* Biopsy-proven lupus nephritis\n"
    "Exclusion Criteria:\n* Pregnancy"
)
CRITERIA_V1, CRITERIA_V2 = CRITERIA.format(18), CRITERIA.format(12)


def version_of(
    date: dt.date,
    status: OverallStatus,
    enrollment: int,
    sites: list[Location],
    criteria: str,
    completion: str = "2025-06",
) -> Trial:
    return make_trial(
        NCT1,
        source="ctgov-v2:api#NCT00000001",
        date=date,
        raw=f"<v {date}/>",
        brief_title="Tacrolimus for lupus nephritis",
        status=StatusInfo(
            overall_status=status,
            start_date=PartialDate(date="2020-01"),
            completion_date=PartialDate(date=completion),
            last_update_post_date=PartialDate(date=date.isoformat()),
        ),
        design=Design(enrollment=Enrollment(count=enrollment)),
        eligibility=Eligibility(criteria_text=criteria),
        locations=sites,
    )


BEIJING = Location(facility="Peking University First Hospital", city="Beijing", country="China")
CHENGDU = Location(facility="Chengdu Women and Children's Center Hospital", city="Chengdu", country="China")


def three_versions() -> list[Trial]:
    recruiting = OverallStatus.RECRUITING
    return [
        version_of(dt.date(2021, 3, 1), OverallStatus.NOT_YET_RECRUITING, 100, [BEIJING], CRITERIA_V1),
        version_of(
            dt.date(2022, 5, 1),
            recruiting,
            120,
            [BEIJING.model_copy(update={"status": recruiting}), CHENGDU],
            CRITERIA_V1,
        ),
        version_of(
            dt.date(2023, 10, 17),
            OverallStatus.COMPLETED,
            270,
            [CHENGDU],
            CRITERIA_V2,
            completion="2023-07-12",
        ),
    ]


def test_every_change_keeps_the_version_it_replaces(any_store: TrialStore) -> None:
    versions = three_versions()
    assert any_store.versions(NCT1) == []
    any_store.upsert_batch([versions[0]])
    only = any_store.versions(NCT1)
    assert [(v.number, v.is_current) for v in only] == [(1, True)]
    for trial in versions[1:]:
        any_store.upsert_batch([trial])
    # Re-reading the newest record changes nothing, so it adds no version.
    any_store.upsert_batch([versions[2]])
    history = any_store.versions(NCT1)
    assert [v.number for v in history] == [1, 2, 3]
    assert [v.is_current for v in history] == [False, False, True]
    assert [v.trial.status.overall_status for v in history] == [
        OverallStatus.NOT_YET_RECRUITING,
        OverallStatus.RECRUITING,
        OverallStatus.COMPLETED,
    ]
    assert [v.registry_date for v in history] == ["2021-03-01", "2022-05-01", "2023-10-17"]
    assert history[0].replaced_at is not None and history[0].replaced_at >= history[0].stored_at
    assert history[-1].trial == any_store.get(NCT1)
    # Asked by another id, the same history.
    assert [v.number for v in any_store.versions("nct00000001")] == [1, 2, 3]
    assert any_store.versions(NCT2) == []


def test_what_is_not_a_new_version(any_store: TrialStore) -> None:
    any_store.upsert_batch([make_trial(NCT1, raw="<v1/>")])
    # Only the raw text, then where the record lives, changed: what the trial says did not.
    any_store.upsert_batch([make_trial(NCT1, raw="<v2/>")])
    moved = make_trial(NCT1, raw=None, location="/moved.xml")
    any_store.upsert_batch([moved])
    assert len(any_store.versions(NCT1)) == 1
    any_store.upsert_batch([make_trial(NCT1, source="other", brief_title="Now titled")])
    assert len(any_store.versions(NCT1)) == 2


def test_history_follows_renames_and_goes_with_deletes(any_store: TrialStore) -> None:
    any_store.upsert_batch([make_trial(None, org="ABC-1", source="page:1", brief_summary="From a page")])
    any_store.upsert_batch([make_trial(None, org="ABC-1", source="page:2", acronym="AC")])
    assert len(any_store.versions("ORG:ABC-1")) == 2
    summary = any_store.upsert_batch([make_trial(NCT1, org="ABC-1", brief_title="Registry")])
    assert summary.renamed == {"ORG:ABC-1": NCT1}
    history = any_store.versions(NCT1)
    assert [v.trial.key for v in history] == ["ORG:ABC-1", "ORG:ABC-1", NCT1]
    assert any_store.versions("abc-1") == history  # the org id still finds it
    assert any_store.integrity_check() == []
    any_store.delete([NCT1])
    assert any_store.versions(NCT1) == []
    any_store.upsert_batch([make_trial(NCT1)])
    assert len(any_store.versions(NCT1)) == 1


def test_version_at_picks_the_version_current_on_a_date(any_store: TrialStore) -> None:
    for trial in three_versions():
        any_store.upsert_batch([trial])
    history = any_store.versions(NCT1)
    assert version_at(history, "2020-12-31") is None
    picked = version_at(history, "2021-03-01")
    assert picked is not None and picked.number == 1
    picked = version_at(history, dt.date(2023, 1, 1))
    assert picked is not None and picked.number == 2
    picked = version_at(history, "2024")
    assert picked is not None and picked.number == 3


def test_diff_shows_status_enrollment_dates_sites_and_criteria() -> None:
    first, second, third = three_versions()
    changes = diff_trials(first, second)
    assert Change(Aspect.STATUS, "overall status", "NOT_YET_RECRUITING", "RECRUITING") in changes
    assert Change(Aspect.ENROLLMENT, "enrollment", "100", "120") in changes
    assert Change(Aspect.DATES, "last update posted", "2021-03-01", "2022-05-01") in changes
    site_changes = [c for c in changes if c.aspect is Aspect.SITES]
    assert site_changes == [
        Change(Aspect.SITES, "Peking University First Hospital (Beijing, China)", "listed", "RECRUITING"),
        Change(Aspect.SITES, "Chengdu Women and Children's Center Hospital (Chengdu, China)", None, "listed"),
    ]
    assert [c.kind for c in site_changes] == ["changed", "added"]
    assert not [c for c in changes if c.aspect is Aspect.CRITERIA]

    changes = diff_trials(second, third)
    assert Change(Aspect.STATUS, "overall status", "RECRUITING", "COMPLETED") in changes
    assert Change(Aspect.DATES, "completion date", "2025-06", "2023-07-12") in changes
    assert (
        Change(Aspect.SITES, "Peking University First Hospital (Beijing, China)", "RECRUITING", None)
        in changes
    )
    criteria = [c for c in changes if c.aspect is Aspect.CRITERIA]
    assert criteria == [
        Change(Aspect.CRITERIA, "criterion", "* Age 18 or older", None),
        Change(Aspect.CRITERIA, "criterion", None, "* Age 12 or older"),
    ]
    # Changes come grouped in the order users read them.
    aspects = [c.aspect for c in changes]
    assert aspects == sorted(aspects, key=list(Aspect).index)
    assert diff_trials(third, third) == []


def test_schema_2_store_gains_version_history(tmp_path: Path) -> None:
    path = tmp_path / "v2.db"
    with SqliteStore(path) as store:
        store.upsert_batch([make_trial(NCT1, brief_title="Old")])
    conn = sqlite3.connect(path)
    conn.execute("DROP TABLE trial_versions")
    conn.execute("PRAGMA user_version = 2")
    conn.commit()
    conn.close()
    with SqliteStore(path) as migrated:
        assert migrated.schema_version == sqlite_module.SCHEMA_VERSION == 4
        assert len(migrated.versions(NCT1)) == 1
        migrated.upsert_batch([make_trial(NCT1, source="new", date=dt.date(2021, 1, 1), brief_title="New")])
        assert [v.trial.brief_title for v in migrated.versions(NCT1)] == ["Old", "New"]
