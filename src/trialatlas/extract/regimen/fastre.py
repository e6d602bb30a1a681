"""Fast forms of the big word-pattern regexes, which dominate parsing time.

Python's regex engine tries every alternative of a pattern at every position of the text, and with
``re.IGNORECASE`` it folds the case of each character it compares. The lexicon's patterns are long
alternations of ``\\b``-anchored, case-insensitive phrases, so most of that work is wasted inside words.
:func:`word_start_regex` builds an equivalent pattern that (1) runs on lower-cased text without
``IGNORECASE`` and (2) checks the word start once, before the alternation, instead of once per
alternative. The matches are the same as the original's, at the same offsets (a test holds the two side
by side); a text whose lower-case form changes length (a few non-ASCII letters) uses the original.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_ESCAPE_OR_NAME = re.compile(r"\\.|\(\?P<\w+>|\(\?P=\w+\)")


def split_alternatives(pattern: str) -> list[str]:
    """The top-level alternatives of ``pattern`` (``|`` outside groups and character classes)."""
    parts: list[str] = []
    depth = 0
    in_class = False
    start = 0
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            index += 2
            continue
        if in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
            # "[]...]" and "[^]...]": a first "]" is a member, not the end of the class.
            if pattern[index + 1 : index + 2] == "^":
                index += 1
            if pattern[index + 1 : index + 2] == "]":
                index += 1
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            parts.append(pattern[start:index])
            start = index + 1
        index += 1
    parts.append(pattern[start:])
    return parts


def _check_lower(pattern: str) -> None:
    literal = _ESCAPE_OR_NAME.sub("", pattern)
    if literal != literal.lower():
        raise ValueError(f"pattern must be written in lower case to run on lower-cased text: {pattern!r}")


@dataclass(frozen=True, slots=True)
class WordPatterns:
    """A case-insensitive alternation of named, ``\\b``-anchored patterns, and its fast equivalent."""

    reference: re.Pattern[str]
    fast: re.Pattern[str]
    # Fast-pattern group names of alternatives that start at "/" ("\\b/\\s*12\\s*h"), back to their names.
    renamed: dict[str, str]

    def finditer(self, text: str) -> list[tuple[re.Match[str], str]]:
        """Every match with the name of the pattern it matched, as ``reference.finditer`` would find them.

        The matches are over the lower-cased text: use their offsets, not their text.
        """
        lowered = text.lower()
        if len(lowered) != len(text):
            return [(m, m.lastgroup or "") for m in self.reference.finditer(text)]
        renamed = self.renamed
        return [(m, renamed.get(m.lastgroup or "", m.lastgroup or "")) for m in self.fast.finditer(lowered)]

    def found_in(self, text: str) -> bool:
        """Whether any pattern matches anywhere in ``text`` (a cheap test before per-sentence searches)."""
        lowered = text.lower()
        if len(lowered) != len(text):
            return self.reference.search(text) is not None
        return self.fast.search(lowered) is not None


def word_start_regex(named: list[tuple[str, str]]) -> WordPatterns:
    """Compile ``(?P<name>pattern)|...`` both as written (``IGNORECASE``) and in the fast form.

    Every top-level alternative of every pattern must start with ``\\b``; those that go on with a word
    character are tried only where a word starts, those that go on with "/" only where one follows a word.
    """
    reference = re.compile("|".join(f"(?P<{name}>{pattern})" for name, pattern in named), re.IGNORECASE)
    word: list[str] = []
    slash: list[str] = []
    renamed: dict[str, str] = {}
    for name, pattern in named:
        _check_lower(pattern)
        at_word: list[str] = []
        at_slash: list[str] = []
        for alternative in split_alternatives(pattern):
            if not alternative.startswith(r"\b"):
                raise ValueError(f"alternative does not start with \\b: {alternative!r}")
            body = alternative[2:]
            (at_slash if body.startswith("/") else at_word).append(body)
        if at_word:
            word.append(f"(?P<{name}>{'|'.join(at_word)})")
        if at_slash:
            renamed[f"{name}__slash"] = name
            slash.append(f"(?P<{name}__slash>{'|'.join(at_slash)})")
    fast = r"(?<!\w)(?=\w)(?:" + "|".join(word) + ")"
    if slash:
        fast += r"|(?<=\w)(?:" + "|".join(slash) + ")"
    return WordPatterns(reference=reference, fast=re.compile(fast), renamed=renamed)
