"""Drug allergies as a note states them: an allergen is never a medicine the patient takes; "allergic to
aspirin" meets "hypersensitivity to NSAIDs"; "NKDA" and an "Allergies:" list rule out allergies they do
not name; a drug merely given or a rash with no drug named is not an allergy."""

from __future__ import annotations

from trialatlas.match.patient import profile_from_note
from verdict_support import status_of


def _allergens(note: str) -> list[tuple[str, bool]]:
    return [(allergy.name.lower(), allergy.present) for allergy in profile_from_note(note).allergies]


def _taken(note: str) -> set[str]:
    return {d for m in profile_from_note(note).medications if m.present for d in m.drugs}


def test_an_allergen_is_not_a_medicine_taken() -> None:
    note = "Woman of 58 with lymphoma. Allergies: vancomycin (red man syndrome), morphine."
    assert _allergens(note) == [("vancomycin", True), ("morphine", True)]
    assert _taken(note) == set()
    assert status_of("Currently receiving opioid analgesics", note, kind="exclusion") != "excluded"
    assert status_of("Concurrent vancomycin", note, kind="exclusion") != "excluded"


def test_allergy_cues_before_and_after_the_drug_and_their_lists() -> None:
    assert _allergens("He is allergic to naproxen and on metformin 500 mg daily.") == [("naproxen", True)]
    assert _taken("He is allergic to naproxen and on metformin 500 mg daily.") == {"metformin"}
    assert _allergens("Known amoxicillin and doxycycline allergies.") == [
        ("amoxicillin", True),
        ("doxycycline", True),
    ]
    assert _allergens("Tramadol caused a generalized rash in 2020.") == [("tramadol", True)]
    assert _allergens("She had anaphylaxis to cefazolin during surgery.") == [("cefazolin", True)]
    # A drug given, a rash with no drug named and a bracketed reaction are no allergy of their own.
    assert _allergens("He takes allopurinol 100 mg daily and has a rash on his arms.") == []
    assert _allergens("Allergies: heparin (heparin-induced thrombocytopenia).") == [("heparin", True)]


def test_a_denied_allergy_is_absent() -> None:
    note = "Man of 45. No allergy to penicillin; he takes lisinopril."
    assert _allergens(note) == [("penicillin", False)]
    assert status_of("Known hypersensitivity to penicillin", note, kind="exclusion") == "not excluded"


def test_an_allergy_meets_a_criterion_about_its_drug_or_class() -> None:
    note = "Woman of 66 with osteoarthritis. She is allergic to diclofenac (angioedema)."
    assert status_of("History of hypersensitivity to NSAIDs", note, kind="exclusion") == "excluded"
    assert status_of("No known allergy to diclofenac", note) == "not met"


def test_no_known_allergies_and_a_whole_allergy_list_rule_out_the_rest() -> None:
    for note in (
        "Man of 52 with gout. NKDA. He takes colchicine.",
        "Man of 52 with gout. He has no known drug allergies.",
        "Man of 52 with gout. Allergies: none known.",
        "Man of 52 with gout. He has no history of allergies to any food or drugs.",
    ):
        profile = profile_from_note(note)
        assert profile.allergy_list_complete, note
        assert status_of("Known hypersensitivity to febuxostat", note, kind="exclusion") == "not excluded", (
            note
        )
    listed = "Woman of 40. Allergies: codeine (vomiting)."
    assert status_of("Known allergy to ketorolac", listed, kind="exclusion") == "not excluded"
    # A sentence naming one allergy in passing does not say it is the only one.
    passing = "Woman of 40 who is allergic to codeine."
    assert not profile_from_note(passing).allergy_list_complete
    assert not profile_from_note("Woman of 40. No allergy to codeine.").allergy_list_complete
    assert status_of("Known allergy to ketorolac", passing, kind="exclusion") == "unknown"
