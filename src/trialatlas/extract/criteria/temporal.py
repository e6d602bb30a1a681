"""Time windows in criteria: "within the past 12 weeks", "2 years prior to enrollment", "for 3 days".

A window has a relation (within a period before now / an anchor, a duration something lasted, a gap
before or after an anchor), an amount with its unit, that amount in days, and the anchor it counts
from ("enrollment", "randomization", "screening") when the text names one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache

from trialatlas.extract.criteria.trigger_words import TriggerWords, trigger_words, triggers_in
from trialatlas.extract.criteria.vocab import NUMBER_WORD_PATTERN, number_value

_DAYS_PER_UNIT = {
    "minutes": 1 / 1440,
    "hours": 1 / 24,
    "days": 1.0,
    "weeks": 7.0,
    "months": 30.44,
    "years": 365.25,
}
_UNIT_WORDS = {
    "min": "minutes",
    "mins": "minutes",
    "minute": "minutes",
    "minutes": "minutes",
    "h": "hours",
    "hr": "hours",
    "hrs": "hours",
    "hour": "hours",
    "hours": "hours",
    "d": "days",
    "day": "days",
    "days": "days",
    "wk": "weeks",
    "wks": "weeks",
    "week": "weeks",
    "weeks": "weeks",
    "mo": "months",
    "mos": "months",
    "month": "months",
    "months": "months",
    "y": "years",
    "yr": "years",
    "yrs": "years",
    "year": "years",
    "years": "years",
}
_NUM = rf"(?:\d+(?:\.\d+)?|{NUMBER_WORD_PATTERN})(?:\s*\(\s*\d+(?:\.\d+)?\s*\))?"
_UNIT = r"(?:minutes?|mins?|hours?|hrs?|hr|h|days?|d|weeks?|wks?|wk|months?|mos?|years?|yrs?|yr|y)"
_RANGE = (
    rf"(?P<amount>{_NUM})(?:\s*(?:-|–|to|or)\s*(?P<high>{_NUM}))?\s*-?\s*"
    rf"(?P<consecutive>consecutive\s+)?(?P<unit>{_UNIT})\b"
)
_ANCHOR = (
    r"(?P<anchor>(?:the\s+)?(?:study\s+|trial\s+)?(?:enrol(?:l)?ment|entry|screening|randomi[sz]ation|baseline|"
    r"inclusion|admission|first\s+dose|day\s+1|study\s+start|the\s+start\s+of\s+(?:the\s+)?study|"
    r"signing\s+(?:the\s+)?(?:informed\s+)?consent|the\s+study|visit\s+\d|treatment|surgery|diagnosis|"
    r"study\s+drug(?:\s+administration)?|inclusion\s+in\s+the\s+study))"
)

# The window patterns' sources, compiled on first use (see _patterns): compiling them costs a fresh
# process a tenth of a second, and many (a note read for matching) never look for a window.
_PATTERN_SOURCES: tuple[tuple[str, str], ...] = (
    (
        "within",
        rf"\b(?:within|during|in|over|for)\s+(?:the\s+)?(?:last|past|previous|preceding|prior|recent|first)\s+"
        rf"{_RANGE}(?:\s+(?:prior\s+to|before|preceding|of)\s+{_ANCHOR})?",
    ),
    (
        "within",
        rf"\bwithin\s+(?:the\s+)?(?:last\s+|past\s+|previous\s+)?{_RANGE}"
        rf"(?:\s+(?:prior\s+to|before|preceding|of|after|from|following)\s+{_ANCHOR})?",
    ),
    ("within", rf"\b(?:last|past|previous|preceding|recent)\s+{_RANGE}"),
    # "within the past year": one unit, its number left unsaid.
    (
        "within_one",
        r"\b(?:within|during|in|over)\s+the\s+(?:last|past|previous|preceding)\s+(?P<unit>year|month|week)\b",
    ),
    (
        "before",
        rf"\b(?:at\s+least\s+|more\s+than\s+|less\s+than\s+|<\s*|>\s*|≥\s*|≤\s*)?{_RANGE}\s+"
        rf"(?:or\s+(?:less|more)\s+)?(?:prior\s+to|before|preceding|ago|earlier)(?:\s+{_ANCHOR})?",
    ),
    # "No more than 7 weeks since prior surgery", "less than 4 weeks since": an upper bound on the time
    # since is a window reaching back ("within"), not a washout.
    (
        "within",
        rf"(?:\b(?:no|not)\s+more\s+than\s+|\b(?:less|fewer)\s+than\s+|\bup\s+to\s+|[<≤]\s*)"
        rf"{_RANGE}\s+(?:after|following|post|since)(?:\s+{_ANCHOR})?",
    ),
    ("after", rf"\b(?:at\s+least\s+)?{_RANGE}\s+(?:after|following|post|since)(?:\s+{_ANCHOR})?"),
    (
        "duration",
        rf"\b(?:for|lasting|of|over|since)\s+(?:at\s+least\s+|more\s+than\s+|less\s+than\s+|a\s+minimum\s+of\s+|"
        rf"over\s+|up\s+to\s+|≥\s*|>\s*)?{_RANGE}(?:\s+and\s+above)?",
    ),
    ("duration", rf"(?:[<>≤≥]=?\s*){_RANGE}"),
    ("duration", rf"\b{_RANGE}\s+(?:duration|history|or\s+(?:longer|more))\b"),
    ("since", rf"\bsince\s+(?:the\s+)?(?:last\s+)?{_ANCHOR}"),
    (
        "current",
        r"\b(?:current(?:ly)?|ongoing|active|at\s+(?:the\s+time\s+of\s+)?(?:screening|enrol(?:l)?ment|"
        r"randomi[sz]ation|baseline|inclusion|entry)|at\s+present|presently|concurrent(?:ly)?|concomitant)\b",
    ),
    ("history", r"\b(?:history\s+of|previous(?:ly)?|prior|past|ever\s+(?:had|received|used)|formerly)\b"),
)


@cache
def _patterns(lowered: bool) -> tuple[tuple[str, re.Pattern[str]], ...]:
    """The window patterns, for lower-cased text (none has a capital letter to match) or, ignoring
    case, for text as written."""
    flags = 0 if lowered else re.IGNORECASE
    return tuple((relation, re.compile(source, flags)) for relation, source in _PATTERN_SOURCES)


_ANY_NUMBER = re.compile(rf"\d|\b(?:{NUMBER_WORD_PATTERN})\b", re.IGNORECASE)
# Run on the lower-cased text: a unit word standing alone (case-insensitive patterns cost far more).
_UNIT_HINT = re.compile(
    r"(?:\b|(?<=\d))(?:min(?:ute)?s?|hours?|hrs?|h|days?|d|weeks?|wks?|months?|mos?|years?|yrs?|y)\b"
)
# Every quantified window has an amount and a unit: one search rules them all out.
_AMOUNT = re.compile(_RANGE, re.IGNORECASE)
_LOWER_AMOUNT = re.compile(_RANGE)
_HINTS: dict[str, TriggerWords] = {
    "current": trigger_words(("current", "ongoing", "active", "at ", "present", "concurrent", "concomitant")),
    "history": trigger_words(("history", "previous", "prior", "past", "ever", "formerly")),
    "since": trigger_words(("since",)),
    "within_one": trigger_words(("the last", "the past", "the previous", "the preceding")),
}


@dataclass(frozen=True)
class FoundWindow:
    start: int
    end: int
    text: str
    relation: str
    amount: float | None
    amount_high: float | None
    unit: str | None
    days: float | None
    anchor: str | None
    consecutive: bool


@lru_cache(maxsize=8192)
def find_windows(text: str) -> tuple[FoundWindow, ...]:
    """Non-overlapping windows in ``text``: quantified ones win over bare "history of" / "currently"."""
    found: list[FoundWindow] = []
    lowered = text.lower()
    # The patterns read the lower-cased text without ignoring case (which costs the engine a case fold
    # per character); a text whose length lower-casing changes is read as written.
    same_length = len(lowered) == len(text)
    subject, patterns = (lowered if same_length else text), _patterns(same_length)
    # Cheap checks first: most criteria have no time unit after a number, no "history" and no "since".
    regions = _amount_regions(subject, same_length) if _UNIT_HINT.search(lowered) is not None else []
    for relation, pattern in patterns:
        if relation in _HINTS:
            if triggers_in(lowered).isdisjoint(_HINTS[relation]):
                continue
            matches: Iterable[re.Match[str]] = pattern.finditer(subject)
        elif not regions:
            continue
        else:
            matches = (m for start, end in regions for m in pattern.finditer(subject, start, end))
        for match in matches:
            start, end = match.span()
            if any(w.start < end and start < w.end for w in found):
                continue
            groups = match.groupdict()
            amount = 1.0 if relation == "within_one" else _amount(groups.get("amount"))
            high = _amount(groups.get("high"))
            unit = _UNIT_WORDS.get((groups.get("unit") or "").lower())
            # A bare unit letter ("d", "h", "y") after a number is often a dose or an age ("2 y"): keep it
            # only in explicit time phrases.
            if unit and groups.get("unit", "").lower() in {"d", "h", "y"} and relation == "duration":
                continue
            days = amount * _DAYS_PER_UNIT[unit] if amount is not None and unit else None
            if high is not None and unit:
                days = high * _DAYS_PER_UNIT[unit]
            anchor = groups.get("anchor")
            found.append(
                FoundWindow(
                    start=start,
                    end=end,
                    text=text[start:end],
                    relation="within" if relation == "within_one" else relation,
                    amount=amount,
                    amount_high=high,
                    unit=unit,
                    days=days,
                    anchor=" ".join(anchor.lower().split()) if anchor else None,
                    consecutive=bool(groups.get("consecutive")),
                )
            )
    found.sort(key=lambda w: w.start)
    return tuple(found)


# How far a quantified window reaches around its amount and unit: a lead ("within the preceding")
# before, an anchor ("prior to signing the informed consent") after.
_LEAD_REACH = 70
_TAIL_REACH = 110


def _amount_regions(text: str, lowered: bool) -> list[tuple[int, int]]:
    """Stretches of ``text`` around each amount with a time unit, merged: only there can a quantified
    window match, so its seven patterns scan these instead of the whole criterion."""
    regions: list[tuple[int, int]] = []
    for match in (_LOWER_AMOUNT if lowered else _AMOUNT).finditer(text):
        start, end = max(0, match.start() - _LEAD_REACH), min(len(text), match.end() + _TAIL_REACH)
        if regions and start <= regions[-1][1]:
            regions[-1] = (regions[-1][0], end)
        else:
            regions.append((start, end))
    return regions


def _amount(text: str | None) -> float | None:
    if not text:
        return None
    # "three (3)" → the digits in brackets are the authoritative number.
    bracket = re.search(r"\(\s*(\d+(?:\.\d+)?)\s*\)", text)
    if bracket:
        return float(bracket[1])
    return number_value(text)


def quantified(windows: tuple[FoundWindow, ...]) -> list[FoundWindow]:
    return [w for w in windows if w.amount is not None]


__all__ = ["FoundWindow", "find_windows", "quantified"]
