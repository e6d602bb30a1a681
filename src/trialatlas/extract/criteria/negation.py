"""NegEx/ConText-style context for mentions: negated, excepted, someone else's, hypothetical, historical.

A cue ("no", "without", "other than", "family history of", "if") opens a scope that runs forward (or,
for post-cues such as "was negative", backward) to the end of its clause: a terminating word ("but",
"however", "which") or punctuation that ends a clause, and at most :data:`MAX_SCOPE_WORDS` words.
Commas and "or"/"and" do not end a scope, so "No tacrolimus, mycophenolate or rituximab" negates
all three, as NegEx does for lists. Pseudo-cues ("no increase", "not only", "gram-negative") are
matched first and block the real cues they contain.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import cache, lru_cache
from typing import Any, Literal

from trialatlas.extract.criteria.logic import EXAMPLES
from trialatlas.extract.criteria.trigger_words import TriggerWords, trigger_words, triggers_in
from trialatlas.extract.criteria.vocab import NEGATING_PREFIX
from trialatlas.text.packaged import packaged_json

CueCategory = Literal["negation", "exception", "family", "hypothetical", "historical", "pseudo"]


@cache
def _cue_data() -> dict[str, Any]:
    """The cue lists (data, not code): ``vocab/context_cues.json``."""
    data: dict[str, Any] = packaged_json("trialatlas.extract.criteria", "vocab", "context_cues.json")
    return data


MAX_SCOPE_WORDS: int = _cue_data()["max_scope_words"]
_FORWARD: dict[CueCategory, tuple[str, ...]] = {k: tuple(v) for k, v in _cue_data()["forward"].items()}
_BACKWARD: dict[CueCategory, tuple[str, ...]] = {k: tuple(v) for k, v in _cue_data()["backward"].items()}
# Backward cues that read a result ("HBsAg negative", "pneumonia unlikely"): they negate a mention in
# a note, but in a criterion they are the value asked for, not a negation of it.
_RESULT_CUES = re.compile(r"(?:\w+ )?(?:negative|free|unlikely)$", re.IGNORECASE)
_TERMINATION = re.compile(_cue_data()["termination"], re.IGNORECASE)
_WORD = re.compile(r"\w+")


def _alternation(patterns: tuple[str, ...]) -> str:
    return "|".join(sorted(patterns, key=len, reverse=True))


# The cue patterns' sources in the order they are tried, compiled on first use (see _cue_patterns).
_CUE_SOURCES: list[tuple[CueCategory, Literal["forward", "backward"], str]] = [
    (category, "forward", rf"(?<![\w-])(?:{_alternation(words)})(?![\w])")
    for category, words in _FORWARD.items()
] + [
    (category, "backward", rf"(?<![\w-])(?:{_alternation(words)})(?![\w-])")
    for category, words in _BACKWARD.items()
]
# "X are not excluded", "cancer is not suspected" are read whole, before their "not" is taken for a
# forward negation.
_CUE_SOURCES.sort(
    key=lambda entry: (entry[0], entry[1]) not in (("pseudo", "forward"), ("exception", "backward"))
)
_CUE_SOURCES[:0] = [
    (category, "backward", rf"(?<![\w-])(?:{_alternation(tuple(words))})(?![\w-])")
    for category, words in _cue_data()["backward_first"].items()
    if not category.startswith("_")
] + [
    # Uncertainty ("does not recall", "not sure whether") is read whole, before its "not" is taken for
    # a negation: the fact is unknown, not absent.
    (category, "forward", rf"(?<![\w-])(?:{_alternation(tuple(words))})(?![\w])")
    for category, words in _cue_data()["forward_first"].items()
    if not category.startswith("_")
]


@cache
def _cue_patterns(
    lowered: bool,
) -> tuple[tuple[CueCategory, Literal["forward", "backward"], re.Pattern[str]], ...]:
    """The cue patterns, for lower-cased text (none has a capital letter to match) or, ignoring case,
    for text as written."""
    flags = 0 if lowered else re.IGNORECASE
    return tuple(
        (category, direction, re.compile(source, flags)) for category, direction, source in _CUE_SOURCES
    )


@dataclass(frozen=True)
class Cue:
    start: int
    end: int
    text: str
    category: CueCategory
    direction: Literal["forward", "backward"]
    scope_start: int
    scope_end: int


@dataclass(frozen=True)
class MentionContext:
    negation: Cue | None = None
    exception: Cue | None = None
    family: Cue | None = None
    hypothetical: Cue | None = None
    historical: Cue | None = None

    @property
    def negated(self) -> bool:
        return self.negation is not None or self.exception is not None

    @property
    def cue(self) -> Cue | None:
        return self.negation or self.exception


# "(e.g., insulin)", "[such as CMV]": a bracket opening a list of examples of what stands before it.
_EXAMPLE_BRACKET = re.compile(rf"[(\[]\s*(?:{EXAMPLES.pattern})", re.IGNORECASE)
_CLOSING = {"(": ")", "[": "]"}


def _forward_scope(text: str, end: int) -> int:
    """Where a forward cue's scope ends. A bracketed list of examples does not end it ("No
    uncontrolled metabolic disease (e.g., diabetes mellitus or hypothyroidism)" denies both): the
    examples name what the negated class includes, and their words do not count against the limit
    (they may still be cut by it before the bracket)."""
    termination = _TERMINATION.search(text, end)
    limit = termination.start() if termination else len(text)
    examples: list[tuple[int, int]] = []
    if termination is not None and _EXAMPLE_BRACKET.match(text, termination.start()):
        # The scope takes the examples in and ends at their closing bracket: what follows the
        # bracket ("… (e.g., dexamethasone) as antiemetics") stays outside, as it was.
        close = text.find(_CLOSING[text[termination.start()]], termination.end())
        if close >= 0:
            examples.append((termination.start(), close + 1))
            limit = close + 1
    count = 0
    for match in _WORD.finditer(text, end, limit):
        if any(start <= match.start() < stop for start, stop in examples):
            continue
        count += 1
        if count > MAX_SCOPE_WORDS:
            return match.start()
    return limit


def _backward_scope(text: str, start: int) -> int:
    boundary = 0
    for match in _TERMINATION.finditer(text, 0, start):
        boundary = match.end()
    words = [m.start() for m in _WORD.finditer(text, boundary, start)]
    if len(words) > MAX_SCOPE_WORDS // 2:
        return words[-(MAX_SCOPE_WORDS // 2)]
    return boundary


# Substrings every cue of a category contains one of: a category none of whose substrings occurs in a
# text is not searched for (most criteria have no family, exception or hypothetical cue).
_CATEGORY_HINTS: dict[tuple[CueCategory, str], TriggerWords] = {
    (key.split("/")[0], key.split("/")[1]): trigger_words(hints)
    for key, hints in _cue_data()["category_hints"].items()
}


_NEXT_WORD = re.compile(r"[\w'’]+(?:-[\w'’]+)*")


def _prefix_cues(text: str) -> list[Cue]:
    """The negating prefixes of ``text`` ("non-diabetic patients"), each scoped to the word it is
    attached to; where "non-X" names a kind of what follows it, the prefix negates nothing."""
    cues: list[Cue] = []
    for match in NEGATING_PREFIX.finditer(text):
        word = _NEXT_WORD.search(text, match.end())
        if word is None:
            continue
        start, end = match.span()
        cues.append(Cue(start, end, text[start:end], "negation", "forward", word.start(), word.end()))
    return cues


@lru_cache(maxsize=8192)
def find_cues(text: str) -> tuple[Cue, ...]:
    """Every context cue in ``text`` with its scope; pseudo-cues mask the cues they overlap."""
    found: list[Cue] = []
    taken: list[tuple[int, int]] = []
    lowered = text.lower()
    # Patterns read the lower-cased text without ignoring case (cheaper), unless lower-casing changed
    # the text's length; scopes and cue texts come from the text as written.
    same_length = len(lowered) == len(text)
    subject, patterns = (lowered if same_length else text), _cue_patterns(same_length)
    present = triggers_in(lowered)
    for category, direction, pattern in patterns:
        if present.isdisjoint(_CATEGORY_HINTS[(category, direction)]):
            continue
        for match in pattern.finditer(subject):
            start, end = match.span()
            if any(start < t_end and t_start < end for t_start, t_end in taken):
                continue
            taken.append((start, end))
            if category == "pseudo":
                continue
            if direction == "forward":
                cue = Cue(start, end, text[start:end], category, direction, end, _forward_scope(text, end))
            else:
                cue = Cue(
                    start, end, text[start:end], category, direction, _backward_scope(text, start), start
                )
            found.append(cue)
    if "non" in lowered:
        found.extend(
            cue
            for cue in _prefix_cues(text)
            if not any(cue.start < t_end and t_start < cue.end for t_start, t_end in taken)
        )
    found.sort(key=lambda cue: cue.start)
    return tuple(found)


def context_of(text: str, start: int, end: int) -> MentionContext:
    """The context of ``text[start:end]``: the nearest cue of each category whose scope covers it."""
    nearest: dict[CueCategory, Cue] = {}
    for cue in find_cues(text):
        if cue.start <= start < cue.end or start < cue.end <= end:
            continue  # the cue is inside the mention itself ("non-smoker" as one concept)
        covers = (
            cue.scope_start <= start and end <= cue.scope_end + 1
            if cue.direction == "forward"
            else (cue.scope_start <= start and end <= cue.scope_end)
        )
        if not covers:
            continue
        previous = nearest.get(cue.category)
        if previous is None or abs(previous.start - start) > abs(cue.start - start):
            nearest[cue.category] = cue
    return MentionContext(
        negation=nearest.get("negation"),
        exception=nearest.get("exception"),
        family=nearest.get("family"),
        hypothetical=nearest.get("hypothetical"),
        historical=nearest.get("historical"),
    )


def note_context_of(text: str, start: int, end: int) -> MentionContext:
    """The context of a mention in a patient's note. There an exception marks what is there, not what is
    allowed ("past medical history unremarkable except for type 2 diabetes", "no medications except
    aspirin"): the excepted mention is not negated, as it is in a criterion ("no steroids except
    inhaled")."""
    context = context_of(text, start, end)
    return replace(context, exception=None) if context.exception is not None else context


def negation_cues(text: str) -> list[Cue]:
    """Negation and exception cues only (what Chia annotates as Negation)."""
    return [
        cue
        for cue in find_cues(text)
        if cue.category in ("negation", "exception")
        and not (cue.direction == "backward" and _RESULT_CUES.fullmatch(cue.text))
    ]


__all__ = [
    "Cue",
    "CueCategory",
    "MentionContext",
    "context_of",
    "find_cues",
    "negation_cues",
    "note_context_of",
]
