"""Regular expressions that are both a handler's rule and its JSON Schema ``pattern``.

An API's schema and its handlers must accept the same values, so a rule that reads words in any
letter case is written once as a regex both can use: JSON Schema has no case-insensitive flag, so
each letter becomes a class of its two cases.
"""

from __future__ import annotations

from collections.abc import Iterable

# Any text that is not blank.
ANY_TEXT = r"[\s\S]*\S[\s\S]*"
# Between the words of a vocabulary term: ``_``, or a run of spaces, hyphens and slashes.
SEPARATOR = r"(?:_|[\s\-/]+)"


def any_case(word: str, separators: str = "") -> str:
    """``word`` in any letter case; each ``_`` in it may also be any one of ``separators``."""
    parts: list[str] = []
    for char in word:
        if char == "_" and separators:
            parts.append(f"[_{separators}]")
        elif char.lower() != char.upper():
            parts.append(f"[{char.lower()}{char.upper()}]")
        else:
            parts.append(char)
    return "".join(parts)


def enum_words_pattern(words: Iterable[str]) -> str:
    """A vocabulary value (no anchors): any of ``words`` (``_`` between their words) in any case,
    each ``_`` also written as :data:`SEPARATOR`, with white space around."""
    choices = "|".join(
        SEPARATOR.join(any_case(part) for part in word.split("_"))
        for word in sorted(set(words), key=lambda w: (-len(w), w))
    )
    return rf"\s*(?:{choices})\s*"


def comma_list(value: str) -> str:
    """A comma-separated list (no anchors) of ``value`` or blanks (blank parts are dropped)."""
    return rf"(?:{value}|\s*)(?:,(?:{value}|\s*))*"


def any_of_words(words: Iterable[str], separators: str = "", *, padded: bool = False) -> str:
    """A whole-value pattern for any of ``words`` (longest first); ``padded`` allows white space
    around it (a handler that strips the value)."""
    choices = "|".join(any_case(word, separators) for word in sorted(set(words), key=lambda w: (-len(w), w)))
    edge = r"\s*" if padded else ""
    return f"^{edge}({choices}){edge}$"


__all__ = ["ANY_TEXT", "SEPARATOR", "any_case", "any_of_words", "comma_list", "enum_words_pattern"]
