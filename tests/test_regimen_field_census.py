"""Fields of items the parser finds (room regfields, issue #20): a stated count of a day's administrations
read where a day word stands between the count and the dose noun ("in two daily doses" -> BID, the amount a
day's, R139); a dose timed before an event that happens once is one administration (R140). Each text is
written for this test, not taken from a labelled set."""

from __future__ import annotations

from regimen_sets import flat


def _basis_frequency(text: str) -> list[tuple[object, object]]:
    return [(row[4], row[5]) for row in flat(text)]


def test_a_count_of_daily_doses_is_the_frequency_and_the_amount_a_days() -> None:
    assert _basis_frequency("Metformin 1000 mg in two daily doses for 12 weeks") == [("day", "BID")]
    assert _basis_frequency("Drug X 20 mg/kg in 3 daily doses") == [("kg/day", "TID")]


def test_a_nightly_count_is_a_count_of_a_days_doses_too() -> None:
    assert _basis_frequency("oral solution, starting with 6 ml in two nightly dosages") == [("day", "BID")]


def test_a_daily_dose_without_a_count_is_left_as_before() -> None:
    # "two daily doses" is a count; "daily doses of 500 mg" names none.
    assert _basis_frequency("Metformin 500 mg daily") == [("dose", "QD")]


def test_a_dose_before_an_event_that_happens_once_is_given_once() -> None:
    assert _basis_frequency("Pregabalin 150 mg orally one hour before surgery") == [("dose", "once")]
    assert _basis_frequency("Ondansetron 4 mg IV at the end of the operation") == [("dose", "once")]


def test_a_dose_before_an_event_on_a_repeating_schedule_keeps_its_schedule() -> None:
    # "every 8 hours" and "daily" repeat; "before meals" names no single event.
    assert _basis_frequency("Dexamethasone 8 mg IV before surgery and every 8 hours after") == [
        ("dose", "TID")
    ]
    assert _basis_frequency("Drug X 10 mg daily before surgery") == [("dose", "QD")]
    assert _basis_frequency("Insulin 4 units before meals") == [("dose", None)]
