"""A relative's illness in a note is the relative's: "His father was diagnosed with prostate cancer",
"Her mother and maternal aunt both have glaucoma" give the patient nothing; an age in a criterion
about a relative ("a first-degree relative diagnosed at age 55 or less") is the relative's age."""

from __future__ import annotations

from trialatlas.match.patient import profile_from_note
from trialatlas.text.criteria import CriterionKind
from verdict_support import verdict_of


# The shared verdict with its reason beside the status: the tests read both.
def _verdict(criterion: str, kind: CriterionKind, note: str) -> tuple[str, str]:
    verdict = verdict_of(criterion, note, kind=kind)
    return verdict.status, verdict.reason


def test_a_relatives_illness_named_as_the_subject_is_the_relatives() -> None:
    for note in (
        "52-year-old man. His father was diagnosed with prostate cancer at 70.",
        "40-year-old woman. Her mother and maternal aunt both have open-angle glaucoma.",
        "30-year-old man. His older brother had a stroke at 45.",
    ):
        conditions = [c for c in profile_from_note(note).conditions if c.concept not in (None,)]
        assert conditions, note
        assert all(c.family for c in conditions), note


def test_the_patients_own_illness_beside_a_relatives_is_still_the_patients() -> None:
    note = "60-year-old woman with glaucoma on latanoprost. Her mother also had glaucoma."
    own = [c for c in profile_from_note(note).conditions if c.concept == "glaucoma" and not c.family]
    assert own


def test_a_relatives_illness_does_not_exclude_the_patient_and_says_whose_it_is() -> None:
    note = "45-year-old woman with migraine. Her mother has open-angle glaucoma."
    status, reason = _verdict("History of glaucoma", "exclusion", note)
    assert status != "excluded"
    assert "relative" in reason


def test_an_age_in_a_criterion_about_a_relative_is_not_the_patients() -> None:
    note = "48-year-old man. His father was diagnosed with prostate cancer at age 61."
    criterion = "One first degree relative diagnosed with prostate cancer at age 55 or less."
    assert _verdict(criterion, "inclusion", note)[0] != "met"
