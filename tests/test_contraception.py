"""Contraception: the note's method read as in use or refused, and a criterion's own "unable / not
willing to use" read as the negation of using it (issue #14, round judgeleft). Texts written for these
tests, not the probes'."""

from __future__ import annotations

import pytest

from trialatlas.match.patient import load_patient
from trialatlas.text.criteria import CriterionKind
from verdict_support import parsed_criterion, status_of


@pytest.mark.parametrize(
    ("note", "expected"),
    [
        ("41-year-old woman with a hormonal IUD inserted in 2022.", True),
        ("She is on the birth control pill.", True),
        ("Her partner uses condoms.", True),
        ("She uses no birth control.", False),
        ("She refuses contraception.", False),
        ("Contraceptive counselling offered at the visit.", None),
        ("She plans to start the contraceptive pill after delivery.", None),
        ("Woman aged 36 with hypertension.", None),
    ],
)
def test_the_note_says_whether_she_uses_contraception(note: str, expected: bool | None) -> None:
    assert load_patient(note).contraception is expected


@pytest.mark.parametrize(
    ("criterion", "note", "kind", "expected"),
    [
        # The criterion's own negation: a woman who uses a method is not unable to.
        (
            "Women unwilling to practice birth control",
            "35-year-old woman using the contraceptive patch.",
            "exclusion",
            "not excluded",
        ),
        (
            "Refusal or inability to use contraception",
            "Woman, 33, with an IUD in place.",
            "exclusion",
            "not excluded",
        ),
        (
            "Unable to use effective contraception",
            "Woman, 33; she refuses contraception.",
            "exclusion",
            "excluded",
        ),
        (
            "Must use contraception during the trial",
            "Woman aged 26 on an oral contraceptive.",
            "inclusion",
            "met",
        ),
        (
            "Must use contraception during the trial",
            "Woman aged 26; uses no contraception.",
            "inclusion",
            "not met",
        ),
        # A note silent on contraception leaves the question open, either way round.
        ("Women unable to use birth control", "Woman aged 31 with asthma.", "exclusion", "unknown"),
        # Two methods asked for: one stated shows not enough, refusing shows none.
        (
            "Willing to use two methods of birth control",
            "Woman aged 29 using condoms.",
            "inclusion",
            "unknown",
        ),
        # Pregnancy unknown keeps "pregnant or …, or women … unwilling to use contraception" open.
        (
            "Pregnant or nursing women, or women of childbearing potential unwilling to use contraception",
            "Woman aged 28 using the vaginal ring.",
            "exclusion",
            "unknown",
        ),
        (
            "Pregnant or nursing women, or women of childbearing potential unwilling to use contraception",
            "Woman aged 28 using the vaginal ring; not pregnant and not breastfeeding.",
            "exclusion",
            "not excluded",
        ),
    ],
)
def test_contraception_criteria(criterion: str, note: str, kind: CriterionKind, expected: str) -> None:
    assert status_of(criterion, note, kind=kind) == expected


def test_an_or_naming_people_anew_opens_an_alternative() -> None:
    logic = parsed_criterion(
        "Pregnant or nursing women, or women of childbearing potential unwilling to use contraception",
        kind="exclusion",
    ).logic
    assert logic is not None and logic.op == "any" and logic.cue == "or"
