"""A medicine the note gives as past ("stopped theophylline three years ago", "previously took …",
"aspirin was discontinued") is not taken now: a criterion about now ("currently on", "concurrent") is
not met by it, a bare drug criterion (now or ever?) is left open, and one about the past ("prior") is
met. An exclusion found false stays false whatever its "unless …" exception says. Texts written for
these tests."""

from __future__ import annotations

import pytest

from trialatlas.match.patient import load_patient
from verdict_support import status_of


@pytest.mark.parametrize(
    ("note", "current"),
    [
        ("He stopped theophylline three years ago.", False),
        ("Aspirin was discontinued in 2019.", False),
        ("She came off methotrexate last spring.", False),
        ("He previously took theophylline.", False),
        ("He takes theophylline daily.", True),
        ("He takes metformin and stopped aspirin last year.", True),  # metformin: the stop is aspirin's
        # The audit's case (issue #14): the gerund and the nominal forms say it as well as the verb.
        ("Lupus nephritis in remission after stopping mycophenolate.", False),
        ("Flare after discontinuation of azathioprine in 2020.", False),
        ("Off prednisone since March.", False),
        ("Continued hydroxychloroquine after stopping mycophenolate.", True),  # the stop is mycophenolate's
    ],
)
def test_the_note_reader_marks_a_stopped_medicine_as_not_current(note: str, current: bool) -> None:
    medication = load_patient(note).medications[0]
    assert medication.present
    assert medication.current is current


@pytest.mark.parametrize(
    ("criterion", "note", "expected"),
    [
        ("Concurrent theophylline", "He stopped theophylline three years ago.", "not excluded"),
        ("Currently taking theophylline", "He previously took theophylline.", "not excluded"),
        ("Currently taking warfarin", "Warfarin was discontinued two years ago.", "not excluded"),
        ("Currently taking theophylline", "He takes theophylline.", "excluded"),
        ("Currently taking aspirin", "He takes metformin and stopped aspirin last year.", "not excluded"),
        ("Currently taking metformin", "He takes metformin and stopped aspirin last year.", "excluded"),
        # A bare drug may ask about now or ever: a past one leaves it open.
        ("Theophylline", "He stopped theophylline three years ago.", "unknown"),
        # About the past: a stopped medicine was taken.
        ("Prior theophylline", "He stopped theophylline three years ago.", "excluded"),
        # A window is held against the dated stop, as before.
        ("Theophylline within 30 days", "He stopped theophylline three years ago.", "not excluded"),
    ],
)
def test_a_past_medicine_does_not_meet_a_criterion_about_now(
    criterion: str, note: str, expected: str
) -> None:
    assert status_of(criterion, note, kind="exclusion") == expected


UNLESS = (
    "Currently on active therapy with carbamazepine or theophylline, unless the investigator agrees "
    "to carefully monitor blood levels."
)


def test_an_exclusion_found_false_is_not_reopened_by_its_unless_clause() -> None:
    assert status_of(UNLESS, "60-year-old man; he stopped theophylline years ago.", kind="exclusion") == (
        "not excluded"
    )
    assert status_of(UNLESS, "60-year-old man; takes no medications.", kind="exclusion") == "not excluded"
    # On the drug, whether the investigator agrees the note does not say.
    assert status_of(UNLESS, "60-year-old man; he takes carbamazepine.", kind="exclusion") == "unknown"


def test_an_inclusion_s_exception_may_still_be_the_patient_s_case() -> None:
    criterion = (
        "No other malignancy except carcinoma in situ of the cervix or basal cell carcinoma of the skin"
    )
    note = "47-year-old woman. Carcinoma in situ of the cervix was treated in 2015. No other cancers."
    assert status_of(criterion, note) != "not met"
