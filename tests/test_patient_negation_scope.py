"""A negation in a note ends where a clause of its own begins: "She has no history of diabetes and
takes prednisone" denies the diabetes, not the prednisone (an "and" followed by a subject or a verb
opens a new clause, as ConText's termination terms end a scope). A list keeps its one negation. A drug
word inside a disorder's name ("opioid use disorder", "cocaine dependence") is no medicine taken."""

from __future__ import annotations

from trialatlas.extract.criteria.negation import context_of
from trialatlas.match.patient import profile_from_note
from verdict_support import status_of


def _facts(note: str) -> dict[str, bool]:
    profile = profile_from_note(note)
    facts = {c.name.lower(): c.present for c in profile.conditions}
    facts.update({m.name.lower(): m.present for m in profile.medications})
    return facts


def test_a_negation_stops_at_an_and_that_opens_a_clause() -> None:
    assert _facts("He has no history of asthma and takes warfarin 5 mg daily.") == {
        "asthma": False,
        "warfarin": True,
    }
    on_metoprolol = "No cough, and she is on metoprolol 25 mg twice daily."
    assert _facts(on_metoprolol) == {"cough": False, "metoprolol": True}
    assert _facts("He denies fever and has no headache.") == {"fever": False, "headache": False}


def test_a_list_keeps_its_one_negation() -> None:
    assert _facts("No tacrolimus, cyclosporine and sirolimus.") == {
        "tacrolimus": False,
        "cyclosporine": False,
        "sirolimus": False,
    }
    text = "No diabetes and hypertension."
    assert context_of(text, text.index("hypertension"), len(text) - 1).negated


def test_the_medicine_after_a_denial_decides_a_criterion() -> None:
    note = "Woman of 63. She has no history of stroke and takes apixaban 5 mg twice daily."
    assert status_of("Current use of anticoagulants", note, kind="exclusion") == "excluded"
    assert status_of("History of stroke", note, kind="exclusion") == "not excluded"


def test_a_drug_word_in_a_disorder_is_no_medicine_taken() -> None:
    note = "Man of 40 in remission from opioid use disorder on buprenorphine; history of cocaine dependence."
    profile = profile_from_note(note)
    taken = {d for m in profile.medications if m.present for d in m.drugs}
    assert "buprenorphine" in taken
    assert not {"cocaine", "opioid"} & {m.name.lower() for m in profile.medications}
    assert {c.concept for c in profile.conditions} >= {"substance_abuse"}


def test_a_history_cue_stops_at_a_reporting_verb() -> None:
    note = "A 49-year-old woman with a history of migraine, describes worsening dyspnea since last week."
    conditions = {c.name.lower(): c.historical for c in profile_from_note(note).conditions}
    assert conditions == {"migraine": True, "dyspnea": False}


def test_what_a_note_rules_out_or_only_suspects() -> None:
    def read(note: str) -> tuple[bool, bool]:
        condition = profile_from_note(note).conditions[0]
        return condition.present, condition.uncertain

    assert read("Pneumonia was ruled out by chest x-ray.") == (False, False)
    assert read("She was ruled out for pulmonary embolism last spring.") == (False, False)
    # A test done to rule something out leaves it open, as do suspicion words.
    assert read("Chest CT tomorrow to rule out pneumonia.") == (True, True)
    assert read("There is concern for sepsis.") == (True, True)
    assert read("The mammogram is suspicious for breast cancer.") == (True, True)
    assert read("He thinks he might have had a seizure as a child.") == (True, True)
    note = "Woman of 50. Pulmonary embolism has been ruled out with a CT angiogram."
    assert status_of("No pulmonary embolism", note) == "met"
    assert (
        status_of("No pulmonary embolism", "Woman of 50. CT angiogram to rule out pulmonary embolism.")
        == "unknown"
    )


def test_a_finding_that_might_represent_a_disease_leaves_it_open() -> None:
    note = "Man of 59 with a neck mass. Core biopsy might represent diffuse large cell lymphoma."
    lymphoma = [c for c in profile_from_note(note).conditions if "lymphoma" in c.name.lower()]
    assert lymphoma and all(c.uncertain for c in lymphoma)
    assert status_of("Diffuse large cell lymphoma", note) == "unknown"
