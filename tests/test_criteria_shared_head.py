"""Lists that share one head: "cardiac, renal or hepatic disease" names three diseases and "alcohol
or drug abuse" two abuses; each item is an atom of its own, joined as the list joins them."""

from __future__ import annotations

import pytest

from trialatlas.extract.criteria.qualifiers import shared_head_names
from trialatlas.extract.criteria.rules import ConditionRule
from trialatlas.match.patient import profile_from_note
from trialatlas.match.verdict import evaluate_criterion
from verdict_support import parsed_criterion


def _concepts(text: str) -> list[str | None]:
    return [r.concept for r in parsed_criterion(text, kind="exclusion").rules if isinstance(r, ConditionRule)]


def test_the_words_of_a_list_take_the_head_of_its_last_name() -> None:
    text = "Known cardiac, renal or hepatic disease"
    start = text.index("hepatic")
    found = shared_head_names(text, start, len(text))
    assert [(text[s:e], names) for s, e, names in found] == [
        ("cardiac", ["cardiac disease"]),
        ("renal", ["renal disease"]),
    ]
    # A one-word name has no head to share, and no list, nothing.
    assert shared_head_names("Known renal or hepatitis", 15, 24) == []
    assert shared_head_names("Severe hepatic disease", 7, 22) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Significant cardiac, renal or hepatic disease",
            ["cardiovascular_disease", "kidney_disease", "liver_disease"],
        ),
        ("Current alcohol or illicit drug use", ["alcohol_use", "substance_abuse"]),
        ("Chronic alcohol or drug abuse", ["alcohol_abuse", "substance_abuse"]),
        (
            "Active bacterial, viral or fungal infection",
            ["bacterial_infection", "viral_infection", "fungal_infection"],
        ),
        ("No lung or breast cancer", ["lung_cancer", "breast_cancer"]),
    ],
)
def test_each_item_is_a_condition_of_its_own(text: str, expected: list[str]) -> None:
    concepts = _concepts(text)
    assert concepts[: len(expected)] == expected or sorted(c or "" for c in concepts) == sorted(expected)


def test_a_word_that_is_no_kind_of_the_head_adds_nothing() -> None:
    names = [
        r.name
        for r in parsed_criterion("Thrombocytosis or polycythemia vera", kind="exclusion").rules
        if isinstance(r, ConditionRule)
    ]
    assert names and not any("thrombocytosis vera" in name.lower() for name in names)


@pytest.mark.parametrize(
    ("criterion", "kind", "note", "expected"),
    [
        (
            "Kidney or liver disease",
            "exclusion",
            "Man of 64 with stage 3 chronic kidney disease.",
            "excluded",
        ),
        (
            "Active drug or alcohol abuse",
            "exclusion",
            "Man of 45 with active intravenous drug abuse.",
            "excluded",
        ),
        ("Continued alcohol or drug abuse", "exclusion", "Man of 39 with alcohol dependence.", "excluded"),
        ("No lung or breast cancer", "inclusion", "Woman of 60 with lung cancer, stage IIIA.", "not met"),
        (
            "Renal or hepatic failure",
            "exclusion",
            "Woman of 70; no renal failure, no hepatic failure.",
            "not excluded",
        ),
        (
            "Drug or alcohol abuse",
            "exclusion",
            "Man of 31 with cocaine abuse, smoking crack weekly.",
            "excluded",
        ),
    ],
)
def test_an_item_a_note_names_decides(criterion: str, kind: str, note: str, expected: str) -> None:
    assert (
        evaluate_criterion(parsed_criterion(criterion, kind=kind), profile_from_note(note)).status == expected
    )
