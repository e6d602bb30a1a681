"""A stable dose (issue #14): "on a stable dose of hydroxychloroquine for at least 8 weeks" asks more
than that the patient takes it. The note says a dose is stable ("stable dose for 1 year", "dose
unchanged for the past 6 months", "continued hydroxychloroquine") or that it changed ("increased last
month", "started 2 weeks ago"; cues ``medication_stable`` and ``medication_changed`` in
``note_cues.json``, data), and for how long, in the words between the medicine and the next one. A
patient who takes the medicine with none of this said is unknown, never met; a change inside the period
the criterion asks for, or a stable spell shorter than it, is not met."""

from __future__ import annotations

import re
from functools import cache

from trialatlas.extract.criteria.rules import MedicationRule
from trialatlas.extract.criteria.vocab import NUMBER_WORD_PATTERN, number_value
from trialatlas.match.note_person import days_ago
from trialatlas.match.patient_model import PatientMedication
from trialatlas.text.packaged import packaged_json

_UNIT_DAYS = {"day": 1.0, "week": 7.0, "month": 30.44, "year": 365.25}
_DURATION = re.compile(
    r"\bfor\s+(?:the\s+)?(?:past\s+|last\s+|previous\s+|over\s+|more\s+than\s+|at\s+least\s+)?"
    rf"(?P<amount>\d+(?:\.\d+)?|{NUMBER_WORD_PATTERN}|a|an)\s+(?P<unit>days?|weeks?|months?|years?)\b",
    re.IGNORECASE,
)
_LAST = re.compile(r"\b(?:last|past)\s+(?P<unit>week|month|year)\b|\byesterday\b", re.IGNORECASE)
# The criterion's windows that give the length of the stable spell it asks for.
_SPELL_RELATIONS = frozenset({"duration", "before", "within", "since"})


@cache
def _cues(key: str) -> re.Pattern[str]:
    cues = packaged_json("trialatlas.match", "note_cues.json")[key]
    return re.compile(r"\b(?:" + "|".join(f"(?:{cue})" for cue in cues) + r")\b", re.IGNORECASE)


def _days(amount: str, unit: str) -> float | None:
    value = 1.0 if amount.lower() in ("a", "an") else number_value(amount)
    return None if value is None else value * _UNIT_DAYS[unit.lower().rstrip("s")]


def stability(words: str, age_years: float | None) -> tuple[bool | None, float | None]:
    """What the words about one medicine say of its dose: stable (True), changed (False) or not said
    (None), and for how many days it has been as it is now, when they say."""
    if _cues("medication_changed").search(words):
        since = days_ago(words, age_years)
        last = _LAST.search(words)
        if since is None and last is not None:
            since = _UNIT_DAYS[last["unit"].lower()] if last["unit"] else 1.0
        return False, since
    if _cues("medication_stable").search(words):
        spell = _DURATION.search(words)
        return True, _days(spell["amount"], spell["unit"]) if spell else None
    return None, None


def stable_check(rule: MedicationRule, medication: PatientMedication) -> tuple[bool | None, str]:
    """Whether the patient's dose of a medicine they take is stable as the criterion asks."""
    window = rule.window
    needed = window.days if window is not None and window.relation in _SPELL_RELATIONS else None
    name = medication.name
    asked = f" (criterion: {window.span.text})" if needed and window is not None else ""
    days = medication.stable_days
    if medication.stable is None:
        return None, f"patient takes {name}; stability of the dose not stated"
    if medication.stable is False:
        if days is not None and needed:
            held = days >= needed
            return held, f"{name} changed {days:.0f} days ago{asked}"
        return None, f"{name} changed; when, against the period asked, not stated"
    if not needed:
        return True, f"patient takes a stable dose of {name}"
    if days is None:
        return None, f"{name} stable; for how long not stated{asked}"
    return days >= needed, f"{name} stable for {days:.0f} days{asked}"


__all__ = ["stability", "stable_check"]
