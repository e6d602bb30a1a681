"""The vocabularies (analytes, conditions, infections, procedures) and fast matchers over them.

Drug names are not here: they come from the regimen vocabulary through :mod:`criteria.drugs`.

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
from functools import cache, lru_cache
from importlib import resources
from typing import Any

from trialatlas.text.numbers import number_words
from trialatlas.text.words import strip_accents

# Criteria count in words of every kind but "every other": "a few days", "twice", "half a year".
_NUMBER_WORDS = number_words("cardinals", "scales", "articles", "times", "fractions", "vague")
NUMBER_WORD_PATTERN = _NUMBER_WORDS.pattern(min_length=3)


def number_value(text: str) -> float | None:
    """A number from digits ("1,500", "0.5", "1.5") or words ("three", "twice")."""
    cleaned = text.strip().lower().replace(",", "")
    word = _NUMBER_WORDS.value(cleaned)
    if word is not None:
        return word
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


_TOKEN = re.compile(r"[A-Za-z0-9\u00C0-\u024F]+(?:[-'’][A-Za-z0-9\u00C0-\u024F]+)*")


def _tokens(text: str) -> tuple[str, ...]:
    return tuple(m.group(0).replace("’", "'") for m in _TOKEN.finditer(text))


@dataclass(frozen=True, slots=True)
class _Tokens:
    words: list[str]
    lowered: list[str]
    # The distinct tokens: a matcher intersects them with the first words it knows (in C) and looks
    # at positions only when something is shared.
    word_set: frozenset[str]
    lowered_set: frozenset[str]


def _fold(word: str) -> str:
    """``word`` without diacritics: criteria written by French or Spanish sponsors spell "béta
    thalassémie" or "anémia", which the (English) vocabularies know unaccented."""
    return strip_accents(word)


@lru_cache(maxsize=8192)
def _tokenize(text: str) -> _Tokens:
    """Tokens of ``text`` (shared by every vocabulary's matcher)."""
    words = _TOKEN.findall(text.replace("’", "'") if "’" in text else text)
    lowered = [w.lower() if w.isascii() else _fold(w.lower()) for w in words]
    return _Tokens(words, lowered, frozenset(words), frozenset(lowered))


@lru_cache(maxsize=4096)
def _spans(text: str) -> list[tuple[int, int]]:
    """Token spans, worked out only for texts in which some vocabulary found a token it knows."""
    return [m.span() for m in _TOKEN.finditer(text)]


class Matcher:
    """Finds the concepts of one vocabulary in text by token n-gram lookup (longest match first).

    Words joined by a hyphen are one token, so "insulin" is not found inside "insulin-dependent" nor
    "HIV" inside "HIV-positive"; names are lower-cased, abbreviations kept as written.
    """

    def __init__(self, names: dict[str, str], abbreviations: dict[str, str]) -> None:
        self._names = names
        self._abbreviations = abbreviations
        self._lower: dict[tuple[str, ...], str] = {}
        self._exact: dict[tuple[str, ...], str] = {}
        for name, concept in names.items():
            key = _tokens(name.lower())
            # A single short token ("na", "k") is too ambiguous to find case-insensitively.
            if key and not (len(key) == 1 and len(key[0]) < 2):
                self._lower.setdefault(key, concept)
        for abbreviation, concept in abbreviations.items():
            key = _tokens(abbreviation)
            if key:
                self._exact.setdefault(key, concept)
        self._lower_first = self._first_index(self._lower)
        self._exact_first = self._first_index(self._exact)
        self._lower_keys = frozenset(self._lower_first)
        self._exact_keys = frozenset(self._exact_first)

    @staticmethod
    def _first_index(table: dict[tuple[str, ...], str]) -> dict[str, list[int]]:
        lengths: dict[str, set[int]] = {}
        for key in table:
            lengths.setdefault(key[0], set()).add(len(key))
        return {first: sorted(values, reverse=True) for first, values in lengths.items()}

    def find(self, text: str) -> list[Mention]:
        """Non-overlapping mentions, longest first where two would overlap."""
        tokens = _tokenize(text)
        lower_first, exact_first = self._lower_first, self._exact_first
        # Most criteria name no concept of a given vocabulary: intersect the token sets first (in C).
        # Set intersection walks the smaller side: most criteria share no word with a vocabulary.
        lower_hits = self._lower_keys.intersection(tokens.lowered_set)
        exact_hits = self._exact_keys.intersection(tokens.word_set)
        if not lower_hits and not exact_hits:
            return []
        words, lowered = tokens.words, tokens.lowered
        candidates = [
            position
            for position, (word, low) in enumerate(zip(words, lowered, strict=True))
            if low in lower_hits or word in exact_hits
        ]
        spans = _spans(text)
        found: list[Mention] = []
        resume = 0
        for position in candidates:
            if position < resume:
                continue
            match = self._lookup(lowered, position, self._lower, lower_first) or self._lookup(
                words, position, self._exact, exact_first
            )
            if match is None:
                continue
            length, concept = match
            start, end = spans[position][0], spans[position + length - 1][1]
            found.append(Mention(start, end, text[start:end], concept))
            resume = position + length
        return found

    @staticmethod
    def _lookup(
        words: list[str], position: int, table: dict[tuple[str, ...], str], first: dict[str, list[int]]
    ) -> tuple[int, str] | None:
        lengths = first.get(words[position])
        if not lengths:
            return None
        for length in lengths:
            if position + length <= len(words):
                concept = table.get(tuple(words[position : position + length]))
                if concept is not None:
                    return length, concept
        return None

    def concept_of(self, name: str) -> str | None:
        key = _tokens(name.lower())
        return self._lower.get(key) or self._exact.get(_tokens(name))

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


__all__ = [
    "NUMBER_WORD_PATTERN",
    "Matcher",
    "Mention",
    "analyte_matcher",
    "analytes",
    "broader_concepts",
    "condition_matcher",
    "conditions",
    "infection_matcher",
    "infections",
    "number_value",
    "procedure_matcher",
    "procedures",
]
