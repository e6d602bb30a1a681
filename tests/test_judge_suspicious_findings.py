"""A finding that may be a disease (an organ's mass may be its cancer) leaves a criterion about that
disease open: neither met nor ruled out until the note names a diagnosis."""

from __future__ import annotations

from trialatlas.extract.criteria.vocab import condition_matcher, possible_concepts
from trialatlas.match.judge import RuleJudge

MASS = (
    "0. A 64-year-old man with a cough is found to have a 3 cm nodule in the right lung on CT.\n"
    "1. He is otherwise well."
)
BIOPSIED = "0. A 64-year-old man with squamous cell lung carcinoma on biopsy.\n1. He is otherwise well."
WELL = "0. A 64-year-old man seen for a routine check-up.\n1. He is otherwise well."


def test_an_organ_mass_may_be_that_organs_cancer() -> None:
    found = condition_matcher().find("a 3 cm nodule in the right lung")
    assert [m.concept for m in found] == ["lung_mass"]
    assert {"lung_cancer", "cancer"} <= possible_concepts("lung_mass")
    assert "breast_cancer" not in possible_concepts("lung_mass")
    assert possible_concepts("hypertension") == frozenset()


def test_a_criterion_about_the_cancer_is_open_for_a_patient_with_the_mass() -> None:
    judge = RuleJudge()
    assert judge.judge(MASS, "Diagnosis of lung cancer", "inclusion").eligibility == "not enough information"
    assert judge.judge(MASS, "Known lung cancer", "exclusion").eligibility == "not enough information"


def test_a_named_diagnosis_or_no_finding_still_decides() -> None:
    judge = RuleJudge()
    assert judge.judge(BIOPSIED, "Diagnosis of lung cancer", "inclusion").eligibility == "included"
    assert judge.judge(WELL, "Known lung cancer", "exclusion").eligibility == "not excluded"
    # A mass of another organ says nothing of this one.
    assert judge.judge(MASS, "Known breast cancer", "exclusion").eligibility == "not excluded"
