"""One scan of a criterion for every step's trigger words, instead of one substring test per word.

Each parsing step skips a criterion that contains none of its trigger words ("pregn", "breast" … for
pregnancy; "history", "prior" … for a historical window; the cue words of each context category).
Tested one by one, those words cost a Python-level ``in`` test each, about 250 on every criterion. The
steps register their words here (:func:`trigger_words`) instead, and the lower-cased text is scanned
once (:func:`triggers_in`) by a single compiled pattern: a trie of all the words, tried in a lookahead
at every position, so a word starting inside another one is found too. The set it returns holds every
registered word that occurs in the text as a substring: exactly what the ``in`` tests answered.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from trialatlas.text.words import prefix_pattern


class TriggerWords(frozenset[str]):
    """The lower-case words one step looks for (registered with the scan, see :func:`trigger_words`)."""

    __slots__ = ()


_registered: set[str] = set()


def trigger_words(words: Iterable[str]) -> TriggerWords:
    """Register ``words`` with the one scan and return them as a set a step tests the scan's result on."""
    words = TriggerWords(words)
    if "" in words:
        raise ValueError("an empty trigger word would be in every text")
    if not words <= _registered:
        _registered.update(words)
        _scanner.cache_clear()
        triggers_in.cache_clear()
    return words


@lru_cache(maxsize=1)
def _scanner() -> tuple[re.Pattern[str], dict[str, frozenset[str]]]:
    """The pattern, and for each word the registered words it contains (found with it: a shorter
    word starting at the same place, or one inside it, is not matched apart)."""
    words = sorted(_registered)
    pattern = re.compile(f"(?=({prefix_pattern(words)}))") if words else re.compile(r"(?!)")
    within = {word: frozenset(other for other in words if other in word) for word in words}
    return pattern, within


@lru_cache(maxsize=8192)
def triggers_in(lowered: str) -> frozenset[str]:
    """The registered trigger words that occur in ``lowered`` (a lower-cased text), anywhere."""
    pattern, within = _scanner()
    found: set[str] = set()
    for word in pattern.findall(lowered):
        if word:  # positions where no word starts match the empty lookahead
            found |= within[word]
    return frozenset(found)


def mentions_any(lowered: str, words: Iterable[str]) -> bool:
    """Whether ``lowered`` contains any of ``words``: one look in the scan's result for registered
    words, a substring test per word for others."""
    if isinstance(words, TriggerWords):
        return not triggers_in(lowered).isdisjoint(words)
    return any(word in lowered for word in words)


__all__ = ["TriggerWords", "mentions_any", "trigger_words", "triggers_in"]
