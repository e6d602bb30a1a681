"""British spellings match the vocabularies; a condition a lab value shows (anaemia, thrombocytopenia)
is decided by that value outside the band where definitions differ; "iron deficiency" is no medicine."""

from __future__ import annotations

from trialatlas.extract.criteria.vocab import condition_matcher
from trialatlas.match.patient import profile_from_note
from verdict_support import status_of


def test_british_spellings_are_the_same_concepts() -> None:
    pairs = [("oesophageal cancer", "esophageal cancer"), ("sickle cell anaemia", "sickle cell anemia")]
    for british, american in pairs:
        found = [m.concept for m in condition_matcher().find(british)]
        assert found and found == [m.concept for m in condition_matcher().find(american)]
    # Text spans stay the writer's own.
    assert condition_matcher().find("with leukaemia.")[0].text == "leukaemia"


def test_a_low_value_shows_the_condition_and_a_normal_one_rules_it_out() -> None:
    low = "Woman, 30. Haemoglobin today is 7.9 g/dL."
    normal = "Woman, 30. Hemoglobin 13.8 g/dL, platelets 240 x 10^9/L."
    borderline = "Woman, 30. Hemoglobin 11.6 g/dL."
    assert status_of("Severe anaemia", low, kind="exclusion") != "not excluded"
    assert status_of("Anemia", low, kind="exclusion") == "excluded"
    assert status_of("Anemia", normal, kind="exclusion") == "not excluded"
    assert status_of("Thrombocytopenia", normal, kind="exclusion") == "not excluded"
    assert status_of("Anemia", borderline, kind="exclusion") == "unknown"


def test_a_deficiency_of_a_substance_is_a_condition_not_a_medicine() -> None:
    profile = profile_from_note("Woman, 27. Further tests show iron deficiency.")
    assert not any("iron" in m.name.lower() for m in profile.medications)
    assert any(c.concept == "anemia" for c in profile.conditions)
