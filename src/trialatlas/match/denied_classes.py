"""A note that denies a whole class of medicine ("no other chemotherapy", "no chemotherapy") rules out
every drug of that class it does not name: "treated with 12 cycles of FOLFOX; no other chemotherapy"
meets "No prior irinotecan", and "adjuvant CMF in 2012 and no other chemotherapy" meets "No prior
anthracycline". The drugs the note does name are judged on their own records first."""

from __future__ import annotations

from trialatlas.extract.criteria.drugs import class_closure, drug_classes
from trialatlas.extract.criteria.rules import MedicationRule
from trialatlas.match.patient import PatientMedication, PatientProfile


def _classes_of(drug: str) -> set[str]:
    return {b for c in drug_classes(drug) for b in class_closure(c)}


def denied_class(rule: MedicationRule, patient: PatientProfile) -> PatientMedication | None:
    """The note's denial of a class that covers everything ``rule`` asks about, if there is one."""
    if rule.drugs:
        covering = set.intersection(*(_classes_of(d) for d in rule.drugs))
    elif rule.drug_class is not None and rule.drug_class != "medication":
        covering = set(class_closure(rule.drug_class))
    else:
        return None
    for medication in patient.medications:
        # Only a class named on its own ("chemotherapy"), never a denied drug, speaks for the class.
        if medication.present or medication.drugs or medication.family:
            continue
        if any(c != "medication" and c in covering for c in medication.classes):
            return medication
    return None
