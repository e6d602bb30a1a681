"""One negation over a qualified phrase denies the two together: "No diabetes requiring insulin" is
not (diabetes and insulin), so diabetes without insulin meets it, while a bare list ("No diabetes or
insulin") still denies each item."""

from __future__ import annotations

from verdict_support import parsed_criterion, status_of


def test_the_negation_covers_the_qualified_pair() -> None:
    logic = parsed_criterion("No diabetes requiring insulin").logic
    assert logic is not None and logic.op == "not"
    assert [child.op for child in logic.children] == ["all"]
    assert len(logic.children[0].children) == 2


def test_the_condition_without_its_qualifier_meets_the_criterion() -> None:
    criterion = "No diabetes requiring insulin"
    assert status_of(criterion, "Man of 58 with no diabetes.") == "met"
    on_insulin = "Man of 58 with type 2 diabetes on insulin glargine 20 units nightly."
    assert status_of(criterion, on_insulin) == "not met"
    without_insulin = "Man of 58 with type 2 diabetes. His only medications are metformin 500 mg twice daily."
    assert status_of(criterion, without_insulin) == "met"


def test_a_negated_list_still_denies_each_item() -> None:
    logic = parsed_criterion("No diabetes or insulin use").logic
    assert logic is not None and logic.op == "not"
    assert logic.children[0].op == "any"
