"""The record's structured eligibility limits are criteria (issue #14, room auditleft): a trial with no
criteria text and only structured limits is judged on them. ClinicalTrials.gov's standard age groups
(child 0-17, adult 18-64, older adult 65+) bound the age when the record gives no minimum or maximum,
so a 9-year-old boy is not eligible for a trial of adult men (NCT05632042's shape)."""

from __future__ import annotations

import pytest

from trialatlas.match.patient import profile_from_note
from trialatlas.match.verdict import evaluate_trial
from trialatlas.model import Eligibility, Trial
from trialatlas.model.enums import Sex, StandardAge


def _trial(sex: Sex | None, ages: list[StandardAge], minimum: float | None = None) -> Trial:
    eligibility: dict[str, object] = {"sex": sex, "std_ages": ages}
    if minimum is not None:
        eligibility["minimum_age"] = {"value": minimum, "unit": "YEARS", "years": minimum}
    return Trial(
        nct_id="NCT09000001", brief_title="Psoriasis", eligibility=Eligibility.model_validate(eligibility)
    )


ADULT_MEN = _trial(Sex.MALE, [StandardAge.ADULT])
ADULT_WOMEN = _trial(Sex.FEMALE, [StandardAge.ADULT])


@pytest.mark.parametrize(
    ("trial", "note", "expected"),
    [
        (ADULT_MEN, "A 9-year-old boy with plaque psoriasis.", "ineligible"),
        (ADULT_MEN, "A 40-year-old man with plaque psoriasis.", "eligible"),
        (ADULT_MEN, "A 40-year-old woman with plaque psoriasis.", "ineligible"),
        (ADULT_MEN, "A 70-year-old man with plaque psoriasis.", "ineligible"),
        # A sex limit the note cannot answer (no sex stated) is unknown, never met (room matchleft).
        (ADULT_MEN, "A 40-year-old with plaque psoriasis.", "possibly eligible"),
        (ADULT_WOMEN, "A 40-year-old with plaque psoriasis.", "possibly eligible"),
        (ADULT_WOMEN, "A 40-year-old woman with plaque psoriasis.", "eligible"),
        (
            _trial(None, [StandardAge.ADULT, StandardAge.OLDER_ADULT]),
            "A 70-year-old man with psoriasis.",
            "eligible",
        ),
        (_trial(None, [StandardAge.CHILD]), "A 9-year-old boy with psoriasis.", "eligible"),
        (_trial(None, [StandardAge.CHILD]), "A 35-year-old woman with psoriasis.", "ineligible"),
        # A stated minimum age is the record's own limit; the age groups do not override it.
        (_trial(None, [StandardAge.ADULT], minimum=12), "A 14-year-old girl with psoriasis.", "eligible"),
    ],
)
def test_structured_limits_decide_a_trial_without_criteria_text(
    trial: Trial, note: str, expected: str
) -> None:
    verdict = evaluate_trial(trial, profile_from_note(note))
    assert verdict.status == expected, [(c.text, c.status, c.reason) for c in verdict.criteria]


def test_age_groups_with_no_age_in_the_note_leave_the_trial_undecided() -> None:
    verdict = evaluate_trial(ADULT_MEN, profile_from_note("A man with plaque psoriasis."))
    assert verdict.status != "eligible"
