"""Exceptions: a drug class "other than" named drugs is judged on the patient's other drugs, and a
criterion that does not hold at all does not hold for what is left after its exception."""

from __future__ import annotations

from verdict_support import status_of

CLASS_EXCEPT = "Any antiretroviral drug other than tenofovir or emtricitabine"


def test_a_drug_of_the_class_outside_the_exception_excludes() -> None:
    note = "Man, 41, with HIV. He takes tenofovir and efavirenz daily."
    assert status_of(CLASS_EXCEPT, note, kind="exclusion") == "excluded"


def test_only_exempted_drugs_of_the_class_do_not_exclude() -> None:
    # Whether he takes other drugs the note does not say: never "excluded" for the exempted ones.
    note = "Man, 41, with HIV. He takes tenofovir and emtricitabine daily."
    assert status_of(CLASS_EXCEPT, note, kind="exclusion") != "excluded"


def test_nothing_at_all_is_nothing_besides_the_exception() -> None:
    criterion = "Active malignancy, except basal cell carcinoma of the skin"
    assert (
        status_of(criterion, "Woman, 50, healthy. No history of cancer.", kind="exclusion") == "not excluded"
    )
    # A patient with the exempted cancer only may or may not have another: never a guessed "excluded".
    assert (
        status_of(criterion, "Woman, 50, with basal cell carcinoma of the skin.", kind="exclusion")
        != "excluded"
    )
