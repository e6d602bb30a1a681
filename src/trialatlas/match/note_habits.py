"""Smoking and drinking as notes state them ("never smoker", "quit smoking", "drinks six beers a
night"): phrases the condition vocabulary cannot read word by word, since the habit's status is in
the same word as the habit ("non-smoker") or in a verb ("smoked … until she quit"). Cues are data
(``habits`` in ``note_cues.json``)."""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources

from trialatlas.extract.criteria.negation import context_of
from trialatlas.match.note_person import days_ago
from trialatlas.match.patient_model import PatientCondition, PatientProfile, evidence_at


@cache
def _intent() -> re.Pattern[str]:
    text = resources.files("trialatlas.match").joinpath("note_cues.json").read_text("utf-8")
    return re.compile(json.loads(text)["habit_intent"], re.IGNORECASE)


@cache
def _habits() -> tuple[tuple[str, str, re.Pattern[str]], ...]:
    text = resources.files("trialatlas.match").joinpath("note_cues.json").read_text("utf-8")
    return tuple(
        (habit["concept"], habit["status"], re.compile("|".join(habit["patterns"]), re.IGNORECASE))
        for habit in json.loads(text)["habits"]
    )


def read_habits(profile: PatientProfile, index: int, sentence: str) -> list[tuple[int, int]]:
    """Add the habits a sentence states and return their spans (so that "smoker" inside "non
    smoker" is not read again as a smoker)."""
    spans: list[tuple[int, int]] = []
    for concept, status, pattern in _habits():
        for match in pattern.finditer(sentence):
            start, end = match.span()
            if any(s < end and start < e for s, e in spans):
                continue
            if status == "past" and _intent().search(sentence[max(0, start - 30) : start]):
                continue  # "advised to quit smoking": an intention, and he smokes still
            context = context_of(sentence, start, end)
            if context.hypothetical is not None:
                continue  # "advised to quit smoking": what may be, not what is
            negated = context.negated if status == "present" else False
            clause = sentence[max(0, start - 80) : end + 80]
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
            spans.append((start, end))
    return spans
