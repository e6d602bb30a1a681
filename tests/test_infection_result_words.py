"""A test's result written against its name ("HIV-negative", "HBsAg-", "HIV seronegative") is that
test's own result, in a note as in a criterion, and a test a note says was never done, declined,
pending or unknown leaves the status open (before, "HIV status never tested" read as HIV infection)."""

from __future__ import annotations

import pytest

from trialatlas.extract.criteria import Criterion, parse_criterion
from trialatlas.match.patient import profile_from_note
from verdict_support import status_of


def _infections(note: str) -> dict[str, str]:
    return {i.pathogen: i.status for i in profile_from_note(note).infections}


def test_a_hyphenated_result_is_its_own_tests_result_in_a_note() -> None:
    assert _infections("Man of 50. HIV-negative, HBsAg-positive, anti-HCV-seronegative.") == {
        "HIV": "negative",
        "HBV": "positive",
        "HCV": "negative",
    }
    # Another test's result later in the clause does not reach back over it.
    assert _infections("Man. HIV-negative, HBsAg-positive, anti-HCV negative.")["HBV"] == "positive"
    # A negation before the test still denies it.
    assert _infections("Woman of 33 who has never been HIV-positive.") == {"HIV": "negative"}


@pytest.mark.parametrize(
    "note",
    [
        "Man of 60 with colon cancer; HIV status never tested.",
        "Woman of 27 who has never been tested for HIV.",
        "Man of 70; he declined HIV testing.",
        "Woman of 40; HIV test result pending.",
        "Man of 62; HIV testing was not done.",
        "Man of 41; his HIV status is unknown.",
    ],
)
def test_a_test_never_done_is_no_status(note: str) -> None:
    assert "HIV" not in _infections(note)
    assert status_of("HIV negative", note) == "unknown"
    assert status_of("HIV infection", note, kind="exclusion") == "unknown"


def test_only_the_untested_clause_is_open() -> None:
    note = "Woman of 61; HIV-negative, HBsAg-negative; anti-HBc not tested."
    assert _infections(note) == {"HIV": "negative", "HBV": "negative"}


@pytest.mark.parametrize(
    ("criterion", "note", "expected"),
    [
        ("Are HIV-negative.", "Woman of 30, HIV-negative.", "met"),
        ("Are HIV-negative.", "Man of 30, HIV-positive since 2019.", "not met"),
        ("HIV seronegative", "Man of 44 with HIV infection on antiretroviral therapy.", "not met"),
        # Each test is denied by its own result: an HBsAg-positive patient fails although HIV is negative.
        (
            "HIV negative Hepatitis B surface antigen negative",
            "Woman of 49. HIV-negative; HBsAg-positive.",
            "not met",
        ),
        (
            "HIV negative Hepatitis B surface antigen negative",
            "Woman of 49. HIV-negative; HBsAg-negative.",
            "met",
        ),
        (
            "Must be HIV-negative, HBsAg-, and HCV antibody negative.",
            "Man. HIV-negative, HBsAg-positive, anti-HCV negative.",
            "not met",
        ),
        # Either result of the same test: anyone tested meets it.
        ("HIV-positive by testing or HIV-seronegative by EIA.", "Man of 26, HIV-seronegative by EIA.", "met"),
    ],
)
def test_criteria_read_a_result_joined_to_its_test(criterion: str, note: str, expected: str) -> None:
    assert status_of(criterion, note) == expected


def test_a_word_joined_by_a_hyphen_to_a_test_is_no_result() -> None:
    # "AIDS- or ARC-defining": the hyphen carries the word on, it is no negative sign.
    parsed = parse_criterion(
        Criterion(
            text="History of AIDS- or ARC-defining condition", kind="exclusion", index=0, start=0, end=42
        )
    )
    assert not any(rule.negated for rule in parsed.rules)
