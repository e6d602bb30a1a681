"""A grade, stage or class the note states in a later clause or a second mention of the condition."""

from __future__ import annotations

from trialatlas.match.patient import profile_from_note
from verdict_support import status_of


def test_a_negation_ends_where_a_new_predicate_begins() -> None:
    # "without … , graded as grade 1 neuropathy": the neuropathy itself is not negated.
    note = "Woman, 58, on paclitaxel. Tingling in both feet without weakness, graded as grade 1 neuropathy."
    conditions = [c for c in profile_from_note(note).conditions if c.concept and "neuropath" in c.concept]
    assert conditions and all(c.present for c in conditions)


def test_the_mention_stating_the_grade_decides() -> None:
    note = (
        "Man, 61, with rectal cancer on chemoradiation. He has loose stools six times a day, "
        "recorded as grade 2 diarrhea."
    )
    assert status_of("Grade 3 or 4 diarrhea", note, kind="exclusion") == "not excluded"
    assert status_of("Diarrhea grade 2 or higher", note) != "not met"


def test_no_grade_anywhere_stays_unknown() -> None:
    note = "Man, 61, with rectal cancer. He has loose stools six times a day."
    assert status_of("Grade 3 or 4 diarrhea", note, kind="exclusion") == "unknown"
