"""Note phrasings found by clinical-suite cases on criteria never seen (c900-c959): a lab value right
after a time word with no number ("HbA1c today 7.4%"), a pregnancy test's result written right after
it ("Serum pregnancy test negative"), and a regimen's end dated like a drug's ("completed adjuvant
FOLFOX 14 months ago")."""

from __future__ import annotations

import pytest

from trialatlas.match.patient import profile_from_note
from verdict_support import status_of


@pytest.mark.parametrize(
    ("note", "value"),
    [
        ("Boy of 13. HbA1c today 7.4%.", 7.4),
        ("Woman of 60. Creatinine at screening 1.9 mg/dL.", 1.9),
        ("Man of 40. Platelets this morning 45,000/uL.", 45000.0),
    ],
)
def test_a_value_right_after_a_time_word_without_a_number(note: str, value: float) -> None:
    values = [m.value for m in profile_from_note(note).measurements]
    assert values == [value]


def test_a_time_with_a_number_still_needs_its_verb() -> None:
    # "9 days" is when it was drawn, never the value.
    values = [m.value for m in profile_from_note("Man. CD4 count drawn 9 days ago 90 cells/uL.").measurements]
    assert 9.0 not in values


@pytest.mark.parametrize("said", ["Serum pregnancy test negative", "Pregnancy test: negative"])
def test_a_pregnancy_test_result_written_after_it(said: str) -> None:
    note = f"16-year-old girl with osteosarcoma. {said}; she is not breastfeeding."
    assert profile_from_note(note).pregnant is False
    assert status_of("Not pregnant or nursing", note) == "met"


def test_a_regimen_end_is_dated_like_a_drugs() -> None:
    criterion = "At least 6 months since prior adjuvant chemotherapy"
    assert status_of(criterion, "Woman who completed adjuvant FOLFOX 14 months ago.") == "met"
    assert status_of(criterion, "Man who finished adjuvant CAPOX two months ago.") == "not met"
    # A start date says nothing of the end.
    assert status_of(criterion, "Man who started FOLFOX 14 months ago, still on it.") == "unknown"


@pytest.mark.parametrize(
    ("criterion", "kind", "note", "status"),
    [
        ("BMI at or above 35", "exclusion", "Woman of 44, 5 feet 4 inches tall and 250 pounds.", "excluded"),
        ("BMI at or above 35", "exclusion", "Woman of 44, BMI 31.", "not excluded"),
        ("Hemoglobin at or below 10 g/dL", "inclusion", "Man, hemoglobin 9.1 g/dL.", "met"),
    ],
)
def test_at_or_above_and_at_or_below_are_limits(criterion: str, kind: str, note: str, status: str) -> None:
    assert kind in ("inclusion", "exclusion")
    assert status_of(criterion, note, kind="inclusion" if kind == "inclusion" else "exclusion") == status
