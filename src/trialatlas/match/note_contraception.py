"""Contraception from a note: whether the woman uses a method ("a copper IUD in place", "taking a
combined oral contraceptive pill") or says she uses none ("uses no contraception", "declines all forms
of contraception"). Methods and the words that put one in use are data (``contraception`` in
``note_cues.json``); a method the note names outside a use ("contraceptive history not documented"),
planned, past or someone else's says nothing."""

from __future__ import annotations

import re
from functools import cache

from trialatlas.extract.criteria.negation import note_context_of
from trialatlas.match.patient_model import PatientProfile
from trialatlas.text.packaged import packaged_json

# What ends a clause: a method is in use only by words of its own clause.
_CLAUSE_END = re.compile(r"[.;:!?]")


@cache
def _cues() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    cues = packaged_json("trialatlas.match", "note_cues.json")["contraception"]
    methods = "|".join(sorted(cues["methods"], key=len, reverse=True))
    return (
        re.compile(rf"\b(?:{methods})\b", re.IGNORECASE),
        re.compile(cues["use"], re.IGNORECASE),
        re.compile(cues["refused"], re.IGNORECASE),
        re.compile(cues["in_place"], re.IGNORECASE),
    )


def read_contraception(profile: PatientProfile, sentence: str) -> None:
    """Set ``profile.contraception`` from one sentence: a method in use says True, one denied says
    False (a method in use anywhere in the note wins over a denial)."""
    methods, use, refused, in_place = _cues()
    for match in methods.finditer(sentence):
        start, end = match.span()
        clause_start = max((m.end() for m in _CLAUSE_END.finditer(sentence, 0, start)), default=0)
        before = sentence[clause_start:start]
        refusal = refused.search(before) is not None
        if not (refusal or use.search(before) or in_place.match(sentence, end)):
            continue
        context = note_context_of(sentence, start, end)
        if refusal or context.negated:
            profile.contraception = profile.contraception or False
        elif context.hypothetical is None and context.historical is None and context.family is None:
            profile.contraception = True


__all__ = ["read_contraception"]
