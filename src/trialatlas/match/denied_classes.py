"""A note that denies a whole class of medicine ("no other chemotherapy", "no chemotherapy") rules out
every drug of that class it does not name: "treated with 12 cycles of FOLFOX; no other chemotherapy"
meets "No prior irinotecan", and "adjuvant CMF in 2012 and no other chemotherapy" meets "No prior
anthracycline". The drugs the note does name are judged on their own records first."""

from __future__ import annotations

import re
from functools import cache

from trialatlas.extract.criteria.drugs import class_closure, drug_classes
from trialatlas.extract.criteria.rules import MedicationRule
from trialatlas.match.patient_model import PatientMedication, PatientProfile
from trialatlas.text.packaged import packaged_json


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


@cache
def _complete_history() -> re.Pattern[str]:
    cues = packaged_json("trialatlas.match", "note_cues.json")["treatment_history_complete"]
    return re.compile("|".join(f"(?:{cue})" for cue in cues), re.IGNORECASE)


def read_complete_history(profile: PatientProfile) -> None:
    """A sentence naming a chemotherapy and saying it was all the patient had ("previously treated
    with R-CHOP only", "VAD chemotherapy and no other treatment") denies the rest of the class, as
    "no other chemotherapy" does (cues ``treatment_history_complete`` in ``note_cues.json``)."""
    for index, sentence in enumerate(profile.sentences):
        if _complete_history().search(sentence) is None:
            continue
        named = [
            m
            for m in profile.medications
            if m.present
            and m.evidence is not None
            and m.evidence.sentence_index == index
            and any("chemotherapy" in _classes_of(d) for d in m.drugs)
        ]
        denied = any(
            not m.present and not m.drugs and m.evidence is not None and m.evidence.sentence_index == index
            for m in profile.medications
        )
        if named and not denied:
            profile.medications.append(
                PatientMedication(
                    name="other chemotherapy",
                    classes=["chemotherapy"],
                    present=False,
                    current=False,
                    evidence=named[0].evidence,
                )
            )
