"""Hepatitis is HBV or HCV infection when the note gives serologies."""

from __future__ import annotations

from verdict_support import status_of


def test_negative_for_every_hepatitis_virus_is_no_hepatitis() -> None:
    note = "Woman, 44, with lupus. Hepatitis B and C serologies are negative."
    assert status_of("Active hepatitis", note, kind="exclusion") == "not excluded"


def test_a_positive_serology_is_hepatitis() -> None:
    note = "Man, 50, with cirrhosis. HBsAg positive."
    assert status_of("Chronic hepatitis", note, kind="exclusion") != "not excluded"


def test_one_negative_virus_or_a_treated_one_leaves_hepatitis_open() -> None:
    only_b = "Woman, 44, with lupus. Hepatitis B surface antigen negative."
    treated = "Man, 66. He was treated for hepatitis C in 2018; RNA is now undetectable."
    assert status_of("Hepatitis", only_b, kind="exclusion") == "unknown"
    assert status_of("Active hepatitis", treated, kind="exclusion") != "excluded"
