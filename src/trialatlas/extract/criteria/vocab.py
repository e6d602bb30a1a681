"""The vocabularies (analytes, conditions, infections, procedures) and fast matchers over them.

Drug names are not here: they come from the regimen vocabulary through :mod:`criteria.drugs`.

Each vocabulary file maps a concept to the names criteria and notes use for it. Names are matched
case-insensitively on word boundaries, longest first; abbreviations only as written (so "LN" is lupus
nephritis but "ln" inside a word or the English "ms" are not). A matcher is one compiled alternation,
so finding every concept in a criterion is one regex scan.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from trialatlas.extract.criteria.disease_codes import disease_codes
from trialatlas.text.built import built
from trialatlas.text.numbers import number_words
from trialatlas.text.packaged import packaged_json
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


def _negating_prefix_source() -> str:
    """A word-initial "non" that negates the word it is glued, hyphened or spaced to (data:
    ``vocab/context_cues.json`` "prefix"): the compound stands alone or comes before a person noun or a
    word that goes on with a predicate ("non-diabetic patients", "She is a non-smoker."). A glued
    "none", "nonetheless" is a word; "non-X" before another noun names a kind of it ("non-small cell
    lung cancer", "non-lupus renal disease") and stays one token, as the vocabularies write it."""
    prefix = packaged_json("trialatlas.extract.criteria", "vocab", "context_cues.json")["prefix"]
    after = "|".join(sorted(prefix["negates_before"], key=len, reverse=True))
    word = r"[A-Za-z]+(?:-[A-Za-z]+)*"
    return (
        rf"(?<![A-Za-z0-9\u00C0-\u024F'’-])(?i:{prefix['negation']})"
        rf"(?=(?:-(?=[A-Za-z]{{3}})|\s+|(?![Ee])(?=[a-z]{{4}})){word}"
        rf"(?:\s*(?:[,.;:!?()\[\]/]|$)|\s+(?i:{after})\b))"
    )


NEGATING_PREFIX = re.compile(_negating_prefix_source())
# The negating prefix is a token of its own, in names and text alike, so the word it negates is found
# (the negation reads the prefix as its cue).
_TOKEN = re.compile(
    rf"{NEGATING_PREFIX.pattern}|[A-Za-z0-9\u00C0-\u024F]+(?:[-'’][A-Za-z0-9\u00C0-\u024F]+)*"
)


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


@cache
def _spellings() -> tuple[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]]:
    data = packaged_json("trialatlas.extract.criteria", "vocab", "spelling.json")
    return tuple(map(tuple, data["anywhere"])), tuple(map(tuple, data["start"]))


def _american(word: str) -> str:
    """A lower-case word in American spelling ("anaemia" → "anemia", ``vocab/spelling.json``)."""
    if "ae" not in word and "oe" not in word and "our" not in word and "euc" not in word:
        return word
    anywhere, start = _spellings()
    for british, american in start:
        if word.startswith(british):
            word = american + word[len(british) :]
    for british, american in anywhere:
        if british in word:
            word = word.replace(british, american)
    return word


@lru_cache(maxsize=8192)
def _tokenize(text: str) -> _Tokens:
    """Tokens of ``text`` (shared by every vocabulary's matcher)."""
    words = _TOKEN.findall(text.replace("’", "'") if "’" in text else text)
    lowered = [_american(w.lower() if w.isascii() else _fold(w.lower())) for w in words]
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
            key = tuple(_american(token) for token in _tokens(name.lower()))
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
        self._fallback: Matcher | None = None

    def layered(self, fallback: Matcher) -> Matcher:
        """This matcher, then ``fallback`` where it found nothing: a packaged vocabulary read only in
        the words the hand vocabulary (whose concepts carry what the verdicts need) leaves unread."""
        joined = copy.copy(self)
        joined._fallback = fallback
        return joined

    @staticmethod
    def _first_index(table: dict[tuple[str, ...], str]) -> dict[str, list[int]]:
        lengths: dict[str, set[int]] = {}
        for key in table:
            lengths.setdefault(key[0], set()).add(len(key))
        return {first: sorted(values, reverse=True) for first, values in lengths.items()}

    def find(self, text: str) -> list[Mention]:
        """Non-overlapping mentions, longest first where two would overlap."""
        found = self._find_own(text)
        fallback = getattr(self, "_fallback", None)
        if fallback is None:
            return found
        extra = [
            mention
            for mention in fallback.find(text)
            if not any(m.start < mention.end and mention.start < m.end for m in found)
        ]
        return sorted([*found, *extra], key=lambda m: m.start) if extra else found

    def _find_own(self, text: str) -> list[Mention]:
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
        key = tuple(_american(token) for token in _tokens(name.lower()))
        found = self._lower.get(key) or self._exact.get(_tokens(name))
        fallback = getattr(self, "_fallback", None)
        return found if found is not None or fallback is None else fallback.concept_of(name)

    def names(self) -> Iterator[tuple[str, str]]:
        yield from self._names.items()


@cache
def _load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = packaged_json("trialatlas.extract.criteria", "vocab", name)
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


def plausible_scale(analyte: str, value: float) -> float:
    """The power of ten that brings ``value`` (in the analyte's canonical unit) into its plausible range:
    1 when it is in range or no factor of 1,000 or 1,000,000 either way does it. Typos in powers of ten
    ("10^12/L" in a criterion, "Plt: 300000 /ml" in a note) are read as the count they mean."""
    low, high = analytes().get(analyte, {}).get("range", [float("-inf"), float("inf")])
    if low <= value <= high:
        return 1.0
    return next((factor for factor in (1e-3, 1e3, 1e-6, 1e6) if low <= value * factor <= high), 1.0)


@cache
def analyte_matcher() -> Matcher:
    # Short analyte names ("hb", "alt", "ef") are case-insensitive: criteria write "Hb", "HB", "hb".
    return _build(analytes())


@cache
def conditions() -> dict[str, Any]:
    table = {concept: dict(entry) for concept, entry in _load("conditions.json").items()}
    for concept, entry in _organ_cancers().items():
        merged = table.setdefault(concept, {"names": [], "abbrev": [], "broader": []})
        merged["names"] = [*merged.get("names", []), *entry["names"]]
        merged["abbrev"] = [*merged.get("abbrev", []), *entry.get("abbrev", [])]
        merged["broader"] = sorted({*merged.get("broader", []), *entry["broader"]})
        if entry.get("may_be"):
            merged["may_be"] = sorted({*merged.get("may_be", []), *entry["may_be"]})
    return table


def _organ_cancers() -> dict[str, dict[str, list[str]]]:
    """Cancers named by their organ (``vocab/organ_cancers.json``), composed into names: "ovarian
    serous carcinoma", "adenocarcinoma of the pancreas", "carcinoma of the left breast"."""
    data = _load("organ_cancers.json")
    words: list[str] = data["cancer_words"]
    histology = ["", *data["histology"]]
    composed: dict[str, dict[str, list[str]]] = {}
    for concept, organ in data["organs"].items():
        names = list(organ.get("names", []))
        for word in words:
            for kind in histology:
                middle = f"{kind} " if kind else ""
                names += [f"{adjective} {middle}{word}" for adjective in organ["adjectives"]]
                for noun in organ["nouns"]:
                    names += [f"{middle}{word} of the {side}{noun}" for side in ("", "left ", "right ")]
                    names.append(f"{middle}{word} of {noun}")
        composed[concept] = {
            "names": names,
            "abbrev": list(organ.get("abbrev", [])),
            "broader": list(organ.get("broader", ["cancer"])),
        }
        # "Left lung mass", "a nodule in the right breast": a finding that may be the organ's cancer.
        masses: list[str] = []
        for word in data["mass_words"]:
            masses += [f"{adjective} {word}" for adjective in organ["adjectives"]]
            for noun in organ["nouns"]:
                for link in ("in", "of", "on"):
                    masses += [f"{word} {link} the {side}{noun}" for side in ("", "left ", "right ")]
        mass_concept = concept.removesuffix("_cancer") + "_mass"
        composed[mass_concept] = {
            "names": masses,
            "broader": [b for b in organ.get("broader", []) if b != "cancer"],
            "may_be": [concept],
        }
    return composed


@cache
def possible_concepts(concept: str) -> frozenset[str]:
    """What a finding may turn out to be ("lung mass" → lung cancer, and so a cancer), transitively
    through what it falls under; empty for a finding the vocabulary links to nothing."""
    table = conditions()
    possible: set[str] = set()
    for broader in broader_concepts(concept):
        for target in table.get(broader, {}).get("may_be", []):
            possible |= broader_concepts(target)
    return frozenset(possible - broader_concepts(concept))


@cache
def _hand_condition_matcher() -> Matcher:
    # Thousands of composed names: built once and kept (see trialatlas.text.built).
    return built("condition-matcher", lambda: _build(conditions()))


@cache
def code_conditions() -> dict[str, dict[str, Any]]:
    """The conditions of ICD-10-CM (``icd:`` concepts, see :mod:`criteria.disease_codes`), linked to
    the hand vocabulary's concepts; empty when the package is missing."""
    infection = infection_matcher()
    return disease_codes(
        _hand_condition_matcher().concept_of, lambda name: infection.concept_of(name) is not None
    )


@cache
def condition_matcher() -> Matcher:
    """The hand vocabulary's names first, then ICD-10-CM's in the words they leave."""
    hand = _hand_condition_matcher()
    codes = code_conditions()
    if not codes:
        return hand
    return hand.layered(built("code-condition-matcher", lambda: _build(codes)))


@cache
def broader_concepts(concept: str) -> frozenset[str]:
    """``concept`` and every concept it falls under, transitively (through the ICD-10-CM hierarchy
    to the hand concept a code is)."""
    table = conditions()
    seen: set[str] = set()
    stack = [concept]
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        entry = code_conditions().get(current, {}) if current.startswith("icd:") else table.get(current, {})
        stack.extend(entry.get("broader", []))
    return frozenset(seen)


def remits(concept: str | None) -> bool:
    """Whether the vocabulary gives ``concept`` as a disease that flares and remits (``remits``)."""
    return concept is not None and bool(conditions().get(concept, {}).get("remits"))


def is_kind_by_name(name: str, general: str) -> bool:
    """Whether ``name`` ends with the words of ``general`` ("rheumatoid arthritis" is an arthritis,
    "CMV retinitis" a retinitis): how a packaged vocabulary's concept, whose hierarchy files the
    general word under one specific code, still covers every kind a note names."""
    words, head = _tokenize(name).lowered, _tokenize(general).lowered
    return 0 < len(head) <= len(words) and words[len(words) - len(head) :] == head


@cache
def note_value_phrases() -> re.Pattern[str]:
    """Words a note puts between a lab's name and its value ("drawn 9 days ago was", "today is"),
    ending with the verb that introduces the value (``vocab/note_values.json``)."""
    data = _load("note_values.json")
    time = "|".join(data["time"])
    bare = "|".join(data["bare_time"])
    # A time with no number may stand right before the value ("HbA1c today 7.4%"); one with a number
    # ("drawn 9 days ago") needs the verb, so its number is never the value.
    return re.compile(
        rf"(?:\s|,)*(?:(?:{time})(?:\s|,)+)+{data['verb']}(?=\s)"
        rf"|(?:\s|,)*(?:(?:{bare})(?:\s|,)+)+(?=[<>≤≥]?\s*\d)",
        re.IGNORECASE,
    )


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
    "code_conditions",
    "condition_matcher",
    "conditions",
    "infection_matcher",
    "infections",
    "is_kind_by_name",
    "note_value_phrases",
    "number_value",
    "possible_concepts",
    "procedure_matcher",
    "procedures",
    "remits",
]
