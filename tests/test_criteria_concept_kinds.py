"""Kinds of a condition are not one another: a TIA is cerebrovascular disease but not a stroke,
amenorrhoea is not menorrhagia, a leukaemia is not a lymphoma. And a colon after a condition that
opens a list of its kinds names ways of having it ("pelvic congestion: dysmenorrhea, dyspareunia")."""

from __future__ import annotations

from trialatlas.text.criteria import CriterionKind
from verdict_support import verdict_of


# The shared verdict with its logic beside the status: the tests read both.
def _verdict(criterion: str, kind: CriterionKind, note: str) -> tuple[str, str | None]:
    verdict = verdict_of(criterion, note, kind=kind)
    return verdict.status, verdict.logic


def test_a_tia_is_cerebrovascular_disease_but_not_a_stroke() -> None:
    note = "71-year-old man. He had a transient ischemic attack in 2019 with full recovery."
    assert _verdict("History of stroke", "exclusion", note)[0] != "excluded"
    assert _verdict("History of cerebrovascular disease", "exclusion", note)[0] == "excluded"


def test_amenorrhea_does_not_meet_menorrhagia() -> None:
    note = "36-year-old woman with 12 weeks of amenorrhea and lower abdominal tenderness."
    assert _verdict("Menorrhagia", "inclusion", note)[0] != "met"


def test_a_leukemia_is_a_blood_cancer_but_not_a_lymphoma() -> None:
    note = "68-year-old man with chronic lymphocytic leukemia on observation."
    assert _verdict("Lymphoma", "exclusion", note)[0] != "excluded"
    assert _verdict("Hematologic malignancy", "exclusion", note)[0] == "excluded"


def test_drinking_is_not_alcohol_abuse() -> None:
    note = "45-year-old man, drinking two beers on weekends, no other substance use."
    assert _verdict("Alcohol abuse", "exclusion", note)[0] != "excluded"


def test_a_colon_before_kinds_of_the_condition_lists_examples() -> None:
    criterion = "Pelvic congestion: dysmenorrhea, dyspareunia, chronic pelvic pain"
    status, logic = _verdict(criterion, "inclusion", "30-year-old woman with dyspareunia for a year.")
    assert status == "met"
    assert logic is not None and logic.startswith("examples(")


def test_a_colon_before_values_still_asks_for_all_of_them() -> None:
    criterion = "Diabetes: HbA1c > 7%, fasting glucose > 126 mg/dL"
    status, logic = _verdict(criterion, "inclusion", "55-year-old man with diabetes, HbA1c 8.1%.")
    assert logic is not None and not logic.startswith("examples(")
    assert status != "met"  # the fasting glucose is not in the note
