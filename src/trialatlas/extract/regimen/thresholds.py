"""Patient thresholds a dose applies under: weight bands ("if < 50 kg", "patients weighing 40-60 kg",
"(pts > 60 kg)") and kidney function ("CrCl >= 50 mL/min", "eGFR 30-59").

These are never doses (the spec); they become :class:`Condition` s of kind ``threshold`` on the dose they
qualify, so that the dose calculator can choose the dose that fits a patient. A threshold belongs to the
dose just before it when nothing but the dose's own words lies between ("500 mg twice daily if the
weight is less than 50 kg"); otherwise, and when it opens the statement ("If < 50 kg: 500 mg", "Subjects
< 50 kg will receive ..."), to the dose just after it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from trialatlas.extract.regimen.clauses import Sentence
from trialatlas.extract.regimen.models import Condition, RegimenItem

_NUMBER = r"(\d+(?:\.\d+)?)"
_COMPARATOR = (
    r"(<=|>=|</=|>/=|=<|=>|≤|≥|<|>|less\s+than\s+or\s+equal\s+to|greater\s+than\s+or\s+equal\s+to|"
    r"more\s+than\s+or\s+equal\s+to|less\s+than|lower\s+than|below|under|more\s+than|greater\s+than|above|"
    r"over|at\s+least|at\s+most|up\s+to)"
)
_KG = r"\s*(?:kg|kgs|kilograms?)\b"
_WEIGHT_CONTEXT = (
    r"(?:weigh\w*|weight|bw|body\s*weight|pts|patients?|subjects?|participants?|children|if|when|for)"
)
_WEIGHT_BOUND = re.compile(
    r"(?:\b" + _WEIGHT_CONTEXT + r"\b[^.;:\d<>≤≥]{0,40}?)?" + _COMPARATOR + r"\s*" + _NUMBER + _KG,
    re.IGNORECASE,
)
_WEIGHT_BAND = re.compile(
    r"\b" + _WEIGHT_CONTEXT + r"\b[^.;:\d]{0,30}?" + _NUMBER + r"\s*(?:-|–|to)\s*" + _NUMBER + _KG,
    re.IGNORECASE,
)
_RENAL = re.compile(
    r"\b(?:CrCl|CLcr|creatinine\s+clearance|e?GFR)\b\s*(?:of\s+|is\s+)?"
    + _COMPARATOR
    + r"\s*"
    + _NUMBER
    + r"(?:\s*mL\s*/\s*min(?:\s*/\s*1\.73\s*m2)?)?",
    re.IGNORECASE,
)
# Every weight threshold ends in a number of kilograms and every kidney one names its measure: a text with
# neither (most, "mg/kg" being no number of kilograms) skips the scans below, each tried at every position.
_NUMBER_KG = re.compile(r"\d" + _KG, re.IGNORECASE)
_RENAL_WORDS = ("crcl", "clcr", "creatinine", "gfr")
_SEPARATOR = re.compile(r"[;:]|\bor\b|\band\b\s+(?=\d)", re.IGNORECASE)

_BELOW = {"<", "less than", "lower than", "below", "under"}
_AT_MOST = {"<=", "</=", "=<", "≤", "less than or equal to", "at most", "up to"}
_ABOVE = {">", "more than", "greater than", "above", "over"}
_AT_LEAST = {">=", ">/=", "=>", "≥", "greater than or equal to", "more than or equal to", "at least"}


@dataclass(frozen=True, slots=True)
class Threshold:
    start: int
    end: int
    condition: Condition


def find_thresholds(text: str) -> list[Threshold]:
    """Every weight band or kidney-function threshold in ``text``, in order, without overlaps."""
    found: list[Threshold] = []
    weighed = _NUMBER_KG.search(text) is not None
    for match in _WEIGHT_BAND.finditer(text) if weighed else ():
        low, high = float(match.group(1)), float(match.group(2))
        if low < high:
            condition = _condition(match.group(0), "weight", low, high, "kg")
            found.append(Threshold(match.start(), match.end(), condition))
    scans = [(_WEIGHT_BOUND, "weight", "kg")] if weighed else []
    # Case-folding matches a few non-ASCII letters to ASCII ones: only an ASCII text is tested by its words.
    if not text.isascii() or any(word in text.lower() for word in _RENAL_WORDS):
        scans.append((_RENAL, "renal function", "mL/min"))
    for pattern, measure, unit in scans:
        for match in pattern.finditer(text):
            if any(t.start <= match.start() < t.end or match.start() <= t.start < match.end() for t in found):
                continue
            comparator = " ".join(match.group(1).lower().split())
            bound = _bound(match.group(0), measure, comparator, float(match.group(2)), unit)
            if bound is not None:
                found.append(Threshold(match.start(), match.end(), bound))
    return sorted(found, key=lambda t: t.start)


def _condition(text: str, measure: str, low: float | None, high: float | None, unit: str) -> Condition:
    return Condition(
        kind="threshold",
        text=" ".join(text.split()),
        measure="weight" if measure == "weight" else "renal function",
        low=low,
        high=high,
        unit=unit,
    )


def _bound(text: str, measure: str, comparator: str, value: float, unit: str) -> Condition | None:
    condition = _condition(text, measure, None, None, unit)
    if comparator in _BELOW:
        return condition.model_copy(update={"high": value, "high_open": True})
    if comparator in _AT_MOST:
        return condition.model_copy(update={"high": value})
    if comparator in _ABOVE:
        return condition.model_copy(update={"low": value, "low_open": True})
    if comparator in _AT_LEAST:
        return condition.model_copy(update={"low": value})
    return None


def attach_thresholds(text: str, items: list[RegimenItem], sentences: list[Sentence]) -> None:
    """Give each dose the thresholds that qualify it (see the module's rule)."""
    dosed = [item for item in items if item.dose is not None]
    if not dosed or not any(
        word in text.lower() for word in ("kg", "kilogram", "crcl", "clcr", "gfr", "clearance")
    ):
        return
    for threshold in find_thresholds(text):
        sentence = next((s for s in sentences if s.start <= threshold.start < s.end), None)
        if sentence is None:
            continue
        inside = [
            i for i in dosed if sentence.start <= i.start < sentence.end and not _overlaps(i, threshold)
        ]
        before = [i for i in inside if i.end <= threshold.start]
        after = [i for i in inside if i.start >= threshold.end]
        owner: RegimenItem | None = None
        if before and not _opens_next(text, threshold, after):
            gap = text[before[-1].end : threshold.start]
            if not _SEPARATOR.search(gap):
                owner = before[-1]
        if owner is None and after:
            owner = after[0]
        if owner is not None and threshold.condition not in owner.conditions:
            owner.conditions.append(threshold.condition)


def _overlaps(item: RegimenItem, threshold: Threshold) -> bool:
    return item.start < threshold.end and threshold.start < item.end


def _opens_next(text: str, threshold: Threshold, after: list[RegimenItem]) -> bool:
    """ "If < 50 kg: 500 mg": a threshold followed by a colon opens the next dose's statement."""
    if not after:
        return False
    return text[threshold.end : after[0].start].strip().startswith(":")
