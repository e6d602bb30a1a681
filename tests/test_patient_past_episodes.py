"""An episode the note dates weeks back and calls treated ("treated for pneumonia three months ago")
does not meet "active …": whether it is still active is open. A test result given as undetectable,
not detected or non-reactive is a negative one."""

from __future__ import annotations

from trialatlas.match.patient import profile_from_note
from verdict_support import status_of


def test_a_treated_episode_weeks_ago_leaves_active_open() -> None:
    note = "Man of 66 with myeloma. He was treated for pneumonia two months ago with levofloxacin."
    assert status_of("Active infection", note, kind="exclusion") == "unknown"


def test_a_current_episode_is_active() -> None:
    note = "Man of 66 with myeloma and pneumonia diagnosed yesterday, now on ceftriaxone."
    assert status_of("Active infection", note, kind="exclusion") == "excluded"


def test_an_episode_dated_but_not_said_treated_is_not_reopened() -> None:
    # Diagnosed three years ago and nothing says it ended: the dated mention is no past episode.
    note = "Woman of 50 with rheumatoid arthritis diagnosed three years ago."
    assert status_of("Active infection", note, kind="exclusion") != "excluded"


def test_undetectable_and_non_reactive_results_are_negative() -> None:
    for sentence, pathogen in (
        ("CMV PCR has been undetectable for eight weeks.", "CMV"),
        ("HIV antibody non-reactive.", "HIV"),
        ("HCV RNA not detected.", "HCV"),
    ):
        infections = profile_from_note(sentence).infections
        assert [(i.pathogen, i.status) for i in infections] == [(pathogen, "negative")], sentence
