"""Verdicts a clinician must not act on (issue #14): infections of the past, serology, bacteraemia,
normal findings, washouts for treatments never given, and rule-outs. A wrong answer is worse than
"unknown": each case here was "met" / "not met" the wrong way round before, and is now right or open.
Texts written for these mechanisms; the probe set (tests/fixtures/confident_probes.jsonl) is checked by
its aggregates in tests/test_confident_probes.py."""

from __future__ import annotations

import pytest

from trialatlas.text.criteria import CriterionKind
from verdict_support import parsed_criterion, status_of


@pytest.mark.parametrize(
    ("criterion", "note", "kind", "expected"),
    [
        # A washout asks nothing of a patient who never had the treatment.
        (
            "At least 4 weeks since prior chemotherapy",
            "She has never received chemotherapy.",
            "inclusion",
            "met",
        ),
        ("At least 3 weeks since prior radiation therapy", "No prior radiation.", "inclusion", "met"),
        ("More than 4 weeks since prior major surgery", "He has never had surgery.", "inclusion", "met"),
        # ... and a dated last dose still decides it.
        (
            "At least 4 weeks since prior chemotherapy",
            "Last dose of cisplatin 10 days ago.",
            "inclusion",
            "not met",
        ),
        (
            "At least 4 weeks since prior chemotherapy",
            "Last dose of cisplatin 3 months ago.",
            "inclusion",
            "met",
        ),
        # A window within the time since is not a washout.
        (
            "Chemotherapy within 4 weeks before enrollment",
            "She has never received chemotherapy.",
            "exclusion",
            "not excluded",
        ),
        (
            "Less than 3 weeks since prior chemotherapy",
            "Last dose of cisplatin 2 months ago.",
            "exclusion",
            "not excluded",
        ),
        (
            "Less than 3 weeks since prior chemotherapy",
            "Last dose of cisplatin 5 days ago.",
            "exclusion",
            "excluded",
        ),
        # An antibody that is immunity is no infection.
        (
            "Hepatitis B infection",
            "Hepatitis B surface antibody 250 mIU/mL after a hepatitis B vaccine series.",
            "exclusion",
            "not excluded",
        ),
        # The vaccine's name is no infection, and "anti-HBs" is the surface antibody's short name: read
        # as the long form above is (before this round it was not read, leaving the criterion open).
        (
            "Hepatitis B infection",
            "Anti-HBs 250 mIU/mL after a hepatitis B vaccine series.",
            "exclusion",
            "not excluded",
        ),
        ("HBsAg positive", "HBsAg positive, anti-HBs negative.", "exclusion", "excluded"),
        # A cured infection, or a latent one, is not one now; an unqualified criterion is left open.
        (
            "Active hepatitis C",
            "Anti-HCV reactive; HCV RNA not detected after 12 weeks of sofosbuvir/velpatasvir.",
            "exclusion",
            "not excluded",
        ),
        (
            "Hepatitis C infection",
            "Anti-HCV reactive; HCV RNA not detected after 12 weeks of sofosbuvir/velpatasvir.",
            "exclusion",
            "unknown",
        ),
        ("Hepatitis C infection", "Anti-HCV reactive.", "exclusion", "excluded"),
        (
            "Active tuberculosis",
            "Latent tuberculosis treated with rifampin for four months in 2019.",
            "exclusion",
            "not excluded",
        ),
        # An infection of the past does not meet a criterion about one now.
        ("Active hepatitis", "Hepatitis E as a teenager, no sequelae.", "exclusion", "unknown"),
        (
            "Sepsis",
            "She was admitted with sepsis from pyelonephritis three years ago.",
            "exclusion",
            "unknown",
        ),
        (
            "Sepsis",
            "Admitted yesterday with sepsis from pyelonephritis on norepinephrine.",
            "exclusion",
            "excluded",
        ),
        (
            "History of sepsis",
            "She was admitted with sepsis from pyelonephritis three years ago.",
            "exclusion",
            "excluded",
        ),
        # A bacteraemia is a bacterial infection, not by itself sepsis.
        ("Sepsis", "Klebsiella bacteraemia on meropenem; blood pressure normal.", "exclusion", "unknown"),
        ("Active bacterial infection", "Klebsiella bacteraemia on meropenem.", "exclusion", "excluded"),
        # A headache is no neurological disease; "ruled out" ending its clause negates what precedes it.
        ("Active CNS disease", "Headaches for a week; MRI brain normal.", "exclusion", "unknown"),
        (
            "Pulmonary embolism",
            "Pulmonary embolism ruled out; dyspnoea from pneumonia.",
            "exclusion",
            "not excluded",
        ),
    ],
)
def test_confident_wrong_verdicts_are_right_or_open(
    criterion: str, note: str, kind: CriterionKind, expected: str
) -> None:
    assert status_of(criterion, note, kind=kind) == expected


@pytest.mark.parametrize(
    ("text", "relation", "days"),
    [
        ("No more than 6 weeks since prior surgery", "within", 42.0),
        ("Less than 2 weeks since prior radiotherapy", "within", 14.0),
        ("At least 2 weeks since prior radiotherapy", "after", 14.0),
    ],
)
def test_an_upper_bound_on_the_time_since_is_a_window_back(text: str, relation: str, days: float) -> None:
    window = parsed_criterion(text).rules[0].window
    assert window is not None
    assert (window.relation, window.days) == (relation, days)
