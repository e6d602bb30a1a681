"""The one patient-note reader (CLI, API and web page): a free-text note read into a :class:`PatientProfile`
with the criteria vocabularies, ConText-style negation and the value readers."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import cache
from typing import Any, Literal

from trialatlas.extract.criteria.drugs import drug_classes, find_drugs, find_regimens, mention_classes
from trialatlas.extract.criteria.negation import note_context_of
from trialatlas.extract.criteria.parsers.clinical import class_owners, infection_mentions
from trialatlas.extract.criteria.parsers.measurement import read_note_value
from trialatlas.extract.criteria.qualifiers import (
    ClassList,
    course_of,
    find_classes,
    find_dose,
    mention_course,
)
from trialatlas.extract.criteria.vocab import (
    Mention,
    analyte_matcher,
    broader_concepts,
    condition_matcher,
    procedure_matcher,
)
from trialatlas.match.denied_classes import read_complete_history
from trialatlas.match.history_unremarkable import read_unremarkable_history
from trialatlas.match.note_allergies import read_allergies
from trialatlas.match.note_contraception import read_contraception
from trialatlas.match.note_derived import derive_values, read_abbreviated_values
from trialatlas.match.note_habits import read_habits
from trialatlas.match.note_person import age_from, birth_from, days_ago, read_person_status, sex_from
from trialatlas.match.note_signs import read_signs
from trialatlas.match.patient_model import (
    PatientCondition,
    PatientInfection,
    PatientMeasurement,
    PatientMedication,
    PatientProcedure,
    PatientProfile,
    canonical_measurement,
    evidence_at,
    route_near,
    split_sentences,
)
from trialatlas.match.stable_dose import stability
from trialatlas.text.packaged import packaged_json

# After a drug's name, words that make it a state of the body or a disorder, not a medicine taken:
# "iron deficiency", "lithium toxicity", "opioid use disorder", "cocaine dependence".
_NOT_TAKEN = re.compile(
    r"\s*-?\s*(?:deficiency|deficient|overload|toxicity|poisoning|intoxication|levels?|stores|"
    r"(?:use\s+)?disorders?|dependence|dependency|addiction|abuse|misuse|withdrawal|overdose)\b",
    re.I,
)


@cache
def _complete_medication_list() -> re.Pattern[str]:
    """The cues of a sentence listing all of the patient's medicines (``note_cues.json``, data)."""
    cues = packaged_json("trialatlas.match", "note_cues.json")
    return re.compile("|".join(f"(?:{cue})" for cue in cues["complete_medication_list"]), re.IGNORECASE)


@cache
def _medication_dating() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """Words dating a medicine's end and its start (``note_cues.json``, data)."""
    cues = packaged_json("trialatlas.match", "note_cues.json")

    def pattern(key: str) -> re.Pattern[str]:
        return re.compile(r"\b(?:" + "|".join(cues[key]) + r")\b", re.IGNORECASE)

    return pattern("medication_ended"), pattern("medication_started")


@cache
def _medication_stopped() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """Words saying a medicine is no longer taken, right before and right after its name (data)."""
    cues = packaged_json("trialatlas.match", "note_cues.json")["medication_stopped"]
    before = re.compile(r"\b(?:" + "|".join(cues["before"]) + r")\s+" + cues["filler"] + r"$", re.IGNORECASE)
    return before, re.compile("|".join(f"(?:{cue})" for cue in cues["after"]), re.IGNORECASE)


def _no_longer_taken(sentence: str, start: int, end: int) -> bool:
    """Whether the words around a medicine say it was stopped ("stopped theophylline", "aspirin was
    discontinued"): it is not taken now, whenever it ended."""
    before, after = _medication_stopped()
    return bool(before.search(sentence[max(0, start - 60) : start]) or after.match(sentence, end))


def _course_around(sentence: str, start: int, end: int, concept: str | None) -> frozenset[str]:
    """The courses a condition's clause states, the ones its own name carries left out."""
    clause = _clause_around(sentence, start, end)
    at = clause.find(sentence[start:end])
    if at < 0:
        return course_of(clause)
    return mention_course(clause, at, at + end - start, concept)


def says_ended(text: str) -> bool:
    """Whether ``text`` has words that put a medicine's course in the past ("took", "received",
    "completed", "stopped"; ``medication_ended`` in ``note_cues.json``)."""
    return _medication_dating()[0].search(text) is not None


def _ended_days_ago(clause: str, age_years: float | None) -> float | None:
    """How long ago the clause says a medicine ended ("completed carboplatin one year ago"); None when
    it gives no time, or dates the start ("started prednisone 3 years ago") rather than the end."""
    ended, started = _medication_dating()
    if not ended.search(clause) or started.search(clause):
        return None
    return days_ago(clause, age_years)


@cache
def _negative_result() -> re.Pattern[str]:
    """Words giving an infection's test as negative (``note_cues.json``, data)."""
    cues = packaged_json("trialatlas.match", "note_cues.json")
    return re.compile(r"\b(?:" + "|".join(cues["negative_result"]) + r")\b", re.IGNORECASE)


@cache
def _infection_ongoing() -> re.Pattern[str]:
    """Words right before an infection's name giving it as present now (``note_cues.json``, data)."""
    return re.compile(packaged_json("trialatlas.match", "note_cues.json")["infection_ongoing"], re.IGNORECASE)


@cache
def _vaccine() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """Words right after or before an infection's name that make it a vaccine's (data)."""
    cues = packaged_json("trialatlas.match", "note_cues.json")["vaccine"]
    return re.compile(cues["after"], re.IGNORECASE), re.compile(cues["before"], re.IGNORECASE)


@cache
def _untested_result() -> re.Pattern[str]:
    """Words saying an infection's test was never done, declined, pending or unknown (data)."""
    cues = packaged_json("trialatlas.match", "note_cues.json")
    return re.compile(r"\b(?:" + "|".join(cues["untested_result"]) + r")\b", re.IGNORECASE)


_CLAUSE_MARK = re.compile(r"[;,()]")
# A result right after its test, by a hyphen or a space ("HIV-negative", "HBsAg positive").
_OWN_RESULT = re.compile(r"(?:-|\s+)(?P<result>(?:sero-?)?(?:positive|negative))\b", re.IGNORECASE)


def _test_clause(sentence: str, start: int, end: int) -> str:
    """The clause of a sentence holding ``start:end``, between commas, semicolons and brackets: in
    "HIV-negative, HBsAg-negative; anti-HBc not tested" only the last test is untested."""
    before = [m.end() for m in _CLAUSE_MARK.finditer(sentence, 0, start)]
    after = _CLAUSE_MARK.search(sentence, end)
    return sentence[before[-1] if before else 0 : after.start() if after else len(sentence)]


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
_BP = re.compile(r"\b(?:blood\s+pressure|BP)\b[^0-9]{0,20}(?P<sbp>\d{2,3})\s*/\s*(?P<dbp>\d{2,3})", re.I)


def profile_from_note(note: str, patient_id: str | None = None) -> PatientProfile:
    """A profile read from a clinical note with the criteria vocabularies, negation and value readers."""
    sentences = split_sentences(note)
    age, sex_code = None, None
    for sentence in sentences[:3] or [note]:
        age, sex_code = age_from(sentence)
        if age is not None:
            break
    sex = sex_code or sex_from(sentences)
    birth_date, as_of = birth_from(note) if age is None else (None, None)
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
    read_complete_history(profile)
    derive_values(profile)
    return profile


def _read_sentence(profile: PatientProfile, index: int, sentence: str) -> None:
    drugs = find_drugs(sentence)
    # A drug named as an allergen is read first, so it is never taken for a medicine.
    claimed: list[tuple[int, int]] = read_allergies(profile, index, sentence, drugs)

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
                    evidence=evidence_at(index, sentence, match.start(), match.end()),
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
                evidence=evidence_at(index, sentence, mention.start, end),
            )
        )
        claimed.append((mention.start, end))
    infections = infection_mentions(sentence)
    for position, mention in enumerate(infections):
        if not free(mention.start, mention.end):
            continue
        context = note_context_of(sentence, mention.start, mention.end)
        if context.hypothetical is not None and not context.negated:
            # "An HIV test was sent today": a pending test states no status.
            claimed.append((mention.start, mention.end))
            continue
        vaccine = _vaccine()
        if vaccine[0].match(sentence, mention.end) or vaccine[1].search(sentence[: mention.start]):
            # "After a hepatitis B vaccine series", "vaccinated against HBV": a vaccine's name, no status.
            claimed.append((mention.start, mention.end))
            continue
        # A list's result is said once, after its last item: "Hepatitis B and C negative".
        list_end = mention.end
        for following in infections[position + 1 :]:
            if re.fullmatch(r"[\s,/&]*(?:and|or|and/or)?[\s,/&]*", sentence[list_end : following.start]):
                list_end = following.end
            else:
                break
        if _untested_result().search(_test_clause(sentence, mention.start, list_end)):
            # "HIV status never tested", "declined HIV testing": no status, and the "not" of "not
            # tested" is no negative result.
            claimed.append((mention.start, list_end))
            continue
        # The result may be inside the mention itself ("HIV positive", "HIV-positive").
        around = f"{mention.text} {sentence[mention.end : list_end + 30]}".lower()
        status: Literal["positive", "negative", "active", "history", "any"] = "any"
        own = _OWN_RESULT.match(sentence, list_end)
        if own is not None:
            # "HIV-negative, HBsAg-positive, anti-HCV negative": a result joined to its test is that
            # test's, whatever result the clause gives another test.
            # A cue before it still denies it: "has never been HIV positive".
            denied = context.negation is not None and context.negation.direction == "forward"
            status = "positive" if own["result"].lower().endswith("positive") and not denied else "negative"
        elif _negative_result().search(around) or context.negated:
            status = "negative"
        elif "positive" in around or "seropositive" in sentence.lower():
            status = "positive"
        elif context.historical is not None:
            status = "history"
        elif _infection_ongoing().search(sentence[max(0, mention.start - 40) : mention.start]):
            status = "active"  # "chronic hepatitis B", "coinfection with HBV": the patient's, now
        profile.infections.append(
            PatientInfection(
                name=mention.text,
                pathogen=mention.concept,
                status=status,
                present=status != "negative",
                family=context.family is not None,
                days_ago=days_ago(_clause_around(sentence, mention.start, mention.end), profile.age_years),
                evidence=evidence_at(index, sentence, mention.start, mention.end),
            )
        )
        claimed.append((mention.start, mention.end))
    # Habits first: "abstinent from cocaine", "injects heroin" are substance use, not medicines taken.
    claimed.extend(read_habits(profile, index, sentence))
    claimed.extend(_read_regimens(profile, index, sentence, free))
    for drug in drugs:
        if not free(drug.start, drug.end) or _NOT_TAKEN.match(sentence, drug.end):
            continue  # "iron deficiency", "lithium toxicity": a state of the body, not a medicine taken
        context = note_context_of(sentence, drug.start, drug.end)
        if context.hypothetical is not None and not context.negated:
            # "Bupropion could be started if…", "carboplatin might be considered later": not taken.
            claimed.append((drug.start, drug.end))
            continue
        # The dose follows the drug in its clause: "prednisone 10 mg/day", "on prednisone at 10 mg daily".
        clause_end = re.search(r"[;,.]\s|\band\b", sentence[drug.end : drug.end + 40])
        dose = find_dose(sentence, drug.end, drug.end + (clause_end.start() if clause_end else 40))
        route = route_near(sentence, drug.start, drug.end + (clause_end.start() if clause_end else 40))
        stable, stable_days = stability(_own_words(sentence, drug, drugs), profile.age_years)
        profile.medications.append(
            PatientMedication(
                name=drug.text,
                drugs=[drug.drug] if drug.drug is not None else [],
                classes=list(mention_classes(drug)),
                present=not context.negated,
                current=context.historical is None and not _no_longer_taken(sentence, drug.start, drug.end),
                dose_mg=dose.mg if dose is not None and dose.operator is None else None,
                dose_basis=dose.basis if dose is not None and dose.operator is None else None,
                daily=dose.daily if dose is not None and dose.operator is None else None,
                route=route,
                ended_days_ago=_ended_days_ago(
                    _clause_around(sentence, drug.start, drug.end), profile.age_years
                ),
                stable=stable,
                stable_days=stable_days,
                evidence=evidence_at(index, sentence, drug.start, drug.end),
            )
        )
        claimed.append((drug.start, drug.end))
    for mention in procedure_matcher().find(sentence):
        if not free(mention.start, mention.end):
            continue
        context = note_context_of(sentence, mention.start, mention.end)
        if context.hypothetical is not None and not context.negated:
            # "Counselling prior to radiotherapy, which has not yet begun", "resection is planned": an
            # operation to come is not one the patient had.
            claimed.append((mention.start, mention.end))
            continue
        profile.procedures.append(
            PatientProcedure(
                name=mention.text,
                concept=mention.concept,
                present=not context.negated,
                days_ago=days_ago(_clause_around(sentence, mention.start, mention.end), profile.age_years),
                evidence=evidence_at(index, sentence, mention.start, mention.end),
            )
        )
        claimed.append((mention.start, mention.end))
    condition_mentions = [m for m in condition_matcher().find(sentence) if free(m.start, m.end)]
    stated_classes = find_classes(sentence)
    owners = class_owners(sentence, condition_mentions, stated_classes)
    _carry_stage(profile, condition_mentions, stated_classes, owners)
    for position, mention in enumerate(condition_mentions):
        context = note_context_of(sentence, mention.start, mention.end)
        owned = owners.get(position)
        profile.conditions.append(
            PatientCondition(
                name=mention.text,
                concept=mention.concept,
                classes=list(owned.values) if owned else [],
                class_kind=owned.kind if owned else None,
                course=sorted(_course_around(sentence, mention.start, mention.end, mention.concept)),
                present=not context.negated,
                family=context.family is not None,
                historical=context.historical is not None,
                uncertain=context.hypothetical is not None,
                days_ago=days_ago(_clause_around(sentence, mention.start, mention.end), profile.age_years),
                evidence=evidence_at(index, sentence, mention.start, mention.end),
            )
        )
    read_abbreviated_values(profile, index, sentence)
    read_signs(profile, index, sentence)
    if _NO_MEDS.search(sentence):
        profile.no_medications = True
    elif _complete_medication_list().search(sentence) and _every_dose_has_its_drug(sentence):
        profile.medication_list_complete = True
    read_person_status(profile, sentence)
    read_contraception(profile, sentence)
    read_unremarkable_history(profile, sentence)


def _read_regimens(
    profile: PatientProfile, index: int, sentence: str, free: Callable[[int, int], bool]
) -> list[tuple[int, int]]:
    """Regimens named by acronym ("progressed after FOLFOX", "six cycles of R-CHOP"): one medicine
    made of the regimen's drugs, so a criterion about any of them or their classes is judged on it;
    planned ones ("ABVD is planned") are not taken, declined or denied ones are not taken either."""
    claimed: list[tuple[int, int]] = []
    for regimen in find_regimens(sentence):
        if not free(regimen.start, regimen.end):
            continue
        claimed.append((regimen.start, regimen.end))
        context = note_context_of(sentence, regimen.start, regimen.end)
        if context.hypothetical is not None and not context.negated:
            continue
        profile.medications.append(
            PatientMedication(
                name=regimen.text,
                drugs=list(regimen.drugs),
                classes=list(dict.fromkeys(c for drug in regimen.drugs for c in drug_classes(drug))),
                present=not context.negated,
                current=context.historical is None
                and not _no_longer_taken(sentence, regimen.start, regimen.end),
                # "completed adjuvant FOLFOX 14 months ago" dates a regimen's end as it does a drug's.
                ended_days_ago=_ended_days_ago(
                    _clause_around(sentence, regimen.start, regimen.end), profile.age_years
                ),
                evidence=evidence_at(index, sentence, regimen.start, regimen.end),
            )
        )
    return claimed


# Words for a cancer that refer back to the one the note has named ("the tumor", "the malignancy").
_GENERIC_CANCERS = frozenset({"cancer", "tumor"})


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


def _clause_span(sentence: str, start: int, end: int) -> tuple[int, int]:
    before = max(sentence.rfind(";", 0, start), sentence.rfind(". ", 0, start))
    after = [i for i in (sentence.find(";", end), sentence.find(". ", end)) if i >= 0]
    return before + 1, min(after) if after else len(sentence)


def _clause_around(sentence: str, start: int, end: int) -> str:
    """The clause of a mention: a note's "LN class IV, newly diagnosed; diabetes in remission" gives
    each condition its own course words."""
    return sentence[slice(*_clause_span(sentence, start, end))]


def _own_words(sentence: str, mention: Any, others: Sequence[Any]) -> str:
    """The words of a mention's clause about it alone: from the medicine before it to the one after it
    ("Continued hydroxychloroquine 200 mg twice daily after stopping mycophenolate")."""
    low, high = _clause_span(sentence, mention.start, mention.end)
    low = max([low, *(o.end for o in others if o is not mention and o.end <= mention.start)])
    high = min([high, *(o.start for o in others if o is not mention and o.start >= mention.end)])
    return sentence[low:high]


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
    for name in (
        "age_years",
        "sex",
        "pregnant",
        "lactating",
        "postmenopausal",
        "contraception",
        "consent",
        "compliance",
    ):
        if getattr(merged, name) is None:
            setattr(merged, name, getattr(read, name))
    if not merged.medications and not merged.no_medications:
        merged.no_medications = read.no_medications
        merged.medication_list_complete = merged.medication_list_complete or read.medication_list_complete
    for flag in ("history_unremarkable", "family_history_unremarkable"):
        setattr(merged, flag, getattr(merged, flag) or getattr(read, flag))

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


__all__ = ["load_patient", "profile_from_note", "with_note_facts"]
