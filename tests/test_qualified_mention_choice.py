"""Of several mentions of a condition, the one that states what the criterion qualifies it by speaks:
"follicular lymphoma … treated for CNS lymphoma three years ago" meets "CNS lymphoma (current or
previously treated)" (clinical suite c904), and "… will not be eligible" is the exclusion itself, not
an exception ("be eligible") no rule read."""

from __future__ import annotations

from trialatlas.extract.criteria.negation import find_cues
from trialatlas.match.patient import profile_from_note
from trialatlas.match.verdict import evaluate_criterion
from verdict_support import parsed_criterion, status_of

CRITERION = "Patients with CNS lymphoma (current or previously treated) will not be eligible."


def test_the_mention_stating_the_qualifier_decides() -> None:
    note = (
        "55-year-old woman with follicular lymphoma relapsing in the axillary nodes. She was treated for "
        "CNS lymphoma with high-dose methotrexate three years ago."
    )
    assert status_of(CRITERION, note, kind="exclusion") == "excluded"
    # One mention that does not say CNS leaves it open, as before.
    assert (
        status_of(CRITERION, "47-year-old man with stage III follicular lymphoma.", kind="exclusion")
        == "unknown"
    )


def test_uncontrolled_is_still_needed_from_some_mention() -> None:
    note = "Man with hypertension. His hypertension is well controlled on lisinopril."
    assert status_of("Uncontrolled hypertension", note, kind="exclusion") != "excluded"


def test_will_not_be_eligible_is_no_exception() -> None:
    assert not [c for c in find_cues(CRITERION) if c.category == "exception"]
    # An exception after it is still one.
    text = "Patients with brain metastases are not eligible unless treated and stable."
    assert [c.text for c in find_cues(text) if c.category == "exception"] == ["unless"]


def test_another_things_stage_is_not_the_cancers() -> None:
    # A teenager's stage III lymphoma met "Tanner stage II-IV" (a pubertal stage) before.
    note = "15-year-old girl with stage III Hodgkin lymphoma."
    parsed = parsed_criterion("Tanner stage II-IV")
    assert evaluate_criterion(parsed, profile_from_note(note)).status == "unknown"
    # A stage naming no condition still stages the cancer under study.
    ovarian = "Woman with stage III ovarian cancer."
    for criterion in ("Stage III or IV disease", "FIGO stage III-IV"):
        parsed = parsed_criterion(criterion)
        assert evaluate_criterion(parsed, profile_from_note(ovarian)).status == "met"


def test_a_stated_opposite_denies_the_qualifier() -> None:
    stable = "Man of 72 in NYHA class II heart failure, stable on carvedilol and furosemide."
    assert status_of("Uncontrolled heart failure", stable, kind="exclusion") == "not excluded"
    # Weakened or negated words are no opposite.
    for note in ("Man with poorly controlled heart failure.", "Man with unstable heart failure."):
        assert status_of("Uncontrolled heart failure", note, kind="exclusion") != "not excluded"
