"""What an allergy is to: "allergy to iodine" asks about iodine, and a note's allergy to something
else (or a word of it in another clause) does not state it."""

from __future__ import annotations

import pytest

from trialatlas.extract.criteria.rules import ConditionRule
from verdict_support import parsed_criterion, status_of


def test_the_object_of_an_allergy_is_kept_with_it() -> None:
    rules = [r for r in parsed_criterion("No known allergy to latex").rules if isinstance(r, ConditionRule)]
    assert rules and "latex" in rules[0].qualifiers
    # A list of objects is not one object: the allergy stays as it was.
    rules = [
        r
        for r in parsed_criterion("Allergy to shellfish or iodine", kind="exclusion").rules
        if isinstance(r, ConditionRule)
    ]
    assert rules and "shellfish" not in rules[0].qualifiers


@pytest.mark.parametrize(
    ("criterion", "kind", "note", "expected"),
    [
        ("No allergy to latex", "inclusion", "Nurse of 35 with a peanut allergy.", "unknown"),
        (
            "No allergy to latex",
            "inclusion",
            "Nurse of 35 with a latex allergy (hives with gloves).",
            "not met",
        ),
        ("Known allergy to latex", "exclusion", "Nurse of 35 with a peanut allergy.", "unknown"),
        (
            "Allergy to iodine",
            "exclusion",
            "Woman of 44 with a severe shellfish allergy; a CT with iodinated contrast last year went well.",
            "unknown",
        ),
        ("Allergy to iodine", "exclusion", "Woman of 44 with an iodine allergy since childhood.", "excluded"),
    ],
)
def test_an_allergy_to_something_else_does_not_decide(
    criterion: str, kind: str, note: str, expected: str
) -> None:
    assert status_of(criterion, note, kind=kind) == expected
