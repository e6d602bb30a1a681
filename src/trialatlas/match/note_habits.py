"""Smoking and drinking as notes state them ("never smoker", "quit smoking", "drinks six beers a
night"): phrases the condition vocabulary cannot read word by word, since the habit's status is in
the same word as the habit ("non-smoker") or in a verb ("smoked … until she quit"). Cues are data
(``habits`` in ``note_cues.json``)."""

from __future__ import annotations

import re
from functools import cache

from trialatlas.extract.criteria.negation import context_of
from trialatlas.match.note_person import days_ago
from trialatlas.match.patient_model import PatientCondition, PatientProfile, evidence_at
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
            context = context_of(sentence, start, end)
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
                        days_ago=days_ago(clause, profile.age_years) if status == "past" else None,
                        evidence=evidence_at(index, sentence, start, end),
                    )
                )
                taken.setdefault(concept, []).append((start, end))
            spans.append((start, end))
    return spans
