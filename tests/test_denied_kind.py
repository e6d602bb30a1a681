"""Denying a kind of a disease does not deny its class (issue #14, room matchleft): "No history of breast,
colon or lung cancer" leaves "Prior malignancy" open (another cancer is not ruled out), and so a class
"including but not limited to" its examples stays open when the note denies every example; denying the
class itself still rules it out."""

from __future__ import annotations

import pytest

from verdict_support import status_of


@pytest.mark.parametrize(
    ("criterion", "note", "expected"),
    [
        ("History of cancer", "No history of breast cancer.", "unknown"),
        ("History of cancer", "No history of cancer.", "not excluded"),
        ("Breast cancer", "No history of breast cancer.", "not excluded"),
        ("Heart disease", "Denies coronary artery disease.", "unknown"),
        (
            "Chronic liver disease, including but not limited to cirrhosis and autoimmune hepatitis",
            "No cirrhosis or autoimmune hepatitis.",
            "unknown",
        ),
        (
            "Chronic liver disease, including but not limited to cirrhosis and autoimmune hepatitis",
            "No chronic liver disease.",
            "not excluded",
        ),
    ],
)
def test_a_denied_kind_leaves_its_class_open(criterion: str, note: str, expected: str) -> None:
    assert status_of(criterion, note, kind="exclusion") == expected
