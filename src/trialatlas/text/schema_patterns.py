"""Regular expressions that are both a handler's rule and its JSON Schema ``pattern``.

An API's schema and its handlers must accept the same values, so a rule that reads words in any
letter case is written once as a regex both can use: JSON Schema has no case-insensitive flag, so
each letter becomes a class of its two cases. JSON Schema's ``\\s`` and ``\\w`` are ECMAScript's,
which differ from Python's (``\\x1c``-``\\x1f`` are white space to Python's ``str.strip()``, not to
ECMAScript; ``\\w`` is ASCII there): :func:`portable` spells them out, so both read a pattern alike.
"""

from __future__ import annotations

from collections.abc import Iterable

# White space as Python's str.isspace() (so strip() and split()) has it, as class members.
SPACE_CHARS = r"\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
_WORD_CHARS = "A-Za-z0-9_"


def portable(pattern: str) -> str:
    """``pattern`` with ``\\s``, ``\\S`` and ``\\w`` spelled out (``[\\s\\S]``, any character, is
    kept), so that Python and JSON Schema (ECMAScript) read it alike."""
    out: list[str] = []
    position, in_class = 0, False
    while position < len(pattern):
        if pattern.startswith(r"[\s\S]", position):
            out.append(r"[\s\S]")
            position += 6
            continue
        char = pattern[position]
        if char == "\\" and position + 1 < len(pattern):
            escape = pattern[position + 1]
            if escape == "s":
                out.append(SPACE_CHARS if in_class else f"[{SPACE_CHARS}]")
            elif escape == "S" and not in_class:
                out.append(f"[^{SPACE_CHARS}]")
            elif escape == "w":
                out.append(_WORD_CHARS if in_class else f"[{_WORD_CHARS}]")
            else:
                out.append(pattern[position : position + 2])
            position += 2
            continue
        if char == "[" and not in_class:
            in_class = True
        elif char == "]" and in_class:
            in_class = False
        out.append(char)
        position += 1
    return "".join(out)


# Any text that is not blank.
ANY_TEXT = portable(r"[\s\S]*\S[\s\S]*")
# Between the words of a vocabulary term: ``_``, or a run of spaces, hyphens and slashes.
SEPARATOR = portable(r"(?:_|[\s\-/]+)")


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
    return portable(r"\s*") + f"(?:{choices})" + portable(r"\s*")


def comma_list(value: str) -> str:
    """A comma-separated list (no anchors) of ``value`` or blanks (blank parts are dropped)."""
    blank = portable(r"\s*")
    return f"(?:{value}|{blank})(?:,(?:{value}|{blank}))*"


def any_of_words(words: Iterable[str], separators: str = "", *, padded: bool = False) -> str:
    """A whole-value pattern for any of ``words`` (longest first); ``padded`` allows white space
    around it (a handler that strips the value)."""
    choices = "|".join(any_case(word, separators) for word in sorted(set(words), key=lambda w: (-len(w), w)))
    edge = portable(r"\s*") if padded else ""
    return f"^{edge}({choices}){edge}$"


__all__ = [
    "ANY_TEXT",
    "SEPARATOR",
    "SPACE_CHARS",
    "any_case",
    "any_of_words",
    "comma_list",
    "enum_words_pattern",
    "portable",
]
