"""A note that lists all the patient's medicines ("Her only medications are …", "Current
medications: …") rules out the ones it does not name, for what is taken now; a class is ruled out
only when every listed medicine is a known drug of known classes. Class names are the same with or
without a hyphen after "anti" ("anti-fungal drugs")."""

from __future__ import annotations

from trialatlas.extract.criteria.drugs import find_drugs
from trialatlas.match.patient import profile_from_note
from verdict_support import status_of


def test_the_cues_of_a_whole_list() -> None:
    assert profile_from_note("His only medications are metformin and lisinopril.").medication_list_complete
    assert profile_from_note("Current medications: sertraline, ibuprofen.").medication_list_complete
    assert profile_from_note("She takes atenolol and no other medicines.").medication_list_complete
    assert not profile_from_note("She takes atenolol and lisinopril.").medication_list_complete
    assert not profile_from_note("Medication history was not obtained.").medication_list_complete


def test_a_whole_list_rules_out_a_drug_and_a_class_it_does_not_name() -> None:
    note = "Man of 61 with diabetes. His only medications are metformin 500 mg twice daily and simvastatin."
    assert status_of("Current use of warfarin", note, kind="exclusion") == "not excluded"
    assert status_of("No concurrent anticoagulants or antiplatelet agents", note) == "met"
    # Without the word that closes the list, the note's silence stays open.
    open_note = "Man of 61 with diabetes, on metformin 500 mg twice daily and atorvastatin 20 mg."
    assert status_of("Current use of warfarin", open_note, kind="exclusion") == "unknown"


def test_a_listed_drug_still_meets_the_criterion() -> None:
    note = "Woman of 70. Current medications: digoxin 0.125 mg daily, furosemide 40 mg daily."
    assert status_of("No concurrent cardiac glycosides", note) == "not met"


def test_a_whole_list_of_today_says_nothing_of_the_past() -> None:
    note = "Woman of 58 with breast cancer. Her only medications are letrozole and omeprazole."
    assert status_of("No prior gemcitabine", note) == "unknown"
    assert status_of("Warfarin within the past 2 weeks", note, kind="exclusion") == "unknown"


def test_a_listed_medicine_of_unknown_class_keeps_a_class_open() -> None:
    # "Zorbalix" is no drug the vocabulary knows: whether it is an antifungal cannot be told.
    note = "Man of 40. Current medications: zorbalix 10 mg daily and metformin 500 mg twice daily."
    assert status_of("Concurrent antifungal agents", note, kind="exclusion") == "unknown"


def test_anti_prefixed_class_names_read_with_or_without_hyphen() -> None:
    for text in ("anti-fungal drugs", "antifungals", "anti-emetics", "antiemetics"):
        classes = {m.drug_class for m in find_drugs(text)}
        assert classes & {"antifungal", "antiemetic"}, text


def test_an_exempted_drug_on_a_whole_list_leaves_the_class_not_met() -> None:
    note = "Man of 38 with AIDS. Current medications: nystatin suspension, loperamide 2 mg as needed."
    assert status_of("Anti-fungal drugs other than nystatin", note, kind="exclusion") == "not excluded"
    other = "Man of 38 with AIDS. Current medications: fluconazole 200 mg daily, loperamide."
    assert status_of("Anti-fungal drugs other than nystatin", other, kind="exclusion") == "excluded"
