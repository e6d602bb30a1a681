"""The qualifiers of a rule checked against the patient: class / stage / grade sets, the course of a
disease (active, in remission, relapsed, previously treated, newly diagnosed) and dose limits.

Each check answers True (the qualifier holds), False (the patient's own facts contradict it) or None
(the patient's facts do not say): a qualifier never turns "unknown" into a guess.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from trialatlas.extract.criteria.qualifiers import (
    adult_body,
    course_conflicts,
    equivalent_factor,
    find_dose,
    stage_base,
)
from trialatlas.extract.criteria.rules import ConditionRule, DoseLimit, MedicationRule, Rule
from trialatlas.extract.criteria.vocab import remits
from trialatlas.match.patient import PatientCondition, PatientMedication, PatientProfile

# A patient who says nothing of a disease's activity has it as it is: "active LN" is met by LN, as
# annotators and clinicians read a referral, unless the disease flares and remits (``remits`` in the
# conditions vocabulary: lupus, IBD, ...): then "active" must be said too. A disease named without its
# course may be chronic ("chronic kidney disease" is met by "end-stage renal disease"): only a course
# said against it ("acute pancreatitis" for "chronic pancreatitis") decides. Every other course must be said.
_IMPLIED_COURSES = frozenset({"active", "chronic"})


def class_check(rule: ConditionRule, condition: PatientCondition) -> tuple[bool | None, str]:
    """Whether the patient's class / stage / grade is in the rule's set."""
    if not rule.classes:
        return True, ""
    wanted = ", ".join(rule.classes)
    kind = rule.class_kind or "class"
    if not condition.classes or (condition.class_kind or "class") != kind:
        return None, f"{kind} of {condition.name} not stated (criterion: {kind} {wanted})"
    stated = condition.classes
    if any(value in rule.classes or stage_base(value) in rule.classes for value in stated):
        return True, f"{kind} {'/'.join(stated)} is among {wanted}"
    # "Stage III" said where the criterion lists "IIIC": the sub-stage decides, and it is not said.
    if any(
        value == stage_base(value) and any(stage_base(r) == value for r in rule.classes) for value in stated
    ):
        return None, f"{kind} {'/'.join(stated)}: sub-stage not stated (criterion: {wanted})"
    # A mixed class ("3+5") against single classes: only an exact member decides it.
    if any("+" in value and any(part in rule.classes for part in value.split("+")) for value in stated):
        return None, f"{kind} {'/'.join(stated)} is mixed; criterion lists {wanted}"
    return False, f"{kind} {'/'.join(stated)} is not among {wanted}"


def course_check(rule: ConditionRule, condition: PatientCondition) -> tuple[bool | None, str]:
    """Whether the disease's course fits the rule's ("relapsed" vs a newly diagnosed patient). Courses
    the rule names that exclude each other are alternatives ("acute or chronic active hepatitis": acute
    or chronic, and active), one of them enough; the others are all asked."""
    wanted = set(rule.course)
    if not wanted:
        return True, ""
    stated = set(condition.course)
    # Of a disease that flares and remits, activity is said, never implied.
    remitting = remits(rule.concept) or remits(condition.concept)
    implied = _IMPLIED_COURSES - {"active"} if remitting else _IMPLIED_COURSES
    either = {course for course in wanted if course_conflicts({course}, wanted - {course})}
    required = wanted - either
    conflicts = course_conflicts(required, stated)
    if either and all(course_conflicts({course}, stated) for course in either):
        conflicts.append((" or ".join(sorted(either)), ", ".join(sorted(stated))))
    if conflicts:
        asked, said = conflicts[0]
        return False, f"{condition.name} is {said}, criterion asks {asked}"
    missing = sorted(required - stated - implied)
    if either and not either & (stated | implied):
        missing.append(" or ".join(sorted(either)))
    if missing:
        return None, f"{condition.name}: not stated as {', '.join(missing)}"
    return True, ""


def _weight_and_bsa(patient: PatientProfile) -> tuple[float | None, float | None]:
    weight = height = None
    for measurement in patient.measurements:
        if measurement.analyte == "weight" and measurement.canonical_value is not None:
            weight = measurement.canonical_value
        elif measurement.analyte == "height" and measurement.canonical_value is not None:
            height = measurement.canonical_value
    # Mosteller: BSA (m²) = sqrt(height cm × weight kg / 3600).
    bsa = math.sqrt(height * weight / 3600) if weight is not None and height is not None else None
    return weight, bsa


def _per_basis(mg: float, basis: str | None, patient: PatientProfile) -> tuple[float, float] | None:
    """The patient's dose in the rule's basis as a (low, high) range: exact when the weight or BSA is
    known, bounded by an adult's plausible body size otherwise, None for a child of unknown size."""
    if basis is None:
        return mg, mg
    weight, bsa = _weight_and_bsa(patient)
    size = weight if basis == "kg" else bsa
    if size is not None and size > 0:
        return mg / size, mg / size
    body = adult_body()
    if patient.age_years is None or patient.age_years < body["min_age_years"]:
        return None
    low, high = body["weight_kg" if basis == "kg" else "bsa_m2"]
    return mg / high, mg / low


def dose_check(
    limit: DoseLimit, medication: PatientMedication, patient: PatientProfile
) -> tuple[bool | None, str]:
    """Whether the patient's dose is beyond the rule's limit ("> 20 mg/m²/day" vs "10 mg/day")."""
    if medication.dose_mg is None:
        return None, f"dose of {medication.name} not stated (criterion: {limit.text})"
    if medication.dose_basis is not None and medication.dose_basis != limit.basis:
        return (
            None,
            f"{medication.name} dose is per {medication.dose_basis}, criterion per {limit.basis or 'day'}",
        )
    if limit.daily and medication.daily is False:
        return None, f"{medication.name} dose is not stated per day"
    basis = None if medication.dose_basis is not None else limit.basis
    mg = medication.dose_mg
    if limit.equivalent_of is not None:
        factor = equivalent_factor(limit.equivalent_of, medication.drugs)
        if factor is None:
            return None, f"no {limit.equivalent_of} equivalent known for {medication.name}"
        mg *= factor
    bounds = _per_basis(mg, basis, patient)
    if bounds is None:
        return None, f"{medication.name} {medication.dose_mg:g} mg: weight or body surface not known"
    low, high = bounds
    unit = f"mg/{limit.basis}" if limit.basis else "mg"
    if limit.equivalent_of is not None:
        unit = f"{unit} {limit.equivalent_of}-equivalent"
    checks = {
        ">": (low > limit.mg, high <= limit.mg),
        ">=": (low >= limit.mg, high < limit.mg),
        "<": (high < limit.mg, low >= limit.mg),
        "<=": (high <= limit.mg, low > limit.mg),
    }
    holds, fails = checks[limit.operator]
    shown = f"{low:.3g}" if math.isclose(low, high) else f"{low:.3g}–{high:.3g}"
    reason = f"{medication.name} {shown} {unit} vs {limit.operator} {limit.mg:g} {unit}"
    if holds:
        return True, reason
    if fails:
        return False, reason
    return None, f"{reason}: depends on body size"


# A dose of a lab ("< 9 g/dL", "2 g/24 h" of protein) is a concentration or a rate, not a drug's dose.
_CONCENTRATION = re.compile(r"\s*/\s*(?:d?l|ml|dl|24\s*h)\b", re.IGNORECASE)


def unread_dose_limit(text: str, rule: MedicationRule, rules: Sequence[Rule]) -> str | None:
    """A dose limit earlier in the clause that no medication rule carries ("No greater than 400 mg/m2
    prior doxorubicin or combined total doxorubicin and mitoxantrone"): the drugs after it are asked
    about at that dose, so whether the patient took them does not answer the criterion. Returns the
    dose's words, or None when the rule carries its own dose or no such limit stands before it."""
    if rule.dose is not None:
        return None
    start = rule.span.start
    clause = max(text.rfind(";", 0, start), text.rfind(". ", 0, start), 0)
    carried = [r.dose.text.lower() for r in rules if isinstance(r, MedicationRule) and r.dose is not None]
    position = clause
    while (dose := find_dose(text, position, start)) is not None:
        position = dose.end
        words = text[dose.start : dose.end].strip()
        if dose.operator is None or _CONCENTRATION.match(text, dose.end):
            continue
        # Only a dose standing over the drug's own phrase: a comma or a long stretch between them starts
        # another clause ("> 80 mg qd if patients weigh more than 80 kg, or requiring other …").
        between = text[dose.end : start]
        if "," in between or len(between.split()) > 8:
            continue
        if not any(words.lower() in said or said in words.lower() for said in carried):
            return words
    return None


__all__ = ["class_check", "course_check", "dose_check", "unread_dose_limit"]
