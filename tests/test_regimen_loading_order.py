"""A first dose on one named day or week that "then" / "followed by" leads to the same drug's doses on a
schedule is a loading dose, given once (spec: "once = ... a loading dose, one named day of a non-repeating
schedule"; R155, room regfreq3, issue #20), also where the later dose's schedule is a list of weeks read after
the first dose was (the reading order no longer decides). A titration's first step keeps no frequency the text
does not state (R40). Each text is written for this test; the expected items were written before the rule."""

from __future__ import annotations

from regimen_sets import flat


def _amount_frequency(text: str) -> list[tuple[object, object]]:
    return [(row[1], row[5]) for row in flat(text)]


def test_a_named_week_then_a_listed_schedule_is_a_loading_dose() -> None:
    text = "Fremanezumab 675 mg SC at Week 0 followed by fremanezumab 225 mg SC at Weeks 4 and 8."
    assert _amount_frequency(text) == [(675.0, "once"), (225.0, "Q4W")]


def test_a_named_week_then_a_stated_schedule_is_a_loading_dose() -> None:
    text = "Drug: galcanezumab 240 mg SC at week 0, then galcanezumab 120 mg SC every 4 weeks."
    assert _amount_frequency(text) == [(240.0, "once"), (120.0, "Q4W")]


def test_a_titrations_first_step_keeps_no_frequency() -> None:
    text = "Sertraline 50 mg at week 0 followed by an increase to sertraline 100 mg at weeks 4 and 8."
    assert _amount_frequency(text)[0] == (50.0, None)
