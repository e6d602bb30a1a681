"""Fast forms of the big word-pattern regexes, which dominate parsing time.

Python's regex engine tries every alternative of a pattern at every position of the text, and with
``re.IGNORECASE`` it folds the case of each character it compares. The lexicon's patterns are long
alternations of ``\\b``-anchored, case-insensitive phrases, so most of that work is wasted inside words.
:func:`word_start_regex` builds an equivalent pattern that (1) runs on lower-cased text without
``IGNORECASE``, (2) checks the word start once, before the alternation, instead of once per
alternative, and (3) puts each pattern behind a look-ahead for the first characters its matches can
start with, read from the parsed pattern, so that a word start no pattern can match there is turned away
at a character test instead of entering every named group. The matches are the same as the original's,
at the same offsets (tests hold the two side by side); a text whose lower-case form changes length (a
few non-ASCII letters) uses the original.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from re import _constants as _sre  # type: ignore[attr-defined]
from re import _parser as _sre_parse  # type: ignore[attr-defined]
from typing import Any

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

    def matches(self, text: str) -> bool:
        """Whether ``reference`` matches anywhere in ``text``."""
        lowered = text.lower()
        if len(lowered) != len(text):
            return self.reference.search(text) is not None
        return self.fast.search(lowered) is not None


_ZERO_WIDTH = frozenset({_sre.AT, _sre.ASSERT, _sre.ASSERT_NOT})
_REPEATS = frozenset({_sre.MAX_REPEAT, _sre.MIN_REPEAT, _sre.POSSESSIVE_REPEAT})
_CATEGORIES = {_sre.CATEGORY_DIGIT: r"\d", _sre.CATEGORY_WORD: r"\w", _sre.CATEGORY_SPACE: r"\s"}


# How many characters of a match the guards look ahead at: three tell most word starts apart ("or" and
# "oral" share two), and more would multiply the guards' alternatives for little gain.
_GUARD_LENGTH = 3
# A prefix is a tuple of character classes (each as regex text); a shorter one ends the match.
_Prefixes = set[tuple[str, ...]]


def _class_of(op: Any, av: Any) -> str | None:
    """One character a LITERAL or IN matches, as regex text; ``None`` for a set this does not read."""
    if op is _sre.LITERAL:
        return re.escape(chr(av))
    if op is not _sre.IN:
        return None
    pieces: list[str] = []
    for kind, value in av:
        if kind is _sre.LITERAL:
            pieces.append(re.escape(chr(value)))
        elif kind is _sre.RANGE:
            pieces.append(f"{re.escape(chr(value[0]))}-{re.escape(chr(value[1]))}")
        elif kind is _sre.CATEGORY and value in _CATEGORIES:
            pieces.append(_CATEGORIES[value])
        else:
            return None
    return "[" + "".join(pieces) + "]"


def _sequence_prefixes(items: Any, room: int) -> _Prefixes | None:
    """Every way the first ``room`` characters of a parsed sequence can read (a prefix shorter than
    ``room`` is a whole match); ``None`` when a part is one this does not read."""
    open_: _Prefixes = {()}
    full: _Prefixes = set()
    for op, av in items:
        grown: _Prefixes = set()
        for prefix in open_:
            if len(prefix) == room:
                full.add(prefix)
                continue
            rest = _item_prefixes(op, av, room - len(prefix))
            if rest is None:
                return None
            grown.update(prefix + more for more in rest)
        open_ = grown
    return full | open_


def _item_prefixes(op: Any, av: Any, room: int) -> _Prefixes | None:
    if op is _sre.LITERAL or op is _sre.IN:
        one = _class_of(op, av)
        return None if one is None else {(one,)}
    if op in _ZERO_WIDTH:
        return {()}
    if op is _sre.SUBPATTERN:
        # A group that turns case-folding on would match letters the classes do not list.
        return None if av[1] & re.IGNORECASE else _sequence_prefixes(av[3], room)
    if op is _sre.ATOMIC_GROUP:
        return _sequence_prefixes(av, room)
    if op is _sre.BRANCH:
        found: _Prefixes = set()
        for alternative in av[1]:
            some = _sequence_prefixes(alternative, room)
            if some is None:
                return None
            found |= some
        return found
    if op in _REPEATS:
        low, high, sub = av
        once = _sequence_prefixes(sub, room)
        if once is None:
            return None
        # Repeat the body until every prefix fills the room: at most ``room`` rounds add a character.
        found = {()} if low == 0 else set()
        current: _Prefixes = {()}
        for count in range(1, min(high, room + low) + 1):
            current = {p + q for p in current if len(p) < room for q in once} | {
                p for p in current if len(p) == room
            }
            current = {p[:room] for p in current}
            if count >= low:
                found |= current
        return found
    return None


def _guard(alternatives: list[str]) -> str | None:
    """A look-ahead that every match of any of ``alternatives`` passes, on its first characters, or
    ``None`` when one can match the empty string or starts in a way this does not read."""
    prefixes: _Prefixes = set()
    for alternative in alternatives:
        try:
            parsed = _sre_parse.parse(alternative)
        except re.error:
            # Read alone, an alternative can refer to a group another defines ("(?P=unit)").
            return None
        some = _sequence_prefixes(parsed.data, _GUARD_LENGTH)
        if some is None or () in some:
            return None
        prefixes |= some
    if not prefixes:
        return None
    # Grouped by the first class, so the engine skips a whole group at one character test.
    by_first: dict[str, set[tuple[str, ...]]] = {}
    for prefix in sorted(prefixes):
        by_first.setdefault(prefix[0], set()).add(prefix[1:])
    branches = []
    for first, rests in by_first.items():
        if () in rests:
            branches.append(first)
        else:
            branches.append(first + "(?:" + "|".join(sorted("".join(rest) for rest in rests)) + ")")
    return "(?=" + "|".join(branches) + ")"


def _guarded(alternatives: list[str], compiled: str) -> str:
    """``compiled`` behind a look-ahead for the characters ``alternatives`` can start with. The engine
    otherwise enters every pattern at every word start; the guard turns most away at a character test."""
    guard = _guard(alternatives)
    return compiled if guard is None else guard + compiled


def word_start_regex(named: list[tuple[str, str]]) -> WordPatterns:
    """Compile ``(?P<name>pattern)|...`` both as written (``IGNORECASE``) and in the fast form.

    Every top-level alternative of every pattern must start with ``\\b``; those that go on with a word
    character are tried only where a word starts, those that go on with "/" only where one follows a word.
    """
    reference = re.compile("|".join(f"(?P<{name}>{pattern})" for name, pattern in named), re.IGNORECASE)
    word: list[str] = []
    slash: list[str] = []
    renamed: dict[str, str] = {}
    all_word: list[str] = []
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
            word.append(_guarded(at_word, f"(?P<{name}>{'|'.join(at_word)})"))
            all_word += at_word
        if at_slash:
            renamed[f"{name}__slash"] = name
            slash.append(f"(?P<{name}__slash>{'|'.join(at_slash)})")
    fast = r"(?<!\w)(?=\w)" + _guarded(all_word, "(?:" + "|".join(word) + ")")
    if slash:
        fast += r"|(?<=\w)(?=/)(?:" + "|".join(slash) + ")"
    return WordPatterns(reference=reference, fast=re.compile(fast), renamed=renamed)
