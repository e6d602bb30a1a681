"""Sentences, target drug levels, dose adjustments and conditions of dosing text.

These are read per sentence: a target ("the concentration for tacrolimus is 5-10 ng/ml"), an
adjustment ("then reduce the dosage ... < 5 ng/ml", "taper the steroid to 5 mg/day") or a condition
("participants who do not flare will be randomised to ...") belongs with the doses around it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from trialatlas.extract.regimen.amounts import Amount
from trialatlas.extract.regimen.drugs import Mention
from trialatlas.extract.regimen.fastre import word_start_regex
from trialatlas.extract.regimen.models import Adjustment, Condition, TargetLevel

# A sentence ends at "[.!?](?=\s+[A-Z0-9•*\-\"'(\[])|\n+|[.!?]$|\s\d+\.\s(?=[A-Z])|•". Written as one class of
# the characters a boundary starts with, then what follows each (told apart by looking back at it), so that
# the engine skips to such a character instead of trying every alternative at every position of a text.
_BOUNDARY = re.compile(
    r"""[.!?\s•](?:(?<=[.!?])(?:(?=\s+[A-Z0-9•*\-"'(\[])|$)|(?<=\n)\n*|(?<=\s)\d+\.\s(?=[A-Z])|(?<=•))"""
)
# Period-ended abbreviations that do not end a sentence ("i.v.", "p.o.", "b.i.d.", "approx.").
_ABBREVIATION = re.compile(
    r"(?:\b(?:[a-zA-Z]\.){1,3}|\b(?:approx|vs|e\.g|i\.e|ca|no|nº|max|min|tab|tabs|cap|caps|inj|amp|sol|susp|"
    r"Dr|Fig|wk|wks|hr|hrs|mo|mos|yr|yrs|resp|incl|etc|ext)\.)$",
    re.IGNORECASE,
)


_LIST_END_BEFORE = re.compile(r"(?:\band|\bor|,|&|\bto|\bthrough|\bdays?|\bweeks?|\bD)\s*$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Sentence:
    start: int
    end: int


def sentences(text: str) -> list[Sentence]:
    """Sentence spans; a newline, a bullet or a numbered-list mark also starts a new one."""
    spans: list[Sentence] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        mark = match.group(0)[0]
        stop = mark in ".!?"
        cut = match.start() + 1 if stop else match.start()
        if mark.isspace() and _LIST_END_BEFORE.search(text, max(0, cut - 12), cut):
            # "on days 1 and 8. Cycles repeat": the number ends a list of days, not a numbered item.
            cut = match.end() - 1
        if stop and _ABBREVIATION.search(text[max(0, cut - 8) : cut]):
            continue
        if cut > start:
            spans.append(Sentence(start, cut))
        start = cut if mark != "\n" else match.end()
    if start < len(text):
        spans.append(Sentence(start, len(text)))
    return [s for s in spans if text[s.start : s.end].strip()]


_COMPARATORS = {
    "<": "<",
    "＜": "<",
    "≤": "<=",
    "<=": "<=",
    ">": ">",
    "≥": ">=",
    ">=": ">=",
    "less than": "<",
    "below": "<",
    "under": "<",
    "lower than": "<",
    "no more than": "<=",
    "not more than": "<=",
    "not exceeding": "<=",
    "above": ">",
    "greater than": ">",
    "more than": ">",
    "higher than": ">",
    "at least": ">=",
}
_COMPARATOR_BEFORE = re.compile(
    r"(<=|>=|≤|≥|<|>|＜|less\s+than|lower\s+than|below|under|no\s+more\s+than|not\s+more\s+than|not\s+exceeding|"
    r"above|greater\s+than|more\s+than|higher\s+than|at\s+least)\s*(?:of\s+)?$",
    re.IGNORECASE,
)
_MEASURE = re.compile(r"\b(trough|C0|C-?min|AUC|concentrations?|levels?|exposure)\b", re.IGNORECASE)
_UNIT_SPELLING = {"mcg": "µg", "ng": "ng", "mg": "mg", "g": "g"}


def target_from(text: str, amount: Amount, sentence: Sentence, mentions: list[Mention]) -> TargetLevel:
    """A target level from a concentration amount ("5-10 ng/ml", "< 5ng/ml", "30~50 μg.h/ml")."""
    before = text[max(sentence.start, amount.start - 80) : amount.start]
    comparator_match = _COMPARATOR_BEFORE.search(before)
    comparator = "range" if amount.low != amount.high else "="
    if comparator_match:
        comparator = _COMPARATORS.get(" ".join(comparator_match.group(1).lower().split()), "=")
    measures = _MEASURE.findall(before + text[amount.start : amount.end])
    measure = "level"
    if measures:
        word = measures[-1].lower()
        if word.startswith("auc") or "h" in amount.text.lower().split("/")[0][-3:]:
            measure = "AUC"
        elif word in {"trough", "c0", "cmin", "c-min"}:
            measure = "trough"
        elif word.startswith("concentration"):
            measure = "concentration"
    if re.search(r"[.·*×x]\s*h", amount.text):
        measure = "AUC"
    analyte = None
    for mention in mentions:
        if sentence.start <= mention.start < amount.start:
            analyte = mention.info.name
    per = amount.extras.get("per", "mL")
    unit_head = _UNIT_SPELLING.get(amount.unit, amount.unit)
    unit = f"{unit_head}·h/{_volume(per)}" if measure == "AUC" else f"{unit_head}/{_volume(per)}"
    low: float | None = amount.low
    high: float | None = amount.high
    if comparator in {"<", "<="}:
        low = None
    elif comparator in {">", ">="}:
        high = None
    return TargetLevel(
        analyte=analyte,
        measure=measure,
        low=low,
        high=high,
        comparator=comparator,
        unit=unit,
        text=text[
            max(
                sentence.start, amount.start - (len(comparator_match.group(0)) if comparator_match else 0)
            ) : amount.end
        ].strip(),
    )


def _volume(word: str) -> str:
    lowered = word.lower()
    return {"ml": "mL", "l": "L", "dl": "dL", "cc": "mL"}.get(lowered, word)


_ADJUST = word_start_regex(
    [
        (
            "kind",
            r"\b(?:taper(?:ed|ing)?|reduc(?:e|ed|ing|tion)|decreas(?:e|ed|ing)|lower(?:ed)?|increas(?:e|ed|ing)|"
            r"titrat(?:e|ed|ing|ion)|escalat(?:e|ed|ing|ion)|adjust(?:ed|ing|ment)?|switch(?:ed)?\s+to|"
            r"chang(?:e|ed)\s+to|stop(?:ped|ping)?|discontinu(?:e|ed|ing|ation)|withdraw(?:n|al)?|cease[ds]?)\b",
        )
    ]
)
_KIND = {
    "tap": "taper",
    "red": "reduce",
    "dec": "reduce",
    "low": "reduce",
    "inc": "increase",
    "tit": "titrate",
    "esc": "increase",
    "adj": "adjust",
    "swi": "switch",
    "cha": "switch",
    "sto": "stop",
    "dis": "stop",
    "wit": "stop",
    "cea": "stop",
}


@dataclass(frozen=True, slots=True)
class AdjustmentCue:
    start: int
    end: int
    kind: str


# What every adjustment cue starts with: most texts hold none, and a substring test is far cheaper than
# the pattern.
_ADJUST_STEMS = (
    "taper",
    "reduc",
    "decreas",
    "lower",
    "increas",
    "titrat",
    "escalat",
    "adjust",
    "switch",
    "chang",
    "stop",
    "discontinu",
    "withdraw",
    "ceas",
)


def adjustment_cues(text: str) -> list[AdjustmentCue]:
    lowered = text.lower()
    if not any(stem in lowered for stem in _ADJUST_STEMS):
        return []
    return [
        AdjustmentCue(m.start(), m.end(), _KIND[text[m.start() : m.start() + 3].lower()])
        for m, _ in _ADJUST.finditer(text)
    ]


def cue_drug(text: str, cue: AdjustmentCue, sentence: Sentence, mentions: list[Mention]) -> str | None:
    """The drug an adjustment names: the next one within a few words, else the last one before it."""
    after = [m for m in mentions if cue.end <= m.start < min(sentence.end, cue.end + 40)]
    if after:
        return after[0].info.name
    before = [m for m in mentions if sentence.start <= m.start < cue.start]
    return before[-1].info.name if before else None


def word_end(text: str, start: int, end: int) -> int:
    """``end``, or the end of the last whole word before it when a window cuts a word ("... monotherapy
    wit"): a note quoted from the text stops where one of its words does."""
    if end >= len(text) or not (text[end - 1 : end].isalnum() and text[end : end + 1].isalnum()):
        return end
    space = text.rfind(" ", start, end)
    return space if space > start else end


def make_adjustment(kind: str, drug: str | None, text: str, **extra: object) -> Adjustment:
    return Adjustment(kind=kind, drug=drug, text=" ".join(text.split()), **extra)


_CONDITION = word_start_regex(
    [
        (
            "who",
            r"\b(?:participants|patients|subjects|children|those|people|women|men|anyone)\s+(?:who|without|with|"
            r"that|whose|not\s+achieving|achieving|in\s+(?:remission|response))\b[^.;]*",
        ),
        ("if", r"\b(?:if|unless|when|in\s+case\s+of|provided\s+that|in\s+the\s+absence\s+of|until)\b[^.;]*"),
        (
            "random",
            r"\b(?:will\s+be\s+|are\s+|were\s+|be\s+)?(?:(?:re-?)?randomi[sz](?:ed|ation)|randomly\s+"
            r"(?:assigned|allocated|stop|switch|receive|withdraw)\w*)\b[^.;]*",
        ),
    ]
)
_RANDOM = re.compile(r"randomi[sz]|randomly", re.IGNORECASE)
_STOP_WORDS = re.compile(r"\b(?:stop|discontinu|withdraw|cease)", re.IGNORECASE)


def condition_reach(text: str) -> list[tuple[int, int]]:
    """The stretches the condition cues cover, read over the whole of ``text``: a sentence can hold a cue
    only if one of them overlaps it (every sentence starts after a non-word character, so a cue found in
    the sentence is found at the same place in the text, or lies inside a longer cue found there)."""
    return [match.span() for match, _ in _CONDITION.finditer(text)]


def find_conditions(text: str, sentence: Sentence) -> list[tuple[int, Condition]]:
    """Conditions in one sentence, with the offset each starts at."""
    found: list[tuple[int, Condition]] = []
    chunk = text[sentence.start : sentence.end]
    covered = -1
    for match, name in _CONDITION.finditer(chunk):
        if match.start() < covered:
            continue
        clause = " ".join(chunk[match.start() : match.end()].split()).rstrip(",; ")
        if len(clause) < 8:
            continue
        if _RANDOM.search(clause):
            kind = "randomisation"
        elif _STOP_WORDS.search(clause):
            kind = "stop"
        elif name == "who":
            kind = "population"
        else:
            kind = "if"
        found.append((sentence.start + match.start(), Condition(kind=kind, text=clause)))
        covered = match.end()
    return found
