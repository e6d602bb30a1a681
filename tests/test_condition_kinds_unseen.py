"""Conditions the vocabulary lacked or merged, found by clinical-suite cases on criteria never seen
(c900-c959): fainting is syncope, Hashimoto thyroiditis and Graves disease are autoimmune diseases,
chickenpox is not shingles, a heroin use disorder is drug abuse, an excised cancer was treated, and
major operations named by their own word (pneumonectomy, hemicolectomy) are surgery."""

from __future__ import annotations

import pytest

from trialatlas.extract.criteria.qualifiers import course_of
from verdict_support import status_of


@pytest.mark.parametrize(
    "said", ["She fainted once during a match", "Two syncopal episodes last year", "He passed out"]
)
def test_fainting_is_syncope(said: str) -> None:
    assert (
        status_of("History of syncope or palpitations", f"Girl of 13. {said}.", kind="exclusion")
        == "excluded"
    )


def test_palpitations_are_read_and_denied() -> None:
    note = "Boy of 11. Denies palpitations or fainting."
    assert status_of("History of syncope or palpitations", note, kind="exclusion") == "not excluded"


@pytest.mark.parametrize("disease", ["Hashimoto thyroiditis", "Graves disease"])
def test_autoimmune_thyroid_diseases_are_autoimmune(disease: str) -> None:
    note = f"Woman of 24 with {disease}."
    assert status_of("No history of autoimmune disease", note) == "not met"
    # Still a thyroid disease of its own kind.
    assert status_of("Thyroid disease", note, kind="exclusion") == "excluded"


def test_hashimoto_still_counts_as_hypothyroidism() -> None:
    assert (
        status_of("Hypothyroidism", "Man of 50 with Hashimoto's thyroiditis.", kind="exclusion") == "excluded"
    )


def test_chickenpox_is_not_shingles() -> None:
    note = "Man of 70 who had chickenpox as a child; never had shingles."
    assert status_of("Prior herpes zoster", note, kind="exclusion") == "not excluded"
    assert status_of("History of varicella", note) == "met"


def test_a_heroin_use_disorder_in_remission_is_no_active_drug_abuse() -> None:
    note = "Man of 35. History of heroin use disorder, in sustained remission for four years."
    assert status_of("Active drug abuse", note, kind="exclusion") == "not excluded"
    using = "Man of 35 with heroin use disorder, using daily."
    assert status_of("Active drug abuse", using, kind="exclusion") == "excluded"


@pytest.mark.parametrize("said", ["excised with clear margins", "resected two years ago"])
def test_an_excised_cancer_was_treated(said: str) -> None:
    assert "treated" in course_of(f"basal cell carcinoma {said}")


@pytest.mark.parametrize(
    ("note", "status"),
    [
        ("Man of 58 who underwent left pneumonectomy nine weeks ago.", "not excluded"),
        ("Woman of 60 who had a right hemicolectomy two weeks ago.", "excluded"),
        # A minor operation named by its own word is not taken for major surgery.
        ("Man of 40 who had a vasectomy last week.", "unknown"),
    ],
)
def test_major_operations_named_by_their_own_word_are_surgery(note: str, status: str) -> None:
    assert status_of("Major surgery within 4 weeks prior to entry", note, kind="exclusion") == status


def test_a_bone_marrow_transplant_is_its_own_kind_of_transplantation() -> None:
    criterion = (
        "At least 6 months since prior bone marrow transplantation and no evidence of "
        "graft versus host disease"
    )
    note = (
        "Boy of 12. He had an autologous bone marrow transplant ten months ago; no graft versus host disease."
    )
    assert status_of(criterion, note) == "met"
    recent = "Boy of 17 who had an allogeneic bone marrow transplant three months ago."
    assert status_of(criterion, recent) == "not met"
    # A kidney transplant is a transplantation but not a bone marrow one.
    kidney = "Man of 50 who had a kidney transplant in 2015."
    assert status_of("Prior bone marrow transplantation", kidney, kind="exclusion") == "unknown"
    assert status_of("Prior transplantation", note, kind="exclusion") == "excluded"


def test_external_beam_radiotherapy_is_read_whole() -> None:
    criterion = "At least 4 weeks since prior external beam radiotherapy"
    note = "Woman with breast cancer; she finished external beam radiotherapy to the chest two years ago."
    assert status_of(criterion, note) == "met"
    # A site-limited kind stays a qualifier no radiotherapy in general meets.
    chest = "Man who had radiotherapy to the chest last year."
    assert status_of("Prior whole brain radiotherapy", chest, kind="exclusion") != "excluded"


@pytest.mark.parametrize(
    ("note", "status"),
    [
        ("Man of 40; former smoker who quit 20 years ago.", "not excluded"),
        ("Man of 40 who smokes a pack a day.", "excluded"),
    ],
)
def test_who_smoke_is_smoking_now(note: str, status: str) -> None:
    assert status_of("Subjects who smoke", note, kind="exclusion") == status
