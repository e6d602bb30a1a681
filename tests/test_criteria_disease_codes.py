"""Conditions by their ICD-10-CM names (the packaged tabular list): read on both sides where the hand
vocabulary is silent, linked to the hand concepts through the classification's hierarchy, and never
taking a name the hand vocabulary or the infection vocabulary already reads."""

from __future__ import annotations

import pytest

from trialatlas.extract.criteria.disease_codes import clean_name
from trialatlas.extract.criteria.vocab import (
    broader_concepts,
    code_conditions,
    condition_matcher,
    is_kind_by_name,
)
from verdict_support import status_of

pytest.importorskip("simple_icd_10_cm")


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Achalasia NOS", "achalasia"),
        ("Hypoglycemia, unspecified", "hypoglycemia"),
        ("Cushing's syndrome [adrenal]", "cushing's syndrome"),
        ("Other specified disorders of pancreatic internal secretion", None),
        ("Type 2 diabetes mellitus with diabetic chronic kidney disease", None),
        ("Illness, unspecified", None),
        ("Malignant neoplasm of upper lobe, right bronchus or lung", None),
    ],
)
def test_titles_become_names_a_writer_uses(title: str, expected: str | None) -> None:
    assert clean_name(title) == expected


def test_the_classification_is_read_with_its_hierarchy_and_links() -> None:
    codes = code_conditions()
    assert len(codes) > 10000
    mention = condition_matcher().find("Known hemochromatosis or sarcoidosis")
    assert [m.text for m in mention] == ["hemochromatosis", "sarcoidosis"]
    assert all(m.concept.startswith("icd:") for m in mention)
    # Its code falls under its category and section.
    assert len([c for c in broader_concepts(mention[1].concept) if c.startswith("icd:")]) >= 2
    # A plasmacytoma's section is the malignant neoplasms: it is a cancer.
    plasmacytoma = condition_matcher().find("solitary plasmacytoma")[0]
    assert "cancer" in broader_concepts(plasmacytoma.concept)


def test_the_hand_vocabulary_and_the_infections_keep_their_names() -> None:
    found = condition_matcher().find("prior heart attack, type 2 diabetes")
    assert [m.concept for m in found] == ["myocardial_infarction", "type2_diabetes"]
    # "Tuberculosis" is read as an infection, with its tests and treatment: never as a code here.
    assert not condition_matcher().find("tuberculosis")
    # "Arthritis NOS" is filed under unspecified osteoarthritis: not read as that code.
    assert condition_matcher().concept_of("arthritis") is None


def test_a_kind_is_named_by_its_general_word_at_the_end() -> None:
    assert is_kind_by_name("ulcerative colitis", "colitis")
    assert is_kind_by_name("CMV Retinitis", "retinitis")
    assert not is_kind_by_name("colitis", "ulcerative colitis")
    assert not is_kind_by_name("diabetes insipidus", "diabetes")


@pytest.mark.parametrize(
    ("criterion", "kind", "note", "expected"),
    [
        (
            "History of sarcoidosis",
            "exclusion",
            "Woman of 45 with pulmonary sarcoidosis since 2018.",
            "excluded",
        ),
        (
            "Hemochromatosis",
            "exclusion",
            "Man of 52 with hereditary hemochromatosis on phlebotomy.",
            "excluded",
        ),
        ("Patients with achalasia", "inclusion", "Woman of 38 with achalasia confirmed on manometry.", "met"),
        (
            "Myasthenia gravis",
            "exclusion",
            "Woman of 29 with myasthenia gravis on pyridostigmine.",
            "excluded",
        ),
        ("Known colitis", "exclusion", "Man of 33 with ischemic colitis last year.", "excluded"),
        ("History of esophagitis", "exclusion", "Boy of 12 with eosinophilic esophagitis.", "excluded"),
        ("Any malignancy", "exclusion", "Woman of 70 with a solitary plasmacytoma of the rib.", "excluded"),
        (
            "Diagnosed with Cushing's syndrome",
            "inclusion",
            "Woman of 35 with Cushing syndrome from a pituitary adenoma.",
            "met",
        ),
        ("Fibromyalgia", "exclusion", "Woman of 50 who denies fibromyalgia or chronic pain.", "not excluded"),
    ],
)
def test_coded_conditions_decide_on_both_sides(criterion: str, kind: str, note: str, expected: str) -> None:
    assert status_of(criterion, note, kind=kind) == expected


def test_a_coded_condition_the_note_does_not_name_is_not_decided_from_silence() -> None:
    # The note names other conditions: whether she has sarcoidosis it does not say.
    status = status_of("History of sarcoidosis", "Man of 60 with type 2 diabetes and hypertension.")
    assert status != "met"
