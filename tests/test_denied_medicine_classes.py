"""A note denying a whole class of medicine ("no other chemotherapy", "treated with R-CHOP only")
rules out the drugs of that class it does not name (clinical suite c554, c558, c706, c716), while a drug
it does name keeps its own record."""

from __future__ import annotations

import pytest

from verdict_support import status_of


@pytest.mark.parametrize(
    ("criterion", "note", "status"),
    [
        ("No prior irinotecan", "Man with rectal cancer treated with FOLFOX; no other chemotherapy.", "met"),
        (
            "No prior irinotecan",
            "Man with colon cancer treated with FOLFIRI; no other chemotherapy.",
            "not met",
        ),
        (
            "No prior anthracycline",
            "Woman treated with adjuvant CMF in 2012 and no other chemotherapy.",
            "met",
        ),
        (
            "No prior anthracycline",
            "Woman treated with adjuvant AC in 2012 and no other chemotherapy.",
            "not met",
        ),
        ("No prior chemotherapy", "Man treated with FOLFOX; no other chemotherapy.", "not met"),
    ],
)
def test_a_denied_class_rules_out_its_unnamed_drugs(criterion: str, note: str, status: str) -> None:
    assert status_of(criterion, note) == status


def test_a_denied_drug_does_not_speak_for_its_class() -> None:
    # "No irinotecan" says nothing of gemcitabine.
    assert status_of("No prior gemcitabine", "Man with pancreatic cancer; no irinotecan.") == "unknown"


@pytest.mark.parametrize(
    "note",
    [
        "Man with relapsed lymphoma previously treated with R-CHOP only.",
        "Man with lymphoma who received six cycles of R-CHOP and no other treatment.",
    ],
)
def test_a_sentence_giving_the_whole_treatment_history_denies_the_rest_of_the_class(note: str) -> None:
    assert status_of("No prior gemcitabine", note) == "met"
    # What it names still counts.
    assert status_of("No prior doxorubicin", note) == "not met"


def test_only_in_another_sense_denies_nothing() -> None:
    note = "Man with lymphoma treated with R-CHOP. He has only mild neuropathy."
    assert status_of("No prior gemcitabine", note) == "unknown"
