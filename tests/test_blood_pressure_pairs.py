"""A blood pressure limit written as a pair ("BP > 180/110 mmHg") is judged on the note's systolic and
diastolic readings: above the pair is above either number, below it is below both (clinical suite
c510: "Blood pressure 196/118 mm Hg on arrival" had "no BP value")."""

from __future__ import annotations

import pytest

from verdict_support import status_of


@pytest.mark.parametrize(
    ("note", "status"),
    [
        ("Man of 63. Blood pressure 196/118 mm Hg on arrival, pulse 88.", "excluded"),
        ("Man of 63. BP 170/115 mmHg.", "excluded"),  # the diastolic alone is over its limit
        ("Man of 63. BP 150/85 mmHg; no hypertension.", "not excluded"),
    ],
)
def test_above_a_pair_is_above_either_number(note: str, status: str) -> None:
    assert status_of("Hypertension (BP > 180/110 mmHg)", note, kind="exclusion") == status


@pytest.mark.parametrize(
    ("note", "status"), [("Man. BP 150/85 mmHg.", "not met"), ("Man. BP 130/85.", "met")]
)
def test_below_a_pair_is_below_both(note: str, status: str) -> None:
    assert status_of("Blood pressure < 140/90 mmHg", note) == status


def test_without_both_readings_it_stays_open() -> None:
    assert status_of("Blood pressure < 140/90 mmHg", "Man of 50 with diabetes.") == "unknown"


@pytest.mark.parametrize(
    ("note", "status"),
    [
        ("Man with hypertension, blood pressure 182/104 mmHg despite three drugs.", "excluded"),
        ("Man with hypertension, BP 128/78 on amlodipine.", "not excluded"),
        # Between the thresholds of the usual definitions the note's words must say it.
        ("Man with hypertension, BP 148/92.", "unknown"),
        # A note's own word on control is not overruled by one reading: the words decide.
        ("Man with well-controlled hypertension, BP 170/95.", "not excluded"),
        ("Man with hypertension, poorly controlled.", "unknown"),
    ],
)
def test_uncontrolled_hypertension_by_reading_where_every_definition_agrees(note: str, status: str) -> None:
    assert status_of("Uncontrolled hypertension", note, kind="exclusion") == status
