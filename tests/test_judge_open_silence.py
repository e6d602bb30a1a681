"""A criterion whose atom the silence table leaves open ("Not pregnant" for a woman who may bear
children, a lab value) is never "included" because the note shares its words (issue #14, room
matchleft): "she had no prior pregnancies" says nothing of a pregnancy now, so the annotators' answer
stays "not enough information" (inference case c1094's shape). Labelled before the code ran on them."""

from __future__ import annotations

import pytest

from trialatlas.match.judge import RuleJudge

NO_PRIOR = (
    "0. A 34-year-old woman comes to the clinic with weight concerns.\n"
    "1. She has used no contraception for the past 4 months and she had no prior pregnancies."
)
TWO_BIRTHS = "0. A 31-year-old woman with asthma.\n1. Her two pregnancies were uncomplicated."
STATED = "0. A 30-year-old woman with asthma.\n1. She is not pregnant."
MAN = "0. A 45-year-old man with asthma."


@pytest.mark.parametrize(
    ("note", "criterion", "expected"),
    [
        (NO_PRIOR, "Not pregnant", "not enough information"),
        (TWO_BIRTHS, "Women who are not pregnant", "not enough information"),
        (STATED, "Not pregnant", "included"),
        (MAN, "Not pregnant", "not applicable"),
    ],
)
def test_shared_words_do_not_answer_an_open_atom(note: str, criterion: str, expected: str) -> None:
    assert RuleJudge().judge(note, criterion, "inclusion").eligibility == expected
