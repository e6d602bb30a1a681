"""Verdicts: does a patient meet each criterion of a trial, and could the patient join it?

Each rule is evaluated to true / false / unknown (or not applicable) against the profile, with the
patient fact and note sentence that decided it and a one-line reason. A criterion combines its rules
(all or any, three-valued), and reads the result by kind: an inclusion criterion is *met*, *not met* or
*unknown*; an exclusion criterion *excluded*, *not excluded* or *unknown*; either may be *not
applicable* (a pregnancy criterion for a man). The trial is *ineligible* when any inclusion is not met
or any exclusion applies, *eligible* when every criterion is decided in the patient's favour, and
*possibly eligible* otherwise, with the undecided criteria listed as the ones to check next.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from trialatlas.extract.criteria import ParsedCriterion, parse_eligibility
from trialatlas.extract.criteria.drugs import class_closure, drug_classes, same_drug
from trialatlas.extract.criteria.logic import build_logic
from trialatlas.extract.criteria.negation import find_cues
from trialatlas.extract.criteria.qualifiers import class_words, course_of, qualifier_vocab
from trialatlas.extract.criteria.rules import (
    AgeRule,
    ConditionRule,
    ConsentRule,
    InfectionRule,
    LogicNode,
    MeasurementRule,
    MedicationRule,
    PregnancyRule,
    ProcedureRule,
    Rule,
    SexRule,
)
from trialatlas.extract.criteria.vocab import broader_concepts, conditions
from trialatlas.match.logic import Truth, evaluate_logic
from trialatlas.match.patient import Evidence, PatientCondition, PatientProfile
from trialatlas.match.qualified import class_check, course_check, dose_check
from trialatlas.model import Sex, Trial
from trialatlas.text.words import stop_words

CriterionStatus = Literal["met", "not met", "unknown", "excluded", "not excluded", "not applicable"]
TrialStatus = Literal["eligible", "ineligible", "possibly eligible"]

# Typical upper limits of normal, for criteria written as multiples of the ULN.
ULN: dict[str, float] = {
    "alt": 40.0,
    "ast": 40.0,
    "alp": 120.0,
    "ggt": 60.0,
    "bilirubin": 1.2,
    "creatinine": 1.2,
    "inr": 1.2,
    "ptt": 40.0,
    "uric_acid": 7.0,
    "urea": 20.0,
    "crp": 5.0,
    "tsh": 4.5,
    "glucose": 100.0,
}
_NORMAL_RANGE: dict[str, tuple[float, float]] = {
    "hemoglobin": (12.0, 17.5),
    "wbc": (4.0, 11.0),
    "platelets": (150.0, 400.0),
    "anc": (1.5, 8.0),
    "creatinine": (0.5, 1.2),
    "egfr": (60.0, 200.0),
    "sbp": (90.0, 140.0),
    "dbp": (60.0, 90.0),
    "heart_rate": (60.0, 100.0),
    "respiratory_rate": (12.0, 20.0),
    "temperature": (36.0, 37.9),
    "bmi": (18.5, 30.0),
    "albumin": (3.5, 5.0),
    "spo2": (94.0, 100.0),
    "glucose": (70.0, 125.0),
    "hematocrit": (36.0, 50.0),
    "potassium": (3.5, 5.1),
    "sodium": (135.0, 145.0),
    "calcium": (8.5, 10.5),
    "urea": (7.0, 20.0),
    "alt": (7.0, 40.0),
    "ast": (8.0, 40.0),
    "alp": (40.0, 120.0),
    "bilirubin": (0.2, 1.2),
    "inr": (0.8, 1.2),
    "ptt": (25.0, 40.0),
}


# Qualifiers that do not narrow a condition: a patient with "hypertension" has "known hypertension".
_NEUTRAL = frozenset(
    {
        "known",
        "documented",
        "confirmed",
        "current",
        "active",
        "chronic",
        "acute",
        "primary",
        "stable",
        "mild",
        "moderate",
        "newly diagnosed",
        "symptomatic",
    }
)


class RuleVerdict(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: str
    text: str
    truth: Truth
    reason: str
    evidence: list[Evidence] = Field(default_factory=list)


class CriterionVerdict(BaseModel):
    model_config = ConfigDict(extra="forbid")

    index: int
    kind: Literal["inclusion", "exclusion"]
    text: str
    status: CriterionStatus
    reason: str
    evidence: list[Evidence] = Field(default_factory=list)
    rules: list[RuleVerdict] = Field(default_factory=list)
    logic: str | None = Field(default=None, description="How the rules combined: all(…), any(…), not(…).")


class TrialVerdict(BaseModel):
    model_config = ConfigDict(extra="forbid")

    trial: str
    status: TrialStatus
    unknown: int = Field(description="Undecided criteria that could still change the verdict.")
    met: int
    criteria: list[CriterionVerdict] = Field(default_factory=list)
    check_next: list[str] = Field(default_factory=list, description="Undecided criteria, most telling first.")
    failed: list[str] = Field(default_factory=list, description="Criteria that rule the patient out.")


def _outcome(truth: Truth, reason: str, *evidence: Evidence | None) -> tuple[Truth, str, list[Evidence]]:
    return truth, reason, [e for e in evidence if e is not None]


def _compare(value: float, operator: str | None, threshold: float, high: float | None) -> bool | None:
    if operator == "between" and high is not None:
        return threshold <= value <= high
    if operator in (None, "="):
        return abs(value - threshold) < 1e-9 if operator == "=" else None
    return {
        "<": value < threshold,
        "<=": value <= threshold,
        ">": value > threshold,
        ">=": value >= threshold,
    }.get(operator)


def _age(rule: AgeRule, patient: PatientProfile) -> tuple[Truth, str, list[Evidence]]:
    if patient.age_years is None:
        return _outcome("unknown", "the patient's age is not known")
    age = patient.age_years
    ok = True
    if rule.min_years is not None:
        ok = ok and (age >= rule.min_years if rule.min_inclusive else age > rule.min_years)
    if rule.max_years is not None:
        # "18 to 65 years" includes a 65.9-year-old: ages are counted in whole years.
        limit = rule.max_years + (0.999 if float(rule.max_years).is_integer() else 0.0)
        ok = ok and (age <= limit if rule.max_inclusive else age < rule.max_years)
    low = "…" if rule.min_years is None else f"{rule.min_years:g}"
    high = "…" if rule.max_years is None else f"{rule.max_years:g}"
    bounds = f"{low}–{high}"
    return _outcome("true" if ok else "false", f"age {age:g} vs {bounds} years", _first_sentence(patient))


def _first_sentence(patient: PatientProfile) -> Evidence | None:
    if patient.sentences:
        return Evidence(sentence_index=0, sentence=patient.sentences[0])
    return None


def _sex(rule: SexRule, patient: PatientProfile) -> tuple[Truth, str, list[Evidence]]:
    if rule.sex == "all":
        return _outcome("true", "any sex", _first_sentence(patient))
    if patient.sex is None:
        return _outcome("unknown", "the patient's sex is not known")
    truth: Truth = "true" if patient.sex == rule.sex else "false"
    return _outcome(
        truth, f"patient is {patient.sex}, criterion requires {rule.sex}", _first_sentence(patient)
    )


def _condition(rule: ConditionRule, patient: PatientProfile) -> tuple[Truth, str, list[Evidence]]:
    if rule.concept is None:
        return _outcome("unknown", f"'{rule.name}' is not in the vocabulary")
    female_status = conditions().get(rule.concept, {}).get("female_status")
    if female_status is not None and rule.experiencer == "patient":
        return _menopausal(female_status, patient)
    wanted_family = rule.experiencer == "family"
    positive = None
    negative = None
    suspected = None
    for condition in patient.conditions:
        if condition.concept is None or condition.family != wanted_family:
            continue
        if rule.concept in broader_concepts(condition.concept):
            if condition.present and condition.uncertain:
                suspected = suspected or condition
            elif condition.present:
                # Of several mentions ("loose stools … graded as grade 2 diarrhea"), the one that
                # states the class, stage or grade the criterion asks about speaks for all.
                if positive is None or (_states_class(condition, rule) and not _states_class(positive, rule)):
                    positive = condition
            else:
                negative = negative or condition
    if positive is not None:
        timed = _outside_window(rule, positive, patient)
        if timed is not None:
            return timed
        # Class sets and the course decide first: they are what a patient's own facts can contradict.
        for check in (class_check, course_check):
            holds, why = check(rule, positive)
            if holds is False:
                return _outcome("false", f"patient has {positive.name}; {why}", positive.evidence)
            if holds is None:
                return _outcome("unknown", f"patient has {positive.name}; {why}", positive.evidence)
        # The qualifiers may be in the note's sentence or in the condition's own name (a profile's
        # "steroid-dependent nephrotic syndrome" has no sentence).
        said = f"{positive.evidence.sentence or '' if positive.evidence else ''} {positive.name}".lower()
        missing = [
            q
            for q in rule.qualifiers
            if q not in _NEUTRAL
            and not course_of(q)
            and not all(part[:5] in said for part in q.split("-") if part)
        ]
        if missing:
            # "Uncontrolled hypertension" is not met by "hypertension": the note must say so.
            return _outcome(
                "unknown",
                f"patient has {positive.name}; not stated as {', '.join(missing)}",
                positive.evidence,
            )
        return _outcome("true", f"patient has {positive.name}", positive.evidence)
    if negative is not None:
        return _outcome("false", f"patient does not have {negative.name}", negative.evidence)
    if suspected is not None:
        return _outcome("unknown", f"{suspected.name} is only suspected", suspected.evidence)
    caused = _by_infection(rule, patient) or _by_value(rule, patient)
    if caused is not None:
        return caused
    return _outcome("unknown", f"no mention of {rule.name}")


def _by_value(rule: ConditionRule, patient: PatientProfile) -> tuple[Truth, str, list[Evidence]] | None:
    """A condition a lab value shows ("anaemia" and a haemoglobin of 8.9 g/dL; ``defined_by`` in the
    conditions vocabulary), decided only outside the band where definitions differ."""
    definition = conditions().get(rule.concept or "", {}).get("defined_by")
    if not definition or rule.experiencer != "patient" or rule.classes:
        return None
    readings = [
        m
        for m in patient.measurements
        if m.analyte == definition["analyte"] and m.present and m.canonical_value is not None
    ]
    if not readings:
        return None
    reading = readings[-1]
    value = reading.canonical_value
    assert value is not None
    shown = f"{reading.name} {value:g} {reading.canonical_unit or ''}".strip()
    if value < definition["present_below"]:
        return _outcome("true", f"{shown} shows {rule.name}", reading.evidence)
    if value >= definition["absent_from"]:
        return _outcome("false", f"{shown} is no {rule.name}", reading.evidence)
    return None


def postmenopausal(patient: PatientProfile) -> tuple[bool | None, str]:
    """Whether a woman is postmenopausal: as her note says (menopause, menses), else by her age
    (``menopause_age`` in the qualifiers vocabulary) unless an operation may have ended it early."""
    if patient.postmenopausal is not None:
        return patient.postmenopausal, "stated in the note"
    if patient.sex == "male" or patient.age_years is None:
        return None, "menopausal status not stated"
    ages = qualifier_vocab()["menopause_age"]
    if patient.age_years >= ages["postmenopausal_from"]:
        return True, f"age {patient.age_years:g}"
    surgical = any(p.concept in ("hysterectomy", "oophorectomy") and p.present for p in patient.procedures)
    if patient.age_years < ages["premenopausal_below"] and not surgical:
        return False, f"age {patient.age_years:g}"
    return None, "menopausal status not stated"


def _menopausal(status: str, patient: PatientProfile) -> tuple[Truth, str, list[Evidence]]:
    if patient.sex == "male":
        return _outcome("not_applicable", "criterion concerns a woman's menopausal status; patient is male")
    post, why = postmenopausal(patient)
    if post is None:
        return _outcome("unknown", why)
    said = "postmenopausal" if post else "premenopausal"
    truth: Truth = "true" if said == status else "false"
    return _outcome(truth, f"patient is {said} ({why})", _first_sentence(patient))


def _outside_window(
    rule: ConditionRule, positive: PatientCondition, patient: PatientProfile
) -> tuple[Truth, str, list[Evidence]] | None:
    """ "Stroke within 6 months" for a stroke two years ago: outside the window, not met. A past event
    the note gives no time for leaves the window open; one within it, or a current one, holds."""
    window = rule.window
    if window is None or window.relation != "within" or not window.days:
        return None
    mentions = [
        c
        for c in patient.conditions
        if c.concept and rule.concept in broader_concepts(c.concept) and c.present and not c.family
    ]
    times = [c.days_ago for c in mentions if c.days_ago is not None]
    if any(days <= window.days for days in times):
        return None
    if times and len(times) == len(mentions):
        return _outcome(
            "false",
            f"{positive.name} {min(times) / 30.44:.0f} months ago, outside '{window.span.text}'",
            positive.evidence,
        )
    if positive.historical or times:
        return _outcome(
            "unknown", f"{positive.name}: when is not stated ({window.span.text})", positive.evidence
        )
    return None


def _by_infection(rule: ConditionRule, patient: PatientProfile) -> tuple[Truth, str, list[Evidence]] | None:
    """A condition that is an infection ("hepatitis" is HBV or HCV, ``caused_by`` in the vocabulary):
    met by a positive test for one, not met when the note gives every one as negative."""
    pathogens = conditions().get(rule.concept or "", {}).get("caused_by", [])
    if not pathogens or rule.experiencer != "patient":
        return None
    found = [i for i in patient.infections if i.pathogen in pathogens and not i.family]
    # Only a test said to be positive: "treated for hepatitis C in 2019 … RNA undetectable" is no
    # present infection, and an unqualified mention does not say which.
    negative = {i.pathogen for i in found if i.status == "negative"}
    positive = [
        i for i in found if i.present and i.status in ("positive", "active") and i.pathogen not in negative
    ]
    if positive:
        return _outcome("true", f"patient has {positive[0].name}", positive[0].evidence)
    if negative >= set(pathogens):
        said = [i for i in found if i.status == "negative"]
        return _outcome("false", f"{' and '.join(pathogens)} negative", said[0].evidence)
    return None


def _states_class(condition: PatientCondition, rule: ConditionRule) -> bool:
    return bool(rule.classes and condition.classes) and (condition.class_kind or "class") == (
        rule.class_kind or "class"
    )


_TERMINAL = re.compile(
    r"\b(?:terminal(?:ly)?|hospice|palliative|moribund|end[- ]of[- ]life|end[- ]stage|metasta\w+|"
    r"(?:days|weeks|months)\s+to\s+live|comfort\s+care|dying)\b",
    re.IGNORECASE,
)


def _life_expectancy(rule: MeasurementRule, patient: PatientProfile) -> tuple[Truth, str, list[Evidence]]:
    """A note that describes no terminal illness gives the patient an ordinary life expectancy: a short
    one ("less than 3 months") is not met and a "longer than 48 hours" one is."""
    for index, sentence in enumerate(patient.sentences):
        if _TERMINAL.search(sentence):
            evidence = Evidence(sentence_index=index, sentence=sentence)
            return _outcome("unknown", "the note describes a life-limiting illness", evidence)
    if rule.operator in ("<", "<=", "between", "="):
        return _outcome("false", "the note describes no life-limiting illness")
    if rule.operator in (">", ">="):
        return _outcome("true", "the note describes no life-limiting illness")
    return _outcome("unknown", "life expectancy not stated")


def _measurement(rule: MeasurementRule, patient: PatientProfile) -> tuple[Truth, str, list[Evidence]]:
    if rule.analyte == "life_expectancy":
        return _life_expectancy(rule, patient)
    if rule.analyte is None:
        return _outcome("unknown", f"'{rule.name}' is not a known measurement")
    readings = [m for m in patient.measurements if m.analyte == rule.analyte and m.present]
    if not readings:
        return _outcome("unknown", f"no {rule.name} value")
    # A number beats a finding ("tachycardic"); the latest number is the patient's state, unless the
    # criterion asks for the first ("initial haemoglobin", "at admission").
    valued = [m for m in readings if m.canonical_value is not None] or readings
    reading = valued[0] if rule.first_reading else valued[-1]
    if rule.qualitative:
        observed = reading.qualitative or _qualitative_of(rule.analyte, reading.canonical_value)
        if observed is None:
            return _outcome("unknown", f"{reading.name} does not say whether {rule.qualitative}")
        same = _same_quality(observed, rule.qualitative)
        return _outcome("true" if same else "false", f"{reading.name} is {observed}", reading.evidence)
    if reading.canonical_value is None and reading.qualitative and rule.canonical_value is not None:
        placed = _placed(rule.analyte, reading.qualitative, rule.operator, rule.canonical_value)
        if placed is not None:
            return _outcome(
                "true" if placed else "false",
                f"{reading.name}: {reading.qualitative} vs {rule.operator} {_shown(rule.canonical_value)}",
                reading.evidence,
            )
    if reading.canonical_value is None or rule.value is None:
        return _outcome("unknown", f"{reading.name} value cannot be compared")
    threshold, high = rule.canonical_value, rule.canonical_value_high
    if rule.uln_multiple:
        uln = ULN.get(rule.analyte)
        if uln is None:
            return _outcome("unknown", f"no upper limit of normal known for {rule.name}")
        threshold, high = rule.value * uln, (rule.value_high * uln if rule.value_high else None)
    if threshold is None:
        return _outcome("unknown", f"{rule.name} threshold unit cannot be converted")
    if rule.canonical_unit and reading.canonical_unit and rule.canonical_unit != reading.canonical_unit:
        # A dipstick grade ("<1+") and an amount (g/day) measure differently: neither decides the other.
        return _outcome(
            "unknown",
            f"{reading.name} is in {reading.canonical_unit}, criterion in {rule.canonical_unit}",
            reading.evidence,
        )
    result = _compare(reading.canonical_value, rule.operator, threshold, high)
    if result is None:
        return _outcome("unknown", f"{rule.name}: no comparison stated")
    unit = reading.canonical_unit or ""
    return _outcome(
        "true" if result else "false",
        f"{reading.name} {_shown(reading.canonical_value)} {unit} vs {rule.operator} {_shown(threshold)}",
        reading.evidence,
    )


def _shown(value: float) -> str:
    """A number as a clinician writes it: converted thresholds lose their float noise (2.99994 → 3)."""
    return f"{value:.4g}"


def _placed(analyte: str, quality: str, operator: str | None, threshold: float) -> bool | None:
    """Whether a value known only as low / normal / high meets ``operator threshold``, if that follows.

    A high heart rate (above 100/min) is "at least 90/min"; a normal haematocrit is not "< 25 %"; a
    low haemoglobin may or may not be "< 7 g/dL".
    """
    if analyte not in _NORMAL_RANGE or operator not in ("<", "<=", ">", ">="):
        return None
    low, high = _NORMAL_RANGE[analyte]
    above = operator in (">", ">=")
    if quality in ("high", "elevated", "increased", "raised"):
        return (True if threshold <= high else None) if above else (False if threshold <= high else None)
    if quality in ("low", "decreased", "reduced"):
        return (False if threshold >= low else None) if above else (True if threshold >= low else None)
    if quality == "normal":
        if above:
            return False if threshold >= high else (True if threshold < low else None)
        return False if threshold <= low else (True if threshold > high else None)
    return None


def _qualitative_of(analyte: str, value: float | None) -> str | None:
    if value is None:
        return None
    if analyte in _NORMAL_RANGE:
        low, high = _NORMAL_RANGE[analyte]
        return "low" if value < low else "high" if value > high else "normal"
    if analyte in ULN:
        return "high" if value > ULN[analyte] else "normal"
    return None


def _same_quality(observed: str, wanted: str) -> bool:
    groups = [
        {"positive", "seropositive", "detectable", "reactive"},
        {"negative", "seronegative", "undetectable"},
        {"high", "elevated", "increased", "raised", "abnormal"},
        {"low", "decreased", "reduced", "impaired", "abnormal"},
        {"normal"},
    ]
    return any(observed in group and wanted in group for group in groups)


def _medication(rule: MedicationRule, patient: PatientProfile) -> tuple[Truth, str, list[Evidence]]:
    if rule.relation in ("allergy", "intolerance", "failure"):
        for condition in patient.conditions:
            sentence = condition.evidence.sentence if condition.evidence else None
            if condition.concept == "allergy" and condition.present and sentence:  # noqa: SIM102
                if any(drug in sentence.lower() for drug in rule.drugs):
                    return _outcome("true", f"patient reports {condition.name}", condition.evidence)
        return _outcome("unknown", f"no record of {rule.relation} to {rule.name}")
    wanted = rule.drugs
    wanted_class = rule.drug_class
    for medication in patient.medications:
        classes = {b for c in medication.classes for b in class_closure(c)}
        classes |= {c for d in medication.drugs for c in drug_classes(d)}
        drug_hit = any(same_drug(w, given) for w in wanted for given in medication.drugs)
        # "medication(s)" in a criterion names no drug: only a note saying "no medications" decides it.
        class_hit = wanted_class is not None and wanted_class != "medication" and wanted_class in classes
        # A class the criterion names beside drugs counts too; one only inferred from a named drug
        # ("prednisone" is a glucocorticoid) does not widen the drug to its class.
        named_hit = any(c != "medication" and c in classes for c in rule.named_classes)
        if drug_hit or named_hit or (class_hit and not wanted):
            if not medication.present:
                return _outcome("false", f"patient does not take {medication.name}", medication.evidence)
            if rule.dose is not None:
                holds, why = dose_check(rule.dose, medication, patient)
                truth: Truth = "unknown" if holds is None else "true" if holds else "false"
                return _outcome(truth, why, medication.evidence)
            return _outcome("true", f"patient takes {medication.name}", medication.evidence)
    if patient.no_medications:
        return _outcome("false", "patient takes no medications")
    return _outcome("unknown", f"no record of {rule.name}")


def _procedure(rule: ProcedureRule, patient: PatientProfile) -> tuple[Truth, str, list[Evidence]]:
    for procedure in patient.procedures:
        if procedure.concept is not None and procedure.concept == rule.concept:
            truth: Truth = "true" if procedure.present else "false"
            return _outcome(
                truth,
                f"patient {'had' if procedure.present else 'did not have'} {procedure.name}",
                procedure.evidence,
            )
    return _outcome("unknown", f"no record of {rule.name}")


def cannot_conceive(patient: PatientProfile) -> str | None:
    """Why the patient cannot be pregnant (male, or outside child-bearing age), or None."""
    if patient.sex == "male":
        return "patient is male"
    if patient.age_years is not None and (patient.age_years < 10 or patient.age_years > 60):
        return f"patient age {patient.age_years:g} is outside child-bearing age"
    return None


def _pregnancy(rule: PregnancyRule, patient: PatientProfile) -> tuple[Truth, str, list[Evidence]]:
    outside = cannot_conceive(patient)
    if outside is not None:
        # Someone who cannot be pregnant or breast-feeding meets a demand not to be ("not pregnant or
        # nursing"); criteria about pregnant women, tests, contraception, plans or child-bearing
        # potential concern a population the patient is not in.
        if rule.aspect in ("pregnant", "lactating") and rule.negated:
            return _outcome("false", f"{outside}, so not {rule.aspect}")
        return _outcome("not_applicable", f"criterion concerns pregnancy; {outside}")
    if rule.aspect == "pregnant":
        if patient.pregnant is None:
            return _outcome("unknown", "pregnancy status not known")
        return _outcome("true" if patient.pregnant else "false", "pregnancy status")
    if rule.aspect == "lactating":
        if patient.lactating is None:
            return _outcome("unknown", "breast-feeding status not known")
        return _outcome("true" if patient.lactating else "false", "breast-feeding status")
    if rule.aspect == "childbearing_potential":
        if patient.postmenopausal:
            return _outcome("false", "patient is postmenopausal")
        return _outcome("unknown", "child-bearing potential not stated")
    if rule.aspect == "negative_test" and patient.pregnant is not None:
        return _outcome("true" if not patient.pregnant else "false", "pregnancy status")
    return _outcome("unknown", f"{rule.aspect.replace('_', ' ')} not stated")


def _infection(rule: InfectionRule, patient: PatientProfile) -> tuple[Truth, str, list[Evidence]]:
    # Any positive marker makes the patient positive ("HBsAg negative, anti-HBc positive").
    found = [i for i in patient.infections if i.pathogen == rule.pathogen and not i.family]
    for infection in sorted(found, key=lambda i: not i.present):
        truth: Truth = "true" if infection.present else "false"
        return _outcome(truth, f"{infection.name}: {infection.status}", infection.evidence)
    return _outcome("unknown", f"no {rule.pathogen} status")


def _consent(rule: ConsentRule, patient: PatientProfile) -> tuple[Truth, str, list[Evidence]]:
    if rule.aspect == "language":
        # Agreeing to consent and comply says nothing about which language the patient speaks.
        return _outcome("unknown", "language not stated")
    value = patient.consent if rule.aspect == "consent" else patient.compliance
    if value is None:
        value = patient.consent
    if value is None:
        return _outcome("unknown", f"{rule.aspect} not stated")
    evidence = None
    for index, sentence in enumerate(patient.sentences):
        if re.search(r"consent|comply", sentence, re.I):
            evidence = Evidence(sentence_index=index, sentence=sentence)
    return _outcome("true" if value else "false", f"patient {rule.aspect} stated", evidence)


def evaluate_rule(rule: Rule, patient: PatientProfile, *, negate: bool = True) -> RuleVerdict:
    """The truth of one rule's predicate for the patient (before the criterion's kind is applied);
    ``negate=False`` leaves a negated rule's negation to the criterion's logic tree."""
    truth: Truth
    if isinstance(rule, AgeRule):
        truth, reason, evidence = _age(rule, patient)
    elif isinstance(rule, SexRule):
        truth, reason, evidence = _sex(rule, patient)
    elif isinstance(rule, ConditionRule):
        truth, reason, evidence = _condition(rule, patient)
    elif isinstance(rule, MeasurementRule):
        truth, reason, evidence = _measurement(rule, patient)
    elif isinstance(rule, MedicationRule):
        truth, reason, evidence = _medication(rule, patient)
    elif isinstance(rule, ProcedureRule):
        truth, reason, evidence = _procedure(rule, patient)
    elif isinstance(rule, PregnancyRule):
        truth, reason, evidence = _pregnancy(rule, patient)
    elif isinstance(rule, InfectionRule):
        truth, reason, evidence = _infection(rule, patient)
    elif isinstance(rule, ConsentRule):
        truth, reason, evidence = _consent(rule, patient)
    else:
        truth, reason, evidence = _outcome(
            "unknown", f"{rule.kind.replace('_', ' ')} cannot be checked from a profile"
        )
    if negate and rule.negated and truth in ("true", "false"):
        truth = "false" if truth == "true" else "true"
        reason = f"{reason} (criterion negated by '{rule.negation_cue}')"
    return RuleVerdict(kind=rule.kind, text=rule.span.text, truth=truth, reason=reason, evidence=evidence)


_STATUS: dict[tuple[str, Truth], CriterionStatus] = {
    ("inclusion", "true"): "met",
    ("inclusion", "false"): "not met",
    ("inclusion", "unknown"): "unknown",
    ("inclusion", "not_applicable"): "not applicable",
    ("exclusion", "true"): "excluded",
    ("exclusion", "false"): "not excluded",
    ("exclusion", "unknown"): "unknown",
    ("exclusion", "not_applicable"): "not applicable",
}


DIAGNOSTIC_PROCEDURES = frozenset(
    {
        "mri",
        "ct",
        "ultrasound",
        "echocardiography",
        "xray",
        "pet",
        "spect",
        "ecg",
        "eeg",
        "angiography",
        "biopsy",
        "renal_biopsy",
        "endoscopy",
    }
)


def evaluate_criterion(
    criterion: ParsedCriterion, patient: PatientProfile, *, pregnancy_inapplicable: bool = False
) -> CriterionVerdict:
    """``pregnancy_inapplicable``: pregnancy atoms drop out for a patient who cannot conceive rather
    than being false (the convention of annotators who label such criteria "not applicable")."""
    rules = list(criterion.rules)
    # "Atrial fibrillation on admission ECG": a test named beside a finding is how it is found, not a
    # criterion of its own.
    means = {
        position
        for position, r in enumerate(rules)
        if isinstance(r, ProcedureRule) and r.concept in DIAGNOSTIC_PROCEDURES
    }
    if len(means) == len(rules):
        means = set()
    # Atoms are judged as stated; the tree applies each negation and exception where its scope is.
    raw = [evaluate_rule(rule, patient, negate=False) for rule in rules]
    _defined_by_measurement(criterion.text, rules, raw)
    _means_not_facts(criterion.text, rules, raw)
    for position in means:
        raw[position] = raw[position].model_copy(update={"truth": "not_applicable"})
    if pregnancy_inapplicable and cannot_conceive(patient):
        for position, rule in enumerate(rules):
            if isinstance(rule, PregnancyRule):
                raw[position] = raw[position].model_copy(update={"truth": "not_applicable"})
    logic = criterion.logic or build_logic(criterion.text, criterion.kind, rules)
    _drugs_other_than(logic, rules, raw, patient)
    # A criterion with no computable rule is undecided, not inapplicable.
    truth = evaluate_logic(logic, [v.truth for v in raw], rules) if rules else "unknown"
    # Only a clinical requirement can hide behind words no rule read; consent and conduct criteria
    # are phrased every way and mean the one thing.
    clinical = any(rule.kind not in ("consent", "trial_participation", "not_evaluable") for rule in rules)
    # Where alternatives decided it (any-of, examples), a branch no rule read cannot undo the answer.
    conjunctive = logic.op in ("atom", "all", "not", "except")
    unread = unread_words(criterion.text, rules) if truth == "true" and conjunctive and clinical else []
    substantive = [r for position, r in enumerate(rules) if position not in means]
    verdicts = [_as_stated(rule, verdict) for rule, verdict in zip(rules, raw, strict=True)]
    shown = [v for position, v in enumerate(verdicts) if position not in means]
    if _outside_population(criterion, substantive, shown):
        truth = "not_applicable"
    elif len(unread) >= 2:
        # The rules read hold, but the criterion asks more that no rule read ("aged 21 or older with
        # chronic orthostatic intolerance"): holding is not shown.
        truth = "unknown"
        shown.append(
            RuleVerdict(
                kind="unread",
                text=" ".join(unread),
                truth="unknown",
                reason=f"not read: {' '.join(unread[:6])}",
            )
        )
    adverse = "false" if criterion.kind == "inclusion" else "true"
    if truth == adverse and (exempt := unread_exception(criterion.text, rules)) is not None:
        # "No prior chemotherapy except for radiosensitization": the exception no rule read may be
        # the patient's case, so what rules the patient out is not shown.
        truth = "unknown"
        shown.append(
            RuleVerdict(kind="unread", text=exempt, truth="unknown", reason=f"exception not read: {exempt}")
        )
    deciding = [v for v in shown if v.truth == truth] or shown
    if not shown:
        reason = "no computable rule in this criterion"
    else:
        reason = "; ".join(v.reason for v in deciding[:3])
    evidence = [e for v in deciding for e in v.evidence]
    return CriterionVerdict(
        index=criterion.index,
        kind=criterion.kind,
        text=criterion.text,
        status=_STATUS[(criterion.kind, truth)],
        reason=reason,
        evidence=evidence,
        rules=shown,
        logic=logic.describe(rules),
    )


_WORD = re.compile(r"[A-Za-z][A-Za-z'-]{3,}")
_TOPIC = re.compile(r"^[^:\d]{1,40}:")
_REFERENCE = re.compile(
    r"\b(?:in\s+accordance\s+with|according\s+to|as\s+defined\s+by|defined\s+by|as\s+per|meeting|fulfill?ing|"
    r"based\s+on|using)\s+(?:the\s+)?[^.;,]{0,80}?\b(?:criteria|criterion|classification|guidelines?|definition|"
    r"system|formula|scale|score|equation)\b",
    re.IGNORECASE,
)


def unread_words(text: str, rules: Sequence[Rule]) -> list[str]:
    """Content words of a criterion that no rule read: outside every rule's span, window and cue, and
    neither boilerplate nor one of a rule's qualifiers."""
    covered: list[tuple[int, int]] = []
    known: set[str] = set(class_words())
    for rule in rules:
        covered.append((rule.span.start, rule.span.end))
        if rule.window is not None:
            covered.append((rule.window.span.start, rule.window.span.end))
        for name in ("value_span", "name_span"):
            extra = getattr(rule, name, None)
            if extra is not None:
                covered.append((extra.start, extra.end))
        dose = getattr(rule, "dose", None)
        if dose is not None and dose.end is not None and dose.end > rule.span.end:
            covered.append((rule.span.end, dose.end))  # "(>10 mg prednisone or equivalent/day)"
        for word in [*getattr(rule, "qualifiers", []), *getattr(rule, "course", [])]:
            known.update(word.lower().split())
    covered.extend((cue.start, cue.end) for cue in find_cues(text))
    # A leading "Topic:" names what the rule after it states ("Normal renal function: eGFR ≥ 90").
    topic = _TOPIC.match(text)
    if topic is not None:
        covered.append((0, topic.end()))
    # "in accordance with the ACR criteria", "as defined by the Rai system": how the thing is
    # defined, not another requirement.
    covered.extend(match.span() for match in _REFERENCE.finditer(text))
    stop = stop_words("english", "criteria", "requirement")
    unread: list[str] = []
    for match in _WORD.finditer(text):
        word = match.group(0).lower()
        if word in stop or word in known or course_of(word):
            continue
        if any(start <= match.start() and match.end() <= end for start, end in covered):
            continue
        unread.append(match.group(0))
    return unread


def unread_exception(text: str, rules: Sequence[Rule]) -> str | None:
    """The words of an exception ("except", "unless", "other than", "… allowed") whose scope no rule
    was read in, if there is one."""
    for cue in find_cues(text):
        if cue.category != "exception":
            continue
        start, end = cue.scope_start, cue.scope_end
        if any(start <= rule.span.start < end or start < rule.span.end <= end for rule in rules):
            continue
        scope = text[min(cue.start, start) : max(cue.end, end)].strip()
        if len(scope.split()) > 1:
            return scope
    return None


def _as_stated(rule: Rule, verdict: RuleVerdict) -> RuleVerdict:
    """A rule's verdict with its own negation applied, as the criterion states it (for display)."""
    if not rule.negated or verdict.truth not in ("true", "false"):
        return verdict
    flipped: Truth = "false" if verdict.truth == "true" else "true"
    word = "exception" if rule.exception else "criterion negated by"
    return verdict.model_copy(
        update={"truth": flipped, "reason": f"{verdict.reason} ({word} '{rule.negation_cue}')"}
    )


_CLINICAL_KINDS = frozenset({"condition", "measurement", "medication", "procedure", "infection"})
_NO_DRUG_CLASSES = frozenset({"investigational", "medication"})


def _drugs_other_than(
    node: LogicNode, rules: list[Rule], raw: list[RuleVerdict], patient: PatientProfile
) -> None:
    """ "Any antiretroviral other than zidovudine or didanosine": the class is judged on the patient's
    medicines without the exempted drugs, and the exemption has then been applied (set to false)."""
    for child in node.children:
        _drugs_other_than(child, rules, raw, patient)
    if node.op != "except" or len(node.children) != 2 or node.children[0].op != "atom":
        return
    main = node.children[0].rule
    exempt = node.children[1].atoms()
    if main is None or not exempt:
        return
    kept = rules[main]
    if not isinstance(kept, MedicationRule) or kept.drug_class is None or kept.drugs:
        return
    exempted: set[str] = set()
    for index in exempt:
        rule = rules[index]
        if (
            not isinstance(rule, MedicationRule)
            or not rule.drugs
            or rule.drug_class not in (None, kept.drug_class)
        ):
            return
        exempted.update(rule.drugs)
    remaining = [
        m for m in patient.medications if not any(same_drug(d, e) for d in m.drugs for e in exempted)
    ]
    others = patient.model_copy(update={"medications": remaining})
    raw[main] = evaluate_rule(kept, others, negate=False)
    for index in exempt:
        raw[index] = raw[index].model_copy(update={"truth": "false"})


def _outside_population(criterion: ParsedCriterion, rules: list[Rule], verdicts: list[RuleVerdict]) -> bool:
    """Whether the criterion is about people the patient is not one of.

    An exclusion's age and sex words say whom it concerns ("Female subjects with KD aged 12 or
    older"): when they do not fit, the criterion does not apply rather than clear the patient. A
    pregnancy criterion that does not apply (a man, a child) takes its consent or compliance riders
    with it ("agrees to use contraception", "pregnant women, prisoners, unable to consent").
    """
    others = [
        (r, v) for r, v in zip(rules, verdicts, strict=True) if v.kind not in ("age", "sex", "pregnancy")
    ]
    if not others:
        return False
    pregnancy_na = any(v.kind == "pregnancy" and v.truth == "not_applicable" for v in verdicts)
    # "Study drug" or "medications" name no treatment of the patient's; they are riders too.
    clinical = [
        r
        for r, v in others
        if v.kind in _CLINICAL_KINDS
        and not (isinstance(r, MedicationRule) and not r.drugs and r.drug_class in _NO_DRUG_CLASSES)
    ]
    if pregnancy_na and not clinical:
        return True
    if criterion.kind != "exclusion" or criterion.combine == "any":
        return False
    return any(v.kind in ("age", "sex") and v.truth == "false" for v in verdicts) or (
        pregnancy_na and any(isinstance(r, SexRule) for r in rules)
    )


_BY_MEANS_OF = re.compile(
    r"\b(?:by|on|via|using|with|through|after|at|in)\s+(?:the\s+|an?\s+)?(?:[\w-]+[\s(,/]+){0,3}$",
    re.IGNORECASE,
)


def _means_not_facts(text: str, rules: list[Rule], verdicts: list[RuleVerdict]) -> None:
    """A test named as the means of finding something ("found by echocardiography") is not met by the
    patient having had that test: only what it found would decide the criterion."""
    for position, rule in enumerate(rules):
        if not isinstance(rule, ProcedureRule) or rule.concept not in DIAGNOSTIC_PROCEDURES:
            continue
        if verdicts[position].truth == "true" and _BY_MEANS_OF.search(text[: rule.span.start]):
            verdicts[position] = verdicts[position].model_copy(
                update={"truth": "unknown", "reason": f"{rule.name} is how it is found, not what"}
            )


def _defined_by_measurement(text: str, rules: list[Rule], verdicts: list[RuleVerdict]) -> None:
    """A decided measurement in brackets decides the condition it defines: "Anemia (hemoglobin <9 g/dL)"."""
    for position, rule in enumerate(rules):
        if not isinstance(rule, ConditionRule) or position + 1 >= len(rules):
            continue
        following = rules[position + 1]
        if not isinstance(following, MeasurementRule):
            continue
        gap = text[rule.span.end : following.span.start]
        decided = verdicts[position + 1]
        if re.fullmatch(r"\s*[(\[:]\s*", gap) and decided.truth in ("true", "false"):
            verdicts[position] = decided.model_copy(update={"kind": "condition", "text": rule.span.text})


_PRIORITY = {
    "condition": 0,
    "measurement": 1,
    "infection": 2,
    "medication": 3,
    "procedure": 4,
    "pregnancy": 5,
}


def evaluate_trial(
    trial: Trial, patient: PatientProfile, criteria: Sequence[ParsedCriterion] | None = None
) -> TrialVerdict:
    """Every criterion of ``trial`` for ``patient`` (plus the structured age and sex limits)."""
    if criteria is None:
        eligibility = trial.eligibility
        criteria = parse_eligibility(eligibility.criteria_text, eligibility.inclusion, eligibility.exclusion)
    results = [evaluate_criterion(c, patient) for c in criteria if not c.is_header]
    results.extend(_structured_limits(trial, patient, len(criteria)))
    failed = [v.text for v in results if v.status in ("not met", "excluded")]
    unknown = [v for v in results if v.status == "unknown"]
    met = sum(1 for v in results if v.status in ("met", "not excluded"))
    # An unknown decides the trial only while nothing has ruled the patient out: once a criterion
    # fails, no answer to the others makes the patient eligible.
    decisive = [] if failed else unknown
    # Check first what one fact settles (fewest undecided rules), then the clinical kinds before the
    # administrative ones.
    ranked = sorted(
        decisive,
        key=lambda v: (
            sum(1 for r in v.rules if r.truth == "unknown") or 9,
            min((_PRIORITY.get(r.kind, 9) for r in v.rules if r.truth == "unknown"), default=10),
        ),
    )
    decided = sum(1 for v in results if v.status in ("met", "not excluded"))
    # A trial whose criteria could not be read at all is not "eligible": nothing was checked.
    status: TrialStatus = (
        "ineligible" if failed else ("possibly eligible" if unknown or not decided else "eligible")
    )
    return TrialVerdict(
        trial=trial.nct_id or (trial.registry_ids[0] if trial.registry_ids else trial.org_study_id) or "",
        status=status,
        unknown=len(decisive),
        met=met,
        criteria=results,
        check_next=[v.text for v in ranked[:5]],
        failed=failed,
    )


def _bound(value: float | None) -> str:
    return "…" if value is None else f"{value:g}"


def _structured_limits(trial: Trial, patient: PatientProfile, start: int) -> list[CriterionVerdict]:
    eligibility = trial.eligibility
    results: list[CriterionVerdict] = []
    low = eligibility.minimum_age.years if eligibility.minimum_age else None
    high = eligibility.maximum_age.years if eligibility.maximum_age else None
    if (low is not None or high is not None) and patient.age_years is not None:
        ok = (low is None or patient.age_years >= low) and (high is None or patient.age_years < high + 1)
        results.append(
            CriterionVerdict(
                index=start,
                kind="inclusion",
                text=f"Age limits {_bound(low)}–{_bound(high)} years",
                status="met" if ok else "not met",
                reason=f"age {patient.age_years:g}",
            )
        )
    if eligibility.sex in (Sex.FEMALE, Sex.MALE) and patient.sex is not None:
        ok = eligibility.sex.value.lower() == patient.sex
        results.append(
            CriterionVerdict(
                index=start + 1,
                kind="inclusion",
                text=f"Sex: {eligibility.sex.value.lower()}",
                status="met" if ok else "not met",
                reason=f"patient is {patient.sex}",
            )
        )
    return results


__all__ = [
    "DIAGNOSTIC_PROCEDURES",
    "ULN",
    "CriterionVerdict",
    "RuleVerdict",
    "TrialVerdict",
    "evaluate_criterion",
    "evaluate_rule",
    "evaluate_trial",
]
