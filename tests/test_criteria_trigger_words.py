"""The one scan for every parsing step's trigger words answers what a substring test per word did."""

from __future__ import annotations

import random

import pytest

from trialatlas.extract.criteria import parse_text
from trialatlas.extract.criteria.negation import _CATEGORY_HINTS
from trialatlas.extract.criteria.trigger_words import (
    _registered,
    mentions_any,
    trigger_words,
    triggers_in,
)

TEXTS = [
    "No history of lupus nephritis (LN) within the past 12 weeks",
    "Age >= 18 years; not pregnant or breast-feeding, nor planning a pregnancy",
    "Stage IV cancer, except basal cell carcinoma of the skin; signed informed consent",
    "Patients who are unable to comply with study procedures in the investigator's opinion",
    "Hemoglobin ≥ 9 g/dL, platelets > 100 x 10^9/L; a family history of long QT (mother or sister)",
    "",
    "donor",
]


def _substrings(lowered: str) -> frozenset[str]:
    return frozenset(word for word in _registered if word in lowered)


@pytest.mark.parametrize("text", TEXTS)
def test_the_scan_finds_every_registered_word_a_substring_test_finds(text: str) -> None:
    parse_text("Age 18 or older", "inclusion")  # every parser module registered its words
    lowered = text.lower()
    assert triggers_in(lowered) == _substrings(lowered)


def test_words_inside_and_overlapping_others_are_found() -> None:
    # "no" starts where "not" and "nor" do, "age" is inside "stage", "son" inside "person": a scan
    # that took only the longest word at each place would miss the shorter ones.
    words = trigger_words(("no", "not", "nor", "age", "stage", "son", "person"))
    found = triggers_in("not a stage; no person, nor")
    assert words <= found
    assert words & triggers_in("a nor b") == {"no", "nor"}
    assert words & triggers_in("teenager") == {"age"}


def test_random_texts_agree_with_substring_tests() -> None:
    pieces = [*sorted(_registered), " ", ",", "x", "q", "(", "1"]
    draw = random.Random(14)
    for _ in range(300):
        text = "".join(draw.choice(pieces) for _ in range(draw.randint(0, 12)))
        assert triggers_in(text) == _substrings(text)
        category = draw.choice(list(_CATEGORY_HINTS.values()))
        assert mentions_any(text, category) == any(word in text for word in category)


def test_unregistered_words_are_tested_as_substrings() -> None:
    assert mentions_any("an unusual zzyzx word", ("zzyzx",))
    assert not mentions_any("an unusual word", ("zzyzx",))


def test_an_empty_word_is_refused() -> None:
    with pytest.raises(ValueError, match="empty"):
        trigger_words(("",))
