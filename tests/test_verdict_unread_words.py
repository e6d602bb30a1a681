"""Words no rule read hold a criterion back only when they could change its answer (issue 14).

The unread words are one more undecided atom where they stand: another branch of the list they sit in,
a narrowing of the atom they qualify, or one more requirement of the whole criterion. Texts and notes
are written here; each expected verdict was written before the code was run.
"""

from __future__ import annotations

import pytest

from verdict_support import verdict_of


@pytest.mark.parametrize(
    ("text", "kind", "note", "expected"),
    [
        # An all-of already failed (no seizure disorder at all): "requiring continuous" cannot revive it.
        (
            "No prior seizure disorder requiring continuous medication",
            "inclusion",
            "A 50-year-old man with hypertension. He denies any history of seizures.",
            "met",
        ),
        # A qualifier narrows an atom the patient does not have at all: no steroids, so no suppressive
        # doses of them either.
        (
            "Must not have taken suppressive doses of glucocorticoids in the past 12 months",
            "inclusion",
            "A 44-year-old woman with asthma. Medications: albuterol inhaler. No steroids.",
            "met",
        ),
    ],
)
def test_unread_words_that_cannot_change_the_answer_do_not_block(
    text: str, kind: str, note: str, expected: str
) -> None:
    verdict = verdict_of(text, note, kind=kind)
    assert verdict.status == expected, verdict.reason
    assert not any(r.kind == "unread" for r in verdict.rules)


@pytest.mark.parametrize(
    ("text", "kind", "note"),
    [
        # Another condition joined by "and": the patient may have it.
        (
            "Must not have taken glucocorticoids and must not have any known adrenal pathology",
            "inclusion",
            "A 44-year-old woman with asthma. Medications: albuterol inhaler. No steroids.",
        ),
        # A qualifier of an atom the patient HAS ("chronic", "high-dose" for a patient on 5 mg
        # prednisone) could turn it either way.
        (
            "Chronic use of high-dose steroids",
            "exclusion",
            "A 60-year-old man with COPD on prednisone 5 mg daily.",
        ),
        # A requirement beside an age that is met (words no vocabulary reads: "orthostatic intolerance"
        # is a condition of ICD-10-CM's).
        (
            "Patients aged 21 or older with chronic postural complaints",
            "inclusion",
            "A 34-year-old woman.",
        ),
    ],
)
def test_unread_words_that_could_change_the_answer_still_block(text: str, kind: str, note: str) -> None:
    verdict = verdict_of(text, note, kind=kind)
    assert verdict.status == "unknown", verdict.reason
    assert any(r.kind == "unread" for r in verdict.rules)


def test_the_same_qualifier_does_not_block_a_patient_without_the_thing_qualified() -> None:
    on_steroids = verdict_of(
        "Chronic use of high-dose steroids", "A 60-year-old man on prednisone 5 mg daily.", kind="exclusion"
    )
    without = verdict_of(
        "Chronic use of high-dose steroids",
        "A 60-year-old man. Medications: tiotropium. No steroids.",
        kind="exclusion",
    )
    assert on_steroids.status == "unknown"
    assert without.status == "not excluded"
