"""A course to come is no past course, and serology's short names are its markers (issue #14, round
judgeleft): "prior to the planned X", "X, which has not yet begun", "X, scheduled for …", "agrees to …"
make X hypothetical in a note; HBsAb / anti-HBs / HBcAb / anti-HBe, T-SPOT and a tuberculin skin test
are names of the markers they stand for; a criterion's "Negative HBsAg" asks for the negative result.
Texts written for these tests, not the probes'."""

from __future__ import annotations

import pytest

from trialatlas.text.criteria import CriterionKind
from verdict_support import status_of


@pytest.mark.parametrize(
    ("criterion", "note", "kind", "expected"),
    [
        # Planned courses: not had (unknown or not met, never met).
        (
            "Prior radiotherapy",
            "Simulation CT done prior to the planned radiotherapy.",
            "exclusion",
            "unknown",
        ),
        ("Prior chemotherapy", "Central line placed; cisplatin to start next week.", "exclusion", "unknown"),
        (
            "Prior surgery to the breast",
            "Mastectomy, which has not yet been performed, is scheduled for May.",
            "exclusion",
            "unknown",
        ),
        (
            "Prior chemotherapy",
            "She agrees to surgery before the scheduled chemotherapy.",
            "exclusion",
            "unknown",
        ),
        # A course the note gives as past stays past.
        ("Prior chemotherapy", "Alopecia after six cycles of docetaxel in 2020.", "exclusion", "excluded"),
        # Short forms of hepatitis B markers.
        ("Hepatitis B infection", "HBsAb reactive; HBcAb nonreactive.", "exclusion", "not excluded"),
        ("Negative HBsAg", "HBsAg negative.", "inclusion", "met"),
        ("Negative hepatitis B surface antigen", "HBsAg reactive.", "inclusion", "not met"),
        ("Negative HBsAg", "Liver enzymes normal.", "inclusion", "unknown"),
        # Tuberculosis tests by name.
        ("Active tuberculosis", "T-SPOT negative last month.", "exclusion", "not excluded"),
        ("Tuberculosis", "Tuberculin skin test negative.", "exclusion", "not excluded"),
        (
            "Active tuberculosis",
            "T-SPOT positive; chest CT clear; on rifampin for latent infection.",
            "exclusion",
            "not excluded",
        ),
    ],
)
def test_planned_courses_and_short_forms(
    criterion: str, note: str, kind: CriterionKind, expected: str
) -> None:
    assert status_of(criterion, note, kind=kind) == expected
