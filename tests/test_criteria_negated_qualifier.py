"""One negation over a qualified phrase denies the two together: "No diabetes requiring insulin" is
not (diabetes and insulin), so diabetes without insulin meets it, while a bare list ("No diabetes or
insulin") still denies each item."""

from __future__ import annotations

from trialatlas.extract.criteria import Criterion, parse_criterion
from trialatlas.match.patient import profile_from_note
from trialatlas.match.verdict import evaluate_criterion


def _parsed(text: str, kind: str = "inclusion"):  # type: ignore[no-untyped-def]
    return parse_criterion(Criterion(text=text, kind=kind, index=0, start=0, end=len(text)))  # type: ignore[arg-type]


def _status(text: str, note: str) -> str:
    return evaluate_criterion(_parsed(text), profile_from_note(note)).status


def test_the_negation_covers_the_qualified_pair() -> None:
    logic = _parsed("No diabetes requiring insulin").logic
    assert logic is not None and logic.op == "not"
    assert [child.op for child in logic.children] == ["all"]
    assert len(logic.children[0].children) == 2


def test_the_condition_without_its_qualifier_meets_the_criterion() -> None:
    criterion = "No diabetes requiring insulin"
    assert _status(criterion, "Man of 58 with no diabetes.") == "met"
    on_insulin = "Man of 58 with type 2 diabetes on insulin glargine 20 units nightly."
    assert _status(criterion, on_insulin) == "not met"
    without_insulin = "Man of 58 with type 2 diabetes. His only medications are metformin 500 mg twice daily."
    assert _status(criterion, without_insulin) == "met"


def test_a_negated_list_still_denies_each_item() -> None:
    logic = _parsed("No diabetes or insulin use").logic
    assert logic is not None and logic.op == "not"
    assert logic.children[0].op == "any"
