"""An infection the criterion names by its pathogen: "Concurrent infection caused by cytomegalovirus or
Mycobacterium avium complex" reads a generic "infection" atom beside the pathogens' own atoms, and for
a patient with CMV retinitis the generic atom is that same CMV infection. Only a pathogen the criterion
itself names makes the generic word true: a patient's HIV is no "active infection" of a criterion that
names no pathogen (whether it counts there is the investigator's call)."""

from __future__ import annotations

from trialatlas.extract.criteria.rules import ConditionRule, InfectionRule, Rule
from trialatlas.match.atoms import RuleVerdict

# The generic concept of the conditions vocabulary ("infection", "active infection", "serious infection").
GENERIC_INFECTION = "infection"


def infection_named_by_pathogen(rules: list[Rule], verdicts: list[RuleVerdict]) -> None:
    """Where the patient has a pathogen the criterion names, its undecided generic "infection" atoms
    are that infection (true); nothing else changes."""
    named = [
        verdict
        for rule, verdict in zip(rules, verdicts, strict=True)
        if isinstance(rule, InfectionRule) and verdict.truth == "true"
    ]
    if not named:
        return
    for position, rule in enumerate(rules):
        if (
            isinstance(rule, ConditionRule)
            and rule.concept == GENERIC_INFECTION
            and verdicts[position].truth == "unknown"
        ):
            verdicts[position] = verdicts[position].model_copy(
                update={
                    "truth": "true",
                    "reason": f"an infection the criterion names: {named[0].reason}",
                    "evidence": named[0].evidence,
                }
            )
