"""The one tokenizer and its stop words (trialatlas.text.words)."""

from __future__ import annotations

import pytest

from trialatlas.text.words import STOP_WORDS, stop_words, strip_accents, tokens, words


def test_english_stop_words_are_function_words_only() -> None:
    assert {"the", "of", "and", "with", "without", "versus"} <= STOP_WORDS
    # Content words a trial is about must never be stop words.
    assert not {"cancer", "insulin", "lupus", "children", "pain"} & STOP_WORDS


def test_sections_add_room_boilerplate_on_top_of_english() -> None:
    trial = stop_words("english", "trial")
    assert trial > STOP_WORDS and {"study", "patients", "randomised"} & trial == {"study", "patients"}
    dosing = stop_words("english", "dosing")
    assert {"mg", "daily", "orally"} <= dosing and "tacrolimus" not in dosing
    assert "prior" in stop_words("english", "criteria") and "prior" not in STOP_WORDS


def test_unknown_section_is_refused() -> None:
    with pytest.raises(KeyError):
        stop_words("klingon")


def test_words_drop_stop_words_short_words_and_numbers_on_request() -> None:
    text = "The Effect of Anti-TNF in 12 patients with Crohn's disease"
    assert tokens(text) == [
        "the",
        "effect",
        "of",
        "anti",
        "tnf",
        "in",
        "12",
        "patients",
        "with",
        "crohn",
        "s",
        "disease",
    ]
    assert words(text, min_length=2, numbers=False) == [
        "effect",
        "anti",
        "tnf",
        "patients",
        "crohn",
        "disease",
    ]
    assert words(text, min_length=2, compounds=True) == [
        "effect",
        "anti-tnf",
        "12",
        "patients",
        "crohn's",
        "disease",
    ]
    assert words(text, stop=stop_words("english", "trial"), min_length=2) == [
        "anti",
        "tnf",
        "12",
        "crohn",
        "disease",
    ]


def test_accents_are_stripped_and_nothing_else() -> None:
    assert strip_accents("Anémia, béta thalassémie à Zürich") == "Anemia, beta thalassemie a Zurich"
    assert strip_accents("Plain ASCII, kept: 5-FU") == "Plain ASCII, kept: 5-FU"


def test_one_stemmer_joins_plurals_and_keeps_what_is_not_plural() -> None:
    from trialatlas.text.words import stem

    assert stem("therapies") == "therapy"
    assert stem("tumours") == "tumour"
    # Words ending in -ss, -us, -is, -os are not plurals, and short words and codes are kept.
    assert stem("sclerosis") == "sclerosis"
    assert stem("virus") == "virus"
    assert stem("illness") == "illness"
    assert stem("gas") == "gas"
    assert stem("cd20s") == "cd20"
    assert stem("il-17") == "il-17"


def test_the_judge_and_the_related_features_share_the_stemmer() -> None:
    from trialatlas.match import judge
    from trialatlas.related import features
    from trialatlas.text import words

    assert features.stem is words.stem
    assert judge.stem is words.stem
