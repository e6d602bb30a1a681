"""An HIV status written without the word "test" is read with its result, in notes and in criteria.

"HIV positive" in a note carries its result inside the mention; "Negative HIV test" in a criterion puts
the result before what was tested. Texts are written here; expected answers were written first.
"""

from __future__ import annotations

import pytest

from trialatlas.match.patient import load_patient
from verdict_support import verdict_of

POSITIVE = "A 38-year-old woman, HIV positive, on antiretroviral therapy."
NEGATIVE = "A 38-year-old woman. HIV negative."


@pytest.mark.parametrize(
    ("note", "status"),
    [
        (POSITIVE, "positive"),
        ("A 41-year-old man who is HIV-positive.", "positive"),
        ("She is HIV positive since 2015.", "positive"),
        (NEGATIVE, "negative"),
    ],
)
def test_a_note_keeps_the_result_written_in_the_mention(note: str, status: str) -> None:
    infections = [i for i in load_patient(note).infections if i.pathogen == "HIV"]
    assert [i.status for i in infections] == [status]


@pytest.mark.parametrize(
    ("text", "note", "expected"),
    [
        ("Negative HIV test", POSITIVE, "not met"),
        ("Negative HIV test", NEGATIVE, "met"),
        ("Must be HIV negative", POSITIVE, "not met"),
        ("Must be HIV negative", NEGATIVE, "met"),
        ("HIV positive", POSITIVE, "met"),
        ("HIV positive", NEGATIVE, "not met"),
    ],
)
def test_an_inclusion_on_hiv_status_follows_the_result(text: str, note: str, expected: str) -> None:
    verdict = verdict_of(text, note)
    assert verdict.status == expected, verdict.reason
