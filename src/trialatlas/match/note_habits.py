"""Smoking and drinking as notes state them ("never smoker", "quit smoking", "drinks six beers a
night"): phrases the condition vocabulary cannot read word by word, since the habit's status is in
the same word as the habit ("non-smoker") or in a verb ("smoked … until she quit"). Cues are data
(``habits`` in ``note_cues.json``)."""

from __future__ import annotations

import re
from functools import cache

from trialatlas.extract.criteria.negation import note_context_of
from trialatlas.match.note_person import days_ago
from trialatlas.match.patient_model import PatientCondition, PatientProfile, evidence_at
from trialatlas.text.numbers import number_words
from trialatlas.text.packaged import packaged_json


@cache
def _intent() -> re.Pattern[str]:
    return re.compile(packaged_json("trialatlas.match", "note_cues.json")["habit_intent"], re.IGNORECASE)


@cache
def _habits() -> tuple[tuple[dict[str, re.Pattern[str] | None], str, re.Pattern[str]], ...]:
    """Each habit's concepts, status and pattern. A pattern of a list ("denies tobacco, alcohol or
    illicit drug use") names its concepts by a word each, and states those whose word it holds."""
    cues = packaged_json("trialatlas.match", "note_cues.json")
    habits: list[tuple[dict[str, re.Pattern[str] | None], str, re.Pattern[str]]] = []
    for habit in cues["habits"]:
        concepts: dict[str, re.Pattern[str] | None] = (
            {c: re.compile(rf"\b(?:{word})\b", re.IGNORECASE) for c, word in habit["concepts"].items()}
            if "concepts" in habit
            else {habit["concept"]: None}
        )
        habits.append((concepts, habit["status"], re.compile("|".join(habit["patterns"]), re.IGNORECASE)))
    return tuple(habits)


def read_habits(profile: PatientProfile, index: int, sentence: str) -> list[tuple[int, int]]:
    """Add the habits a sentence states and return their spans (so that "smoker" inside "non
    smoker" is not read again as a smoker, nor "cocaine" in "abstinent from cocaine" as a medicine)."""
    spans: list[tuple[int, int]] = []
    taken: dict[str, list[tuple[int, int]]] = {}
    for concepts, status, pattern in _habits():
        for match in pattern.finditer(sentence):
            start, end = match.span()
            stated = [c for c, word in concepts.items() if word is None or word.search(match.group(0))]
            # A span read for one habit is not read again for it; another habit may share it
            # ("abstinent from alcohol and cocaine").
            stated = [c for c in stated if not any(s < end and start < e for s, e in taken.get(c, []))]
            if not stated:
                continue
            if status == "past" and _intent().search(sentence[max(0, start - 30) : start]):
                continue  # "advised to quit smoking": an intention, and he smokes still
            context = note_context_of(sentence, start, end)
            if context.hypothetical is not None:
                continue  # "advised to quit smoking": what may be, not what is
            negated = context.negated if status == "present" else False
            clause = sentence[max(0, start - 80) : end + 80]
            for concept in stated:
                profile.conditions.append(
                    PatientCondition(
                        name=match.group(0),
                        concept=concept,
                        present=status != "absent" and not negated,
                        family=context.family is not None,
                        historical=status == "past",
                        # A habit given up is in remission (DSM's word for a use disorder no longer
                        # active): what tells it from a bare "history of" one.
                        course=["remission"] if status == "past" else [],
                        days_ago=days_ago(clause, profile.age_years) if status == "past" else None,
                        evidence=evidence_at(index, sentence, start, end),
                    )
                )
                taken.setdefault(concept, []).append((start, end))
            spans.append((start, end))
    return spans


# Counts of drinks in words ("two beers", "a glass"): the one reader of number words.
_NUMBER_WORDS = number_words("cardinals", "articles", low=1, high=99)
_COUNT = r"(?:\d+(?:\.\d+)?|" + _NUMBER_WORDS.pattern() + ")"
_DRINK_COUNT = re.compile(
    rf"\b(?P<low>{_COUNT})(?:\s*(?:to|-|or)\s*(?P<high>{_COUNT}))?\s+(?:[a-z]+\s+){{0,2}}?"
    r"(?:beers?|drinks|glass(?:es)?|shots?|cans?|pints?|bottles?)\b",
    re.IGNORECASE,
)


@cache
def _drinking() -> tuple[
    dict[str, float], dict[re.Pattern[str], float], re.Pattern[str], re.Pattern[str], re.Pattern[str]
]:
    data = packaged_json("trialatlas.match", "note_cues.json")["drinking_amount"]
    limits = {"heavy": float(data["heavy_from_per_day"]), "light": float(data["light_up_to_per_day"])}
    amounts = {re.compile(rf"\b{words}\b", re.IGNORECASE): float(n) for words, n in data["drinks"].items()}
    return (
        limits,
        amounts,
        re.compile(rf"\b(?:{data['per_day']})\b", re.IGNORECASE),
        re.compile(rf"\b(?:{data['per_week']})\b", re.IGNORECASE),
        re.compile(rf"\b(?:{data['light_words']})\b", re.IGNORECASE),
    )


def _count(word: str) -> float:
    return _NUMBER_WORDS.value(word) or float(word)


def drinking_level(clause: str) -> str | None:
    """ "heavy", "light" or None (not said, or between) for the clause that says a patient drinks:
    "drinks 8 to 10 beers every day" is heavy, "one glass of wine a week" and "drinks socially" light
    (``drinking_amount`` in ``note_cues.json``)."""
    limits, amounts, per_day, per_week, light_words = _drinking()
    low = high = None
    count = _DRINK_COUNT.search(clause)
    if count is not None:
        low = _count(count["low"])
        high = _count(count["high"]) if count["high"] else low
    else:
        named = next((n for pattern, n in amounts.items() if pattern.search(clause)), None)
        low = high = named
    if low is not None and high is not None:
        if per_day.search(clause):
            days = 1.0
        elif per_week.search(clause):
            days = 7.0
        else:
            days = 0.0
        if days:
            if low / days >= limits["heavy"]:
                return "heavy"
            if high / days <= limits["light"]:
                return "light"
            return None
    if light_words.search(clause):
        return "light"
    return None
