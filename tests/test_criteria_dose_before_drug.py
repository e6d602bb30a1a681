"""A dose limit written before the drug it limits ("more than 1 mg/kg/day of prednisone") is that
drug's limit, judged against the patient's dose and weight like one written after the drug."""

from __future__ import annotations

from trialatlas.extract.criteria import parse_text
from trialatlas.extract.criteria.rules import MedicationRule
from verdict_support import status_of

CRITERION = "Requiring more than 1 mg/kg/day of prednisone"


def test_the_dose_before_of_and_the_drug_is_the_drugs_limit() -> None:
    rules = [r for r in parse_text(CRITERION, "exclusion") if isinstance(r, MedicationRule)]
    assert len(rules) == 1
    dose = rules[0].dose
    assert dose is not None
    assert (dose.operator, dose.mg, dose.basis, dose.daily) == (">", 1.0, "kg", True)


def test_the_limit_is_judged_per_kilogram_of_the_patients_weight() -> None:
    light = "Woman of 45 weighing 64 kg, takes prednisone 15 mg daily for anterior uveitis."
    heavy_dose = "Man of 50 weighing 55 kg, takes prednisone 80 mg daily for scleritis."
    assert status_of(CRITERION, light, kind="exclusion") == "not excluded"
    assert status_of(CRITERION, heavy_dose, kind="exclusion") == "excluded"


def test_a_dose_in_another_clause_is_not_the_drugs_limit() -> None:
    # The dose belongs to the first clause; methotrexate in the second has no limit.
    rules = parse_text("Aspirin over 325 mg daily, or any methotrexate", "exclusion")
    limits = {r.name: r.dose for r in rules if isinstance(r, MedicationRule)}
    assert limits.get("methotrexate", "absent") is None


def test_a_dose_without_an_operator_is_no_limit() -> None:
    rules = parse_text("Receiving 10 mg daily of warfarin", "exclusion")
    assert [r.dose for r in rules if isinstance(r, MedicationRule)] == [None]
