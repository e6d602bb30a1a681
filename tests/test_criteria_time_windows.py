"""A criterion's time window against when the note says the event was ("two years ago", "at age 12")."""

from __future__ import annotations

from trialatlas.extract.criteria import Criterion, parse_criterion
from trialatlas.match.patient import profile_from_note
from trialatlas.match.verdict import evaluate_criterion

WINDOWED = "Myocardial infarction within 6 months prior to enrolment"


def _status(criterion: str, kind: str, note: str) -> str:
    parsed = parse_criterion(Criterion(text=criterion, kind=kind, index=0, start=0, end=len(criterion)))  # type: ignore[arg-type]
    return evaluate_criterion(parsed, profile_from_note(note)).status


def test_an_event_before_the_window_is_outside_it() -> None:
    note = "Man, 70, with hypertension. He had a myocardial infarction three years ago, treated with a stent."
    assert _status(WINDOWED, "exclusion", note) == "not excluded"


def test_an_event_inside_the_window_holds() -> None:
    note = "Man, 70, with hypertension. He had a myocardial infarction 2 months ago."
    assert _status(WINDOWED, "exclusion", note) == "excluded"


def test_a_past_event_without_a_time_leaves_the_window_open() -> None:
    note = "Man, 70, with hypertension and a history of myocardial infarction."
    assert _status(WINDOWED, "exclusion", note) == "unknown"


def test_an_age_at_the_event_counts_back_from_the_patients_age() -> None:
    note = "Woman, 45. She had a stroke at age 44 with full recovery."
    assert _status("Stroke within the past 2 years", "exclusion", note) == "excluded"
    note = "Woman, 45. She had a stroke at age 30 with full recovery."
    assert _status("Stroke within the past 2 years", "exclusion", note) == "not excluded"


def test_an_operation_is_held_against_the_window_as_an_episode_is() -> None:
    within = "Major surgery within 4 weeks prior to enrollment"
    since = "At least 4 weeks since prior major surgery"
    long_ago = "Woman, 57, with melanoma; she had major surgery two years ago."
    recent = "Woman, 57, with melanoma; she had major surgery 10 days ago."
    undated = "Woman, 57, with melanoma and a history of major surgery."
    assert _status(within, "exclusion", long_ago) == "not excluded"
    assert _status(within, "exclusion", recent) == "excluded"
    assert _status(within, "exclusion", undated) == "unknown"
    assert _status(since, "inclusion", long_ago) == "met"
    assert _status(since, "inclusion", recent) == "not met"
    assert _status(since, "inclusion", undated) == "unknown"
    # Without a window the operation's time does not matter.
    assert _status(
        "Prior radiotherapy", "exclusion", "Man, 60; radiotherapy to the pelvis one year ago."
    ) == ("excluded")


def test_a_medicine_the_note_says_ended_is_held_against_the_window() -> None:
    steroids = "Treatment with corticosteroids within 30 days prior to entry"
    since = "At least 4 weeks since prior chemotherapy"
    assert _status(steroids, "exclusion", "Man, 50; he received prednisone 3 years ago.") == "not excluded"
    assert _status(steroids, "exclusion", "Man, 50; he stopped prednisone 10 days ago.") == "excluded"
    # A start date says nothing of the end: he may take it still.
    assert _status(steroids, "exclusion", "Man, 50; he started prednisone 3 years ago.") == "excluded"
    assert _status(since, "inclusion", "Woman, 60; last dose of gemcitabine 10 days ago.") == "not met"
    assert _status(since, "inclusion", "Woman, 60; she completed carboplatin one year ago.") == "met"


def test_an_end_before_the_window_decides_whatever_the_route_or_the_pathogen() -> None:
    note = "HIV-positive man, 39, who completed chemotherapy for Hodgkin lymphoma five years ago."
    assert _status("Systemic cytotoxic chemotherapy within 3 months", "exclusion", note) == "not excluded"
    cmv = "Man, 38, with AIDS; he had CMV colitis two years ago."
    assert _status("CMV infection within one month of study entry", "exclusion", cmv) == "not excluded"
    assert _status(
        "CMV infection within one month of study entry", "exclusion", cmv.replace("two years", "one week")
    ) == ("excluded")
