"""Bounds on a drug's amount (room regfreq3, issue #20, R154): a lower bound whose amount's noun is a drug
the text names ("at least 40mg simvastatin daily", "more than 10 mg of morphine") is a dose statement of that
drug, an item with the bound as its amount; a bound on what is measured (an excretion, a meal's nutrient, a
body weight) stays no dose, and an upper bound ("not to exceed", "less than") is a cap, left to R31/R98. Each
text is written for this test, not taken from a labelled set; the expected items were written before the
rule."""

from __future__ import annotations

from regimen_sets import flat


def _items(text: str) -> list[tuple[object, ...]]:
    return [row[:6] for row in flat(text)]


def test_a_lower_bound_on_a_named_drug_is_a_dose() -> None:
    assert _items("Patients take statins (at least 40 mg simvastatin daily).") == [
        ("simvastatin", 40.0, 40.0, "mg", "dose", "QD")
    ]
    assert _items("Patients requiring more than 10 mg of morphine in recovery are reviewed.") == [
        ("morphine", 10.0, 10.0, "mg", "dose", None)
    ]


def test_a_lower_bound_with_a_route_word_before_the_drug_is_a_dose() -> None:
    assert _items("Opioid tolerant: taking at least 60 mg oral morphine /day for a week.") == [
        ("morphine", 60.0, 60.0, "mg", "day", "QD")
    ]


def test_a_bound_on_what_is_measured_stays_no_dose() -> None:
    assert _items("Iron excretion of at least 0.25 mg/kg/day is required.") == []
    assert _items("A meal that contains more than 20 grams of carbohydrate.") == []


def test_an_upper_bound_is_no_dose_of_its_own() -> None:
    # "not to exceed 300 mcg/day" caps the dose before it; it adds no dose.
    rows = _items("Filgrastim 5 mcg/kg/day subcutaneously (not to exceed 300 mcg/day).")
    assert [row[1] for row in rows] == [5.0]
