"""An infection of the past against a criterion about one now: "Sepsis" for "an episode of sepsis five
years ago, fully recovered", "Active hepatitis" for "hepatitis A as a child", "Current varicella" for
"chickenpox as a child". The episode says nothing of now: the criterion is open (unknown), never met
on it. A clause that also calls the infection active or ongoing keeps the ordinary reading. The words
are data (``past_infection`` and ``ongoing_infection`` in ``note_cues.json``)."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache

from trialatlas.extract.criteria.rules import ConditionRule
from trialatlas.extract.criteria.vocab import broader_concepts, conditions
from trialatlas.match.logic import Truth, outcome
from trialatlas.match.patient import Evidence, PatientCondition, PatientProfile
from trialatlas.text.packaged import packaged_json

# An episode the note dates this many days back or more is of the past (as a medicine's is).
PAST_EPISODE_DAYS = 28


@cache
def _cues() -> tuple[re.Pattern[str], re.Pattern[str]]:
    data = packaged_json("trialatlas.match", "note_cues.json")
    past = re.compile("|".join(data["past_infection"]), re.IGNORECASE)
    return past, re.compile(data["ongoing_infection"], re.IGNORECASE)


def is_infection(concept: str | None) -> bool:
    """Whether a concept is an infection: one whose broader concepts include "infection", or one the
    vocabulary gives pathogens for ("hepatitis" is HBV or HCV: ``caused_by``)."""
    if concept is None:
        return False
    return "infection" in broader_concepts(concept) or bool(conditions().get(concept, {}).get("caused_by"))


def _of_the_past(condition: PatientCondition, clause: str) -> bool:
    past, ongoing = _cues()
    if ongoing.search(clause) or "active" in condition.course:
        return False
    dated = condition.days_ago is not None and condition.days_ago >= PAST_EPISODE_DAYS
    return condition.historical or dated or past.search(clause) is not None


def past_infection(
    rule: ConditionRule, patient: PatientProfile, clause_of: Callable[[Evidence | None], str]
) -> tuple[Truth, str, list[Evidence]] | None:
    """Unknown when every mention of the infection a criterion about now asks for is of the past;
    None (the ordinary reading) otherwise. ``clause_of`` gives a mention's clause in its sentence."""
    if rule.experiencer != "patient" or not is_infection(rule.concept):
        return None
    mentions = [
        c
        for c in patient.conditions
        if c.concept and rule.concept in broader_concepts(c.concept) and c.present and not c.family
    ]
    if not mentions or not all(_of_the_past(c, clause_of(c.evidence)) for c in mentions):
        return None
    first = mentions[0]
    return outcome(
        "unknown", f"{first.name}: an episode of the past; not stated as present now", first.evidence
    )
