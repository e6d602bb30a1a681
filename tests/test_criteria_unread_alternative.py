"""An alternative no rule reads keeps a criterion found false from being decided: the patient may meet
the criterion through it."""

from __future__ import annotations

import pytest

from trialatlas.match.verdict import unread_words
from verdict_support import parsed_criterion, status_of


@pytest.mark.parametrize(
    ("criterion", "note"),
    [
        # The read branch is ruled out; the unread one ("zorbitis") may be the patient's.
        ("Hepatitis B or uncontrolled zorbitis enteropathy", "Man of 50. Hepatitis B negative."),
        ("History of diabetes or frequent quandrel syndrome", "Woman of 40. No diabetes."),
    ],
)
def test_an_exclusion_with_an_unread_alternative_is_not_cleared(criterion: str, note: str) -> None:
    assert status_of(criterion, note, kind="exclusion") == "unknown"


def test_an_inclusion_with_an_unread_alternative_is_not_failed() -> None:
    note = "Man of 61 without diabetes, with zorbitis of the left knee."
    assert status_of("Diabetes or chronic zorbitis", note) == "unknown"


@pytest.mark.parametrize(
    ("criterion", "kind", "note", "expected"),
    [
        # Both branches read: the answer stands.
        ("Hepatitis B or hepatitis C", "exclusion", "Man of 50. Hepatitis B and C negative.", "not excluded"),
        # A met branch decides an any-of whatever the other says.
        ("Hepatitis B or uncontrolled zorbitis", "exclusion", "Man of 50, hepatitis B positive.", "excluded"),
        # Words of the read atom's own phrase narrow it; a false atom stays false.
        (
            "Disease requiring other systemic immunosuppressants",
            "exclusion",
            "Woman of 35 on no medicines at all. She takes no immunosuppressants.",
            "not excluded",
        ),
    ],
)
def test_what_no_alternative_can_change_stays_decided(
    criterion: str, kind: str, note: str, expected: str
) -> None:
    assert status_of(criterion, note, kind=kind) == expected


def test_a_reason_set_off_by_a_comma_is_not_one_more_requirement() -> None:
    text = "Must not be pregnant or nursing, because of the known harm of related zorbital agents"
    assert status_of(text, "Man of 58 with gout.") in ("met", "not applicable")
    # Without the comma the words may restrict what is asked, and they stay unread.
    assert "zorbital" in unread_words("Allergy because of zorbital agents", [])


def test_a_reason_clause_with_a_rule_in_it_is_read_as_written() -> None:
    text = "Pregnancy, because of the zorbital risk with hepatitis B"
    rules = parsed_criterion(text, kind="exclusion").rules
    assert any(rule.kind == "infection" for rule in rules)
    assert "zorbital" in unread_words(text, rules)
