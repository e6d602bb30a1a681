"""The vocabularies (analytes, drugs, conditions, infections, procedures) and fast matchers over them.

Each vocabulary file maps a concept to the names criteria and notes use for it. Names are matched
case-insensitively on word boundaries, longest first; abbreviations only as written (so "LN" is lupus
nephritis but "ln" inside a word or the English "ms" are not). A matcher is one compiled alternation,
so finding every concept in a criterion is one regex scan.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

_NUMBER_WORDS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "eighteen": 18, "twenty": 20, "twenty-four": 24, "thirty": 30, "forty": 40, "forty-eight": 48,
    "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100,
    "a": 1, "an": 1, "single": 1, "once": 1, "twice": 2, "half": 0.5, "several": 3, "few": 3,
}
NUMBER_WORD_PATTERN = "|".join(sorted((w for w in _NUMBER_WORDS if len(w) > 2), key=len, reverse=True))


def number_value(text: str) -> float | None:
    """A number from digits ("1,500", "0.5", "1.5") or words ("three", "twice")."""
    cleaned = text.strip().lower().replace(",", "")
    if cleaned in _NUMBER_WORDS:
        return float(_NUMBER_WORDS[cleaned])
    try:
        return float(cleaned)
    except ValueError:
        return None


@dataclass(frozen=True)
class Mention:
    start: int
    end: int
    text: str
    concept: str


class Matcher:
    """Finds the concepts of one vocabulary in text: one case-insensitive and one case-sensitive pass."""

    def __init__(self, names: dict[str, str], abbreviations: dict[str, str]) -> None:
        self._names = names
        self._abbreviations = abbreviations
        self._pattern = self._compile(names, re.IGNORECASE)
        self._abbrev_pattern = self._compile(abbreviations, 0)

    @staticmethod
    def _compile(table: dict[str, str], flags: int) -> re.Pattern[str] | None:
        if not table:
            return None
        alternation = "|".join(re.escape(name) for name in sorted(table, key=len, reverse=True))
        return re.compile(rf"(?<![\w-])(?:{alternation})(?![\w]|-(?=[a-z]{{3}}))", flags)

    def find(self, text: str) -> list[Mention]:
        """Non-overlapping mentions, longest first where two would overlap."""
        found: list[Mention] = []
        if self._pattern is not None:
            for match in self._pattern.finditer(text):
                found.append(Mention(match.start(), match.end(), match.group(0), self._names[match.group(0).lower()]))
        if self._abbrev_pattern is not None:
            for match in self._abbrev_pattern.finditer(text):
                if not any(m.start < match.end() and match.start() < m.end for m in found):
                    found.append(Mention(match.start(), match.end(), match.group(0), self._abbreviations[match.group(0)]))
        found.sort(key=lambda m: (m.start, -(m.end - m.start)))
        return found

    def concept_of(self, name: str) -> str | None:
        return self._names.get(name.lower()) or self._abbreviations.get(name)

    def names(self) -> Iterator[tuple[str, str]]:
        yield from self._names.items()


@cache
def _load(name: str) -> dict[str, Any]:
    text = resources.files("trialatlas.extract.criteria").joinpath("vocab", name).read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    data.pop("_comment", None)
    return data


def _build(entries: dict[str, Any]) -> Matcher:
    names: dict[str, str] = {}
    abbreviations: dict[str, str] = {}
    for concept, entry in entries.items():
        for name in entry.get("names", []):
            names.setdefault(name.lower(), concept)
        for abbrev in entry.get("abbrev", []):
            abbreviations.setdefault(abbrev, concept)
    return Matcher(names, abbreviations)


@cache
def analytes() -> dict[str, Any]:
    return _load("analytes.json")


@cache
def analyte_matcher() -> Matcher:
    # Short analyte names ("hb", "alt", "ef") are case-insensitive: criteria write "Hb", "HB", "hb".
    return _build(analytes())


@cache
def conditions() -> dict[str, Any]:
    return _load("conditions.json")


@cache
def condition_matcher() -> Matcher:
    return _build(conditions())


@cache
def broader_concepts(concept: str) -> frozenset[str]:
    """``concept`` and every concept it falls under, transitively."""
    table = conditions()
    seen: set[str] = set()
    stack = [concept]
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        stack.extend(table.get(current, {}).get("broader", []))
    return frozenset(seen)


@cache
def infections() -> dict[str, Any]:
    return _load("infections.json")


@cache
def infection_matcher() -> Matcher:
    return _build(infections())


@cache
def procedures() -> dict[str, Any]:
    return _load("procedures.json")


@cache
def procedure_matcher() -> Matcher:
    return _build(procedures())


@cache
def drug_data() -> dict[str, Any]:
    return _load("drugs.json")


@cache
def drug_matcher() -> Matcher:
    return _build(drug_data()["drugs"])


@cache
def drug_class_matcher() -> Matcher:
    names: dict[str, str] = {}
    for drug_class, class_names in drug_data()["classes"].items():
        for name in class_names:
            names.setdefault(name.lower(), drug_class)
    return Matcher(names, {})


def drug_classes(drug: str) -> list[str]:
    entry = drug_data()["drugs"].get(drug, {})
    classes: list[str] = entry.get("classes", [])
    return classes


__all__ = [
    "Matcher",
    "Mention",
    "NUMBER_WORD_PATTERN",
    "analyte_matcher",
    "analytes",
    "broader_concepts",
    "condition_matcher",
    "conditions",
    "drug_class_matcher",
    "drug_classes",
    "drug_data",
    "drug_matcher",
    "infection_matcher",
    "infections",
    "number_value",
    "procedure_matcher",
    "procedures",
]
