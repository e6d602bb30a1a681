"""An exclusion about what the patient plans is open: a note tells what is and was, not intentions."""

from __future__ import annotations

from trialatlas.match.judge import RuleJudge

NOTE = "0. A 45-year-old man with type 2 diabetes on metformin.\n1. He will provide informed consent."


def test_a_plan_the_note_cannot_show_is_not_enough_information() -> None:
    judge = RuleJudge()
    for criterion in (
        "Subjects who intend to relocate out of the region during the study",
        "Participants planning to travel abroad for more than 4 weeks",
    ):
        assert judge.judge(NOTE, criterion, "exclusion").eligibility == "not enough information"


def test_what_the_note_rules_out_is_still_ruled_out() -> None:
    judge = RuleJudge()
    assert judge.judge(NOTE, "History of stroke", "exclusion").eligibility == "not excluded"
    assert judge.judge(NOTE, "Type 1 diabetes", "exclusion").eligibility != "excluded"


def test_one_type_of_diabetes_is_not_the_other() -> None:
    judge = RuleJudge()
    type1 = "0. A 19-year-old woman with type 1 diabetes on an insulin pump.\n1. She will give consent."
    assert judge.judge(NOTE, "Type 1 diabetes mellitus", "exclusion").eligibility != "excluded"
    assert judge.judge(type1, "Type 1 diabetes mellitus", "exclusion").eligibility == "excluded"
    assert judge.judge(type1, "Diabetes mellitus", "exclusion").eligibility == "excluded"
