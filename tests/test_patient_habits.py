"""Smoking and drinking as notes state them (match/note_habits.py, cues in match/note_cues.json) and a
habit given up against a criterion about now (``habit`` in the conditions vocabulary)."""

from __future__ import annotations

import pytest

from trialatlas.match.patient import load_patient
from verdict_support import status_of


def _habit(note: str, concept: str) -> tuple[bool, bool] | None:
    found = [c for c in load_patient(note).conditions if c.concept == concept]
    return (found[0].present, found[0].historical) if found else None


@pytest.mark.parametrize(
    ("note", "concept", "expected"),
    [
        ("61-year-old man, lifelong non smoker.", "smoking", (False, False)),
        ("She is a never-smoker with asthma.", "smoking", (False, False)),
        ("He has never smoked.", "smoking", (False, False)),
        ("Ex-smoker with COPD.", "smoking", (True, True)),
        ("He smoked two packs a day until he quit in his forties.", "smoking", (True, True)),
        ("He was advised to quit smoking at every visit.", "smoking", (True, False)),
        ("She drinks three glasses of wine a night.", "alcohol_use", (True, False)),
        ("He does not drink alcohol.", "alcohol_use", (False, False)),
        ("He stopped drinking ten years ago.", "alcohol_use", (True, True)),
    ],
)
def test_a_habit_is_read_with_its_status(note: str, concept: str, expected: tuple[bool, bool]) -> None:
    assert _habit(note, concept) == expected


def test_a_habit_given_up_does_not_meet_a_criterion_about_now() -> None:
    former = "70-year-old man who quit smoking 12 years ago."
    assert status_of("Current smokers", former, kind="exclusion") == "not excluded"
    assert status_of("Smokers", former) == "not met"
    # A criterion about the past, or with a window the quitting falls in, still counts it.
    assert status_of("History of smoking", former, kind="exclusion") == "excluded"
    assert status_of("Smoking within the past 20 years", former, kind="exclusion") == "excluded"
    assert status_of("Current smokers", "He smokes a pack a day.", kind="exclusion") == "excluded"


def test_a_never_smoker_is_no_smoker() -> None:
    assert (
        status_of("Women who are smokers.", "45-year-old woman; never smoker.", kind="exclusion")
        == "not excluded"
    )
    assert (
        status_of("Current alcohol use", "He drinks two beers every night.", kind="exclusion") == "excluded"
    )
