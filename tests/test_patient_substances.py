"""Substance use as notes state it: a denied list ending in "use" denies each substance it names,
illicit drugs named with a verb of use are substance use (never medicines taken), abstinence and
sobriety are past use; tobacco use is wider than smoking (chewing tobacco is not smoking). Criterion
companions: "within the past year" is a one-year window, and an exclusion worded "No smokers … will be
included" excludes smokers."""

from __future__ import annotations

from trialatlas.extract.criteria import parse_text
from trialatlas.match.patient import profile_from_note
from verdict_support import status_of


def _facts(note: str) -> dict[str, tuple[bool, bool]]:
    return {c.concept or c.name: (c.present, c.historical) for c in profile_from_note(note).conditions}


def test_a_denied_list_denies_each_substance() -> None:
    facts = _facts("Healthy man of 30. Denies tobacco, alcohol or illicit drug use.")
    assert facts["tobacco_use"] == (False, False)
    assert facts["alcohol_use"] == (False, False)
    assert facts["substance_abuse"] == (False, False)
    assert status_of(
        "Current substance abuse.", "Man of 35 who denies alcohol, tobacco and drug use.", kind="exclusion"
    ) == ("not excluded")


def test_illicit_drugs_are_use_not_medicines() -> None:
    profile = profile_from_note("Man of 40, abstinent from cocaine and heroin for eight years.")
    assert profile.medications == []
    assert _facts("Man of 40, abstinent from cocaine and heroin for eight years.")["substance_abuse"] == (
        True,
        True,
    )
    assert _facts("Man of 31 who smokes crack cocaine several times a week.")["substance_abuse"] == (
        True,
        False,
    )
    assert (
        status_of("Active substance abuse.", "Man of 37 who injects heroin daily.", kind="exclusion")
        != "not excluded"
    )


def test_tobacco_use_is_wider_than_smoking() -> None:
    chewer = "Man of 29 who chews tobacco daily but has never smoked cigarettes."
    assert status_of("Current smokers", chewer, kind="exclusion") == "not excluded"
    assert (
        status_of(
            "Current use of smokeless tobacco", "Woman of 44 smoking 15 cigarettes a day.", kind="exclusion"
        )
        != "excluded"
    )


def test_criterion_companions() -> None:
    [rule] = [r for r in parse_text("History of drug abuse within the past year.", "exclusion")]
    assert rule.window is not None and rule.window.relation == "within" and rule.window.days == 365.25
    note = "Woman of 24. She denies tobacco, alcohol or recreational drug use."
    assert (
        status_of("No smokers or tobacco users will be included in the study.", note, kind="exclusion")
        == "not excluded"
    )
    smoker = "Man of 50 who smokes a pack of cigarettes a day."
    # Its "will be included in the study" is read as a trial-participation clause that stays open.
    assert (
        status_of("No smokers or tobacco users will be included in the study.", smoker, kind="exclusion")
        != "not excluded"
    )


def test_illicit_substances_named_in_a_criterion_are_drug_use() -> None:
    criterion = "Current use of illicit substances and/or active chronic alcohol use."
    assert status_of(
        criterion, "Woman of 27; she denies alcohol, tobacco and illicit drug use.", kind="exclusion"
    ) == ("not excluded")
    assert (
        status_of(criterion, "Man of 27 who uses illicit substances on weekends.", kind="exclusion")
        == "excluded"
    )
