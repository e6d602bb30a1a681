"""The one reader of English number words ("three", "twenty-four", "twice", "a").

The words are data (``number_words.json``): units and tens, from which every cardinal up to
ninety-nine is composed, and small kinds of other words a reader may count as a number ("twice",
"double", "a", "half", "several", "every other"). A caller names the kinds it reads and the range of
values that make sense where it reads them, because "a" is one dose but not one times the upper limit
of normal, and "hundred" alone is a number in "a hundred days" but would misread "two hundred mg".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from trialatlas.errors import TrialAtlasError
from trialatlas.text.packaged import packaged_json
from trialatlas.text.words import prefix_pattern

CARDINALS = "cardinals"


@cache
def _table() -> dict[str, Any]:
    table: dict[str, Any] = packaged_json(__package__, "number_words.json")
    return table


@cache
def _cardinals() -> dict[str, float]:
    table = _table()
    units: dict[str, int] = table["units"]
    words = {word: float(value) for word, value in units.items()}
    for ten, ten_value in table["tens"].items():
        words[ten] = float(ten_value)
        for unit, unit_value in units.items():
            if 0 < unit_value < 10:
                words[f"{ten}-{unit}"] = float(ten_value + unit_value)
    return words


@dataclass(frozen=True)
class NumberWords:
    """The number words one reader knows, with their values."""

    values: Mapping[str, float]

    def value(self, word: str) -> float | None:
        """The value of ``word`` (any case, surrounding space ignored), None when it is not known."""
        return self.values.get(word.strip().lower())

    def pattern(self, *, min_length: int = 1) -> str:
        """A regex of the words (no group, no boundaries) that prefers the longest ("twenty-four" over
        "twenty"); words shorter than ``min_length`` are left out. The words share their prefixes
        ("twenty(?:-(?:one|two…))?"), so a pattern of every cardinal costs no more to search than
        one of the tens."""
        return prefix_pattern(sorted(word for word in self.values if len(word) >= min_length))

    def words(self) -> frozenset[str]:
        return frozenset(self.values)


@cache
def number_words(*kinds: str, low: float = float("-inf"), high: float = float("inf")) -> NumberWords:
    """The words of ``kinds`` (``"cardinals"`` and the kinds of ``number_words.json``) whose values
    lie in ``low``..``high``; cardinals alone when no kind is named."""
    known: dict[str, dict[str, float]] = {CARDINALS: _cardinals()}
    known.update(
        (name, {word: float(value) for word, value in words.items()})
        for name, words in _table()["kinds"].items()
    )
    chosen = kinds or (CARDINALS,)
    unknown = [name for name in chosen if name not in known]
    if unknown:
        raise TrialAtlasError(f"no number-word kind {unknown[0]!r}; known: {', '.join(sorted(known))}")
    values: dict[str, float] = {}
    for name in chosen:
        values.update((word, value) for word, value in known[name].items() if low <= value <= high)
    return NumberWords(values)
