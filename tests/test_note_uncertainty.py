"""Uncertainty in a note (ConText's "uncertain" category): a patient who does not recall, is not sure
of, or whose history of something is unknown or unclear leaves the fact unknown, not absent. The
"not" inside "does not recall" or "not sure whether" is never read as a denial."""

from __future__ import annotations

import pytest

from trialatlas.match.patient import profile_from_note
from verdict_support import status_of


def _conditions(note: str) -> dict[str, tuple[bool, bool]]:
    return {c.name.lower(): (c.present, c.uncertain) for c in profile_from_note(note).conditions}


@pytest.mark.parametrize(
    "note",
    [
        "She does not remember ever having had asthma.",
        "He can't recall whether he had asthma as a boy.",
        "Patient is unsure if she has asthma.",
        "Uncertain history of asthma.",
        "Whether he had asthma as a child is unclear.",
        "It is not known whether she had asthma.",
    ],
)
def test_uncertainty_leaves_the_condition_open(note: str) -> None:
    assert _conditions(note) == {"asthma": (True, True)}
    assert status_of("History of asthma", note, kind="exclusion") == "unknown"
    assert status_of("No history of asthma", note) == "unknown"


def test_a_denial_stays_a_denial_beside_an_uncertainty() -> None:
    note = "He does not have asthma. He is not sure when his last influenza vaccine was given."
    assert _conditions(note)["asthma"] == (False, False)
    assert status_of("History of asthma", note, kind="exclusion") == "not excluded"
    assert _conditions("She does not have asthma.") == {"asthma": (False, False)}
