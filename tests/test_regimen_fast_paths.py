"""The regimen parser's fast paths find exactly what the plain forms find: the look-ahead guards of the word
patterns (fastre.py), and the whole-text pre-checks that skip a stage or a sentence (normalise_text, the
condition cues, the doses stated in words). Texts: the older labelled sets, read from the shared data, and
strings written to hit each construct the guards read."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from trialatlas.eval.regimens import load_labelled
from trialatlas.extract.regimen import amounts, clauses, drugs, lexicon, parse, passes, thresholds
from trialatlas.extract.regimen.fastre import WordPatterns, word_start_regex
from trialatlas.extract.regimen.models import RegimenItem
from trialatlas.extract.regimen.parse import _TRANSLATE, normalise_text
from trialatlas.extract.regimen.passes import _DOSE_IN_WORDS

FIXTURES = Path(__file__).parent / "fixtures"

PATTERNS: dict[str, WordPatterns] = {
    "frequency": lexicon._FREQUENCY,
    "route": lexicon._ROUTE_CI,
    "form": lexicon._FORM_ROUTE,
    "condition": clauses._CONDITION,
    "adjustment": clauses._ADJUST,
}

TRICKY = [
    "İV infusion of 5 mg/kg q 12 h",  # lower() changes the length: the reference path is used
    "Dosage 2 mg/12h PO bid; 4 MDI puffs; DPI 200 mcg; IM 5 mg; SC L5",
    "once-daily, q.d., QOD, every other day, 3 times a week, b.i.d, t.i.d., 2x/day, 1 x daily",
    "If CrCl < 30 mL/min, patients who flare will be re-randomized; unless tapered, stopped",
    "tablets\ttwice daily\u00a0by mouth, intra-articular, i.v., s.c., per os",
    "Patients weighing 40-60 KG: 500 mg; CrCl >= 50 mL/min; eGFR < 30; 5 mCi/5 mg; each 21-day CYCLE",
]


@pytest.fixture(scope="module")
def texts() -> list[str]:
    rows = [
        *load_labelled(FIXTURES / "regimens_labelled.jsonl"),
        *load_labelled(FIXTURES / "regimens_heldout.jsonl"),
    ]
    return [normalise_text(str(row["text"])) for row in rows] + TRICKY


def _reference(patterns: WordPatterns, text: str) -> list[tuple[tuple[int, int], str]]:
    return [(m.span(), m.lastgroup or "") for m in patterns.reference.finditer(text)]


@pytest.mark.parametrize("name", sorted(PATTERNS))
def test_guarded_word_patterns_match_the_reference(name: str, texts: list[str]) -> None:
    patterns = PATTERNS[name]
    assert "(?=" in patterns.fast.pattern[len(r"(?<!\w)(?=\w)") :]  # guarded, else this proves nothing
    found = 0
    for text in texts:
        # Over the lower-cased text (the fast pattern), as the reference reads the text as written.
        fast = [(m.span(), name) for m, name in patterns.finditer(text)]
        assert fast == _reference(patterns, text), text
        found += len(fast)
    assert found > 0


@pytest.mark.parametrize(
    "pattern, hits",
    [
        # An optional first part: the match can start at its second word.
        (r"\b(?:every\s+)?other\s+day\b", ["every other day", "other day"]),
        # A repeat whose body can be empty, and a zero-width look-around before the first character.
        (r"\b(?:x?)*\d+\s*times\b|\b(?<!no\s)(?=\w)q\d+h\b", ["3 times", "xx12 times", "q8h"]),
        # One-character matches and a character class with a range and a category.
        (r"\b[a-c\d]\b|\bz{1,3}y\b", ["a", "7", "zzy", "zy"]),
    ],
)
def test_guards_let_every_match_through(pattern: str, hits: list[str]) -> None:
    patterns = word_start_regex([("x", pattern)])
    for hit in hits:
        text = f"({hit}) and {hit.upper()}"
        assert [span for span, _ in _reference(patterns, text)], hit  # the case is a real match
        assert [(m.span(), n) for m, n in patterns.finditer(text)] == _reference(patterns, text), hit


def test_patterns_the_guard_cannot_read_stay_unguarded() -> None:
    # A group that folds case, or a pattern that can match nothing, is tried at every word start.
    for pattern in (r"\b(?i:abc)", r"\b(?:ab)?", r"\b.x", r"\b(?P<u>mg)|\b(?P=u)s"):
        fast = word_start_regex([("x", pattern)]).fast.pattern
        assert fast.count("(?=") == 1, fast  # only the word-start look-ahead


def test_ascii_text_skips_translation(texts: list[str]) -> None:
    for text in [*texts, "a\tb", "x – y ～ z"]:
        if "\\" not in text:  # markdown escapes are another step
            assert normalise_text(text) == text.translate(_TRANSLATE)
    assert normalise_text("a\tb") == "a b"


def test_sentence_cues_are_found_in_the_whole_text(texts: list[str]) -> None:
    # The pre-checks rest on this: a cue found in one sentence is found in the whole text, at the same
    # place or inside a longer cue found there.
    checked = 0
    for text in texts:
        reach = clauses.condition_reach(text)
        dose_in_words = _DOSE_IN_WORDS.search(text) is not None
        for sentence in clauses.sentences(text):
            chunk = text[sentence.start : sentence.end]
            for offset, _ in clauses.find_conditions(text, sentence):
                assert any(start <= offset < end for start, end in reach), (text, offset)
                checked += 1
            assert dose_in_words or _DOSE_IN_WORDS.search(chunk) is None, chunk
    assert checked > 0
    assert re.search(r"\bif\b", TRICKY[3].lower()) and clauses.condition_reach(TRICKY[3])


def test_stage_pre_checks_never_skip_a_match(texts: list[str]) -> None:
    # Each pre-check is a necessary condition of its pattern: where it fails, the pattern finds nothing.
    for text in texts:
        if thresholds._NUMBER_KG.search(text) is None:
            assert (
                thresholds._WEIGHT_BAND.search(text) is None and thresholds._WEIGHT_BOUND.search(text) is None
            )
        if text.isascii() and not any(word in text.lower() for word in thresholds._RENAL_WORDS):
            assert thresholds._RENAL.search(text) is None, text
        if text.isascii() and not any(unit in text.lower() for unit in amounts._ACTIVITY_UNITS):
            assert amounts._MASS_AFTER_ACTIVITY.search(text) is None, text
        if "cycle" not in text.lower():
            assert lexicon.CYCLE.search(text) is None, text
        if "/" not in text or amounts._COMBO_HINT.search(text) is None:
            assert amounts._COMBO.search(text) is None, text
    # And each finds what its stage reads in a text that has it.
    found = thresholds.find_thresholds(TRICKY[-1])
    assert {t.condition.measure for t in found} == {"weight", "renal function"} and len(found) == 3
    assert lexicon.cycle_frequency(TRICKY[-1]) is not None
    assert [a.unit for a in amounts._masses_after_activity(TRICKY[-1], [])] == ["mg"]


# Each pattern rewritten to begin with what it consumes (so that the engine skips to its first character)
# beside the plain form it replaced, over every text and the strings written for them: the same matches,
# or for a hint only searched for, the same answer.
REWRITTEN = [
    (
        clauses._BOUNDARY,
        re.compile(r"[.!?](?=\s+[A-Z0-9•*\-\"'(\[])|\n\n*|[.!?]$|\s\d+\.\s(?=[A-Z])|•"),
        True,
    ),
    (drugs._SPACED_HINT, re.compile(r"\b[A-Z]{2,6} \d"), False),
    (drugs._INNER_HYPHEN, re.compile(r"(?<=[A-Za-z0-9])-(?=[A-Za-z0-9])"), True),
    (drugs._GLUED_HINT, re.compile(r"[A-Za-z]{5}\d"), False),
    (amounts._RUN, re.compile(r"\.?\d[\d.]*"), True),
    (
        drugs._RADIOLABELLED,
        re.compile(
            r"(?<![A-Za-z0-9\-])\d{1,3}[A-Z][a-z]?-(?=[A-Za-z-]*\d)[A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)*"
        ),
        True,
    ),
]
EDGES = [
    "a.\n\nB c.",
    "x. 1. Y",
    "end.",
    "a •b",
    "a\r\n2. X",
    "a.  B",
    "a.\tB",
    "1.\n",
    "a!",
    "?",
    "\n\n\nz",
    "ISIS 2503 and xSCH 66336; AB 1",
    "ABCDEFG 12",
    "É AB 3",
    "MK-3475, -5, a-, -b, x-y",
    "Ofloxacin400 mg",
    "abcd5 Éabcde6",
    "x.5 .5, 1.2.3 . .a 3. 4..5",
    "131I-cG250, 89Zr-RO5323441 177Lu-PSMA-617 a1-B2 -12Ab-3 x131I-cG2 1234Lu-X1",
]


@pytest.mark.parametrize("index", range(len(REWRITTEN)))
def test_rewritten_patterns_match_their_plain_forms(index: int, texts: list[str]) -> None:
    fast, plain, same_matches = REWRITTEN[index]
    found = 0
    for text in [*texts, *EDGES]:
        expected = [(m.span(), m.group()) for m in plain.finditer(text)]
        if same_matches:
            assert [(m.span(), m.group()) for m in fast.finditer(text)] == expected, text
        else:
            assert (fast.search(text) is not None) == bool(expected), text
        found += len(expected)
    assert found > 0


SCI_EDGES = [
    "5 x 10^6 cells/kg, 2.5×10(8) CFU, 1e9 vg/kg, 10^7 cells, 3 X 10 to the 5th, 2- 5 x 105 cells/kg",
    "1,000,000 IU, 10 000 IU, 0,5 mg, 10 mg, 100 mg, 1.5E+3 units, 6 million cells, 4*10^6, 10 e 5",
    "2019 to 2021, 1 and 2 mg, between 10 and 20 mg, from 5 to 10 mg/kg, 3\tx 10^4, .5 mg",
]


def test_the_science_notation_guard_keeps_every_amount(texts: list[str]) -> None:
    """_AMOUNT with the look-ahead before the power-of-ten forms reads every amount (span and groups) as
    the pattern without it, wherever a run of digits starts (where the parser tries it) and anywhere."""
    guard = amounts._SCI_GUARD
    plain = re.compile(amounts._AMOUNT.pattern.replace(guard, ""))
    assert guard in amounts._AMOUNT.pattern and guard not in plain.pattern
    sci = 0
    for text in [*texts, *SCI_EDGES]:
        for start in [m.start() for m in amounts._RUN.finditer(text)]:
            fast, expected = amounts._AMOUNT.match(text, start), plain.match(text, start)
            assert (fast and (fast.span(), fast.groupdict())) == (
                expected and (expected.span(), expected.groupdict())
            )
            sci += bool(expected and amounts._is_sci(expected.group("lo")))
        assert [m.groupdict() for m in amounts._AMOUNT.finditer(text)] == [
            m.groupdict() for m in plain.finditer(text)
        ], text
    assert sci >= 5


def test_whole_text_pre_checks_are_necessary(texts: list[str]) -> None:
    split_hint = 0
    for text in [*texts, "given p. o. b. i. d.", "S. C. once", "İ. V. daily", "a. b"]:
        if parse._SPLIT_HINT.search(text) is None:
            assert parse._SPLIT_ABBREVIATION.search(text) is None, text
        else:
            split_hint += 1
        lowered = text.lower()
        if not any(word in lowered for word in parse._CELL_WORDS):
            assert parse._CELL_CONTEXT.search(text) is None, text
        assert passes._DOSE_IN_WORDS_FAST.matches(text) == (_DOSE_IN_WORDS.search(text) is not None), text
    assert split_hint > 0
    assert passes._DOSE_IN_WORDS_FAST.matches("at the STANDARD dose") and parse._cell_context("CAR-T cells")


def test_the_gate_reading_is_kept_beside_the_item_not_in_it() -> None:
    item = RegimenItem(text="5 mg")
    assert (item.gate_features, item.gate_score) == ([], None)
    item.note_gate([1.0, 0.0], 0.75)
    assert (item.gate_features, item.gate_score) == ([1.0, 0.0], 0.75)
    assert "_gate" not in item.model_dump() and "gate" not in item.model_dump_json()
    assert item == RegimenItem(text="5 mg")  # the gate's reading is not one of the item's fields
