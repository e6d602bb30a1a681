"""One administration named by its noun with the indefinite article (R156, room regfreq3, issue #20):
"an intramuscular injection of 1 mg", "an infusion of 3 ml/kg", "a bolus of 2 mg", where nothing else gives
the dose a frequency and neither its sentence nor its text holds a word of a repeating schedule, is given once
(spec: once = a single administration, "one oral dose"). "At a dose of" counts nothing, and a repeating
schedule wins. Each text is written for this test; the expected items were written before the rule."""

from __future__ import annotations

from regimen_sets import flat


def _amount_frequency(text: str) -> list[tuple[object, object]]:
    return [(row[1], row[5]) for row in flat(text)]


def test_an_injection_of_a_dose_is_one_administration() -> None:
    text = "Patients receive an intramuscular injection of 1 mg paliperidone in the deltoid muscle."
    assert _amount_frequency(text) == [(1.0, "once")]


def test_an_infusion_of_a_dose_is_one_administration() -> None:
    assert _amount_frequency("An infusion of 3 ml/kg albumin is given over 30 minutes.") == [(3.0, "once")]


def test_a_repeating_schedule_wins_over_the_article() -> None:
    text = "Patients receive an infusion of rituximab 375 mg/m2 weekly for 4 weeks."
    assert _amount_frequency(text) == [(375.0, "QW")]
    text = "Patients receive an injection of 0.5 mL vaccine at months 0, 1 and 6."
    assert _amount_frequency(text) == [(0.5, None)]


def test_at_a_dose_of_counts_no_administration() -> None:
    assert _amount_frequency("Drug X is given at a dose of 10 mg/kg.") == [(10.0, None)]
