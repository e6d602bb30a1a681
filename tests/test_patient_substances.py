"""Substance use as notes state it: a denied list ending in "use" denies each substance it names,
illicit drugs named with a verb of use are substance use (never medicines taken), abstinence and
sobriety are past use; tobacco use is wider than smoking (chewing tobacco is not smoking). Criterion
companions: "within the past year" is a one-year window, and an exclusion worded "No smokers … will be
included" excludes smokers."""

from __future__ import annotations

from trialatlas.extract.criteria import Criterion, parse_criterion, parse_text
from trialatlas.match.patient import profile_from_note
from trialatlas.match.verdict import evaluate_criterion


def _facts(note: str) -> dict[str, tuple[bool, bool]]:
    return {c.concept or c.name: (c.present, c.historical) for c in profile_from_note(note).conditions}


def _status(criterion: str, kind: str, note: str) -> str:
    parsed = parse_criterion(Criterion(text=criterion, kind=kind, index=0, start=0, end=len(criterion)))  # type: ignore[arg-type]
    return evaluate_criterion(parsed, profile_from_note(note)).status


def test_a_denied_list_denies_each_substance() -> None:
    facts = _facts("Healthy man of 30. Denies tobacco, alcohol or illicit drug use.")
    assert facts["tobacco_use"] == (False, False)
    assert facts["alcohol_use"] == (False, False)
    assert facts["substance_abuse"] == (False, False)
    assert _status(
        "Current substance abuse.", "exclusion", "Man of 35 who denies alcohol, tobacco and drug use."
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
        _status("Active substance abuse.", "exclusion", "Man of 37 who injects heroin daily.")
        != "not excluded"
    )


def test_tobacco_use_is_wider_than_smoking() -> None:
    chewer = "Man of 29 who chews tobacco daily but has never smoked cigarettes."
    assert _status("Current smokers", "exclusion", chewer) == "not excluded"
    assert (
        _status("Current use of smokeless tobacco", "exclusion", "Woman of 44 smoking 15 cigarettes a day.")
        != "excluded"
    )


def test_criterion_companions() -> None:
    [rule] = [r for r in parse_text("History of drug abuse within the past year.", "exclusion")]
    assert rule.window is not None and rule.window.relation == "within" and rule.window.days == 365.25
    note = "Woman of 24. She denies tobacco, alcohol or recreational drug use."
    assert (
        _status("No smokers or tobacco users will be included in the study.", "exclusion", note)
        == "not excluded"
    )
    smoker = "Man of 50 who smokes a pack of cigarettes a day."
    # Its "will be included in the study" is read as a trial-participation clause that stays open.
    assert (
        _status("No smokers or tobacco users will be included in the study.", "exclusion", smoker)
        != "not excluded"
    )


def test_illicit_substances_named_in_a_criterion_are_drug_use() -> None:
    criterion = "Current use of illicit substances and/or active chronic alcohol use."
    assert _status(
        criterion, "exclusion", "Woman of 27; she denies alcohol, tobacco and illicit drug use."
    ) == ("not excluded")
    assert _status(criterion, "exclusion", "Man of 27 who uses illicit substances on weekends.") == "excluded"
