"""A history the note calls unremarkable (issue #14, room matchleft): it denies a past disease the
note does not name, for criteria about a disease's history or a chronic course; an examination called
unremarkable is no history, a family history speaks only of relatives, and a disease named without a
history ("Esophageal cancer") may be the present illness, so it stays open. In a note an exception
marks what is there ("unremarkable except for type 2 diabetes")."""

from __future__ import annotations

import pytest

from trialatlas.match.patient import profile_from_note
from verdict_support import status_of

PMH = "A 50-year-old man referred for a hernia repair. Past medical history is unremarkable."


@pytest.mark.parametrize(
    ("criterion", "note", "expected"),
    [
        ("History of myocardial infarction", PMH, "not excluded"),
        ("Chronic obstructive pulmonary disease", "PMH: noncontributory.", "not excluded"),
        (
            "Prior stroke",
            "A 20 yo with no significant past medical history presents with fatigue.",
            "not excluded",
        ),
        # A disease named without a history may be the illness under workup.
        ("Esophageal cancer", "Progressive dysphagia for 3 months. PMH unremarkable.", "unknown"),
        ("History of cancer", "Physical examination unremarkable.", "unknown"),
        ("History of breast cancer", "Family history is unremarkable.", "unknown"),
        ("Family history of breast cancer", "Family history is unremarkable.", "not excluded"),
        ("Smokers", PMH, "unknown"),
        ("Diabetes mellitus", "Past medical history unremarkable except for type 2 diabetes.", "excluded"),
        # "no past medical history of X" denies X alone.
        ("History of asthma", "No past medical history of diabetes.", "unknown"),
    ],
)
def test_an_unremarkable_history(criterion: str, note: str, expected: str) -> None:
    assert status_of(criterion, note, kind="exclusion") == expected


def test_an_exception_in_a_note_is_present() -> None:
    profile = profile_from_note("Takes no medications except aspirin 81 mg daily.")
    assert [m.name for m in profile.medications if m.present] == ["aspirin"]
