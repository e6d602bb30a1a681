"""Patient profiles: the typed record (JSON) a patient is matched as.

JSON schema (``PatientProfile.model_json_schema()`` gives the formal one)::

    {
      "id": "p1",                                  # optional
      "age_years": 58,                             # or "birth_date": "1966-04-02" (+ optional "as_of")
      "sex": "female",                             # "female" | "male"
      "conditions": [{"name": "hypertension", "onset": "2015", "present": true}],
      "measurements": [{"name": "hemoglobin", "value": 9.0, "unit": "g/dL", "date": "2024-01-10"}],
      "medications": [{"name": "tacrolimus", "start": "2023-01", "stop": "2023-06"}],
      "procedures": [{"name": "renal biopsy", "date": "2024-01-02"}],
      "pregnant": false, "lactating": false,
      "consent": true,
      "notes": "free text: read for facts the fields do not give, and searched for evidence"
    }

Names are mapped to vocabulary concepts (conditions, analytes, drugs, procedures) when the profile is
built, so that a criterion's "eGFR" meets a patient's "estimated glomerular filtration rate".
A note becomes the same profile through :func:`trialatlas.match.note_reader.profile_from_note`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt, model_validator

from trialatlas.extract.criteria.drugs import find_drugs, mention_classes
from trialatlas.extract.criteria.qualifiers import (
    course_of,
    find_classes,
    find_dose,
    name_courses,
    route_mentions,
)
from trialatlas.extract.criteria.vocab import (
    Mention,
    analyte_matcher,
    analytes,
    condition_matcher,
    plausible_scale,
    procedure_matcher,
)
from trialatlas.extract.units import convert


class Evidence(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sentence_index: StrictInt | None = None
    sentence: str | None = None
    start: StrictInt | None = None
    end: StrictInt | None = None


class _Fact(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    present: StrictBool = Field(
        default=True, description="False when the source says the patient does not have it."
    )
    family: StrictBool = Field(default=False, description="A relative's, not the patient's (family history).")
    evidence: Evidence | None = None


class PatientCondition(_Fact):
    concept: str | None = None
    onset: str | None = None
    classes: list[str] = Field(
        default_factory=list, description='Its class, stage or grade ("4", "3+5"), when stated.'
    )
    class_kind: Literal["class", "stage", "grade"] | None = None
    course: list[str] = Field(
        default_factory=list,
        description='Its course when stated: "active", "remission", "relapse", "treated", "new".',
    )
    historical: StrictBool = False
    uncertain: StrictBool = Field(
        default=False, description='Only suspected ("possible", "differential diagnosis includes").'
    )
    days_ago: StrictFloat | None = Field(
        default=None, description='How long ago it happened, when the note says ("two years ago").'
    )


class PatientInfection(_Fact):
    pathogen: str
    status: Literal["positive", "negative", "active", "history", "any"] = "any"
    days_ago: StrictFloat | None = Field(
        default=None, description='How long ago the episode was, when the note says ("two years ago").'
    )


class PatientMeasurement(_Fact):
    analyte: str | None = None
    value: StrictFloat | None = None
    unit: str | None = None
    qualitative: str | None = None
    date: str | None = None
    canonical_value: StrictFloat | None = None
    canonical_unit: str | None = None


class PatientMedication(_Fact):
    drugs: list[str] = Field(default_factory=list)
    classes: list[str] = Field(default_factory=list)
    dose_mg: StrictFloat | None = Field(
        default=None, description="The dose in mg (per kg or m² if dose_basis)."
    )
    dose_basis: Literal["kg", "m2"] | None = None
    daily: StrictBool | None = Field(default=None, description="The dose is a daily one.")
    route: str | None = Field(
        default=None, description="How it is given: oral, intravenous, topical, inhaled…"
    )
    start: str | None = None
    stop: str | None = None
    current: StrictBool | None = None
    ended_days_ago: StrictFloat | None = Field(
        default=None, description='How long ago it ended, when the note says ("completed one year ago").'
    )
    stable: StrictBool | None = Field(
        default=None, description='The dose is stable ("unchanged for 6 months") or changed ("increased").'
    )
    stable_days: StrictFloat | None = Field(
        default=None, description="How many days the dose has been as it is now, when the note says."
    )


class PatientProcedure(_Fact):
    concept: str | None = None
    date: str | None = None
    days_ago: StrictFloat | None = Field(
        default=None, description='How long ago it was done, when the note says ("two weeks ago").'
    )


class PatientAllergy(_Fact):
    """A medicine the patient is allergic to ("Allergies: penicillin (hives)"): never one they take."""

    drugs: list[str] = Field(default_factory=list)
    classes: list[str] = Field(default_factory=list)


class PatientProfile(BaseModel):
    """A patient: demographics, conditions, measurements, medications, procedures, pregnancy, notes."""

    model_config = ConfigDict(extra="forbid")

    id: str | None = None
    age_years: StrictFloat | None = None
    birth_date: dt.date | None = None
    as_of: dt.date | None = Field(
        default=None, description="The date the profile describes (default: today)."
    )
    sex: Literal["female", "male"] | None = None
    conditions: list[PatientCondition] = Field(default_factory=list)
    infections: list[PatientInfection] = Field(default_factory=list)
    measurements: list[PatientMeasurement] = Field(default_factory=list)
    medications: list[PatientMedication] = Field(default_factory=list)
    no_medications: StrictBool = Field(
        default=False, description="The source says the patient takes no medications."
    )
    medication_list_complete: StrictBool = Field(
        default=False,
        description='The source lists every medicine the patient takes now ("Her only medications are …", '
        '"Current medications: …"): one it does not name is not taken.',
    )
    procedures: list[PatientProcedure] = Field(default_factory=list)
    allergies: list[PatientAllergy] = Field(
        default_factory=list, description="Medicines the patient is allergic to (present) or not (absent)."
    )
    allergy_list_complete: StrictBool = Field(
        default=False,
        description='The source gives every drug allergy ("NKDA", "No known allergies", "Allergies: '
        'penicillin, codeine"): a drug it does not name is not one the patient is known to be allergic to.',
    )
    history_unremarkable: StrictBool = Field(
        default=False,
        description='The source calls the past medical history unremarkable ("PMH noncontributory", "no '
        'significant past medical history"): a past disease it does not name the patient has not had.',
    )
    family_history_unremarkable: StrictBool = Field(
        default=False, description="The same of the relatives' illnesses: 'Family history is unremarkable'."
    )
    pregnant: StrictBool | None = None
    lactating: StrictBool | None = None
    postmenopausal: StrictBool | None = None
    contraception: StrictBool | None = Field(
        default=None, description="The woman uses a method of contraception (False: she says she uses none)."
    )
    consent: StrictBool | None = None
    compliance: StrictBool | None = None
    notes: str | None = None
    sentences: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _fill(self) -> PatientProfile:
        if self.age_years is None and self.birth_date is not None:
            today = self.as_of or dt.date.today()
            self.age_years = round((today - self.birth_date).days / 365.25, 2)
        for condition in self.conditions:
            if condition.concept is None:
                condition.concept = condition_matcher().concept_of(condition.name) or _first_concept(
                    condition_matcher().find(condition.name)
                )
            if not condition.classes:
                found = find_classes(condition.name)
                if found:
                    condition.classes, condition.class_kind = list(found[0].values), found[0].kind
            if not condition.course:
                # The note reader's rule: a course every name of the disease carries ("acute" myeloid
                # leukemia, "relapsing" multiple sclerosis) is what it is, not a course stated.
                condition.course = sorted(course_of(condition.name) - name_courses(condition.concept))
        for measurement in self.measurements:
            if measurement.analyte is None:
                measurement.analyte = analyte_matcher().concept_of(measurement.name) or _first_concept(
                    analyte_matcher().find(measurement.name)
                )
            if measurement.canonical_value is None and measurement.value is not None:
                measurement.canonical_value, measurement.canonical_unit = canonical_measurement(
                    measurement.analyte, measurement.value, measurement.unit
                )
        for medication in self.medications:
            mentions = find_drugs(medication.name)
            if not medication.drugs:
                medication.drugs = [m.drug for m in mentions if m.drug is not None]
            if not medication.classes:
                classes = [c for m in mentions for c in mention_classes(m)]
                medication.classes = list(dict.fromkeys(classes))
            if medication.route is None:
                medication.route = route_near(medication.name, 0, len(medication.name))
            if medication.dose_mg is None and (dose := find_dose(medication.name)) is not None:
                medication.dose_mg, medication.dose_basis, medication.daily = dose.mg, dose.basis, dose.daily
        for allergy in self.allergies:
            mentions = find_drugs(allergy.name)
            if not allergy.drugs:
                allergy.drugs = [m.drug for m in mentions if m.drug is not None]
            if not allergy.classes:
                allergy.classes = list(dict.fromkeys(c for m in mentions for c in mention_classes(m)))
        for procedure in self.procedures:
            if procedure.concept is None:
                procedure.concept = _first_concept(procedure_matcher().find(procedure.name))
        if not self.sentences and self.notes:
            self.sentences = split_sentences(self.notes)
        return self


def _first_concept(mentions: Sequence[Mention]) -> str | None:
    return mentions[0].concept if mentions else None


def canonical_measurement(
    analyte: str | None, value: float, unit: str | None
) -> tuple[float | None, str | None]:
    if analyte is None:
        return None, None
    if unit == "+":
        return value, "+"  # a dipstick grade compares only with another grade
    target = analytes().get(analyte, {}).get("unit")
    if target is None:
        return None, None
    if not unit or unit in analytes()[analyte].get("score_units", ()):
        low, high = analytes()[analyte].get("range", [float("-inf"), float("inf")])
        return (value, target) if low <= value <= high else (None, None)
    converted = convert(value, unit, target, analyte)
    if converted is None:
        return None, None
    return converted * plausible_scale(analyte, converted), target


_NUMBERED = re.compile(r"^\s*(\d+)\.\s+", re.MULTILINE)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\[])")


def split_sentences(text: str) -> list[str]:
    """Sentences of a note; a TrialGPT note ("0. … \\n1. …") keeps its numbering as the indices."""
    lines = [line for line in text.splitlines() if line.strip()]
    if lines and all(_NUMBERED.match(line) for line in lines):
        return [_NUMBERED.sub("", line, count=1).strip() for line in lines]
    sentences: list[str] = []
    for block in re.split(r"\n\s*\n", text):
        joined = " ".join(block.split())
        if joined:
            sentences.extend(s.strip() for s in _SENTENCE_END.split(joined) if s.strip())
    return sentences


def evidence_at(index: int, sentence: str, start: int, end: int) -> Evidence:
    """Where in the note a fact was read: its sentence and the span inside it."""
    return Evidence(sentence_index=index, sentence=sentence, start=start, end=end)


def route_near(sentence: str, start: int, end: int) -> str | None:
    """The route a note gives a medicine: in the words after it in its clause ("hydrocortisone 1%
    cream", "gemcitabine 500 mg IV weekly"), else right before it ("inhaled budesonide"); or None."""
    after = [m for m in route_mentions(sentence, start, end) if len(m[2]) == 1]
    if after:
        return after[0][2][0]
    before = [m for m in route_mentions(sentence, max(0, start - 30), start) if len(m[2]) == 1]
    if before and _ROUTE_LEAD.fullmatch(sentence, before[-1][1], start):
        return before[-1][2][0]
    return None


# Between a route word and the drug it qualifies: nothing, or one word ("inhaled low-dose budesonide").
_ROUTE_LEAD = re.compile(r"\s+(?:(?!and\b|or\b|with\b)[\w-]+\s+)?")
