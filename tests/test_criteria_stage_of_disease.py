"""A stage list naming no condition ("Stage III or IV disease") stages the cancer under study."""

from __future__ import annotations

import pytest

from trialatlas.extract.criteria import parse_text
from trialatlas.extract.criteria.rules import ConditionRule
from trialatlas.extract.criteria.vocab import condition_matcher
from verdict_support import status_of


def test_a_stage_list_alone_is_read_as_the_stage_of_a_cancer() -> None:
    rules = [r for r in parse_text("Stage IIIB or IV disease", "inclusion") if isinstance(r, ConditionRule)]
    assert len(rules) == 1
    assert rules[0].concept == "cancer"
    assert rules[0].classes == ["3b", "4"]
    assert rules[0].class_kind == "stage"


def test_a_stage_a_condition_owns_stays_with_it() -> None:
    rules = [
        r for r in parse_text("Stage II or III gastric cancer", "inclusion") if isinstance(r, ConditionRule)
    ]
    assert [r.concept for r in rules] == ["gastric_cancer"]


@pytest.mark.parametrize(
    ("criterion", "note", "expected"),
    [
        ("Stage III or IV disease", "Woman of 52 with breast cancer, stage IV, bone metastases.", "met"),
        ("Stage III or IV disease", "Man of 70 with prostate cancer, stage II, on surveillance.", "not met"),
        ("Stage I-III", "Colon cancer, stage IV, liver metastases; 61-year-old man.", "not met"),
        ("No stage IV disease", "Rectal cancer, stage III after staging MRI; 58-year-old woman.", "met"),
        # The cancer is not staged: nothing decides it.
        ("Stage III or IV disease", "Man of 49 with newly diagnosed melanoma, staging pending.", "unknown"),
        # A kidney disease's stage is not the stage of the disease under study.
        (
            "Stage III/IV disease",
            "Woman of 66 with lymphoma not yet staged and chronic kidney disease stage 3.",
            "unknown",
        ),
        ("Stage IIIb or IV.", "Man of 72 with lung cancer, stage IV, brain metastases.", "excluded"),
    ],
)
def test_the_patients_cancer_stage_decides(criterion: str, note: str, expected: str) -> None:
    kind = "exclusion" if expected in ("excluded", "not excluded") else "inclusion"
    assert status_of(criterion, note, kind=kind) == expected


def test_mycosis_fungoides_is_a_lymphoma_not_a_fungal_infection() -> None:
    concepts = {m.concept for m in condition_matcher().find("mycosis fungoides or Sezary syndrome")}
    assert concepts == {"lymphoma"}
