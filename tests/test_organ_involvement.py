"""A systemic disease "with active vital organ disease" is about the organ disease (issue #14, room
matchleft): "vital / major organ disease or involvement" is a concept of its own (conditions.json), the
criterion's head beside the disease it qualifies, met by a kind that names its organ (lupus nephritis,
neuropsychiatric lupus) when active, open when the activity is not said, denied by "no organ
involvement"; an SLE flare of the skin and joints does not meet it."""

from __future__ import annotations

import pytest

from verdict_support import status_of

ORGANS = "SLE with active vital organ disease"


@pytest.mark.parametrize(
    ("criterion", "note", "expected"),
    [
        (ORGANS, "SLE flare with arthritis and rash; no organ involvement.", "not excluded"),
        (ORGANS, "SLE with active lupus nephritis class IV, proteinuria 3 g/day.", "excluded"),
        (ORGANS, "SLE flare with arthritis and rash.", "unknown"),
        (ORGANS, "SLE with lupus nephritis class IV diagnosed in 2016.", "unknown"),
        ("Active major organ involvement", "Active neuropsychiatric lupus with seizures.", "excluded"),
        ("Active major organ involvement", "Chronic kidney disease from hypertension.", "unknown"),
    ],
)
def test_the_organ_disease_is_the_head(criterion: str, note: str, expected: str) -> None:
    assert status_of(criterion, note, kind="exclusion") == expected
