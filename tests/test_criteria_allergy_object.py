"""What an allergy is to: "allergy to iodine" asks about iodine, and a note's allergy to something
else (or a word of it in another clause) does not state it."""

from __future__ import annotations

import pytest

from trialatlas.extract.criteria import Criterion, parse_criterion
from trialatlas.extract.criteria.rules import ConditionRule
from trialatlas.match.patient import profile_from_note
from trialatlas.match.verdict import evaluate_criterion


def _parse(text: str, kind: str):  # type: ignore[no-untyped-def]
    return parse_criterion(Criterion(text=text, kind=kind, index=0, start=0, end=len(text)))  # type: ignore[arg-type]


def _status(text: str, kind: str, note: str) -> str:
    return evaluate_criterion(_parse(text, kind), profile_from_note(note)).status


def test_the_object_of_an_allergy_is_kept_with_it() -> None:
    rules = [
        r for r in _parse("No known allergy to latex", "inclusion").rules if isinstance(r, ConditionRule)
    ]
    assert rules and "latex" in rules[0].qualifiers
    # A list of objects is not one object: the allergy stays as it was.
    rules = [
        r for r in _parse("Allergy to shellfish or iodine", "exclusion").rules if isinstance(r, ConditionRule)
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
    assert _status(criterion, kind, note) == expected
