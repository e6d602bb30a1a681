"""'Absent' as being away ("to be absent for long periods", "absent from home") negates nothing."""

from __future__ import annotations

from trialatlas.extract.criteria import parse_text
from trialatlas.extract.criteria.negation import find_cues


def test_being_away_is_no_negation_cue() -> None:
    assert not [
        c for c in find_cues("Woman planning to be absent for three months") if c.category == "negation"
    ]
    assert not [
        c for c in find_cues("Absent from the region during the pregnancy") if c.category == "negation"
    ]


def test_a_finding_said_absent_is_still_negated() -> None:
    rules = parse_text("Absent brain metastases on MRI", "inclusion")
    assert rules and all(rule.negated for rule in rules)


def test_pregnancy_beside_an_absence_from_home_is_not_negated() -> None:
    text = "Woman likely to be absent from home in the course of the pregnancy"
    assert [r.negated for r in parse_text(text, "exclusion") if r.kind == "pregnancy"] == [False]
