"""Substance abuse named by its verb ("Abuse alcohol or drugs", "are abusing drugs or alcohol") is the
patient's present alcohol or drug abuse; a note's drinking decides alcohol abuse by its amount (heavy
is abuse, light is not), its denial or its being given up, and a bare "history of" dependence leaves
now open."""

from __future__ import annotations

import pytest

from trialatlas.extract.criteria.rules import ConditionRule
from verdict_support import parsed_criterion, status_of


def test_the_verb_and_its_objects_are_the_conditions_now() -> None:
    text = "Are abusing drugs or alcohol."
    parsed = parsed_criterion(text, kind="exclusion")
    conditions = [r for r in parsed.rules if isinstance(r, ConditionRule)]
    assert [c.concept for c in conditions] == ["substance_abuse", "alcohol_abuse"]
    assert all(c.window is not None and c.window.relation == "current" for c in conditions)
    assert not [r for r in parsed.rules if r.kind == "medication"]


def test_a_word_that_composes_to_no_condition_ends_the_objects() -> None:
    text = "Abuse alcohol or require drugs which may increase the risk of pancreatitis."
    parsed = parsed_criterion(text, kind="exclusion")
    concepts = [r.concept for r in parsed.rules if isinstance(r, ConditionRule)]
    assert "alcohol_abuse" in concepts
    assert "substance_abuse" not in concepts
    assert [r.kind for r in parsed.rules].count("medication") == 1


@pytest.mark.parametrize(
    ("note", "expected"),
    [
        ("Man of 52 who drinks 8 to 10 beers every day.", "excluded"),
        ("Man of 38 who drinks a fifth of vodka daily.", "excluded"),
        ("Woman of 45 who denies alcohol or illicit drug use.", "not excluded"),
        ("Man of 50, sober from alcohol for ten years, no illicit drug use.", "not excluded"),
        ("Man of 26 who does not drink alcohol and has never used illicit drugs.", "not excluded"),
        ("Woman of 55; no alcohol or drug use.", "not excluded"),
        ("Man of 48 with a history of alcohol dependence.", "unknown"),
        # Two glasses a day: between the moderate and the heavy limits, the amount decides nothing.
        ("Woman of 40 who drinks two glasses of wine a day and denies drug use.", "unknown"),
    ],
)
def test_abuse_by_verb_against_the_notes_drinking(note: str, expected: str) -> None:
    assert status_of("Abuse alcohol or drugs.", note, kind="exclusion") == expected


def test_light_drinking_is_not_alcohol_abuse_but_a_history_of_it_is_still_asked() -> None:
    assert (
        status_of("Current alcohol abuse.", "Man of 30 who drinks one beer on weekends.", kind="exclusion")
        == "not excluded"
    )
    assert (
        status_of("History of alcohol abuse.", "Man of 30 who does not drink.", kind="exclusion") == "unknown"
    )
