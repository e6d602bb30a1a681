"""The annotators' conventions and the fixes of the judge room's round, on texts written for them."""

from __future__ import annotations

import pytest

from trialatlas.extract.criteria import parse_text
from trialatlas.match.atoms import evaluate_rule
from trialatlas.match.judge import RuleJudge
from trialatlas.match.patient import profile_from_note

_DYSPHAGIA = "A 61-year-old man reports trouble swallowing solids for three months. He has lost 6 kg."


@pytest.mark.parametrize(
    ("criterion", "label"),
    [
        ("Able to undergo upper endoscopy with biopsies", "included"),
        ("Ability to tolerate an MRI scan", "included"),
        # Not a fitness for a procedure: a requirement the note must show.
        ("Patients undergoing carotid endarterectomy", "not included"),
        ("Able to describe sensations during the ultrasound procedure", "not enough information"),
    ],
)
def test_fitness_for_a_procedure_is_taken_as_given(criterion: str, label: str) -> None:
    assert RuleJudge().judge(_DYSPHAGIA, criterion, "inclusion").eligibility == label


def _truth(criterion: str, kind: str, note: str) -> str:
    rules = parse_text(criterion, kind)  # type: ignore[arg-type]
    assert len(rules) == 1, rules
    return evaluate_rule(rules[0], profile_from_note(note)).truth


@pytest.mark.parametrize(
    ("note", "truth"),
    [
        ("44-year-old man with depression, on sertraline for two years and still taking it.", "false"),
        ("44-year-old man with depression. He stopped sertraline 10 days ago.", "true"),
        ("44-year-old man with depression. He stopped sertraline 3 months ago.", "false"),
        ("44-year-old man with depression, never treated.", "unknown"),
    ],
)
def test_a_discontinued_drug_is_judged_by_its_stop(note: str, truth: str) -> None:
    criterion = "Stopped an antidepressant within the last 4 weeks"
    assert parse_text(criterion, "exclusion")[0].relation == "discontinued"  # type: ignore[union-attr]
    assert _truth(criterion, "exclusion", note) == truth


@pytest.mark.parametrize(
    ("note", "truth"),
    [
        ("28-year-old man. He reports thoughts of suicide over the past week.", "true"),
        ("28-year-old man with insomnia. He denies suicidal thoughts.", "false"),
    ],
)
def test_suicidal_thoughts_are_suicidal_ideation(note: str, truth: str) -> None:
    assert _truth("Current suicidal ideation", "exclusion", note) == truth
