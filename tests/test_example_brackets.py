"""A bracketed list of examples names what a criterion's class includes ("No uncontrolled metabolic
disease (e.g., diabetes mellitus or hypothyroidism)"): the class's negation covers the examples, which
state no fact about the patient, and what follows the bracket keeps the scope it had."""

from __future__ import annotations

from trialatlas.extract.criteria.negation import find_cues
from trialatlas.match.patient import profile_from_note
from trialatlas.match.verdict import evaluate_criterion
from verdict_support import parsed_criterion, status_of


def _scope(text: str) -> str:
    (cue,) = find_cues(text)
    return text[cue.scope_start : cue.scope_end]


def test_a_negation_covers_its_bracketed_examples_and_ends_with_them() -> None:
    assert _scope("No serious lung disease (e.g., emphysema or asthma)").endswith("asthma)")
    assert _scope("No chronic infection [such as tuberculosis] requiring drugs") == (
        " chronic infection [such as tuberculosis]"
    )
    # A bracket that gives no examples still ends the scope.
    assert _scope("No seizures (within 1 year) or stroke") == " seizures "


def test_an_example_the_patient_has_in_the_negated_class_fails_the_inclusion() -> None:
    criterion = "No active autoimmune condition (e.g., lupus or rheumatoid arthritis)"
    assert status_of(criterion, "Active rheumatoid arthritis with synovitis.") == "not met"


def test_poorly_controlled_asks_what_uncontrolled_does() -> None:
    criterion = "No serious comorbid illness (e.g., poorly controlled hypertension)"
    parsed = parsed_criterion(criterion)
    assert [r.qualifiers for r in parsed.rules if r.kind == "condition"] == [["uncontrolled"]]
    for note, truth in [
        ("Uncontrolled hypertension, BP 182/104 today.", "false"),
        ("Hypertension well controlled on amlodipine.", "true"),
    ]:
        verdict = evaluate_criterion(parsed, profile_from_note(note))
        assert [r.truth for r in verdict.rules if r.kind == "condition"] == [truth]
