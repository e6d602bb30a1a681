"""The one reader of number words: composed cardinals, kinds chosen by the caller, values bounded."""

from __future__ import annotations

import re

import pytest

from trialatlas.errors import TrialAtlasError
from trialatlas.extract.criteria.vocab import number_value as criteria_number
from trialatlas.extract.regimen.lexicon import NUMBER_WORD
from trialatlas.extract.regimen.lexicon import number_value as regimen_number
from trialatlas.text.numbers import number_words


def test_cardinals_are_composed_from_units_and_tens() -> None:
    cardinals = number_words()
    assert cardinals.value("Twenty-Four") == 24
    assert cardinals.value("ninety-nine") == 99
    assert cardinals.value("seventeen") == 17
    assert cardinals.value("twenty-zero") is None
    assert cardinals.value("twice") is None  # not a cardinal


def test_a_range_bounds_every_kind() -> None:
    counts = number_words("cardinals", "times", low=2, high=3)
    assert counts.words() == {"two", "three", "twice", "thrice"}


def test_the_pattern_prefers_the_longest_word() -> None:
    pattern = re.compile(rf"\b(?:{number_words().pattern()})\b")
    found = pattern.search("for twenty-eight days")
    assert found is not None and found.group(0) == "twenty-eight"
    assert number_words("articles").pattern(min_length=3) == "single"


def test_an_unknown_kind_is_refused() -> None:
    with pytest.raises(TrialAtlasError, match="no number-word kind"):
        number_words("ordinals")


def test_criteria_and_regimen_read_the_same_cardinals() -> None:
    for word in ("one", "twelve", "twenty-one", "fifty-two"):
        assert criteria_number(word) == regimen_number(word) == number_words().value(word)
    # What each room adds is its own: "every other day" in dosing, "a few weeks" in criteria.
    assert regimen_number("other") == 2 and criteria_number("other") is None
    assert criteria_number("few") == 3
    # "two hundred mg" is never read as 100 mg by a dose parser.
    assert re.fullmatch(NUMBER_WORD, "hundred") is None
