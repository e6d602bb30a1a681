"""The vocabularies' one look-up of a text's words: every matcher reads its own mentions from it, the
same as it would find alone, whichever matchers joined before or after the text was first read."""

from __future__ import annotations

from trialatlas.extract.criteria.vocab import Matcher, analyte_matcher, condition_matcher, infection_matcher

TEXT = "History of lupus nephritis (LN) or HIV infection; hemoglobin < 9 g/dL; Lupus Nephritis class IV"


def _concepts(matcher: Matcher, text: str) -> list[tuple[int, int, str]]:
    return [(m.start, m.end, m.concept) for m in matcher.find(text)]


def test_a_matcher_joining_after_a_text_was_read_still_finds_its_names_there() -> None:
    before = _concepts(condition_matcher(), TEXT)  # the text is read before the new vocabulary joins
    late = Matcher({"lupus nephritis": "late_ln", "class iv": "late_class"}, {"LN": "late_ln"})
    found = _concepts(late, TEXT)
    assert [concept for _, _, concept in found] == ["late_ln", "late_ln", "late_ln", "late_class"]
    assert [TEXT[start:end] for start, end, _ in found] == [
        "lupus nephritis",
        "LN",
        "Lupus Nephritis",
        "class IV",
    ]
    # The vocabularies read before it find what they found.
    assert _concepts(condition_matcher(), TEXT) == before


def test_two_vocabularies_sharing_a_first_word_each_find_their_own_longest_name() -> None:
    short = Matcher({"lupus": "lupus"}, {})
    long = Matcher({"lupus nephritis class iv": "class_iv_ln", "hiv": "hiv"}, {})
    first, second, hiv = TEXT.find("lupus"), TEXT.find("Lupus"), TEXT.find("HIV")
    assert _concepts(short, TEXT) == [(first, first + 5, "lupus"), (second, second + 5, "lupus")]
    assert _concepts(long, TEXT) == [(hiv, hiv + 3, "hiv"), (second, len(TEXT), "class_iv_ln")]


def test_each_vocabulary_keeps_to_its_own_names() -> None:
    analytes = {m.concept for m in analyte_matcher().find(TEXT)}
    infections = {m.concept for m in infection_matcher().find(TEXT)}
    assert analytes and infections and analytes.isdisjoint(infections)
    assert not analyte_matcher().find("no words of any vocabulary here")
