"""Conditions criteria often name that the vocabulary lacked (sarcomas, mesothelioma, meningitis, kidney
stones, syphilis, paediatric tumours, autism, ascites): read on both sides, kinds kept apart, and an
alternative joined to a stage list read into an atom widens that atom."""

from __future__ import annotations

import pytest

from trialatlas.extract.criteria.rules import ConditionRule
from trialatlas.extract.criteria.vocab import broader_concepts
from verdict_support import parsed_criterion, status_of


@pytest.mark.parametrize(
    ("criterion", "kind", "note", "expected"),
    [
        (
            "AIDS-related Kaposi's sarcoma",
            "inclusion",
            "Man of 40 with HIV and Kaposi sarcoma of the feet.",
            "met",
        ),
        ("Osteogenic sarcoma", "inclusion", "Girl of 14 with osteosarcoma of the proximal tibia.", "met"),
        ("Malignant pleural mesothelioma", "inclusion", "Man of 70 with pleural mesothelioma.", "met"),
        ("History of meningitis", "exclusion", "Boy of 8 who had meningitis as an infant.", "excluded"),
        (
            "Any history of renal calculi",
            "exclusion",
            "Woman of 50 who passed a kidney stone in 2019.",
            "excluded",
        ),
        (
            "Active syphilis",
            "exclusion",
            "Man of 30 with untreated secondary syphilis, RPR 1:128.",
            "excluded",
        ),
        ("Diagnosis of autism spectrum disorder", "inclusion", "Boy of 6 with autism since age 3.", "met"),
        ("No ascites", "inclusion", "Man of 60 with cirrhosis; CT shows large-volume ascites.", "not met"),
    ],
)
def test_named_conditions_are_read_on_both_sides(criterion: str, kind: str, note: str, expected: str) -> None:
    assert status_of(criterion, note, kind=kind) == expected


def test_kinds_of_sarcoma_are_not_one_another() -> None:
    text = "No Kaposi's sarcoma, Ewing's sarcoma, or osteosarcoma"
    # Her leiomyosarcoma is none of them (the note's silence on them leaves the answer open, never "not met").
    assert status_of(text, "Woman of 52 with uterine leiomyosarcoma.") != "not met"
    assert status_of(text, "Woman of 52 with Ewing sarcoma of the pelvis.") == "not met"
    assert "sarcoma" in broader_concepts("kaposi_sarcoma")
    assert "cancer" in broader_concepts("ewing_sarcoma")
    assert "kaposi_sarcoma" not in broader_concepts("leiomyosarcoma")


def test_carcinomatous_meningitis_is_a_meningitis_and_a_cancer_but_cryptococcal_is_not_a_cancer() -> None:
    assert {"meningitis", "cancer"} <= broader_concepts("carcinomatous_meningitis")
    assert "cancer" not in broader_concepts("cryptococcal_meningitis")
    rules = [r for r in parsed_criterion("Leptomeningeal disease").rules if isinstance(r, ConditionRule)]
    assert [r.concept for r in rules] == ["carcinomatous_meningitis"]


def test_an_alternative_joined_to_a_stage_list_keeps_a_failed_stage_open() -> None:
    text = "High risk neuroblastoma (stage IV, or quandrel amplified)"
    note = "Child of 3 with neuroblastoma, INSS stage 3, quandrel amplified."
    assert status_of(text, note) == "unknown"
    # Without the alternative, the stage decides.
    assert status_of("Stage IV neuroblastoma", note) == "not met"


def test_other_than_is_no_kind_of_the_condition_it_exempts() -> None:
    rules = parsed_criterion("Any chronic disease (other than allergy or asthma)", kind="exclusion").rules
    exempted = [r for r in rules if isinstance(r, ConditionRule) and r.exception]
    assert exempted
    assert all("than" not in r.qualifiers for r in exempted)


def test_an_unread_alternative_beside_an_exception_is_not_exempted_with_it() -> None:
    # Kaposi's sarcoma is exempted from "cancer", not from the "zorbal-defining illness" beside it.
    text = "History of cancer (other than Kaposi's sarcoma), a zorbal-defining illness, or quandrel disease."
    note = "Man of 44 with HIV whose only complication was Kaposi's sarcoma in 2015. No other cancers."
    assert status_of(text, note, kind="exclusion") == "unknown"
    assert (
        status_of("History of cancer (other than Kaposi's sarcoma).", note, kind="exclusion")
        == "not excluded"
    )
