"""Infections and metastases a note names in words the criteria put otherwise: "chronic hepatitis B"
is hepatitis, "active CMV retinitis" is the "infection caused by cytomegalovirus" a criterion names, a
bacteraemia is a bacterial infection, a brain metastasis is a CNS metastasis; a positive pregnancy test
is a pregnancy. Texts written for these tests."""

from __future__ import annotations

import pytest

from verdict_support import status_of


@pytest.mark.parametrize(
    ("criterion", "note", "kind", "expected"),
    [
        ("Have hepatitis.", "40-year-old man with chronic hepatitis B.", "exclusion", "excluded"),
        ("Hepatitis", "Known HCV infection, untreated.", "exclusion", "excluded"),
        ("Hepatitis", "He was treated for hepatitis C in 2019.", "exclusion", "unknown"),
        ("Hepatitis", "History of chronic hepatitis B.", "exclusion", "unknown"),
        ("Hepatitis", "No chronic hepatitis B.", "exclusion", "unknown"),  # hepatitis C left open
        (
            "Infection caused by cytomegalovirus or herpes simplex virus.",
            "He is treated for active CMV retinitis.",
            "exclusion",
            "excluded",
        ),
        ("Active infection", "52-year-old man with HIV infection on therapy.", "exclusion", "unknown"),
        (
            "No active bacterial or fungal infection",
            "On vancomycin for a Staphylococcus aureus bacteremia.",
            "inclusion",
            "not met",
        ),
        # A bacteraemia is a bacterial infection, not by itself sepsis (which needs organ dysfunction).
        ("No sepsis", "He has a bacteraemia.", "inclusion", "unknown"),
        ("No history of CNS metastases", "A brain metastasis was resected in 2020.", "inclusion", "not met"),
        ("No CNS metastases", "Melanoma with a liver metastasis.", "inclusion", "unknown"),
        # Kept as labelled, known to fail since round matchleft: denying a kind no longer denies its class
        # ("no lung cancer" leaves "prior malignancy" open), and brain metastases are a kind of CNS
        # metastases (leptomeningeal and spinal ones are not denied). A clinician takes a clear brain MRI
        # as the class's screen; the vocabulary does not yet say which kind is how a class is checked.
        pytest.param(
            "No CNS metastases",
            "Brain MRI shows no brain metastases.",
            "inclusion",
            "met",
            marks=pytest.mark.xfail(strict=True, reason="a denied kind does not deny its class (matchleft)"),
        ),
    ],
)
def test_infections_and_metastases_by_their_kind(criterion: str, note: str, kind: str, expected: str) -> None:
    assert status_of(criterion, note, kind=kind) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("note", "expected"),
    [
        ("29-year-old woman; a urine pregnancy test today was positive.", "excluded"),
        ("29-year-old woman; serum pregnancy test: positive.", "excluded"),
        ("29-year-old woman with a positive serum hCG.", "excluded"),
        ("29-year-old woman; the pregnancy test was negative; she is not breastfeeding.", "not excluded"),
        ("29-year-old woman; a pregnancy test was sent.", "unknown"),
    ],
)
def test_a_positive_pregnancy_test_is_a_pregnancy(note: str, expected: str) -> None:
    assert status_of("Women who are pregnant or breastfeeding", note, kind="exclusion") == expected
