"""Examples of a class joined by "and" are any of them (issue #14, room auditleft): "infections …,
including but not limited to HBV and HCV infection, HIV infection, and CMV infection" (NCT05916781's
shape) lists kinds of infection, so one of them is enough; labelled before the engine ran on them."""

from __future__ import annotations

import pytest

from verdict_support import status_of

INFECTIONS = (
    "Patients with active infections requiring antiviral treatment, including but not limited to "
    "hepatitis B and hepatitis C infection, HIV infection, and cytomegalovirus infection."
)


@pytest.mark.parametrize(
    ("note", "expected"),
    [
        ("Chronic hepatitis B, HBsAg positive, HBV DNA 5,000 IU/mL, on tenofovir.", "excluded"),
        ("HIV-positive on antiretroviral therapy.", "excluded"),
        # Left (labelled first, not met by the engine): the class itself ("active infections requiring
        # antiviral treatment", "not limited to" the examples) stays open when every example is denied.
        pytest.param(
            "HBsAg negative, anti-HCV negative, HIV negative, CMV IgG negative.",
            "not excluded",
            marks=pytest.mark.xfail(strict=True, reason="the class beyond its examples stays unknown"),
        ),
    ],
)
def test_examples_joined_by_and_are_any_of_them(note: str, expected: str) -> None:
    assert status_of(INFECTIONS, note, kind="exclusion") == expected
