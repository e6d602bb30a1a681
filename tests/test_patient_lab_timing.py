"""A note's lab value read past the words saying when it was drawn ("drawn 3 days ago was …")."""

from __future__ import annotations

import pytest

from trialatlas.extract.criteria import Criterion, parse_criterion
from trialatlas.match.patient import profile_from_note
from trialatlas.match.verdict import evaluate_criterion


def _value(note: str, analyte: str) -> tuple[float | None, str | None]:
    found = [m for m in profile_from_note(note).measurements if m.analyte == analyte]
    assert found, f"no {analyte} read from {note!r}"
    return found[0].canonical_value, found[0].canonical_unit


@pytest.mark.parametrize(
    ("note", "analyte", "expected"),
    [
        ("Platelet count drawn 4 days ago was 62,000/mm3.", "platelets", 62.0),
        ("Her hemoglobin this morning was 6.9 g/dL after the transfusion.", "hemoglobin", 6.9),
        ("Hemoglobin yesterday is 81 g/L.", "hemoglobin", 8.1),
        ("Serum creatinine on admission was 2.4 mg/dL.", "creatinine", 2.4),
        ("ANC two weeks ago was 900/uL.", "anc", 0.9),
    ],
)
def test_a_value_after_when_it_was_drawn_is_the_value(note: str, analyte: str, expected: float) -> None:
    value, _ = _value(note, analyte)
    assert value == pytest.approx(expected, rel=0.01)


def test_the_number_of_a_time_phrase_is_never_the_value() -> None:
    # "3 days" must not be read as a platelet count of 3.
    found = [
        m
        for m in profile_from_note("Platelet count 3 days ago: pending.").measurements
        if m.analyte == "platelets"
    ]
    assert all(m.value != 3 for m in found)


def test_a_threshold_is_decided_on_the_timed_value() -> None:
    note = "Man, 52, with HIV. CD4 count drawn 10 days ago was 180 cells/uL."
    criterion = parse_criterion(
        Criterion(text="CD4 count >= 200 cells/mm3", kind="inclusion", index=0, start=0, end=26)
    )
    assert evaluate_criterion(criterion, profile_from_note(note)).status == "not met"
