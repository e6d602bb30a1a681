"""An "active" infection criterion is answered by tests of the pathogen itself (RNA, DNA, antigen), not
by an antibody: before, "Hepatitis C antibody positive; HCV RNA undetectable since he was cured"
excluded a patient from "Active hepatitis B or hepatitis C infection" (clinical suite c940)."""

from __future__ import annotations

import pytest

from verdict_support import status_of

ACTIVE = "Active hepatitis B or hepatitis C infection"


@pytest.mark.parametrize(
    "note",
    [
        "Man of 60. Anti-HCV positive, HCV RNA not detected. HBsAg negative.",
        "Woman of 45. HBsAg negative. Hepatitis C antibody positive; HCV viral load undetectable.",
        "Man of 58. HBsAg negative. HCV antibody positive; hepatitis C was cured with sofosbuvir in 2019.",
    ],
)
def test_an_antibody_beside_a_negative_direct_test_or_a_cure_is_no_active_infection(note: str) -> None:
    assert status_of(ACTIVE, note, kind="exclusion") == "not excluded"


def test_an_antibody_alone_leaves_active_open() -> None:
    assert (
        status_of(ACTIVE, "Woman of 50. HBsAg negative. Hepatitis C antibody positive.", kind="exclusion")
        == "unknown"
    )


@pytest.mark.parametrize(
    "note",
    [
        "Man of 52. HBsAg positive with HBV DNA 20,000 IU/mL.",
        "Woman of 39. Anti-HCV positive and HCV RNA positive at 1.2 million IU/mL.",
        "Man of 61 with chronic hepatitis C infection.",
    ],
)
def test_a_direct_test_or_a_plain_infection_is_active(note: str) -> None:
    assert status_of(ACTIVE, note, kind="exclusion") == "excluded"


def test_hiv_antibody_is_an_infection_and_a_positive_marker_still_counts_for_a_plain_criterion() -> None:
    # HIV is never cleared: its antibody is the infection.
    assert (
        status_of("Active HIV infection", "Man of 40. HIV antibody positive.", kind="exclusion") == "excluded"
    )
    # A criterion that does not ask for activity keeps reading any positive marker as positive.
    assert (
        status_of("HCV positive", "Man. Anti-HCV positive, HCV RNA undetectable.", kind="exclusion")
        == "excluded"
    )


def test_a_treated_episode_with_a_negative_test_of_its_pathogen_is_over() -> None:
    treated = (
        "Woman of 59 with lymphoma. She was treated for CMV pneumonitis three months ago with ganciclovir"
    )
    assert status_of(
        "Active serious infection",
        f"{treated}; CMV PCR has been undetectable for eight weeks.",
        kind="exclusion",
    ) == ("not excluded")
    # Without the test, whether it is still active stays open.
    assert status_of("Active serious infection", f"{treated}.", kind="exclusion") == "unknown"
