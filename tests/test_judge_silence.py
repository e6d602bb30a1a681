"""What a note's silence means to the judge: a tumour's stage is measured, never assumed from a note
that gives none, and a woman whose note describes her current periods is not pregnant by the
annotators' reading (the profile itself leaves pregnancy open)."""

from __future__ import annotations

from trialatlas.match.judge import RuleJudge
from trialatlas.match.note_person import menstruates_now
from trialatlas.match.patient import profile_from_note

DYSPHAGIA = (
    "0. A 61-year-old man describes progressive difficulty swallowing solids over three months.\n"
    "1. He has lost 12 pounds.\n2. He will provide informed consent."
)
PERIODS = (
    "0. A 41-year-old woman complains of heavy, irregular periods with menstrual cramps.\n"
    "1. She will provide informed consent."
)
NO_WORD = "0. A 33-year-old woman with asthma on inhaled budesonide.\n1. She will provide informed consent."


def test_a_stage_the_note_does_not_give_is_not_enough_information() -> None:
    judge = RuleJudge()
    for criterion in ("Stage cT2N1 or cT4a", "pT3 N0", "FIGO IIIC disease"):
        assert judge.judge(DYSPHAGIA, criterion, "exclusion").eligibility == "not enough information"
    # A criterion with nothing to measure is still closed by silence.
    assert (
        judge.judge(DYSPHAGIA, "History of deep brain stimulation", "exclusion").eligibility == "not excluded"
    )


def test_current_periods_read_as_not_pregnant_for_the_judge_only() -> None:
    judge = RuleJudge()
    assert judge.judge(PERIODS, "Current pregnancy", "exclusion").eligibility == "not excluded"
    # Without a word of her periods, her pregnancy stays open.
    assert judge.judge(NO_WORD, "Current pregnancy", "exclusion").eligibility == "not enough information"
    # The profile a clinician acts on does not infer it.
    assert profile_from_note(PERIODS).pregnant is None


def test_periods_denied_or_absent_are_not_current_periods() -> None:
    assert menstruates_now(["She has heavy periods every month."])
    assert not menstruates_now(["She denies irregular periods."])
    assert not menstruates_now(["Twelve weeks of amenorrhea with vaginal spotting."])
    assert not menstruates_now(["She is premenopausal."])


def test_silence_is_read_by_the_kind_of_atom_from_the_data_table() -> None:
    from typing import get_args

    from trialatlas.extract.criteria.rules import Rule
    from trialatlas.match.judge import _silence

    table = _silence()
    assert set(table.values()) <= {"absent", "open"}
    kinds = {model.model_fields["kind"].default for model in get_args(get_args(Rule)[0])}
    # Every atom kind the parser makes is placed (directly or through its aspects).
    assert kinds <= {key.split(":")[0] for key in table}
    judge = RuleJudge()
    # A diagnosis, a medicine, an operation the note never names: a full note would have said so.
    for criterion in ("History of pancreatitis", "Current use of warfarin", "Prior kidney transplantation"):
        assert judge.judge(NO_WORD, criterion, "exclusion").eligibility == "not excluded", criterion
    # A value only a measurement gives, or a plan: silence leaves it open.
    for criterion in ("Platelet count below 100,000/mm3", "Plans to become pregnant during the study"):
        assert judge.judge(NO_WORD, criterion, "exclusion").eligibility == "not enough information", criterion


def test_an_inclusion_with_an_unstated_requirement_is_not_shown_met() -> None:
    judge = RuleJudge()
    # She has asthma, but nothing in the note says it is uncontrolled on inhaled steroids for a year.
    judged = judge.judge(
        NO_WORD, "Asthma uncontrolled despite inhaled corticosteroids for at least 12 months", "inclusion"
    )
    assert judged.eligibility != "included"
