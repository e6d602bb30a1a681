"""Patient profiles: a typed record (JSON) or one extracted from a free-text note by the criteria parsers.

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
A note becomes the same profile through :func:`profile_from_note`.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Sequence
from functools import cache
from importlib import resources
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from trialatlas.extract.criteria.drugs import find_drugs, mention_classes
from trialatlas.extract.criteria.negation import context_of
from trialatlas.extract.criteria.parsers.clinical import class_owners, with_elliptic
from trialatlas.extract.criteria.parsers.measurement import read_note_value
from trialatlas.extract.criteria.qualifiers import (
    ClassList,
    course_of,
    find_classes,
    find_dose,
    route_mentions,
)
from trialatlas.extract.criteria.vocab import (
    NUMBER_WORD_PATTERN,
    Mention,
    analyte_matcher,
    analytes,
    broader_concepts,
    condition_matcher,
    infection_matcher,
    number_value,
    procedure_matcher,
)
from trialatlas.extract.units import convert


class Evidence(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sentence_index: int | None = None
    sentence: str | None = None
    start: int | None = None
    end: int | None = None


class _Fact(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    present: bool = Field(
        default=True, description="False when the source says the patient does not have it."
    )
    family: bool = Field(default=False, description="A relative's, not the patient's (family history).")
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
    historical: bool = False
    uncertain: bool = Field(
        default=False, description='Only suspected ("possible", "differential diagnosis includes").'
    )
    days_ago: float | None = Field(
        default=None, description='How long ago it happened, when the note says ("two years ago").'
    )


class PatientInfection(_Fact):
    pathogen: str
    status: Literal["positive", "negative", "active", "history", "any"] = "any"


class PatientMeasurement(_Fact):
    analyte: str | None = None
    value: float | None = None
    unit: str | None = None
    qualitative: str | None = None
    date: str | None = None
    canonical_value: float | None = None
    canonical_unit: str | None = None


class PatientMedication(_Fact):
    drugs: list[str] = Field(default_factory=list)
    classes: list[str] = Field(default_factory=list)
    dose_mg: float | None = Field(default=None, description="The dose in mg (per kg or m² if dose_basis).")
    dose_basis: Literal["kg", "m2"] | None = None
    daily: bool | None = Field(default=None, description="The dose is a daily one.")
    route: str | None = Field(
        default=None, description="How it is given: oral, intravenous, topical, inhaled…"
    )
    start: str | None = None
    stop: str | None = None
    current: bool | None = None


class PatientProcedure(_Fact):
    concept: str | None = None
    date: str | None = None


class PatientProfile(BaseModel):
    """A patient: demographics, conditions, measurements, medications, procedures, pregnancy, notes."""

    model_config = ConfigDict(extra="forbid")

    id: str | None = None
    age_years: float | None = None
    birth_date: dt.date | None = None
    as_of: dt.date | None = Field(
        default=None, description="The date the profile describes (default: today)."
    )
    sex: Literal["female", "male"] | None = None
    conditions: list[PatientCondition] = Field(default_factory=list)
    infections: list[PatientInfection] = Field(default_factory=list)
    measurements: list[PatientMeasurement] = Field(default_factory=list)
    medications: list[PatientMedication] = Field(default_factory=list)
    no_medications: bool = Field(
        default=False, description="The source says the patient takes no medications."
    )
    medication_list_complete: bool = Field(
        default=False,
        description='The source lists every medicine the patient takes now ("Her only medications are …", '
        '"Current medications: …"): one it does not name is not taken.',
    )
    procedures: list[PatientProcedure] = Field(default_factory=list)
    pregnant: bool | None = None
    lactating: bool | None = None
    postmenopausal: bool | None = None
    consent: bool | None = None
    compliance: bool | None = None
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
                condition.course = sorted(course_of(condition.name))
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
                medication.route = _route_near(medication.name, 0, len(medication.name))
            if medication.dose_mg is None and (dose := find_dose(medication.name)) is not None:
                medication.dose_mg, medication.dose_basis, medication.daily = dose.mg, dose.basis, dose.daily
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
    return (converted, target) if converted is not None else (None, None)


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


_AGE = re.compile(
    r"\b(?P<n>\d{1,3}(?:\.\d)?)\s*[- ]?\s*(?P<unit>years?|yrs?|months?|mos?|weeks?|wks?|days?)"
    r"[- ]?(?:old|of\s+age)\b"
    r"|\b(?P<n2>\d{1,3})\s*(?:yo|y/o|y\.o\.|year-old|yr-old)\b"
    # "at age 12" dates a past event, not the patient's age now.
    r"|(?<!\bat\s)(?<!\bat\sthe\s)\b(?:aged?|age:?|turned)\s+(?P<n3>\d{1,3})\b"
    r"|\b(?P<n5>\d{1,3})(?:st|nd|rd|th)\s+birthday\b"
    r"|^\s*(?:(?:a|an)\s+)?(?P<n4>\d{1,3})\s*(?:-?\s*(?:year|yr)s?)?\s*(?P<sexcode>M|F|male|female|man|woman)\b"
    r"|^\s*(?P<sexcode2>male|female|man|woman|boy|girl)\s*,\s*(?P<n6>\d{1,3})\s*[,.;]",
    re.IGNORECASE,
)
_FEMALE = re.compile(
    r"\b(?:woman|women|female|she|her|girl|lady|mother|wife|pregnan\w*|gravida|mrs|ms)\b", re.I
)
_MALE = re.compile(r"\b(?:man|men|male|he|his|him|boy|gentleman|husband|father|mr)\b", re.I)
_PREGNANT = re.compile(
    r"\b(?:is|currently|now)?\s*pregnant\b|\bweeks?\s+(?:of\s+)?gestation\b|\bgestational\s+age\b|"
    r"\b(?:G\d+P\d+|gravida)\b|\b(?:first|second|third)\s+trimester\b",
    re.IGNORECASE,
)
_NOT_PREGNANT = re.compile(
    r"\b(?:not|non-?)\s*pregnant\b|\bnegative\s+(?:\w+\s+){0,2}pregnancy\s+test\b|\bpostmenopausal\b"
    r"|\bpregnancy\s+test\b[^.;]{0,80}?\b(?:is|was|were|came\s+back)\s+negative\b|\b(?:beta-?\s*)?hcg\b[^.;]{0,20}\bnegative\b"
    r"|\bpregnancy\s+(?:is|was|has\s+been|had\s+been)\s+(?:ruled\s+out|excluded)\b"
    r"|\bnegative\s+(?:(?:serum|urine|urinary|quantitative|qualitative)\s+)?(?:beta-?\s*)?hcg\b",
    re.I,
)
_LACTATING = re.compile(
    r"\b(?:breast[- ]?feed(?:ing|s)?|lactating|lactation|"
    r"nursing(?!\s+(?:home|facility|facilities|staff|care|student|students|assistant|notes?)))\b",
    re.I,
)
_LAST_PERIOD = re.compile(
    r"\b(?:last\s+menstrual\s+period|LMP|last\s+(?:menstrual\s+)?period|last\s+menses)\b[^.;]{0,40}?"
    r"\b(?:\d+(?:\.\d+)?|[a-z]+)\s+(?:days?|weeks?|months?|years?)\s+ago\b",
    re.I,
)
_NOT_TAKEN = re.compile(
    r"\s*-?\s*(?:deficiency|deficient|overload|toxicity|poisoning|intoxication|levels?|stores)\b", re.I
)
_MENOPAUSE = re.compile(r"\b(?:post-?menopaus\w*|in\s+menopause|menopause)\b", re.I)
# A woman who menstruates (or is said to be premenopausal) has not reached menopause.
_MENSTRUATING = re.compile(
    r"\b(?:pre-?menopausal|premenstrual|menses|menstruat\w+|menstrual\s+(?:pain|cramps|cycles?|bleeding)|"
    r"(?:her|heavy|irregular|regular|painful|monthly)\s+(?:menstrual\s+)?periods?)\b",
    re.I,
)
_CONSENT = re.compile(
    r"\b(?:provide|give|gave|given|sign\w*)\s+(?:written\s+)?(?:informed\s+)?consent\b", re.I
)
_COMPLY = re.compile(r"\bcomply\b|\bcompliance\b|\bwithout\s+any\s+practical\s+issues\b", re.I)


@cache
def _complete_medication_list() -> re.Pattern[str]:
    """The cues of a sentence listing all of the patient's medicines (``note_cues.json``, data)."""
    cues = json.loads(resources.files("trialatlas.match").joinpath("note_cues.json").read_text("utf-8"))
    return re.compile("|".join(f"(?:{cue})" for cue in cues["complete_medication_list"]), re.IGNORECASE)


@cache
def _negative_result() -> re.Pattern[str]:
    """Words giving an infection's test as negative (``note_cues.json``, data)."""
    cues = json.loads(resources.files("trialatlas.match").joinpath("note_cues.json").read_text("utf-8"))
    return re.compile(r"\b(?:" + "|".join(cues["negative_result"]) + r")\b", re.IGNORECASE)


def _every_dose_has_its_drug(sentence: str) -> bool:
    """Whether each dose in a list of medicines follows a drug the vocabulary knows: "zorbalix 10 mg
    daily" is a medicine it cannot name, so the list cannot rule out a class that medicine may be in."""
    ends = [m.end for m in find_drugs(sentence) if m.drug_class != "medication"]
    position = 0
    while (dose := find_dose(sentence, position)) is not None:
        if not any(0 <= dose.start - end <= 25 for end in ends):
            return False
        position = dose.end
    return True


_NO_MEDS = re.compile(
    r"\b(?:takes?|taking|on)\s+no\s+(?:medications?|drugs|medicines)\b|\bno\s+(?:current\s+)?medications\b",
    re.I,
)
# Findings that state where a measurement lies without giving it: "tachycardic" is a fast heart rate,
# "afebrile" a normal temperature. Negated ("no fever"), the measurement is normal.
_SIGNS: tuple[tuple[re.Pattern[str], str, str], ...] = tuple(
    (re.compile(rf"\b(?:{pattern})\b", re.IGNORECASE), analyte, quality)
    for pattern, analyte, quality in (
        (r"tachycardi\w*", "heart_rate", "high"),
        (r"bradycardi\w*", "heart_rate", "low"),
        (r"tachypn\w*", "respiratory_rate", "high"),
        (r"bradypn\w*", "respiratory_rate", "low"),
        (r"hypotensi(?:on|ve)", "sbp", "low"),
        (r"afebrile", "temperature", "normal"),
        (r"febrile|fevers?|pyrexi\w*", "temperature", "high"),
        (r"hypox(?:ia|ic|emia|aemia)|desaturat\w*", "spo2", "low"),
        (r"an(?:a)?emi(?:a|c)", "hemoglobin", "low"),
        (r"leukocytosis|leucocytosis", "wbc", "high"),
        (r"leu[ck]openi(?:a|c)", "wbc", "low"),
        (r"thrombocytopeni(?:a|c)", "platelets", "low"),
        (r"thrombocytosis", "platelets", "high"),
        (r"neutropeni(?:a|c)", "anc", "low"),
        (r"hypokal(?:a)?emi(?:a|c)", "potassium", "low"),
        (r"hyperkal(?:a)?emi(?:a|c)", "potassium", "high"),
        (r"hyponatr(?:a)?emi(?:a|c)", "sodium", "low"),
        (r"hypernatr(?:a)?emi(?:a|c)", "sodium", "high"),
        (r"hypoglyc(?:a)?emi(?:a|c)", "glucose", "low"),
        (r"hyperglyc(?:a)?emi(?:a|c)", "glucose", "high"),
        (r"hypercalc(?:a)?emi(?:a|c)", "calcium", "high"),
        (r"hypocalc(?:a)?emi(?:a|c)", "calcium", "low"),
        (r"hypoalbumin(?:a)?emi(?:a|c)", "albumin", "low"),
        (r"obes(?:e|ity)", "bmi", "high"),
    )
)
# A panel reported normal as a whole vouches for each of its values.
_PANELS: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = tuple(
    (re.compile(pattern, re.IGNORECASE), members)
    for pattern, members in (
        (
            r"\b(?:complete\s+blood\s+(?:cell\s+)?count|CBC|blood\s+counts?|hemogram|full\s+blood\s+count)\b",
            ("hemoglobin", "hematocrit", "wbc", "platelets", "anc"),
        ),
        (
            r"\b(?:biochemical\s+profile|biochemistry|(?:basic|comprehensive)\s+metabolic\s+panel|BMP|CMP|"
            r"electrolytes|renal\s+function(?:\s+tests)?|chemistry\s+panel)\b",
            ("creatinine", "urea", "sodium", "potassium", "glucose", "calcium"),
        ),
        (
            r"\b(?:liver\s+function\s+tests?|LFTs?|liver\s+enzymes|hepatic\s+panel)\b",
            ("alt", "ast", "alp", "bilirubin", "albumin"),
        ),
        (
            r"\b(?:vital\s+signs|vitals)\b",
            ("heart_rate", "respiratory_rate", "sbp", "dbp", "temperature"),
        ),
        (r"\b(?:coagulation\s+(?:profile|studies|tests)|clotting\s+screen)\b", ("inr", "ptt")),
    )
)
_NORMAL_WORDS = re.compile(
    r"\b(?:(?:are|is|were|was)\s+(?:all\s+)?(?:within\s+normal\s+limits|normal|unremarkable|stable)|"
    r"(?:within\s+normal\s+limits|WNL|unremarkable)|normal)\b",
    re.IGNORECASE,
)
_BP = re.compile(r"\b(?:blood\s+pressure|BP)\b[^0-9]{0,20}(?P<sbp>\d{2,3})\s*/\s*(?P<dbp>\d{2,3})", re.I)


_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTH_YEAR = (
    r"(?:(?P<{m}>jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+)?(?P<{y}>(?:19|20)\d\d)\b"
)
_BORN = re.compile(r"\bborn\s+(?:in\s+|on\s+)?" + _MONTH_YEAR.format(m="m", y="y"), re.IGNORECASE)
_DATED = re.compile(r"\b(?:in|on|as\s+of)\s+" + _MONTH_YEAR.format(m="m", y="y"), re.IGNORECASE)


def _month_year(match: re.Match[str]) -> dt.date:
    # Mid-month: a date known to the month is at most half a month off either way.
    month = _MONTHS.index(match["m"][:3].lower()) + 1 if match["m"] else 7
    return dt.date(int(match["y"]), month, 15 if match["m"] else 1)


def _birth_from(note: str) -> tuple[dt.date | None, dt.date | None]:
    """A birth month/year and the date the note describes when it says one after it ("seen in …")."""
    born = _BORN.search(note)
    if born is None:
        return None, None
    dated = [_month_year(m) for m in _DATED.finditer(note, born.end())]
    return _month_year(born), (dated[0] if dated else None)


def _age_from(text: str) -> tuple[float | None, str | None]:
    for match in _AGE.finditer(text):
        if match["n"]:
            value = float(match["n"])
            unit = match["unit"].lower()[0]
            factor = {"y": 1.0, "m": 1 / 12, "w": 7 / 365.25, "d": 1 / 365.25}[unit]
            return value * factor, None
        for group in ("n2", "n3", "n5"):
            if match[group]:
                return float(match[group]), None
        if match["n4"]:
            code = match["sexcode"].lower()
            return float(match["n4"]), "female" if code.startswith(("f", "w")) else "male"
        if match["n6"]:  # "Woman, 45. …"
            code = match["sexcode2"].lower()
            return float(match["n6"]), "female" if code.startswith(("f", "w", "g")) else "male"
    return None, None


def profile_from_note(note: str, patient_id: str | None = None) -> PatientProfile:
    """A profile read from a clinical note with the criteria vocabularies, negation and value readers."""
    sentences = split_sentences(note)
    age, sex_code = None, None
    for sentence in sentences[:3] or [note]:
        age, sex_code = _age_from(sentence)
        if age is not None:
            break
    female = sum(len(_FEMALE.findall(s)) for s in sentences)
    male = sum(len(_MALE.findall(s)) for s in sentences)
    sex: Literal["female", "male"] | None = sex_code  # type: ignore[assignment]
    if sex is None and female != male:
        sex = "female" if female > male else "male"
    birth_date, as_of = _birth_from(note) if age is None else (None, None)
    profile = PatientProfile(
        id=patient_id,
        age_years=age,
        birth_date=birth_date,
        as_of=as_of,
        sex=sex,
        notes=note,
        sentences=sentences,
    )
    for index, sentence in enumerate(sentences):
        _read_sentence(profile, index, sentence)
    return profile


def _evidence(index: int, sentence: str, start: int, end: int) -> Evidence:
    return Evidence(sentence_index=index, sentence=sentence, start=start, end=end)


def _read_sentence(profile: PatientProfile, index: int, sentence: str) -> None:
    claimed: list[tuple[int, int]] = []

    def free(start: int, end: int) -> bool:
        return not any(s < end and start < e for s, e in claimed)

    for match in _BP.finditer(sentence):
        for analyte, group in (("sbp", "sbp"), ("dbp", "dbp")):
            value = float(match[group])
            profile.measurements.append(
                PatientMeasurement(
                    name=analyte,
                    analyte=analyte,
                    value=value,
                    unit="mmHg",
                    canonical_value=value,
                    canonical_unit="mmHg",
                    evidence=_evidence(index, sentence, match.start(), match.end()),
                )
            )
        claimed.append(match.span())
    for mention in analyte_matcher().find(sentence):
        if not free(mention.start, mention.end):
            continue
        reading = read_note_value(sentence, mention.end)
        if reading is None:
            continue
        number, unit, qualitative, end = reading
        canonical, canonical_unit = (
            canonical_measurement(mention.concept, number, unit) if number is not None else (None, None)
        )
        profile.measurements.append(
            PatientMeasurement(
                name=mention.text,
                analyte=mention.concept,
                value=number,
                unit=unit,
                qualitative=qualitative,
                canonical_value=canonical,
                canonical_unit=canonical_unit,
                evidence=_evidence(index, sentence, mention.start, end),
            )
        )
        claimed.append((mention.start, end))
    infections = with_elliptic(sentence, infection_matcher().find(sentence), infection_matcher())
    for position, mention in enumerate(infections):
        if not free(mention.start, mention.end):
            continue
        context = context_of(sentence, mention.start, mention.end)
        if context.hypothetical is not None and not context.negated:
            # "An HIV test was sent today": a pending test states no status.
            claimed.append((mention.start, mention.end))
            continue
        # A list's result is said once, after its last item: "Hepatitis B and C negative".
        list_end = mention.end
        for following in infections[position + 1 :]:
            if re.fullmatch(r"[\s,/&]*(?:and|or|and/or)?[\s,/&]*", sentence[list_end : following.start]):
                list_end = following.end
            else:
                break
        # The result may be inside the mention itself ("HIV positive", "HIV-positive").
        around = f"{mention.text} {sentence[mention.end : list_end + 30]}".lower()
        status: Literal["positive", "negative", "active", "history", "any"] = "any"
        if _negative_result().search(around) or context.negated:
            status = "negative"
        elif "positive" in around or "seropositive" in sentence.lower():
            status = "positive"
        elif context.historical is not None:
            status = "history"
        profile.infections.append(
            PatientInfection(
                name=mention.text,
                pathogen=mention.concept,
                status=status,
                present=status != "negative",
                family=context.family is not None,
                evidence=_evidence(index, sentence, mention.start, mention.end),
            )
        )
        claimed.append((mention.start, mention.end))
    for drug in find_drugs(sentence):
        if not free(drug.start, drug.end) or _NOT_TAKEN.match(sentence, drug.end):
            continue  # "iron deficiency", "lithium toxicity": a state of the body, not a medicine taken
        context = context_of(sentence, drug.start, drug.end)
        if context.hypothetical is not None and not context.negated:
            # "Bupropion could be started if…", "carboplatin might be considered later": not taken.
            claimed.append((drug.start, drug.end))
            continue
        # The dose follows the drug in its clause: "prednisone 10 mg/day", "on prednisone at 10 mg daily".
        clause_end = re.search(r"[;,.]\s|\band\b", sentence[drug.end : drug.end + 40])
        dose = find_dose(sentence, drug.end, drug.end + (clause_end.start() if clause_end else 40))
        route = _route_near(sentence, drug.start, drug.end + (clause_end.start() if clause_end else 40))
        profile.medications.append(
            PatientMedication(
                name=drug.text,
                drugs=[drug.drug] if drug.drug is not None else [],
                classes=list(mention_classes(drug)),
                present=not context.negated,
                current=context.historical is None,
                dose_mg=dose.mg if dose is not None and dose.operator is None else None,
                dose_basis=dose.basis if dose is not None and dose.operator is None else None,
                daily=dose.daily if dose is not None and dose.operator is None else None,
                route=route,
                evidence=_evidence(index, sentence, drug.start, drug.end),
            )
        )
        claimed.append((drug.start, drug.end))
    for mention in procedure_matcher().find(sentence):
        if not free(mention.start, mention.end):
            continue
        context = context_of(sentence, mention.start, mention.end)
        profile.procedures.append(
            PatientProcedure(
                name=mention.text,
                concept=mention.concept,
                present=not context.negated,
                evidence=_evidence(index, sentence, mention.start, mention.end),
            )
        )
        claimed.append((mention.start, mention.end))
    condition_mentions = [m for m in condition_matcher().find(sentence) if free(m.start, m.end)]
    stated_classes = find_classes(sentence)
    owners = class_owners(sentence, condition_mentions, stated_classes)
    _carry_stage(profile, condition_mentions, stated_classes, owners)
    for position, mention in enumerate(condition_mentions):
        context = context_of(sentence, mention.start, mention.end)
        owned = owners.get(position)
        profile.conditions.append(
            PatientCondition(
                name=mention.text,
                concept=mention.concept,
                classes=list(owned.values) if owned else [],
                class_kind=owned.kind if owned else None,
                course=sorted(course_of(_clause_around(sentence, mention.start, mention.end))),
                present=not context.negated,
                family=context.family is not None,
                historical=context.historical is not None,
                uncertain=context.hypothetical is not None,
                days_ago=_days_ago(_clause_around(sentence, mention.start, mention.end), profile.age_years),
                evidence=_evidence(index, sentence, mention.start, mention.end),
            )
        )
    _read_signs(profile, index, sentence)
    if _NO_MEDS.search(sentence):
        profile.no_medications = True
    elif _complete_medication_list().search(sentence) and _every_dose_has_its_drug(sentence):
        profile.medication_list_complete = True
    if _NOT_PREGNANT.search(sentence):
        profile.pregnant = profile.pregnant or False
    elif (pregnant := _PREGNANT.search(sentence)) is not None:
        context = context_of(sentence, *pregnant.span())
        # "She would like to get pregnant in a few years" says nothing of now.
        if not context.negated and context.hypothetical is None:
            profile.pregnant = True
    if (lactating := _LACTATING.search(sentence)) is not None:
        # "Not pregnant, not breastfeeding", "She is not breast-feeding": the note says she is not.
        context = context_of(sentence, *lactating.span())
        # A wish ("would like to breastfeed") says nothing of now; a denial does.
        if context.negated or context.hypothetical is None:
            said = not context.negated
            profile.lactating = said if profile.lactating is None else (profile.lactating or said)
    last_period = _LAST_PERIOD.search(sentence)
    if last_period is not None and profile.postmenopausal is None:
        # Menopause is twelve months without a period (after 40, when it is not a pregnancy's).
        months = _days_ago(last_period.group(0), profile.age_years)
        aged = profile.age_years is not None and profile.age_years >= 40
        if months is not None and months >= 365 and aged and not profile.pregnant:
            profile.postmenopausal = True
        elif months is not None and months < 60:
            profile.postmenopausal = False
    elif _MENOPAUSE.search(sentence) and not _MENSTRUATING.search(sentence):
        profile.postmenopausal = True
    elif _MENSTRUATING.search(sentence) and profile.postmenopausal is None:
        profile.postmenopausal = False
    if _CONSENT.search(sentence):
        profile.consent = True
    if _COMPLY.search(sentence):
        profile.compliance = True


# Words for a cancer that refer back to the one the note has named ("the tumor", "the malignancy").
_GENERIC_CANCERS = frozenset({"cancer", "tumor"})


def _route_near(sentence: str, start: int, end: int) -> str | None:
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


def _carry_stage(
    profile: PatientProfile,
    mentions: Sequence[Mention],
    stated: Sequence[ClassList],
    owners: dict[int, ClassList],
) -> None:
    """A stage said apart from the cancer's name ("Biopsy-proven carcinoma of the breast. The tumor
    measures 4 cm (T2N0M0, stage IIB)") is the stage of the last cancer the note named: a sentence that
    names no specific cancer but states a stage refers back to it. Grades and classes are not carried
    (a grade may be a side effect's, a class a drug's)."""
    specific = {m.concept for m in mentions if m.concept and m.concept not in _GENERIC_CANCERS}
    if any("cancer" in broader_concepts(c) for c in specific):
        return  # the sentence names its own cancer
    owned = {id(c) for position, c in owners.items() if mentions[position].concept not in _GENERIC_CANCERS}
    stages = [c for c in stated if c.kind == "stage" and id(c) not in owned]
    if not stages:
        return
    for condition in reversed(profile.conditions):
        concept = condition.concept
        if (
            concept
            and concept not in _GENERIC_CANCERS
            and "cancer" in broader_concepts(concept)
            and condition.present
            and not condition.family
        ):
            if not condition.classes:
                condition.classes = list(stages[-1].values)
                condition.class_kind = "stage"
            return


_AGO = re.compile(
    rf"\b(?P<amount>\d+(?:\.\d+)?|{NUMBER_WORD_PATTERN})\s+(?P<unit>days?|weeks?|months?|years?)\s+"
    r"(?:ago|earlier|before\s+(?:admission|presentation))\b"
    r"|\bat\s+(?:the\s+)?age\s+(?:of\s+)?(?P<age>\d{1,3})\b",
    re.IGNORECASE,
)
_UNIT_DAYS = {"day": 1.0, "week": 7.0, "month": 30.44, "year": 365.25}


def _days_ago(clause: str, age_years: float | None) -> float | None:
    """How long ago the clause's event was ("a stroke two years ago", "broke her wrist at age 12"),
    when it says so once; two different times leave it unsaid."""
    found: set[float] = set()
    for match in _AGO.finditer(clause):
        if match["age"] is not None:
            if age_years is not None and float(match["age"]) <= age_years:
                found.add((age_years - float(match["age"])) * 365.25)
            continue
        amount = number_value(match["amount"])
        if amount is not None:
            found.add(amount * _UNIT_DAYS[match["unit"].lower().rstrip("s")])
    return found.pop() if len(found) == 1 else None


def _clause_around(sentence: str, start: int, end: int) -> str:
    """The clause of a mention: a note's "LN class IV, newly diagnosed; diabetes in remission" gives
    each condition its own course words."""
    before = max(sentence.rfind(";", 0, start), sentence.rfind(". ", 0, start))
    after = [i for i in (sentence.find(";", end), sentence.find(". ", end)) if i >= 0]
    return sentence[before + 1 : min(after) if after else len(sentence)]


def _read_signs(profile: PatientProfile, index: int, sentence: str) -> None:
    """Measurements a note places without a value: signs ("tachycardic") and panels called normal."""
    known = {m.analyte for m in profile.measurements if m.value is not None}
    for pattern, analyte, quality in _SIGNS:
        match = pattern.search(sentence)
        if match is None or analyte in known:
            continue
        context = context_of(sentence, *match.span())
        if context.family is not None or context.hypothetical is not None:
            continue
        profile.measurements.append(
            PatientMeasurement(
                name=match.group(0),
                analyte=analyte,
                qualitative="normal" if context.negated else quality,
                evidence=_evidence(index, sentence, *match.span()),
            )
        )
    for pattern, members in _PANELS:
        match = pattern.search(sentence)
        if match is None:
            continue
        near = sentence[match.start() : match.end() + 60]
        normal = _NORMAL_WORDS.search(near)
        if normal is None or re.search(r"\b(?:ab|not\s+)normal\b", near, re.IGNORECASE):
            continue
        for analyte in members:
            if analyte not in known:
                profile.measurements.append(
                    PatientMeasurement(
                        name=match.group(0),
                        analyte=analyte,
                        qualitative="normal",
                        evidence=_evidence(index, sentence, match.start(), match.end()),
                    )
                )


def with_note_facts(profile: PatientProfile) -> PatientProfile:
    """The profile with what its ``notes`` say added where its typed fields are silent.

    A coordinator fills in the fields they have and pastes the rest as a note ("No hepatitis B or C.
    Never received rituximab."): the note is read like any other, and its facts join the profile —
    the typed fields win (a note's age or a second value for an analyte already given is ignored).
    """
    if not profile.notes or not profile.notes.strip():
        return profile
    read = profile_from_note(profile.notes, profile.id)
    merged = profile.model_copy(deep=True)
    for name in ("age_years", "sex", "pregnant", "lactating", "postmenopausal", "consent", "compliance"):
        if getattr(merged, name) is None:
            setattr(merged, name, getattr(read, name))
    if not merged.medications and not merged.no_medications:
        merged.no_medications = read.no_medications
        merged.medication_list_complete = merged.medication_list_complete or read.medication_list_complete

    def add(given: list[Any], found: list[Any], key: Callable[[Any], object]) -> None:
        known = {key(item) for item in given}
        given.extend(item for item in found if key(item) not in known)

    add(merged.conditions, read.conditions, lambda c: c.concept or c.name.lower())
    add(merged.infections, read.infections, lambda i: i.pathogen)
    add(merged.measurements, read.measurements, lambda m: m.analyte or m.name.lower())
    add(merged.medications, read.medications, lambda m: tuple(m.drugs) or m.name.lower())
    add(merged.procedures, read.procedures, lambda p: p.concept or p.name.lower())
    merged.sentences = read.sentences  # the evidence's sentence numbers are those of this split
    return merged


def load_patient(text: str, patient_id: str | None = None) -> PatientProfile:
    """A profile from JSON (an object in the schema above, its notes read too) or, failing that, from
    a free-text note."""
    stripped = text.strip()
    if stripped.startswith("{"):
        return with_note_facts(PatientProfile.model_validate_json(stripped))
    return profile_from_note(text, patient_id)


__all__ = [
    "Evidence",
    "PatientCondition",
    "PatientInfection",
    "PatientMeasurement",
    "PatientMedication",
    "PatientProcedure",
    "PatientProfile",
    "canonical_measurement",
    "load_patient",
    "profile_from_note",
    "split_sentences",
    "with_note_facts",
]
