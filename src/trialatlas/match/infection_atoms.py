"""Infection atoms: what an infection rule ("HBsAg positive", "Active hepatitis B or C", "Known HIV
infection") says of a patient, from the note's results for its pathogen. Which result says what is
:mod:`trialatlas.match.infection_markers`; the other rule kinds are :mod:`trialatlas.match.atoms`."""

from __future__ import annotations

from trialatlas.extract.criteria.rules import InfectionRule
from trialatlas.match.infection_markers import active_reading, protective
from trialatlas.match.logic import Truth, outcome
from trialatlas.match.patient import Evidence, PatientProfile


def evaluate_infection(rule: InfectionRule, patient: PatientProfile) -> tuple[Truth, str, list[Evidence]]:
    """What an infection rule says of the patient: the note's results for its pathogen, by marker
    (antibody, the pathogen itself, an antibody that is immunity), window and status."""
    # A positive antibody that is immunity (anti-HBs, from a vaccine) is no evidence of infection; alone,
    # it says the patient is immune, so an infection now is not met (its history stays open).
    own = [i for i in patient.infections if i.pathogen == rule.pathogen and not i.family]
    found = [i for i in own if not (i.present and protective(i))]
    if own and not found and not rule.historical and rule.status != "positive":
        return outcome("false", f"{own[0].name}: positive, which is immunity, not infection", own[0].evidence)
    window = rule.window
    positive = [i for i in found if i.present]
    if window is not None and window.relation == "within" and window.days and positive:
        times = [i.days_ago for i in positive]
        if all(days is not None and days > (window.days or 0) for days in times):
            # An episode the note dates before the window ("CMV colitis two years ago" for "CMV
            # infection within one month") is outside it, as a condition's episode is.
            return outcome(
                "false",
                f"{positive[0].name} {min(d or 0 for d in times):.0f} days ago, outside '{window.span.text}'",
                positive[0].evidence,
            )
    # "Active … infection": an antibody shows exposure, a negative RNA / DNA / antigen rules activity out.
    # So does any criterion about an infection now ("Chronic hepatitis B", "Hepatitis C virus
    # infection"), not one about its history or a positive serology; an unqualified one still reads a
    # lone positive antibody as positive, and one cured or latent as open (unknown), not absent.
    now = rule.status in ("active", "chronic", "any") and not rule.historical
    if now and (reading := active_reading(rule.pathogen, found)) is not None:
        if rule.status != "any":
            return outcome(reading[0], reading[1], reading[2])
        if reading[0] == "false":
            return outcome(
                "unknown", f"{reading[1]}; whether the criterion counts it is not said", reading[2]
            )
    # Any positive marker makes the patient positive ("HBsAg negative, anti-HBc positive").
    for infection in sorted(found, key=lambda i: not i.present):
        truth: Truth = "true" if infection.present else "false"
        return outcome(truth, f"{infection.name}: {infection.status}", infection.evidence)
    return outcome("unknown", f"no {rule.pathogen} status")
