"""A stable dose is read, not assumed (issue #14, room matchleft): "on a stable dose of X" is met when
the note says the dose is stable (long enough for the period asked), not met when it changed inside
that period or the patient does not take X, and unknown when the note only says the patient takes X.
The words about one medicine end at the next one in its clause."""

from __future__ import annotations

import pytest

from verdict_support import status_of


@pytest.mark.parametrize(
    ("criterion", "note", "expected"),
    [
        ("On a stable dose of prednisone", "Prednisone 5 mg daily.", "unknown"),
        ("On a stable dose of prednisone", "Prednisone 5 mg daily, unchanged for 6 months.", "met"),
        (
            "Stable dose of prednisone for at least 3 months",
            "Prednisone 5 mg daily, stable for 4 weeks.",
            "not met",
        ),
        (
            "Stable dose of prednisone for at least 4 weeks",
            "Prednisone increased to 20 mg daily 10 days ago.",
            "not met",
        ),
        ("Stable dose of prednisone for at least 4 weeks", "Prednisone was tapered 3 months ago.", "met"),
        ("On a stable dose of prednisone", "No steroids.", "not met"),
        (
            "On a stable dose of hydroxychloroquine",
            "Mycophenolate was started 2 weeks ago; hydroxychloroquine 200 mg daily continued.",
            "met",
        ),
        (
            "On a stable dose of mycophenolate",
            "Hydroxychloroquine continued and mycophenolate 1 g twice daily started 2 weeks ago.",
            "unknown",
        ),
    ],
)
def test_a_stable_dose_is_read_from_the_note(criterion: str, note: str, expected: str) -> None:
    assert status_of(criterion, note) == expected
