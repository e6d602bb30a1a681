"""Activity of a disease that flares and remits is said, not implied (issue #14, room auditleft):
NCT05916781's "SLE with active vital organ disease …, including … lupus nephritis" excluded a patient
whose nephritis the note names without its activity. Diseases the conditions vocabulary marks
``remits`` (lupus, lupus nephritis, IBD, RA, vasculitis, MS) leave "active X" unknown then; any other
named disease is still taken as active (the TrialGPT annotators' reading). The examples of a class
share its course: "active … disease, including lupus nephritis" asks for active nephritis."""

from __future__ import annotations

import pytest

from trialatlas.extract.criteria import parse_eligibility
from trialatlas.extract.criteria.rules import ConditionRule
from verdict_support import status_of

ORGANS = (
    "SLE with active vital organ disease (not satisfied with DORIS), including but not limited to active "
    "neuropsychiatric systemic lupus erythematosus, lupus nephritis, thrombocytopenia, hemolytic anemia"
)


@pytest.mark.parametrize(
    ("criterion", "note", "expected"),
    [
        ("Active lupus nephritis", "Systemic lupus erythematosus; lupus nephritis.", "unknown"),
        ("Active lupus nephritis", "Active lupus nephritis, proteinuria 3 g/day.", "excluded"),
        ("Active lupus nephritis", "Lupus nephritis in complete remission.", "not excluded"),
        ("Active heart failure", "Congestive heart failure on furosemide.", "excluded"),
        (ORGANS, "SLE with lupus nephritis class IV diagnosed in 2018.", "unknown"),
        (ORGANS, "SLE with active lupus nephritis class IV and active urinary sediment.", "excluded"),
    ],
)
def test_activity_of_a_remitting_disease_is_said(criterion: str, note: str, expected: str) -> None:
    assert status_of(criterion, note, kind="exclusion") == expected


def test_examples_share_the_course_of_their_class() -> None:
    (criterion,) = parse_eligibility(None, [], [ORGANS])
    nephritis = next(
        r for r in criterion.rules if isinstance(r, ConditionRule) and r.concept == "lupus_nephritis"
    )
    assert "active" in nephritis.course
