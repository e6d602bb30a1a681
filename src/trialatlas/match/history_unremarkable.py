"""A history the note calls unremarkable (issue #14): "Past medical history is unremarkable", "PMH
noncontributory", "no significant past medical history" say the patient has no past disease the note
does not name, and "Family history is unremarkable" the same of the relatives. Such a note answers a
criterion about a disease's history ("History of myocardial infarction", "Prior seizures", "Chronic
kidney disease") with "not met"; a disease named without a history or a chronic course ("Esophageal
cancer") may be the present illness under workup, so it stays open, and so do habits (social history),
findings only suspected and what an examination shows ("Physical examination unremarkable" is no
history). The cues are data (``history_unremarkable``, ``family_history_unremarkable`` in
``note_cues.json``)."""

from __future__ import annotations

import re
from functools import cache

from trialatlas.extract.criteria.rules import ConditionRule
from trialatlas.extract.criteria.vocab import conditions
from trialatlas.match.logic import Truth, outcome
from trialatlas.match.patient_model import Evidence, PatientProfile, evidence_at
from trialatlas.text.packaged import packaged_json

# Windows that reach back over the patient's past ("within 6 months", "prior", "history of").
_PAST_RELATIONS = frozenset({"history", "within", "before", "since"})


@cache
def _cues(key: str) -> re.Pattern[str]:
    cues = packaged_json("trialatlas.match", "note_cues.json")[key]
    return re.compile("|".join(f"(?:{cue})" for cue in cues), re.IGNORECASE)


def read_unremarkable_history(profile: PatientProfile, sentence: str) -> None:
    """Set the profile's ``history_unremarkable`` / ``family_history_unremarkable`` from one sentence."""
    if _cues("history_unremarkable").search(sentence):
        profile.history_unremarkable = True
    if _cues("family_history_unremarkable").search(sentence):
        profile.family_history_unremarkable = True


def _about_the_past(rule: ConditionRule) -> bool:
    """Whether the criterion asks about the disease's history or a standing disease: "history of",
    "prior", a window reaching back, or a chronic course."""
    window = rule.window.relation if rule.window is not None else None
    return rule.historical or window in _PAST_RELATIONS or "chronic" in rule.course


def unremarkable_history(
    rule: ConditionRule, patient: PatientProfile
) -> tuple[Truth, str, list[Evidence]] | None:
    """ "false" for a past disease the note does not name when it calls the history unremarkable; None
    where that says nothing (another question, a habit, a history the note does not describe)."""
    family = rule.experiencer == "family"
    complete = patient.family_history_unremarkable if family else patient.history_unremarkable
    if not complete or rule.concept is None or rule.hypothetical:
        return None
    if conditions().get(rule.concept, {}).get("habit") or not (family or _about_the_past(rule)):
        return None
    whose = "family history" if family else "past medical history"
    cue = _cues("family_history_unremarkable" if family else "history_unremarkable")
    evidence = next(
        (
            evidence_at(index, sentence, found.start(), found.end())
            for index, sentence in enumerate(patient.sentences)
            if (found := cue.search(sentence))
        ),
        None,
    )
    return outcome("false", f"{whose} unremarkable: no {rule.name}", evidence)


__all__ = ["read_unremarkable_history", "unremarkable_history"]
