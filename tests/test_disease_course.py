"""A disease's course said against the criterion's decides (issue #14, room matchleft): "chronic" is a
course, and "acute" (a new course) contradicts it, so "Chronic pancreatitis" is not met by acute
pancreatitis. A disease named without its course may be chronic (a course is decided only when said
against), and a mention stating the wanted course itself is not contradicted by its other words."""

from __future__ import annotations

import pytest

from verdict_support import status_of


@pytest.mark.parametrize(
    ("criterion", "note", "expected"),
    [
        ("Chronic pancreatitis", "Acute pancreatitis last year, resolved.", "not excluded"),
        ("Acute pancreatitis", "Chronic pancreatitis with steatorrhea on pancrelipase.", "not excluded"),
        ("Chronic pancreatitis", "Acute on chronic pancreatitis.", "excluded"),
        ("Chronic pancreatitis", "Chronic pancreatitis with steatorrhea on pancrelipase.", "excluded"),
        ("Chronic kidney disease", "End-stage renal disease on hemodialysis.", "excluded"),
        ("Chronic renal failure", "Chronic kidney disease stage 4.", "excluded"),
    ],
)
def test_a_course_said_against_the_criterion_decides(criterion: str, note: str, expected: str) -> None:
    assert status_of(criterion, note, kind="exclusion") == expected
