"""A criterion's time window against when the note says the event was ("two years ago", "at age 12")."""

from __future__ import annotations

from verdict_support import status_of

WINDOWED = "Myocardial infarction within 6 months prior to enrolment"


def test_an_event_before_the_window_is_outside_it() -> None:
    note = "Man, 70, with hypertension. He had a myocardial infarction three years ago, treated with a stent."
    assert status_of(WINDOWED, note, kind="exclusion") == "not excluded"


def test_an_event_inside_the_window_holds() -> None:
    note = "Man, 70, with hypertension. He had a myocardial infarction 2 months ago."
    assert status_of(WINDOWED, note, kind="exclusion") == "excluded"


def test_a_past_event_without_a_time_leaves_the_window_open() -> None:
    note = "Man, 70, with hypertension and a history of myocardial infarction."
    assert status_of(WINDOWED, note, kind="exclusion") == "unknown"


def test_an_age_at_the_event_counts_back_from_the_patients_age() -> None:
    note = "Woman, 45. She had a stroke at age 44 with full recovery."
    assert status_of("Stroke within the past 2 years", note, kind="exclusion") == "excluded"
    note = "Woman, 45. She had a stroke at age 30 with full recovery."
    assert status_of("Stroke within the past 2 years", note, kind="exclusion") == "not excluded"


def test_an_operation_is_held_against_the_window_as_an_episode_is() -> None:
    within = "Major surgery within 4 weeks prior to enrollment"
    since = "At least 4 weeks since prior major surgery"
    long_ago = "Woman, 57, with melanoma; she had major surgery two years ago."
    recent = "Woman, 57, with melanoma; she had major surgery 10 days ago."
    undated = "Woman, 57, with melanoma and a history of major surgery."
    assert status_of(within, long_ago, kind="exclusion") == "not excluded"
    assert status_of(within, recent, kind="exclusion") == "excluded"
    assert status_of(within, undated, kind="exclusion") == "unknown"
    assert status_of(since, long_ago) == "met"
    assert status_of(since, recent) == "not met"
    assert status_of(since, undated) == "unknown"
    # Without a window the operation's time does not matter.
    assert status_of(
        "Prior radiotherapy", "Man, 60; radiotherapy to the pelvis one year ago.", kind="exclusion"
    ) == ("excluded")


def test_a_medicine_the_note_says_ended_is_held_against_the_window() -> None:
    steroids = "Treatment with corticosteroids within 30 days prior to entry"
    since = "At least 4 weeks since prior chemotherapy"
    assert (
        status_of(steroids, "Man, 50; he received prednisone 3 years ago.", kind="exclusion")
        == "not excluded"
    )
    assert status_of(steroids, "Man, 50; he stopped prednisone 10 days ago.", kind="exclusion") == "excluded"
    # A start date says nothing of the end: he may take it still.
    assert status_of(steroids, "Man, 50; he started prednisone 3 years ago.", kind="exclusion") == "excluded"
    assert status_of(since, "Woman, 60; last dose of gemcitabine 10 days ago.") == "not met"
    assert status_of(since, "Woman, 60; she completed carboplatin one year ago.") == "met"


def test_an_end_before_the_window_decides_whatever_the_route_or_the_pathogen() -> None:
    note = "HIV-positive man, 39, who completed chemotherapy for Hodgkin lymphoma five years ago."
    assert (
        status_of("Systemic cytotoxic chemotherapy within 3 months", note, kind="exclusion") == "not excluded"
    )
    cmv = "Man, 38, with AIDS; he had CMV colitis two years ago."
    assert status_of("CMV infection within one month of study entry", cmv, kind="exclusion") == "not excluded"
    assert status_of(
        "CMV infection within one month of study entry",
        cmv.replace("two years", "one week"),
        kind="exclusion",
    ) == ("excluded")
