"""Hepatitis is HBV or HCV infection when the note gives serologies."""

from __future__ import annotations

from trialatlas.extract.criteria import Criterion, parse_criterion
from trialatlas.match.patient import profile_from_note
from trialatlas.match.verdict import evaluate_criterion


def _status(criterion: str, kind: str, note: str) -> str:
    parsed = parse_criterion(Criterion(text=criterion, kind=kind, index=0, start=0, end=len(criterion)))  # type: ignore[arg-type]
    return evaluate_criterion(parsed, profile_from_note(note)).status


def test_negative_for_every_hepatitis_virus_is_no_hepatitis() -> None:
    note = "Woman, 44, with lupus. Hepatitis B and C serologies are negative."
    assert _status("Active hepatitis", "exclusion", note) == "not excluded"


def test_a_positive_serology_is_hepatitis() -> None:
    note = "Man, 50, with cirrhosis. HBsAg positive."
    assert _status("Chronic hepatitis", "exclusion", note) != "not excluded"


def test_one_negative_virus_or_a_treated_one_leaves_hepatitis_open() -> None:
    only_b = "Woman, 44, with lupus. Hepatitis B surface antigen negative."
    treated = "Man, 66. He was treated for hepatitis C in 2018; RNA is now undetectable."
    assert _status("Hepatitis", "exclusion", only_b) == "unknown"
    assert _status("Active hepatitis", "exclusion", treated) != "excluded"
