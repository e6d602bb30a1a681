"""A dose limit standing over a drug that no rule carries leaves that drug's verdict open: "No greater
than 400 mg/m2 prior doxorubicin" was read as "no prior doxorubicin", so a patient given 300 mg/m2
failed it (clinical suite c928, confidently wrong)."""

from __future__ import annotations

import pytest

from trialatlas.match.patient import profile_from_note
from trialatlas.match.verdict import evaluate_criterion
from verdict_support import parsed_criterion, status_of

LIMIT = "No greater than 400 mg/m2 prior doxorubicin or combined total doxorubicin and mitoxantrone"


@pytest.mark.parametrize(
    "note",
    [
        "54-year-old man with lymphoma after R-CHOP; cumulative doxorubicin dose 300 mg/m2.",
        "60-year-old woman with lymphoma; cumulative doxorubicin dose 520 mg/m2.",
        "50-year-old man with lymphoma after six cycles of R-CHOP.",
    ],
)
def test_a_dose_limit_no_rule_carries_leaves_the_drug_open(note: str) -> None:
    assert status_of(LIMIT, note) == "unknown"


def test_a_dose_the_rule_carries_still_decides() -> None:
    note = "45-year-old woman weighing 60 kg on prednisone 40 mg daily."
    assert status_of("Prednisone greater than 20 mg/day", note, kind="exclusion") == "excluded"
    assert status_of("Greater than 0.5 mg/kg/day of prednisone", note, kind="exclusion") == "excluded"


def test_a_dose_in_another_clause_does_not_reach_a_later_drug() -> None:
    criterion = (
        "Disease requiring greater than 1 mg/kg/day of prednisone or greater than 80 mg qd if patients "
        "weigh more than 80 kg, or requiring other systemic immunosuppressants."
    )
    parsed = parsed_criterion(criterion, kind="exclusion")
    note = (
        "35-year-old woman weighing 60 kg on prednisone 20 mg daily; she takes no other immunosuppressants."
    )
    verdict = evaluate_criterion(parsed, profile_from_note(note))
    immunosuppressants = [v for v in verdict.rules if v.text == "immunosuppressants"]
    assert immunosuppressants and "limit not read" not in immunosuppressants[0].reason
    # The drug right under the unread "greater than 80 mg qd" is the one left open.
    assert status_of("Greater than 80 mg qd prior prednisone", note, kind="exclusion") == "unknown"
