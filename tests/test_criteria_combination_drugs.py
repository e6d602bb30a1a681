"""Combination products: a note's "bictegravir/emtricitabine/tenofovir alafenamide" is each of its
ingredients, so criteria about any ingredient or any ingredient's class are judged on it."""

from __future__ import annotations

from trialatlas.extract.criteria.drugs import drug_classes, drug_ingredients, same_drug
from verdict_support import parsed_criterion, status_of


def test_a_combination_is_made_of_its_known_ingredients() -> None:
    assert drug_ingredients("bictegravir/emtricitabine/tenofovir alafenamide") == (
        "bictegravir",
        "emtricitabine",
        "tenofovir alafenamide",
    )
    assert set(drug_ingredients("lopinavir/ritonavir")) == {"lopinavir", "ritonavir"}
    # One drug is no combination, and a name is never split into parts that are not drugs.
    assert drug_ingredients("zidovudine") == ()
    assert drug_ingredients("peginterferon alfa-2b") == ()
    assert drug_ingredients("zidovudine/blue pill") == ()


def test_a_combination_is_in_each_ingredients_class_and_is_each_ingredient() -> None:
    assert "antiretroviral" in drug_classes("bictegravir/emtricitabine/tenofovir alafenamide")
    assert same_drug("emtricitabine", "bictegravir/emtricitabine/tenofovir alafenamide")
    assert not same_drug("zidovudine", "bictegravir/emtricitabine/tenofovir alafenamide")


def test_a_patient_on_a_combination_tablet_takes_antiretroviral_therapy() -> None:
    note = "48-year-old woman with HIV. She takes bictegravir/emtricitabine/tenofovir alafenamide once daily."
    assert status_of("No current antiretroviral therapy", note) == "not met"
    assert status_of("Current use of emtricitabine", note, kind="exclusion") == "excluded"


def test_an_exception_exempts_a_combination_only_when_it_exempts_every_ingredient() -> None:
    criterion = "Any antiretroviral drug other than tenofovir or emtricitabine"
    only_exempted = "Man, 39, with HIV. He takes emtricitabine/tenofovir disoproxil fumarate daily."
    assert status_of(criterion, only_exempted, kind="exclusion") != "excluded"
    with_another = "Man, 39, with HIV. He takes bictegravir/emtricitabine/tenofovir alafenamide daily."
    assert status_of(criterion, with_another, kind="exclusion") == "excluded"


def test_an_ingredient_the_vocabulary_files_under_its_combination_is_itself() -> None:
    # The packaged vocabulary files imipenem under "imipenem/cilastatin": the combination's parts are
    # still the two single drugs, never the combination again (which made class look-ups recurse).
    assert drug_ingredients("imipenem/cilastatin") == ("imipenem", "cilastatin")
    classes = drug_classes("imipenem/cilastatin")
    assert classes == tuple(dict.fromkeys(classes))
    criterion = "Imipenem/cilastatin sodium."
    parsed = parsed_criterion(criterion, kind="exclusion")
    assert parsed is not None
