"""A drug named inside a dose threshold ("> 10 mg prednisone/day") is the unit the dose is counted in:
other steroids are converted to it, and it is not a second drug the criterion asks about."""

from __future__ import annotations

from trialatlas.extract.criteria import parse_text
from trialatlas.extract.criteria.rules import MedicationRule
from verdict_support import status_of

CRITERION = "Systemic corticosteroids (more than 10 mg prednisone per day)"


def test_the_reference_drug_is_the_doses_unit_not_a_second_rule() -> None:
    rules = [r for r in parse_text(CRITERION, "exclusion") if isinstance(r, MedicationRule)]
    assert len(rules) == 1
    assert rules[0].dose is not None and rules[0].dose.equivalent_of == "prednisone"


def test_another_steroid_is_converted_to_the_reference() -> None:
    # Dexamethasone 4 mg is about 27 mg of prednisone; hydrocortisone 20 mg is 5 mg.
    assert (
        status_of(CRITERION, "Man, 70, on dexamethasone 4 mg daily for brain edema.", kind="exclusion")
        == "excluded"
    )
    assert (
        status_of(CRITERION, "Woman, 50, on hydrocortisone 20 mg daily.", kind="exclusion") == "not excluded"
    )


def test_a_drug_that_is_no_reference_stays_a_drug() -> None:
    rules = parse_text("Prior gemcitabine >= 1000 mg/m2 cisplatin", "exclusion")
    names = {r.name for r in rules if isinstance(r, MedicationRule)}
    assert names == {"gemcitabine", "cisplatin"}
