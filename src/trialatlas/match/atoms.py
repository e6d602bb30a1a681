"""Atoms: what one parsed rule says of a patient — true, false, unknown or not applicable — with the
patient fact and note sentence that decided it and a one-line reason.

One reader per rule kind (age, sex, condition, measurement, medication, procedure, pregnancy,
infection, consent); :func:`evaluate_rule` picks the reader. Medicines have their own module
(:mod:`trialatlas.match.medication_atoms`). How rules combine into a criterion's
verdict and a trial's is :mod:`trialatlas.match.verdict`.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field

from trialatlas.extract.criteria.qualifiers import course_of, qualifier_vocab
from trialatlas.extract.criteria.rules import (
    AgeRule,
    ConditionRule,
    ConsentRule,
    InfectionRule,
    MeasurementRule,
    MedicationRule,
    PregnancyRule,
    ProcedureRule,
    Rule,
    SexRule,
)
from trialatlas.extract.criteria.vocab import broader_concepts, conditions, is_kind_by_name, procedures
from trialatlas.match.blood_pressure import control_by_value, denied_qualifiers, pair_reading
from trialatlas.match.history_unremarkable import unremarkable_history
from trialatlas.match.infection_atoms import evaluate_infection
from trialatlas.match.infection_markers import cleared_episode
from trialatlas.match.logic import Truth, compare, never_had, outcome
from trialatlas.match.medication_atoms import evaluate_medication
from trialatlas.match.note_habits import drinking_level
from trialatlas.match.past_infections import past_infection
from trialatlas.match.patient import (
    Evidence,
    PatientCondition,
    PatientProcedure,
    PatientProfile,
)
from trialatlas.match.qualified import class_check, course_check

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


def _age(rule: AgeRule, patient: PatientProfile) -> tuple[Truth, str, list[Evidence]]:
    if rule.experiencer == "family":
        # "a first-degree relative diagnosed … at age 55 or less": the relative's age, not the patient's.
        return outcome("unknown", "the age is a relative's")
    if patient.age_years is None:
        return outcome("unknown", "the patient's age is not known")
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
    return outcome("true" if ok else "false", f"age {age:g} vs {bounds} years", _first_sentence(patient))


def _first_sentence(patient: PatientProfile) -> Evidence | None:
    if patient.sentences:
        return Evidence(sentence_index=0, sentence=patient.sentences[0])
    return None


def _sex(rule: SexRule, patient: PatientProfile) -> tuple[Truth, str, list[Evidence]]:
    if rule.sex == "all":
        return outcome("true", "any sex", _first_sentence(patient))
    if patient.sex is None:
        return outcome("unknown", "the patient's sex is not known")
    truth: Truth = "true" if patient.sex == rule.sex else "false"
    return outcome(
        truth, f"patient is {patient.sex}, criterion requires {rule.sex}", _first_sentence(patient)
    )


def _condition(rule: ConditionRule, patient: PatientProfile) -> tuple[Truth, str, list[Evidence]]:
    if rule.concept is None:
        return outcome("unknown", f"'{rule.name}' is not in the vocabulary")
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
        if rule.concept in broader_concepts(condition.concept) or (
            # A code's concept ("arthritis") covers every kind a note names by its words.
            condition.present
            and rule.concept.startswith("icd:")
            and is_kind_by_name(condition.name, rule.name)
        ):
            if condition.present and condition.uncertain:
                suspected = suspected or condition
            elif condition.present:
                # Of several mentions ("loose stools … graded as grade 2 diarrhea"), the one that
                # states the class, stage or grade the criterion asks about speaks for all.
                if positive is None or (_states_class(condition, rule) and not _states_class(positive, rule)):
                    positive = condition
                elif not _missing_qualifiers(rule, condition) and _missing_qualifiers(rule, positive):
                    # "Follicular lymphoma … treated for CNS lymphoma": the mention that says "CNS".
                    positive = condition
            elif condition.concept == rule.concept:
                # Denying a kind ("no lung cancer") does not deny its class ("prior malignancy").
                negative = negative or condition
    if positive is not None:
        timed = _outside_window(rule, positive, patient) or _stopped_habit(rule, patient)
        if timed is not None:
            return timed
        # Class sets and the course decide first: they are what a patient's own facts can contradict.
        for check in (class_check, course_check):
            holds, why = check(rule, positive)
            if holds is False:
                return outcome("false", f"patient has {positive.name}; {why}", positive.evidence)
            if holds is None:
                return outcome("unknown", f"patient has {positive.name}; {why}", positive.evidence)
        if _asks_now(rule) and (past := past_infection(rule, patient, _clause)) is not None:
            return past
        missing = _missing_qualifiers(rule, positive)
        # A note's own word on control ("well-controlled") is not overruled by one reading.
        spoken = "control" in _clause(positive.evidence).lower()
        if (
            missing == ["uncontrolled"]
            and not spoken
            and (control := control_by_value(rule.concept, patient))
        ):
            # "Hypertension with blood pressure 182/104 mmHg": the reading says what the words do not.
            truth_of: Truth = "true" if control[0] else "false"
            return outcome(truth_of, f"patient has {positive.name}; {control[1]}", *control[2])
        if denied_qualifiers(missing, _clause(positive.evidence)):
            # "Heart failure, stable on carvedilol" is not "uncontrolled heart failure".
            return outcome(
                "false", f"patient has {positive.name}; not {', '.join(missing)}", positive.evidence
            )
        if missing:
            # "Uncontrolled hypertension" is not met by "hypertension": the note must say so.
            return outcome(
                "unknown",
                f"patient has {positive.name}; not stated as {', '.join(missing)}",
                positive.evidence,
            )
        return outcome("true", f"patient has {positive.name}", positive.evidence)
    if negative is not None:
        return outcome("false", f"patient does not have {negative.name}", negative.evidence)
    if suspected is not None:
        return outcome("unknown", f"{suspected.name} is only suspected", suspected.evidence)
    caused = _by_infection(rule, patient) or _by_value(rule, patient) or _by_needed_habit(rule, patient)
    if caused is not None:
        return caused
    if (unremarkable := unremarkable_history(rule, patient)) is not None:
        return unremarkable
    if not wanted_family:
        relative = next(
            (
                c
                for c in patient.conditions
                if c.family and c.present and c.concept and rule.concept in broader_concepts(c.concept)
            ),
            None,
        )
        if relative is not None:
            # "Her mother has glaucoma": a relative's illness is not the patient's, and the note's
            # silence on the patient's own is no answer either (a wrong verdict is worse): say whose it is.
            return outcome("unknown", f"only a relative has {relative.name}", relative.evidence)
    return outcome("unknown", f"no mention of {rule.name}")


def _missing_qualifiers(rule: ConditionRule, condition: PatientCondition) -> list[str]:
    """The rule's qualifiers ("uncontrolled", "CNS") that the mention's clause and name do not state."""
    # The qualifiers may be in the note's sentence or in the condition's own name (a profile's
    # "steroid-dependent nephrotic syndrome" has no sentence).
    said = f"{_clause(condition.evidence)} {condition.name}".lower()
    # A habit the note says was given up ("quit smoking ten years ago") is a former one.
    given_up = condition.historical and bool(conditions().get(condition.concept or "", {}).get("habit"))
    return [
        q
        for q in rule.qualifiers
        if q not in _NEUTRAL
        and not course_of(q)
        and not all(part[:5] in said for part in q.split("-") if part)
        and not (given_up and q in _FORMER)
        # "CNS" is stated by a "brain metastasis" (``stated_by`` in the qualifiers vocabulary).
        and not any(word in said for word in qualifier_vocab()["stated_by"].get(q.lower(), []))
    ]


_FORMER = frozenset({"former", "ex", "past", "previous", "prior"})


def _clause(evidence: Evidence | None) -> str:
    """The part of the evidence's sentence between semicolons around the mention: "a shellfish
    allergy; a CT with iodinated contrast without reaction" does not state an allergy to iodine."""
    if evidence is None or not evidence.sentence:
        return ""
    sentence = evidence.sentence
    if evidence.start is None or evidence.end is None:
        return sentence
    end = sentence.find(";", evidence.end)
    return sentence[sentence.rfind(";", 0, evidence.start) + 1 : end if end >= 0 else len(sentence)]


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
    # A condition of low values (anaemia) or of high ones (obesity: "present_from", "absent_below").
    if "present_below" in definition:
        present, absent = value < definition["present_below"], value >= definition["absent_from"]
    else:
        present, absent = value >= definition["present_from"], value < definition["absent_below"]
    if present:
        return outcome("true", f"{shown} shows {rule.name}", reading.evidence)
    if absent:
        return outcome("false", f"{shown} is no {rule.name}", reading.evidence)
    return None


def postmenopausal(patient: PatientProfile) -> tuple[bool | None, str]:
    """Whether a woman is postmenopausal: as her note says (menopause, menses), else by her age
    (``menopause_age`` in the qualifiers vocabulary) unless an operation may have ended it early. The age
    speaks only of a woman: a note that gives no sex leaves it open ("61-year-old with osteoporosis")."""
    if patient.postmenopausal is not None:
        return patient.postmenopausal, "stated in the note"
    if patient.sex != "female" or patient.age_years is None:
        return None, "menopausal status not stated" if patient.sex else "sex not stated"
    ages = qualifier_vocab()["menopause_age"]
    if patient.age_years >= ages["postmenopausal_from"]:
        return True, f"age {patient.age_years:g}"
    surgical = any(p.concept in ("hysterectomy", "oophorectomy") and p.present for p in patient.procedures)
    if patient.age_years < ages["premenopausal_below"] and not surgical:
        return False, f"age {patient.age_years:g}"
    return None, "menopausal status not stated"


def _menopausal(status: str, patient: PatientProfile) -> tuple[Truth, str, list[Evidence]]:
    if patient.sex == "male":
        return outcome("not_applicable", "criterion concerns a woman's menopausal status; patient is male")
    post, why = postmenopausal(patient)
    if post is None:
        return outcome("unknown", why)
    said = "postmenopausal" if post else "premenopausal"
    truth: Truth = "true" if said == status else "false"
    return outcome(truth, f"patient is {said} ({why})", _first_sentence(patient))


def _outside_window(
    rule: ConditionRule, positive: PatientCondition, patient: PatientProfile
) -> tuple[Truth, str, list[Evidence]] | None:
    """ "Stroke within 6 months" for a stroke two years ago: outside the window, not met. A past event
    the note gives no time for leaves the window open; one within it, or a current one, holds."""
    window = rule.window
    asks_active = (window is not None and window.relation == "current") or "active" in rule.qualifiers
    if asks_active or re.match(r"active\b", rule.name, re.IGNORECASE):
        past = _past_episode(rule, positive, patient)
        if past is not None:
            return past
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
        return outcome(
            "false",
            f"{positive.name} {min(times) / 30.44:.0f} months ago, outside '{window.span.text}'",
            positive.evidence,
        )
    if positive.historical or times:
        return outcome(
            "unknown", f"{positive.name}: when is not stated ({window.span.text})", positive.evidence
        )
    return None


def _stopped_habit(rule: ConditionRule, patient: PatientProfile) -> tuple[Truth, str, list[Evidence]] | None:
    """ "Smokers" for a former smoker: a habit (``habit`` in the conditions vocabulary) the patient
    has given up is not one they have, unless the criterion asks about the past ("history of
    smoking", "smoking within two years", decided by its window)."""
    if not conditions().get(rule.concept or "", {}).get("habit") or rule.historical:
        return None
    if rule.window is not None and rule.window.relation != "current":
        return None
    if re.search(r"\bhistory\b|\bever\b|\bprior\b|\bprevious|\bpast\b|pack[- ]years?", rule.span.text, re.I):
        return None
    mentions = [
        c
        for c in patient.conditions
        if c.concept and rule.concept in broader_concepts(c.concept) and c.present and not c.family
    ]
    if not mentions or not all(c.historical for c in mentions):
        return None
    if conditions()[rule.concept or ""]["habit"] == "disorder" and not all(
        "remission" in c.course for c in mentions
    ):
        # "A history of alcohol dependence": whether it goes on the note does not say.
        return outcome(
            "unknown", f"a history of {mentions[0].name}; not stated whether now", mentions[0].evidence
        )
    return outcome("false", f"patient has given up {rule.name} ({mentions[0].name})", mentions[0].evidence)


def _said_after(evidence: Evidence | None) -> str:
    """What a sentence says from a mention to the end of its clause ("drinks 8 to 10 beers every day")."""
    if evidence is None or not evidence.sentence or evidence.start is None:
        return ""
    rest = evidence.sentence[evidence.start :]
    end = re.search(r"[;.]\s|;|$", rest)
    return rest[: end.start() if end else len(rest)]


def _asks_now(rule: ConditionRule) -> bool:
    """Whether a condition criterion asks about now: no history word, no window reaching back."""
    if rule.historical or (rule.window is not None and rule.window.relation != "current"):
        return False
    return not re.search(r"\bhistory\b|\bever\b|\bprior\b|\bprevious|\bpast\b", rule.span.text, re.I)


def _by_needed_habit(
    rule: ConditionRule, patient: PatientProfile
) -> tuple[Truth, str, list[Evidence]] | None:
    """ "Abuse alcohol" and a note on the patient's drinking (``needs`` in the conditions vocabulary):
    no drinking, or drinking given up, is no alcohol abuse now; a stated amount decides outside the
    band where definitions differ (heavy drinking is abuse, light drinking is not)."""
    needed = conditions().get(rule.concept or "", {}).get("needs")
    if needed is None or rule.experiencer != "patient" or not _asks_now(rule):
        return None
    mentions = [c for c in patient.conditions if c.concept == needed and not c.family]
    if not mentions:
        return None
    current = [c for c in mentions if c.present and not c.historical]
    levels = [drinking_level(_said_after(c.evidence)) for c in current]
    if "heavy" in levels:
        heavy = current[levels.index("heavy")]
        return outcome("true", f"{heavy.name}: heavy drinking", heavy.evidence)
    if current and all(level == "light" for level in levels):
        return outcome("false", f"{current[0].name}: light drinking is not {rule.name}", current[0].evidence)
    if current:
        return None
    if all(not c.present for c in mentions):
        return outcome("false", f"patient does not have {mentions[0].name}", mentions[0].evidence)
    if all(c.historical and "remission" in c.course for c in mentions if c.present):
        given_up = next(c for c in mentions if c.present)
        return outcome("false", f"patient has given up {given_up.name}", given_up.evidence)
    return None


# How long ago an episode the note dates must be before "active" asks more than the note says.
_PAST_EPISODE_DAYS = 28


def _past_episode(
    rule: ConditionRule, positive: PatientCondition, patient: PatientProfile
) -> tuple[Truth, str, list[Evidence]] | None:
    """ "Active serious infection" for "treated for CMV pneumonitis three months ago": an episode the
    note dates weeks back and calls treated may be over; whether it is still active the note does not
    say, so the criterion is open rather than met (one said to be in remission is decided by its course)."""
    mentions = [
        c
        for c in patient.conditions
        if c.concept and rule.concept in broader_concepts(c.concept) and c.present and not c.family
    ]
    past = [
        c
        for c in mentions
        if c.days_ago is not None
        and c.days_ago >= _PAST_EPISODE_DAYS
        and "treated" in c.course
        and not {"active", "remission"} & set(c.course)
    ]
    if not mentions or len(past) != len(mentions):
        return None
    cleared = [
        cleared_episode(c.evidence.sentence_index if c.evidence else None, patient.infections) for c in past
    ]
    if all(cleared) and cleared[0] is not None:
        # "CMV PCR has been undetectable for eight weeks": a test of the pathogen itself says it is over.
        return outcome("false", f"{positive.name} treated; {cleared[0].name} negative", cleared[0].evidence)
    return outcome(
        "unknown",
        f"{positive.name} {past[0].days_ago or 0:.0f} days ago, treated; not stated as still active",
        positive.evidence,
    )


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
        return outcome("true", f"patient has {positive[0].name}", positive[0].evidence)
    if negative >= set(pathogens):
        said = [i for i in found if i.status == "negative"]
        return outcome("false", f"{' and '.join(pathogens)} negative", said[0].evidence)
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


def ordinary_life_expectancy(
    rule: MeasurementRule, patient: PatientProfile
) -> tuple[Truth, str, list[Evidence]]:
    """The TrialGPT annotators' convention, for the judge only: a note that describes no terminal
    illness gives the patient an ordinary life expectancy, so a short one ("less than 3 months") is not
    met and a "longer than 48 hours" one is. A clinician's verdict leaves it open (a prognosis is the
    investigator's estimate, not a fact a note's silence gives)."""
    for index, sentence in enumerate(patient.sentences):
        if _TERMINAL.search(sentence):
            evidence = Evidence(sentence_index=index, sentence=sentence)
            return outcome("unknown", "the note describes a life-limiting illness", evidence)
    if rule.operator in ("<", "<=", "between", "="):
        return outcome("false", "the note describes no life-limiting illness")
    if rule.operator in (">", ">="):
        return outcome("true", "the note describes no life-limiting illness")
    return outcome("unknown", "life expectancy not stated")


def _measurement(rule: MeasurementRule, patient: PatientProfile) -> tuple[Truth, str, list[Evidence]]:
    if rule.analyte == "life_expectancy":
        return outcome("unknown", "life expectancy is the investigator's estimate; the note gives none")
    if rule.analyte is None:
        return outcome("unknown", f"'{rule.name}' is not a known measurement")
    if (pair := pair_reading(rule, patient)) is not None:
        return outcome("true" if pair[0] == "true" else "false", pair[1], *pair[2])
    readings = [m for m in patient.measurements if m.analyte == rule.analyte and m.present]
    if not readings:
        return outcome("unknown", f"no {rule.name} value")
    # A number beats a finding ("tachycardic"); the latest number is the patient's state, unless the
    # criterion asks for the first ("initial haemoglobin", "at admission").
    valued = [m for m in readings if m.canonical_value is not None] or readings
    reading = valued[0] if rule.first_reading else valued[-1]
    if rule.qualitative:
        observed = reading.qualitative or _qualitative_of(rule.analyte, reading.canonical_value)
        if observed is None:
            return outcome("unknown", f"{reading.name} does not say whether {rule.qualitative}")
        same = _same_quality(observed, rule.qualitative)
        return outcome("true" if same else "false", f"{reading.name} is {observed}", reading.evidence)
    if reading.canonical_value is None and reading.qualitative and rule.canonical_value is not None:
        placed = _placed(rule.analyte, reading.qualitative, rule.operator, rule.canonical_value)
        if placed is not None:
            return outcome(
                "true" if placed else "false",
                f"{reading.name}: {reading.qualitative} vs {rule.operator} {_shown(rule.canonical_value)}",
                reading.evidence,
            )
    if reading.canonical_value is None or rule.value is None:
        return outcome("unknown", f"{reading.name} value cannot be compared")
    threshold, high = rule.canonical_value, rule.canonical_value_high
    if rule.uln_multiple:
        uln = ULN.get(rule.analyte)
        if uln is None:
            return outcome("unknown", f"no upper limit of normal known for {rule.name}")
        threshold, high = rule.value * uln, (rule.value_high * uln if rule.value_high else None)
    if threshold is None:
        return outcome("unknown", f"{rule.name} threshold unit cannot be converted")
    if rule.canonical_unit and reading.canonical_unit and rule.canonical_unit != reading.canonical_unit:
        # A dipstick grade ("<1+") and an amount (g/day) measure differently: neither decides the other.
        return outcome(
            "unknown",
            f"{reading.name} is in {reading.canonical_unit}, criterion in {rule.canonical_unit}",
            reading.evidence,
        )
    result = compare(reading.canonical_value, rule.operator, threshold, high)
    if result is None:
        return outcome("unknown", f"{rule.name}: no comparison stated")
    unit = reading.canonical_unit or ""
    return outcome(
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


def _procedure(rule: ProcedureRule, patient: PatientProfile) -> tuple[Truth, str, list[Evidence]]:
    for procedure in patient.procedures:
        # A kind counts as its broader procedure (a bone marrow transplant is a transplantation).
        broader = procedures().get(procedure.concept or "", {}).get("broader", [])
        if procedure.concept is not None and rule.concept in (procedure.concept, *broader):
            if procedure.present:
                timed = _procedure_window(rule, procedure, patient)
                if timed is not None:
                    return timed
            if not procedure.present:
                return never_had(rule.window, procedure.name, procedure.evidence)
            return outcome("true", f"patient had {procedure.name}", procedure.evidence)
    return outcome("unknown", f"no record of {rule.name}")


def _procedure_window(
    rule: ProcedureRule, procedure: PatientProcedure, patient: PatientProfile
) -> tuple[Truth, str, list[Evidence]] | None:
    """An operation against the criterion's window, as a condition's episode is: "major surgery
    within 4 weeks" is not met by one two years ago, "at least 4 weeks since prior surgery" not by one
    two weeks ago; one the note gives no time for leaves the window open."""
    window = rule.window
    if window is None or not window.days or window.relation not in ("within", "after"):
        return None
    done = [p.days_ago for p in patient.procedures if p.present and p.concept == procedure.concept]
    if any(days is None for days in done):
        return outcome(
            "unknown", f"{procedure.name}: when is not stated ({window.span.text})", procedure.evidence
        )
    recent = any(days is not None and days <= window.days for days in done)
    truth: Truth = "true" if recent == (window.relation == "within") else "false"
    latest = min(days for days in done if days is not None)
    return outcome(
        truth, f"{procedure.name} {latest:.0f} days ago against '{window.span.text}'", procedure.evidence
    )


def cannot_conceive(patient: PatientProfile) -> str | None:
    """Why the patient cannot be pregnant (male, outside child-bearing age, or past menopause as the note
    says: "She is menopausal", a last period years ago), or None. An age alone never says menopause."""
    if patient.sex == "male":
        return "patient is male"
    if patient.postmenopausal is True:
        return "patient is postmenopausal"
    if patient.age_years is not None and (patient.age_years < 10 or patient.age_years > 60):
        return f"patient age {patient.age_years:g} is outside child-bearing age"
    return None


# "Two forms of contraception", "double barrier method": more than the one method a note says she uses.
_METHOD_COUNT = re.compile(r"(?:two|2|dual|double|both)\b", re.IGNORECASE)


def _pregnancy(rule: PregnancyRule, patient: PatientProfile) -> tuple[Truth, str, list[Evidence]]:
    outside = cannot_conceive(patient)
    if outside is not None:
        # Someone who cannot be pregnant or breast-feeding meets a demand not to be ("not pregnant or
        # nursing"); criteria about pregnant women, tests, contraception, plans or child-bearing
        # potential concern a population the patient is not in.
        if rule.aspect in ("pregnant", "lactating") and rule.negated:
            return outcome("false", f"{outside}, so not {rule.aspect}")
        return outcome("not_applicable", f"criterion concerns pregnancy; {outside}")
    if rule.aspect == "pregnant":
        if patient.pregnant is None:
            return outcome("unknown", "pregnancy status not known")
        return outcome("true" if patient.pregnant else "false", "pregnancy status")
    if rule.aspect == "lactating":
        if patient.lactating is None:
            return outcome("unknown", "breast-feeding status not known")
        return outcome("true" if patient.lactating else "false", "breast-feeding status")
    if rule.aspect == "childbearing_potential":
        if patient.postmenopausal:
            return outcome("false", "patient is postmenopausal")
        return outcome("unknown", "child-bearing potential not stated")
    if rule.aspect == "contraception" and patient.contraception is not None:
        if patient.contraception and _METHOD_COUNT.match(rule.span.text):
            return outcome("unknown", f"a method is stated, not {rule.span.text}")
        return outcome("true" if patient.contraception else "false", "contraception stated")
    if rule.aspect == "negative_test" and patient.pregnant is not None:
        return outcome("true" if not patient.pregnant else "false", "pregnancy status")
    return outcome("unknown", f"{rule.aspect.replace('_', ' ')} not stated")


def _consent(rule: ConsentRule, patient: PatientProfile) -> tuple[Truth, str, list[Evidence]]:
    if rule.aspect == "language":
        # Agreeing to consent and comply says nothing about which language the patient speaks.
        return outcome("unknown", "language not stated")
    value = patient.consent if rule.aspect == "consent" else patient.compliance
    if value is None:
        value = patient.consent
    if value is None:
        return outcome("unknown", f"{rule.aspect} not stated")
    evidence = None
    for index, sentence in enumerate(patient.sentences):
        if re.search(r"consent|comply", sentence, re.I):
            evidence = Evidence(sentence_index=index, sentence=sentence)
    return outcome("true" if value else "false", f"patient {rule.aspect} stated", evidence)


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
        truth, reason, evidence = evaluate_medication(rule, patient)
    elif isinstance(rule, ProcedureRule):
        truth, reason, evidence = _procedure(rule, patient)
    elif isinstance(rule, PregnancyRule):
        truth, reason, evidence = _pregnancy(rule, patient)
    elif isinstance(rule, InfectionRule):
        truth, reason, evidence = evaluate_infection(rule, patient)
    elif isinstance(rule, ConsentRule):
        truth, reason, evidence = _consent(rule, patient)
    else:
        truth, reason, evidence = outcome(
            "unknown", f"{rule.kind.replace('_', ' ')} cannot be checked from a profile"
        )
    if negate and rule.negated and truth in ("true", "false"):
        truth = "false" if truth == "true" else "true"
        reason = f"{reason} (criterion negated by '{rule.negation_cue}')"
    return RuleVerdict(kind=rule.kind, text=rule.span.text, truth=truth, reason=reason, evidence=evidence)


__all__ = ["ULN", "RuleVerdict", "cannot_conceive", "evaluate_rule", "postmenopausal"]
