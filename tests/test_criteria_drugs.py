"""Drug mentions in criteria and notes: names from the regimen vocabulary, classes from the criteria table."""

from __future__ import annotations

import pytest

from trialatlas.extract.criteria import parse_text
from trialatlas.extract.criteria.drugs import (
    class_table,
    drug_classes,
    find_drugs,
    same_drug,
)
from trialatlas.extract.criteria.rules import MedicationRule
from trialatlas.extract.regimen.drugs import lookup
from trialatlas.match.judge import judge_annotations
from trialatlas.match.patient import profile_from_note


def test_class_members_are_generics_of_the_regimen_vocabulary() -> None:
    # The classes only group drugs; a member the regimen vocabulary does not spell so is a dead entry.
    for identifier, entry in class_table().items():
        for member in entry.get("members", []):
            info = lookup(member)
            assert info is not None and info.name == member, (identifier, member)
        for broader in entry.get("broader", []):
            assert broader in class_table(), (identifier, broader)


def test_brands_and_abbreviations_become_regimen_generics() -> None:
    found = {m.text: m.drug for m in find_drugs("Prior CellCept, Prograf, MTX or Avastin")}
    assert found == {
        "CellCept": "mycophenolate mofetil",
        "Prograf": "tacrolimus",
        "MTX": "methotrexate",
        "Avastin": "bevacizumab",
    }


def test_class_phrases_the_regimen_vocabulary_lacks() -> None:
    found = {m.text: m.drug_class for m in find_drugs("beta-blockers, DOACs, low molecular weight heparin")}
    assert found == {
        "beta-blockers": "beta_blocker",
        "DOACs": "anticoagulant",
        "low molecular weight heparin": "anticoagulant",
    }
    # Regimen class words keep working ("steroids" is a regimen class).
    assert [m.drug_class for m in find_drugs("systemic steroids")] == ["glucocorticoid"]


@pytest.mark.parametrize(
    "text",
    [
        "insulin-dependent diabetes",  # a modifier inside a compound
        "steroid-resistant nephrotic syndrome",
        "serum albumin below normal",  # a measurement, not albumin given as a drug
        "S1 and S2 are normal",  # a heart sound, not the S-1 regimen
        "except for basal cell carcinoma",  # an English word with a drug-like ending
        "T790M mutation",  # a mutation, not a development code
    ],
)
def test_words_that_are_not_drugs_here(text: str) -> None:
    assert find_drugs(text) == []


def test_classes_by_membership_stem_and_group() -> None:
    assert {"beta_blocker", "antihypertensive"} <= set(drug_classes("metoprolol"))  # stem -olol
    assert "anticoagulant" in drug_classes("enoxaparin")  # stem -parin
    assert "anticoagulant" in drug_classes("warfarin")  # listed member
    assert "glucocorticoid" in drug_classes("budesonide")  # whole regimen group
    assert {"calcineurin_inhibitor", "immunosuppressant"} <= set(drug_classes("tacrolimus"))
    assert "antibiotic" not in drug_classes("bleomycin")  # an antitumour "-mycin"
    assert drug_classes("acetaminophen") == ("analgesic",)


def test_forms_of_one_drug_are_the_same_drug() -> None:
    assert same_drug("mycophenolate", "mycophenolate mofetil")
    assert same_drug("insulin", "insulin glargine")
    assert not same_drug("tacrolimus", "cyclosporine")


def test_medication_rule_uses_regimen_names_and_criteria_classes() -> None:
    def medications(text: str) -> list[MedicationRule]:
        return [r for r in parse_text(text, "exclusion") if isinstance(r, MedicationRule)]

    rules = medications("Current use of anticoagulants")
    assert len(rules) == 1 and rules[0].drug_class == "anticoagulant" and rules[0].drugs == []
    rules = medications("Treatment with Xarelto")
    assert rules[0].drugs == ["rivaroxaban"] and rules[0].drug_class == "anticoagulant"


def test_a_class_criterion_meets_a_patient_drug() -> None:
    note = "0. A 70-year-old man with atrial fibrillation.\n1. He takes warfarin and metoprolol daily."
    profile = profile_from_note(note)
    taken = {d for m in profile.medications if m.present for d in m.drugs}
    assert taken == {"warfarin", "metoprolol"}
    pairs = [
        {"note": note, "criterion_text": "Use of anticoagulants", "criterion_type": "exclusion"},
        {"note": note, "criterion_text": "Treatment with beta-blockers", "criterion_type": "inclusion"},
    ]
    labels = [j.eligibility for j in judge_annotations(pairs)]
    assert labels == ["excluded", "included"]
