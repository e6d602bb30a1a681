"""Exceptions: a drug class "other than" named drugs is judged on the patient's other drugs, and a
criterion that does not hold at all does not hold for what is left after its exception."""

from __future__ import annotations

from trialatlas.extract.criteria import Criterion, parse_criterion
from trialatlas.match.patient import profile_from_note
from trialatlas.match.verdict import evaluate_criterion

CLASS_EXCEPT = "Any antiretroviral drug other than tenofovir or emtricitabine"


def _status(criterion: str, kind: str, note: str) -> str:
    parsed = parse_criterion(Criterion(text=criterion, kind=kind, index=0, start=0, end=len(criterion)))  # type: ignore[arg-type]
    return evaluate_criterion(parsed, profile_from_note(note)).status


def test_a_drug_of_the_class_outside_the_exception_excludes() -> None:
    note = "Man, 41, with HIV. He takes tenofovir and efavirenz daily."
    assert _status(CLASS_EXCEPT, "exclusion", note) == "excluded"


def test_only_exempted_drugs_of_the_class_do_not_exclude() -> None:
    # Whether he takes other drugs the note does not say: never "excluded" for the exempted ones.
    note = "Man, 41, with HIV. He takes tenofovir and emtricitabine daily."
    assert _status(CLASS_EXCEPT, "exclusion", note) != "excluded"


def test_nothing_at_all_is_nothing_besides_the_exception() -> None:
    criterion = "Active malignancy, except basal cell carcinoma of the skin"
    assert _status(criterion, "exclusion", "Woman, 50, healthy. No history of cancer.") == "not excluded"
    # A patient with the exempted cancer only may or may not have another: never a guessed "excluded".
    assert _status(criterion, "exclusion", "Woman, 50, with basal cell carcinoma of the skin.") != "excluded"
