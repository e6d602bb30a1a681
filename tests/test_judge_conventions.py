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


def test_a_criterion_cut_off_mid_sentence_is_not_answered_by_silence() -> None:
    note = "0. A 70-year-old man with memory loss over two years.\n1. He lives with his daughter."
    judge = RuleJudge()
    assert judge.judge(note, "Use of some kinds of sleep medicines could be a", "exclusion").eligibility == (
        "not enough information"
    )
    # The same words ending a sentence: silence about a medicine is its absence.
    assert judge.judge(note, "Use of sleep medicines", "exclusion").eligibility == "not excluded"


def test_recruitment_logistics_do_not_apply_to_the_patient() -> None:
    note = "0. A 58-year-old woman with knee pain for a year."
    criterion = "Patients who opted out of being contacted for research will not be recruited by letter"
    assert RuleJudge().judge(note, criterion, "exclusion").eligibility == "not applicable"


@pytest.mark.parametrize(
    ("note", "truth"),
    [
        (
            "Her laboratory tests, including sodium, hematocrit and platelets, were within normal limits.",
            "false",
        ),
        ("Hemoglobin 8.1 g/dL and hematocrit were normal.", "unknown"),
        ("Hematocrit and platelet count are not normal.", "unknown"),
    ],
)
def test_tests_listed_as_normal_are_each_normal(note: str, truth: str) -> None:
    assert _truth("Hematocrit < 25%", "exclusion", note) == truth


def test_a_positive_hcg_is_a_pregnancy_criterion() -> None:
    rules = parse_text("Female patients with a positive serum beta-HCG", "exclusion")
    assert [(r.kind, getattr(r, "aspect", None)) for r in rules] == [("pregnancy", "pregnant")]
    man = "0. A 58-year-old man presents with chest pain.\n1. He has hypertension."
    criterion = "Female patients with a positive serum beta-HCG"
    assert RuleJudge().judge(man, criterion, "exclusion").eligibility == "not applicable"


def test_an_unnamed_operation_fails_a_conjunction_of_requirements() -> None:
    note = "0. A 64-year-old man had a coronary catheterization yesterday.\n1. He has a groin haematoma."
    judge = RuleJudge()
    criterion = "Chronic haemodialysis after central venous catheterization"
    assert judge.judge(note, criterion, "inclusion").eligibility == "not included"
    # Alternatives: an operation the note does not name leaves the other branch to decide.
    assert judge.judge(note, "Hemodialysis or diabetes", "inclusion").eligibility != "not included"


def test_accented_words_are_whole_words() -> None:
    from trialatlas.match.verdict import unread_words

    assert "périconceptionnel" in unread_words("Pregnant woman having had a périconceptionnel treatment", [])


@pytest.mark.parametrize(
    ("note", "criterion"),
    [
        ("62-year-old woman seen for advice on osteoporosis prevention.", "History of osteoporosis"),
        ("58-year-old man on aspirin to prevent stroke.", "History of stroke"),
        ("49-year-old woman referred for counselling about breast cancer.", "History of breast cancer"),
    ],
)
def test_what_a_visit_or_a_drug_is_meant_to_prevent_is_not_a_diagnosis(note: str, criterion: str) -> None:
    assert all(c.uncertain or not c.present for c in profile_from_note(note).conditions)
    assert _truth(criterion, "exclusion", note) == "unknown"


@pytest.mark.parametrize(
    ("criterion", "low", "high"),
    [
        ("Patients over 18", 18.0, None),
        ("Subjects older than 65 years with hypertension", 65.0, None),
        ("Participants under 40", None, 40.0),
        ("Patients over 18 kg", None, None),
        ("Patients over 2.5", None, None),
    ],
)
def test_an_age_bound_after_the_people_needs_no_unit(
    criterion: str, low: float | None, high: float | None
) -> None:
    ages = [r for r in parse_text(criterion, "inclusion") if r.kind == "age"]
    bounds = [(r.min_years, r.max_years) for r in ages]  # type: ignore[union-attr]
    assert bounds == ([] if low is None and high is None else [(low, high)])
    if ages:
        note = "0. A 35-year-old man with a cough."
        expected = "included" if (low or 0) < 35 < (high or 200) else "not included"
        assert RuleJudge().judge(note, criterion.split(" with ")[0], "inclusion").eligibility == expected


@pytest.mark.parametrize(
    ("note", "truth"),
    [
        ("A 64-year-old man. He quit smoking ten years ago.", "true"),
        ("A 64-year-old man, an ex-smoker.", "true"),
        ("A 64-year-old man who smokes a pack a day.", "unknown"),
    ],
)
def test_a_habit_given_up_is_a_former_one(note: str, truth: str) -> None:
    assert _truth("Former smokers", "inclusion", note) == truth
